"""Every action the portal records has words on the audit log pages (issue 21 C): the literal
action codes of every ``audit.record``/``audit.values`` call (and of the helpers that pass one
on) are keys of ``presentation.audit.ACTION_LABELS``."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.presentation.audit import ACTION_LABELS

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# Codes made at run time: declaration.{kind}, the flag sync's and the inspectors' changes, the
# alert digest's constant, the permit register's helper.
DYNAMIC = {
    "declaration.new",
    "declaration.amendment",
    "declaration.end",
    "flag.open",
    "flag.update",
    "flag.resolve",
    "flag.reopen",
    "flag.escalate",
    "flag.note",
    "flag.assign",
    "flag.status",
    "alert.digest",
    "permit.create",
    "permit.update",
    "permit.revoke",
}


def recorded_codes() -> set[str]:
    codes: set[str] = set()
    for path in PORTAL.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func, "value", None)
            if name in ("record", "values") and getattr(owner, "id", "") == "audit":
                first = node.args[0]
                if isinstance(first, ast.JoinedStr):  # an f-string: in DYNAMIC
                    continue
                codes |= {
                    c.value
                    for c in ast.walk(first)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
    return codes


def test_every_recorded_action_has_a_label() -> None:
    codes = recorded_codes() | DYNAMIC
    assert len(codes) > 50
    assert sorted(codes - set(ACTION_LABELS)) == []
