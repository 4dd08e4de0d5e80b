"""Every command in the README runs as written (issue 23), against a served demo portal.

Each fenced shell block of README.md (```sh, ```bash, ```shell, ```console) carries a mark, an
HTML comment on the line before its opening fence:

* ``<!-- run -->`` or ``<!-- run: expect REGEX -->``: this test runs the block; with ``expect``,
  REGEX (Python, multi-line) must be found in what the block prints;
* ``<!-- not run: REASON -->``: the block cannot run in a test (``make run`` serves until stopped,
  production recipes need root, other hosts or PostgreSQL) and says why.

A shell block with neither mark fails the test, so a new command cannot slip in untested.

The marked blocks run in README order, each with ``bash`` under ``set -euo pipefail``, in the
environment the README tells a reader to have: a set-up whose ``.venv`` is activated (README
"Command line": ``. .venv/bin/activate``), and the portal served by ``make run`` — its recipe as
the Makefile has it (migrate, ``flask --app wsgi demo load``, gunicorn), with ``HOST`` and
``PORT`` as the README describes, on a free port; the README's ``http://127.0.0.1:5000`` is read
as that address. Variables
a block sets (``KEY``) are kept for the blocks after it, as in one terminal. Every block's exit
status must be 0.

The portal runs on a SQLite file of its own in a temporary directory (``PORTAL_DATABASE_URL``,
README "Configuration"), also when the suite runs on PostgreSQL (TEST_DATABASE_URL): the README's
``make run`` uses SQLite, and the file keeps this test away from the suite's database. One
portal serves every block and the template upload.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.domain.batches import COLUMNS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
# Where the README says the portal is (make run's HOST and PORT).
README_ADDRESS = "http://127.0.0.1:5000"
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console", "zsh"})
DEMO_DECLARANT = "declarant@flexwerk.demo.meldportaal.nl"
DEMO_PASSWORD = "demo-wachtwoord-2026"  # README "Demo logins"

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_MARK = re.compile(r"^\s*<!--\s*(?P<kind>not run|run)\s*(?::\s*(?P<rest>.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    body: str  # dedented by the fence's indent
    mark: str | None  # "run", "not run" or None
    note: str  # the mark's text after the colon

    @property
    def expect(self) -> str | None:
        if self.mark == "run" and self.note.startswith("expect "):
            return self.note.removeprefix("expect ").strip()
        return None


class MarkError(ValueError):
    pass


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of ``text`` with the mark on the line before it.

    Raises MarkError for a shell block without a mark, a ``not run`` without a reason, a ``run``
    mark with an unknown note, and a mark that is not right above a fenced block."""
    lines = text.splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    marks_used: set[int] = set()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        language = opening["lang"].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        found = _MARK.match(lines[k]) if k >= 0 else None
        if found:
            marks_used.add(k)
        block = Block(
            line=i + 1,
            language=language,
            body="\n".join(body) + "\n",
            mark=found["kind"] if found else None,
            note=(found["rest"] or "") if found else "",
        )
        blocks.append(block)
        if language in SHELL_LANGUAGES:
            if block.mark is None:
                problems.append(
                    f"line {block.line}: a ```{language} block without a mark: put"
                    " `<!-- run -->` (or `<!-- run: expect REGEX -->`) on the line before it,"
                    " or `<!-- not run: why it cannot run in a test -->`"
                )
            elif block.mark == "not run" and not block.note:
                problems.append(f"line {block.line}: `<!-- not run -->` needs a reason")
            elif block.mark == "run" and block.note and block.expect is None:
                problems.append(
                    f"line {block.line}: a run mark says `expect REGEX` or nothing: {block.note!r}"
                )
        i = j + 1
    for number, line in enumerate(lines):
        if _MARK.match(line) and number not in marks_used:
            problems.append(f"line {number + 1}: a mark that is not right above a fenced block")
        elif "<!--" in line and re.search(r"<!--\s*(not\s+)?run\b", line) and not _MARK.match(line):
            problems.append(f"line {number + 1}: a mark that cannot be read: {line.strip()}")
    if problems:
        raise MarkError("\n".join(problems))
    return blocks


def _runnable() -> list[Block]:
    return [b for b in readme_blocks(README.read_text(encoding="utf-8")) if b.mark == "run"]


# ---------------------------------------------------------------------------------------------
# The marks (no portal needed)


def test_every_shell_block_of_the_readme_is_marked() -> None:
    blocks = readme_blocks(README.read_text(encoding="utf-8"))  # raises on an unmarked block
    assert any(b.mark == "run" for b in blocks)


def test_an_unmarked_shell_block_is_refused() -> None:
    marked = "Text.\n\n<!-- run -->\n```sh\necho hello\n```\n"
    assert [b.body for b in readme_blocks(marked)] == ["echo hello\n"]
    indented = "1. Step:\n\n   <!-- run: expect ^hi$ -->\n   ```bash\n   echo hi\n   ```\n"
    assert [(b.body, b.expect) for b in readme_blocks(indented)] == [("echo hi\n", "^hi$")]
    for bad, why in [
        ("Text.\n\n```sh\necho hello\n```\n", "without a mark"),
        ("<!-- run -->\nText.\n```console\n$ ls\n```\n", "without a mark"),
        ("<!-- not run -->\n```bash\nmake run\n```\n", "needs a reason"),
        ("<!-- run: maybe -->\n```sh\ntrue\n```\n", "expect REGEX"),
        ("<!-- run -->\n\nNo block here.\n", "not right above a fenced block"),
    ]:
        with pytest.raises(MarkError, match=why):
            readme_blocks(bad)
    # Other languages need no mark.
    assert readme_blocks("```ini\n[Service]\n```\n```sql\nSELECT 1;\n```\n")[0].mark is None


def test_the_readme_quotes_the_csv_template_header() -> None:
    text = README.read_text(encoding="utf-8")
    quoted = re.findall(r"`(postcode;huisnummer;[^`]*)`", text)
    assert quoted, "the README no longer quotes the template's columns"
    assert all(header == ";".join(COLUMNS) for header in quoted), quoted


# ---------------------------------------------------------------------------------------------
# The served demo portal


@dataclass
class Portal:
    base_url: str
    env: dict[str, str]  # a reader's shell: .venv active, the portal's database configured
    workdir: Path
    log: Path  # what make run printed


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The portal as ``make run`` serves it: its recipe, without the set-up (``make -o install``:
    the suite runs in an installed checkout), on a free port, with a database of its own."""
    if shutil.which("make") is None:
        pytest.fail("make is missing (apt-get install -y make): the README starts with make run")
    workdir = tmp_path_factory.mktemp("readme")
    # The README's commands run here: the entry point they name (`--app wsgi`), with the
    # installed portal package and .venv of this checkout; files a block writes land here.
    shutil.copy(PROJECT_ROOT / "wsgi.py", workdir / "wsgi.py")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "FLASK_"))
        # not the suite's database, nor the options of a `make test` this runs under
        and key not in {"TEST_DATABASE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    }
    env.update(
        {
            # `. .venv/bin/activate`
            "VIRTUAL_ENV": sys.prefix,
            "PATH": venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
            "PORTAL_DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
            "PORTAL_PUBLIC_BASE_URL": base_url,
        }
    )
    log_path = workdir / "make-run.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                "make",
                "-s",
                "-o",
                "install",
                "run",
                "HOST=127.0.0.1",
                f"PORT={port}",
                f"BIN={venv_bin}",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make and the server it starts: one group to stop
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("make run did not serve the portal:\n" + log_path.read_text())
            time.sleep(0.1)
        yield Portal(base_url=base_url, env=env, workdir=workdir, log=log_path)
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl+C, as the README's make run says
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_make_run_serves_without_warnings(portal: Portal) -> None:
    output = portal.log.read_text()
    assert f"Serving the portal at {portal.base_url}" in output, output
    noisy = [line for line in output.splitlines() if re.search(r"(?i)warn|deprecat", line)]
    assert not noisy, output


# Shell variables that bash sets itself: not carried from one block to the next.
_BASH_OWN = "BASH_.*|FUNCNAME|PIPESTATUS|_|COLUMNS|LINES|OLDPWD|PWD|SHLVL|SECONDS|RANDOM|LINENO"


def _script(block: Block, portal: Portal, state: Path, baseline: Path) -> str:
    body = block.body.replace(README_ADDRESS, portal.base_url)
    return (
        "set -euo pipefail\n"
        f'source "{state}"\n'
        f"{body}\n"
        # Keep what the block set for the next blocks, as one terminal would.
        f'for name in $(compgen -v | grep -vxFf "{baseline}" | grep -vxE "{_BASH_OWN}"); do'
        f' declare -p "$name"; done > "{state}"\n'
        f'echo "cd $(printf %q "$PWD")" >> "{state}"\n'
    )


def test_every_marked_readme_command_runs(portal: Portal) -> None:
    if shutil.which("curl") is None:
        pytest.fail("the README's API example uses curl: apt-get install -y curl")
    state = portal.workdir / "shell-state.sh"
    state.write_text("")
    baseline = portal.workdir / "shell-baseline.txt"
    subprocess.run(
        ["bash", "-c", f'set -euo pipefail; source "{state}"; compgen -v > "{baseline}"'],
        cwd=portal.workdir,
        env=portal.env,
        check=True,
    )
    blocks = _runnable()
    failures: list[str] = []
    for block in blocks:
        started = time.monotonic()
        done = subprocess.run(
            ["bash", "-c", _script(block, portal, state, baseline)],
            cwd=portal.workdir,
            env=portal.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.monotonic() - started
        shown = f"README line {block.line} ({took:.1f} s):\n{block.body}"
        if done.returncode != 0:
            failures.append(
                f"{shown}exit status {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        elif block.expect and not re.search(block.expect, done.stdout, re.MULTILINE):
            failures.append(f"{shown}printed no match for {block.expect!r}:\n{done.stdout}")
    assert not failures, "\n\n".join(failures)
    assert len(blocks) >= 3  # the two-factor code, the API key and the API filing


# ---------------------------------------------------------------------------------------------
# The CSV template files as it is


class _Browser:
    """Forms through urllib with a cookie jar: GET a page, POST it back with its CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[str, bytes]:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base_url + path, data=data, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.geturl(), answer.read()
        except urllib.error.HTTPError as refused:
            raise AssertionError(
                f"{path}: {refused.code}\n{refused.read().decode(errors='replace')}"
            ) from None

    def csrf(self, path: str) -> str:
        _url, page = self.open(path)
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found[1].decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[str, bytes]:
        return self.open(path, urllib.parse.urlencode(fields).encode())


def test_the_downloaded_csv_template_files_unchanged(portal: Portal) -> None:
    web = _Browser(portal.base_url)
    token = web.csrf("/inloggen?lang=en")
    url, _page = web.post(
        "/inloggen?lang=en",
        {"csrf_token": token, "email": DEMO_DECLARANT, "password": DEMO_PASSWORD},
    )
    assert "/inloggen" not in url, "the demo declarant could not log in"

    upload_page = "/organisatie/meldingen/bulk?lang=en"
    _url, template = web.open("/organisatie/meldingen/bulk/sjabloon.csv")
    header = template.decode("utf-8-sig").splitlines()[0]
    assert header == ";".join(COLUMNS)

    # Upload the template as downloaded, byte for byte.
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{web.csrf(upload_page)}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="bulkmelding-sjabloon.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + template
        + f"\r\n--{boundary}--\r\n".encode()
    )
    check_url, check_page = web.open(
        upload_page, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    check_path = urllib.parse.urlsplit(check_url).path
    assert "/meldingen/bulk/controle/" in check_path, check_page.decode(errors="replace")
    check_text = check_page.decode()
    assert "All rows are correct." in check_text, check_text

    token_match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', check_text)
    assert token_match
    done_url, done_page = web.post(
        check_path + "?lang=en", {"csrf_token": token_match[1], "choice": "file"}
    )
    done_text = done_page.decode()
    assert re.search(r"/meldingen/bulk/\d+$", urllib.parse.urlsplit(done_url).path), done_text
    assert "1 declarations have been filed as batch" in done_text, done_text
