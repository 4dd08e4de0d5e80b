"""The documentation is self-contained (issue 23): every relative link in README.md and docs/*.md
resolves to a file of the repository (and a ``#anchor`` to a heading of that file, by GitHub's
anchor rules); no link climbs out of the repository; no file names the team's notes that a
clone does not have (the project's own words are in docs/, see docs/architecture.md §4); and every
"docs/rules.md §3.4" or "docs/security.md T7" cited anywhere names a section or test id that
exists.
``http(s)://`` links are allowed and never fetched."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# [text](target) and ![alt](target); the target ends at whitespace or ")" (an optional "title"
# after a space is ignored). Reference definitions "[id]: target" are checked too.
INLINE_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)

# The team's background notes that live beside the repository, not in it.
SHARED_NOTES = re.compile(
    r"SECURITY\.md|PERFORMANCE\.md|CONVENTIONS\.md|DESIGN\.md|DOMAIN\.md|\.\./shared"
)
SWEPT_SUFFIXES = {".py", ".md", ".html", ".toml", ".sh", ".txt", ".css"}
SWEPT_NAMES = {"Makefile", "run"}  # run: .ci/run, the CI script
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", "meldportaal.egg-info"}


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def links_in(text: str) -> list[str]:
    """Every link target of a Markdown text, code blocks and inline code left out."""
    text = FENCE.sub("", text)
    text = INLINE_CODE.sub("", text)
    return INLINE_LINK.findall(text) + REFERENCE_DEF.findall(text)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: markup removed, lower case, punctuation dropped
    (letters, digits, spaces, hyphens and underscores stay), spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    anchors: set[str] = set()
    for heading in HEADING.findall(text):
        base = github_anchor(heading)
        anchor, n = base, 0
        while anchor in anchors:  # GitHub numbers repeated headings: -1, -2, …
            n += 1
            anchor = f"{base}-{n}"
        anchors.add(anchor)
    return anchors


def problems_of_link(source: Path, target: str) -> str | None:
    """Why ``target``, written in ``source``, does not resolve; None when it does."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        scheme = target.split(":", 1)[0].lower()
        return None if scheme in ("http", "https", "mailto") else f"scheme {scheme}: not allowed"
    path_part, _, anchor = target.partition("#")
    path_part = path_part.split("?", 1)[0]
    if path_part.startswith("/"):
        return "absolute path (use a path relative to the file)"
    if ".." in Path(path_part).parts:
        # Outside the repository a "../" link points anywhere (a checkout beside other folders);
        # docs/ names the README in words, and links go down or sideways only.
        return "climbs out of its folder (..)"
    resolved = (source.parent / path_part).resolve() if path_part else source.resolve()
    if not resolved.is_relative_to(ROOT):
        return "leaves the repository"
    if not resolved.exists():
        return "no such file"
    if anchor:
        if resolved.suffix != ".md":
            return None  # anchors into code files (#L12) are GitHub's, not checked here
        if anchor not in anchors_of(resolved):
            return f"no heading for #{anchor} in {resolved.relative_to(ROOT)}"
    return None


def broken_links(paths: list[Path]) -> list[str]:
    broken = []
    for path in paths:
        for target in links_in(path.read_text(encoding="utf-8")):
            problem = problems_of_link(path, target)
            if problem:
                broken.append(f"{path.relative_to(ROOT)}: ({target}) {problem}")
    return broken


def test_every_relative_link_in_readme_and_docs_resolves_inside_the_repository() -> None:
    assert broken_links(markdown_files()) == []


def test_the_checker_sees_what_it_must(tmp_path: Path) -> None:
    assert github_anchor("3.5 Receipts come from a snapshot") == "35-receipts-come-from-a-snapshot"
    assert github_anchor("Crash safety (T2): `drills/crash.py`") == "crash-safety-t2-drillscrashpy"
    assert github_anchor("Flag statuses: old → new (migration 0007)") == (
        "flag-statuses-old--new-migration-0007"
    )
    readme = ROOT / "README.md"
    assert problems_of_link(readme, "docs/security.md") is None
    assert problems_of_link(readme, "docs/security.md#16-test-plan") is None
    assert problems_of_link(readme, "docs/security.md#no-such-heading") is not None
    assert problems_of_link(readme, "docs/no-such-file.md") == "no such file"
    assert problems_of_link(readme, "../shared/SECURITY.md") == "climbs out of its folder (..)"
    assert problems_of_link(ROOT / "docs" / "security.md", "../README.md") == (
        "climbs out of its folder (..)"
    )
    assert problems_of_link(readme, "https://example.org/x") is None
    assert links_in("see [a](x.md) and ![b](y.png)\n```\n[c](z.md)\n```\n`[d](w.md)`") == [
        "x.md",
        "y.png",
    ]


def swept_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS for part in relative.parts) or not path.is_file():
            continue
        if path.suffix in SWEPT_SUFFIXES or path.name in SWEPT_NAMES:
            files.append(path)
    return files


def test_no_file_names_the_notes_a_clone_does_not_have() -> None:
    naming = []
    for path in swept_files():
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if SHARED_NOTES.search(line):
                naming.append(f"{path.relative_to(ROOT)}:{number}")
    assert naming == []


# "docs/<file>.md §N" (also §N–M, a list of them, and "Tn" for the security test plan).
CITATION = re.compile(
    r"docs/([a-z-]+\.md)"
    r"((?:(?:,|;|:|/|\s|and)*\s*(?:§[0-9]+(?:\.[0-9]+)*(?:[–-][0-9]+(?:\.[0-9]+)*)?|T[0-9]+\b))+)"
)
SECTION = re.compile(r"§([0-9]+(?:\.[0-9]+)*)(?:[–-]([0-9]+(?:\.[0-9]+)*))?")
TEST_ID = re.compile(r"\bT([0-9]+)\b")


def section_numbers(path: Path) -> set[str]:
    """The numbers of a file's numbered headings ("## 3.5 Receipts", "## 1. Method" → 3.5, 1)."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {
        m.group(1).rstrip(".")
        for m in re.finditer(r"^#{1,6}\s+([0-9]+(?:\.[0-9]+)*\.?)\s", text, re.MULTILINE)
    }


def test_every_cited_section_and_test_id_exists() -> None:
    """ "docs/rules.md §3.4" or "docs/security.md T7" anywhere in the repository names a numbered
    heading of that file, or a row of the security test plan."""
    test_ids = set(
        re.findall(r"^\| T([0-9]+) \|", (ROOT / "docs" / "security.md").read_text(), re.M)
    )
    missing = []
    for path in swept_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in CITATION.finditer(text):
            doc = ROOT / "docs" / match.group(1)
            where = f"{path.relative_to(ROOT)}: docs/{match.group(1)}{match.group(2)}"
            if not doc.exists():
                missing.append(f"{where} (no such file)")
                continue
            numbers = section_numbers(doc)
            for first, last in SECTION.findall(match.group(2)):
                for number in filter(None, (first, last)):
                    if number not in numbers:
                        missing.append(f"{where} (no §{number})")
            for number in TEST_ID.findall(match.group(2)):
                if match.group(1) != "security.md" or number not in test_ids:
                    missing.append(f"{where} (no T{number})")
    assert missing == []
