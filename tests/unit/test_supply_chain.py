"""Supply chain (docs/security.md T22): no installed package in security/known-bad.txt, no lower
bound in pyproject.toml that admits a known-bad version, and bandit without findings."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
KNOWN_BAD = ROOT / "security" / "known-bad.txt"
# The Makefile's security-check line (medium and high severity).
BANDIT = [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", "portal", "wsgi.py"]
BANDIT += ["-ll", "-q"]


class Bad(NamedTuple):
    package: str
    vulnerable: SpecifierSet
    advisories: tuple[str, ...]


def read_known_bad(text: str) -> list[Bad]:
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        package, spec, *advisories = line.split()
        assert advisories, f"no advisory id on: {line}"
        assert all(
            re.fullmatch(r"(CVE-\d{4}-\d+|GHSA(-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+)", a)
            for a in advisories
        ), line
        entries.append(Bad(canonicalize_name(package), SpecifierSet(spec), tuple(advisories)))
    return entries


def installed_in_known_bad(entries: list[Bad], installed: dict[str, str]) -> list[str]:
    return [
        f"{bad.package} {installed[bad.package]} ({' '.join(bad.advisories)})"
        for bad in entries
        if bad.package in installed and Version(installed[bad.package]) in bad.vulnerable
    ]


def installed_versions() -> dict[str, str]:
    return {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }


def test_the_list_is_readable_and_has_weasyprint() -> None:
    entries = read_known_bad(KNOWN_BAD.read_text())
    weasy = [bad for bad in entries if bad.package == "weasyprint"]
    assert weasy and Version("67.0") in weasy[0].vulnerable
    assert "CVE-2025-68616" in weasy[0].advisories
    assert len(entries) >= 20


def test_no_installed_package_is_in_the_known_bad_list() -> None:
    entries = read_known_bad(KNOWN_BAD.read_text())
    installed = installed_versions()
    assert "weasyprint" in installed and "flask" in installed
    assert installed_in_known_bad(entries, installed) == []


def test_the_check_sees_a_known_bad_version() -> None:
    """Sabotage: pretend WeasyPrint 67.0 and gunicorn 22.0 are installed."""
    entries = read_known_bad(KNOWN_BAD.read_text())
    found = installed_in_known_bad(
        entries, {**installed_versions(), "weasyprint": "67.0", "gunicorn": "22.0.0"}
    )
    assert any(f.startswith("weasyprint 67.0") for f in found)
    assert any(f.startswith("gunicorn 22.0.0") for f in found)


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_no_lower_bound_admits_a_known_bad_version(requirement: Requirement) -> None:
    """The lowest version pyproject.toml allows is not known to be vulnerable."""
    lower = [s.version for s in requirement.specifier if s.operator in (">=", "==", "~=")]
    if not lower:
        pytest.fail(f"{requirement} has no lower bound")
    floor = Version(max(lower, key=Version))
    name = canonicalize_name(requirement.name)
    for bad in read_known_bad(KNOWN_BAD.read_text()):
        assert not (bad.package == name and floor in bad.vulnerable), (str(requirement), bad)


def test_every_nosec_names_its_test_and_gives_a_reason() -> None:
    for path in [*sorted((ROOT / "portal").rglob("*.py")), ROOT / "wsgi.py"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "nosec" in line:
                # bandit reads the test ids up to the next "#": the reason follows it.
                assert re.search(r"#\s*nosec B\d{3}(,\s*B\d{3})*\s+#\s*\w+", line), (
                    f"{path}:{number}"
                )


def test_bandit_finds_nothing_of_medium_or_high_severity() -> None:
    result = subprocess.run(
        [*BANDIT, "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    import json

    report = json.loads(result.stdout)
    assert report["results"] == [], [
        (r["filename"], r["line_number"], r["test_id"]) for r in report["results"]
    ]
    assert result.returncode == 0
    # A "# nosec" whose reason bandit took for test names is a warning, not a finding: none.
    # ("nosec encountered (B704), but no failed test" is bandit checking the inner call on the
    # same line; the finding on the outer Markup() call is the one suppressed.)
    assert "is not a test name or id" not in result.stderr, result.stderr[-2000:]
