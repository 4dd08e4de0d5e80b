"""The audit log's disclosure rule (domain/audit_disclosure.py, issue 21 C), case by case."""

from __future__ import annotations

import pytest

from portal.domain.audit_disclosure import Actor, Disclosure, disclosure, shows_origin_ip

ORG, OTHER_ORG, MUN, OTHER_MUN = 1, 2, 10, 20
EMPLOYEE = Actor(True, organisation_id=ORG, label="medewerker@alfa.nl")
OTHER_EMPLOYEE = Actor(True, organisation_id=OTHER_ORG, label="iemand@bravo.nl")
INSPECTOR = Actor(True, municipality_id=MUN, label="inspecteur@utrecht.nl")
OTHER_INSPECTOR = Actor(True, municipality_id=OTHER_MUN, label="inspecteur@westland.nl")
SYSTEM_ADMIN = Actor(True, label="systeem@beheer.nl")
ORG_KEY = Actor(False, label="api-key:abc123", event_organisation_id=ORG)
JOB = Actor(False, label="system")
TYPED = Actor(False, label="getypt@adres.nl")

CASES = [
    # the system administrator: everything as recorded
    ("system", None, EMPLOYEE, Disclosure("person", True)),
    ("system", None, INSPECTOR, Disclosure("person", True)),
    ("system", None, TYPED, Disclosure("label", True)),
    # an organisation's administrators: their own staff in full, others by what they act for
    ("organisation", ORG, EMPLOYEE, Disclosure("person", True)),
    ("organisation", ORG, OTHER_EMPLOYEE, Disclosure("organisation", False)),
    ("organisation", ORG, INSPECTOR, Disclosure("municipality", False)),
    ("organisation", ORG, SYSTEM_ADMIN, Disclosure("role", False)),
    ("organisation", ORG, ORG_KEY, Disclosure("label", False)),
    ("organisation", ORG, TYPED, Disclosure("anonymous", False)),
    # municipal staff: colleagues without IP, organisations by name, never an address typed
    ("municipality", MUN, INSPECTOR, Disclosure("person", False)),
    ("municipality", MUN, EMPLOYEE, Disclosure("organisation", False)),
    ("municipality", MUN, OTHER_INSPECTOR, Disclosure("municipality", False)),
    ("municipality", MUN, SYSTEM_ADMIN, Disclosure("role", False)),
    ("municipality", MUN, ORG_KEY, Disclosure("organisation", False)),
    ("municipality", MUN, JOB, Disclosure("label", False)),
    ("municipality", MUN, TYPED, Disclosure("anonymous", False)),
]


@pytest.mark.parametrize(("viewer", "tenant", "actor", "expected"), CASES)
def test_who_sees_whom(viewer: str, tenant: int | None, actor: Actor, expected: Disclosure) -> None:
    assert disclosure(viewer, tenant, actor) == expected  # type: ignore[arg-type]


def test_only_municipal_views_have_no_ip_column() -> None:
    assert shows_origin_ip("system") and shows_origin_ip("organisation")
    assert not shows_origin_ip("municipality")
