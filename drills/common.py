"""Shared parts of the drills: databases of their own, gunicorn, judging and reporting.

The judging helpers (``Check``, ``judge``, ``compare_snapshots``) are pure, so
tests/integration/test_drills.py shows that they fail on a mismatch without running a drill.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The server the drills create their databases on (trust auth on loopback in CI). Any database
# name in the URL is ignored: the drills create and drop databases of their own.
DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DRILL_SECRET = "drill-only-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105 - throwaway


# --- judging (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One pass criterion: what is measured, the figure, what it must be, and whether it is."""

    name: str
    value: Any
    expected: str
    ok: bool


def judge(checks: Sequence[Check]) -> list[Check]:
    """The failed checks (empty when every criterion holds)."""
    return [c for c in checks if not c.ok]


def exact(name: str, value: Any, wanted: Any) -> Check:
    return Check(name, value, f"== {wanted}", value == wanted)


def at_least(name: str, value: float, wanted: float) -> Check:
    return Check(name, value, f">= {wanted}", value >= wanted)


def at_most(name: str, value: float, wanted: float) -> Check:
    return Check(name, value, f"<= {wanted}", value <= wanted)


Snapshot = Mapping[str, tuple[int, str]]  # table -> (row count, md5 of the ordered rows)


def compare_snapshots(before: Snapshot, after: Snapshot) -> list[str]:
    """Every difference between two database snapshots, in words; empty when identical.

    A table missing on either side, a different row count or a different content checksum is a
    difference."""
    problems: list[str] = []
    for table in sorted(set(before) | set(after)):
        if table not in after:
            problems.append(f"{table}: missing after restore")
        elif table not in before:
            problems.append(f"{table}: not in the source database")
        else:
            (n1, md1), (n2, md2) = before[table], after[table]
            if n1 != n2:
                problems.append(f"{table}: {n1} rows before, {n2} after")
            elif md1 != md2:
                problems.append(f"{table}: content checksum differs ({md1} != {md2})")
    return problems


def report(title: str, checks: Sequence[Check], figures: Mapping[str, Any]) -> int:
    """Print the figures as JSON and the checks as a table; the exit status (1 on a failure)."""
    failed = judge(checks)
    print(
        json.dumps(
            {
                "drill": title,
                "passed": not failed,
                "figures": figures,
                "checks": [asdict(c) for c in checks],
            },
            indent=2,
            default=str,
        )
    )
    width = max(len(c.name) for c in checks) if checks else 10
    print(f"\n{title}")
    print(f"{'criterion'.ljust(width)}  {'value':>12}  {'must be':<14} result")
    for c in checks:
        print(
            f"{c.name.ljust(width)}  {c.value!s:>12}  {c.expected:<14} {'ok' if c.ok else 'FAILED'}"
        )
    print(f"\n{title}: {'PASSED' if not failed else f'FAILED ({len(failed)} criteria)'}")
    return 1 if failed else 0


# --- PostgreSQL --------------------------------------------------------------------------------


def server_url() -> Any:
    """The PostgreSQL server (a SQLAlchemy URL): DRILL_DATABASE_URL, else TEST_DATABASE_URL,
    else postgres@127.0.0.1:5432."""
    from sqlalchemy.engine import make_url

    from portal.settings import normalise_database_url

    raw = os.environ.get("DRILL_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    url = make_url(normalise_database_url(raw or DEFAULT_SERVER_URL))
    if not url.drivername.startswith("postgresql"):
        url = make_url(DEFAULT_SERVER_URL)
    return url.set(database="postgres")


def database_url(name: str) -> str:
    return str(server_url().set(database=name).render_as_string(hide_password=False))


def _admin() -> Any:
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    return sqlalchemy.create_engine(server_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def unreachable_reason() -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL at {server_url().render_as_string()} is not reachable: {exc}"
    finally:
        engine.dispose()
    return None


def skip_or_fail(reason: str) -> int:
    """No PostgreSQL: a clear skip (exit 0), or a failure when DRILLS_REQUIRED is set (CI)."""
    if os.environ.get("DRILLS_REQUIRED"):
        print(f"FAILED: DRILLS_REQUIRED is set but {reason}", file=sys.stderr)
        return 1
    print(f"SKIPPED: {reason}")
    return 0


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    return f'"{name}"'


def create_database(name: str) -> str:
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {_quoted(name)}")
    finally:
        engine.dispose()
    return database_url(name)


def drop_database(name: str) -> None:
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        engine.dispose()


@contextmanager
def engine_for(url: str) -> Iterator[Any]:
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def libpq_url(url: str) -> str:
    """The URL as pg_dump/pg_restore/psql take it (no +psycopg)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- the portal --------------------------------------------------------------------------------


def portal_env(url: str, **extra: str) -> dict[str, str]:
    """The environment for the portal's processes: this database and nothing of the caller's
    PORTAL_* settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PORTAL_") and key != "TEST_DATABASE_URL"
    }
    env.update(
        {
            "PORTAL_ENV": "development",
            "PORTAL_DATABASE_URL": url,
            "PORTAL_SECRET_KEY": DRILL_SECRET,
            "PORTAL_MAIL_ECHO": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env


def flask(env: Mapping[str, str], *args: str) -> str:
    """Run ``flask --app wsgi ARGS``; its output (raises with the output when it fails)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(
    env: Mapping[str, str], log_path: Path, *, app: str = "wsgi:app", args: Sequence[str] = ()
) -> Gunicorn:
    """gunicorn on a free loopback port; returns once /healthz answers 200."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *args, app],
        cwd=PROJECT_ROOT,
        env={**env, "PORTAL_PUBLIC_BASE_URL": base_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Gunicorn(process, base_url, log_path)
    deadline = time.monotonic() + 180  # a loaded 2-core machine boots workers slowly
    while True:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-4000:])
        time.sleep(0.2)


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's workers), read from /proc."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces and parentheses: split after the last ")"
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 2 and int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found
