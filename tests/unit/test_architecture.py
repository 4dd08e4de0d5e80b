"""House rules that keep the layers honest (docs/architecture.md §3)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _modules(folder: str) -> list[Path]:
    return sorted((PORTAL / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: p.name)
def test_domain_imports_no_framework_or_models(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
    forbidden = [
        name
        for name in imported
        if name.split(".")[0] in {"flask", "flask_babel", "sqlalchemy", "werkzeug"}
        or name.startswith(("portal.models", "portal.services", "portal.extensions"))
    ]
    assert forbidden == [], f"{path.name} imports {forbidden}"


@pytest.mark.parametrize(
    "path", _modules("domain") + _modules("services"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_services_and_domain_never_commit(path: Path) -> None:
    tree = ast.parse(path.read_text())
    commits = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]
    assert commits == [], f"{path.name} calls commit() on lines {commits}"


def test_views_filter_tenants_only_through_the_scoping_helper() -> None:
    """No view writes its own organisation_id / municipality_id filter."""
    offenders = []
    for path in _modules("views"):
        text = path.read_text()
        for needle in (
            ".organisation_id ==",
            ".municipality_id ==",
            "filter_by(organisation",
            "filter_by(municipality",
        ):
            if needle in text:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []


TRANSACTION_HELPER = PORTAL / "views" / "transaction.py"


@pytest.mark.parametrize(
    "path",
    [p for p in _modules("views") if p != TRANSACTION_HELPER] + [PORTAL / "web.py"],
    ids=lambda p: str(p.relative_to(PORTAL)),
)
def test_views_commit_and_roll_back_only_through_the_commit_point(path: Path) -> None:
    """A request commits in one place (views/transaction.py): no ``.commit``/``.rollback`` of
    its own in a view, a view helper or the web wiring."""
    tree = ast.parse(path.read_text())
    calls = [
        f"{node.attr} on line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"commit", "rollback"}
    ]
    assert calls == [], f"{path.relative_to(PORTAL)} uses {calls}"


def test_the_commit_point_is_where_views_commit() -> None:
    """The rule above names the right file: the helper itself commits and rolls back."""
    text = TRANSACTION_HELPER.read_text()
    assert "db.session.commit()" in text
    assert "db.session.rollback()" in text
