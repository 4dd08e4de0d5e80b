"""Helpers for the end-to-end tests: axe-core checks and screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

# WCAG 2.0 and 2.1, levels A and AA (the law for Dutch government websites).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def axe_source() -> str:
    """axe-core's script, bundled with axe-playwright-python: nothing is fetched."""
    from axe_playwright_python.sync_playwright import Axe

    return str(Axe().axe_script)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page. A page of a context made with ``with_axe`` has it loaded
    already (an init script, sent to the browser once); any other page gets it injected."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found = page.evaluate(
        "options => axe.run(document, options).then(r => r.violations)", AXE_OPTIONS
    )
    return list(found)


def with_axe(context: BrowserContext) -> BrowserContext:
    """Load axe-core into every page of ``context`` as it opens: the 570 kB script crosses from
    this process to the browser once, instead of once per check."""
    context.add_init_script(axe_source())
    return context


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"


def shoot(page: Page, directory: Path | None, name: str) -> Path | None:
    """A full-page screenshot, when the run asked for them (``E2E_SCREENSHOTS``); else nothing
    (a full-page PNG costs a quarter of a second or more per page)."""
    if directory is None:
        return None
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
