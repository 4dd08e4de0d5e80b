"""The README stays true: every setting is in its configuration table, both commands are there."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    with (ROOT / "config" / "default.toml").open("rb") as fh:
        keys = tomllib.load(fh)
    missing = [key for key in keys if f"| `{key}` |" not in readme]
    assert missing == []


def test_readme_gives_the_two_commands_and_ci_runs_make_test() -> None:
    assert "make run" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()
