"""The layer contract (docs/architecture.md §2, issue "A house that stays easy to work in"): nothing
imports upward.

Bottom to top::

    domain                      pure rules, no framework
    models, clock, extensions, settings
    low services                services.audit, services.bulk, services.queries, services.errors
    notifications, receipts     may use the low services, never an orchestrating service
    services, demo              the orchestrating services (and the demo loader that drives them)
    presentation, messages      labels, charts, CSV and Excel, message texts
    forms, views, web           the request side
    cli, the application factory

A module may import its own layer and the layers below. Every import counts, also one inside a
function: a late import is still a dependency. The few known exceptions are listed in
``ALLOWED`` with their reason; the test also fails when one of them has gone, so the list only
shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"

LOW_SERVICES = ("audit", "bulk", "queries", "errors")

# (module prefix, layer); the longest matching prefix decides.
LAYERS: tuple[tuple[str, int], ...] = (
    ("portal.domain", 0),
    ("portal.models", 1),
    ("portal.clock", 1),
    ("portal.extensions", 1),
    ("portal.settings", 1),
    *((f"portal.services.{name}", 2) for name in LOW_SERVICES),
    ("portal.notifications", 3),
    ("portal.receipts", 3),
    ("portal.services", 4),
    ("portal.demo", 4),
    ("portal.presentation", 5),
    ("portal.messages", 5),
    ("portal.forms", 6),
    ("portal.views", 6),
    ("portal.web", 6),
    ("portal.cli", 7),
    ("portal", 8),  # the application factory (portal/__init__.py)
)
NAMES = {
    0: "domain",
    1: "models",
    2: "low services",
    3: "notifications/receipts",
    4: "services",
    5: "presentation",
    6: "forms/views",
    7: "cli",
    8: "application factory",
}

# Known upward imports, each with why it is still there. Remove an entry with its import.
ALLOWED: dict[tuple[str, str], str] = {}


def layer_of(module: str) -> int:
    matches = [
        (len(prefix), layer)
        for prefix, layer in LAYERS
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every portal module the file imports (``from portal.x import y`` counts y when it is a
    module of the package x)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module_name(path).split(".")
                anchor = anchor if path.name == "__init__.py" else anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                is_module = (PORTAL.parent / Path(*candidate.split("."))).with_suffix(".py")
                is_package = PORTAL.parent / Path(*candidate.split(".")) / "__init__.py"
                found.add(candidate if is_module.exists() or is_package.exists() else base)
    return {name for name in found if name == "portal" or name.startswith("portal.")}


def portal_modules() -> list[Path]:
    return sorted(p for p in PORTAL.rglob("*.py") if "migrations" not in p.parts)


def upward_imports(path: Path) -> list[tuple[str, str]]:
    own = module_name(path)
    return [
        (own, imported)
        for imported in sorted(imports_of(path))
        if imported != "portal" and layer_of(imported) > layer_of(own)
    ]


@pytest.mark.parametrize("path", portal_modules(), ids=lambda p: module_name(p))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    found = [pair for pair in upward_imports(path) if pair not in ALLOWED]
    assert found == [], "\n".join(
        f"{own} ({NAMES[layer_of(own)]}) imports {imported} ({NAMES[layer_of(imported)]})"
        for own, imported in found
    )


def test_every_allowed_exception_is_still_needed() -> None:
    everything = {pair for path in portal_modules() for pair in upward_imports(path)}
    assert sorted(set(ALLOWED) - everything) == []


def test_the_low_services_exist_and_every_module_has_a_layer() -> None:
    for name in LOW_SERVICES:
        assert (PORTAL / "services" / f"{name}.py").exists()
    for path in portal_modules():
        assert layer_of(module_name(path)) in NAMES
