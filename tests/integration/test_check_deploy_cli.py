"""``flask --app wsgi check-deploy`` as an operator runs it, in the production environment whose
configuration the portal refuses (docs/security.md T19), and gunicorn refusing the same one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def _env(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="production",
        PORTAL_DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}",
        PORTAL_SECRET_KEY="short",
        PORTAL_PUBLIC_BASE_URL="http://meldportaal.example.nl",
        PORTAL_MAIL_ECHO="false",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(changes)
    return env


def test_check_deploy_lists_every_check_of_a_refused_production_configuration(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [FLASK, "--app", "wsgi", "check-deploy"],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL  SECRET_KEY"), result.stdout
    for name in ("DATABASE_URL", "PUBLIC_BASE_URL", "SECURITY_CONTACT"):
        assert any(line.startswith("FAIL") and name in line for line in lines), name
    assert any(line.startswith("ok    DEBUG is off") for line in lines)
    assert len(lines) >= 8
    assert "Traceback" not in result.stderr and "Refusing to start" in result.stderr


def test_gunicorn_refuses_the_same_configuration(tmp_path: Path) -> None:
    """Only check-deploy gets past the guard: the server does not start."""
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Refusing to start in production: SECRET_KEY" in result.stdout + result.stderr
