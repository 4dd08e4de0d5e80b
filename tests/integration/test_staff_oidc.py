"""Municipal staff log in through their municipality's own OpenID Provider (issue 18, item 6),
against the real test provider (tests/oidc_provider.py). Roles stay in the portal: only an
existing user of that municipality gets in, only with a second factor at the provider, and a
later login must come from the same person at the provider."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import create_app
from portal.domain import staff_login as rules
from portal.extensions import db
from portal.models import AuditEvent
from portal.models.user import ExternalIdentity
from tests.conftest import create_municipality, create_user, overrides_for
from tests.integration.test_eherkenning import through_provider
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, missing

CALLBACK = "/inloggen/gemeente/GM0344/terug"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    reason = missing()
    if reason:
        if os.environ.get("OIDC_REQUIRED"):
            pytest.fail(f"OIDC_REQUIRED is set but the provider cannot run: {reason}")
        pytest.skip(reason)
    running = Provider(tmp_path_factory.mktemp("idp"), also_back_to=(CALLBACK,))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def portal(app: Flask, database_url: str, idp: Provider, tmp_path: Path) -> Iterator[Flask]:
    config = tmp_path / "municipal-oidc.toml"
    config.write_text(
        f'[GM0344]\ndiscovery_url = "{idp.discovery}"\nclient_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
    )
    application = create_app({**overrides_for(database_url), "MUNICIPAL_OIDC_FILE": str(config)})
    yield application
    with application.app_context():
        db.engine.dispose()  # its pooled connections, closed (PostgreSQL warns otherwise)


def staff(email: str = "inspecteur@utrecht.nl", sub: str = "entra-1", mfa: bool = True) -> dict:
    return {"sub": sub, "email": email, "amr": ["pwd", "mfa"] if mfa else ["pwd"]}


def log_in(client: FlaskClient, idp: Provider, claims: dict) -> object:
    start = client.get("/inloggen/gemeente/GM0344")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = through_provider(idp, start.headers["Location"], claims)
    path, _, query = back.partition("?")
    return client.get(f"{path.removeprefix('http://portal.test')}?{query}")


@pytest.fixture
def inspector(portal: Flask) -> object:
    utrecht = create_municipality(portal)
    return create_user(portal, "inspector", municipality=utrecht, email="inspecteur@utrecht.nl")


def test_an_inspector_logs_in_through_the_municipality_with_a_second_factor(
    portal: Flask, idp: Provider, inspector: object
) -> None:
    client = portal.test_client()
    assert "Inloggen via Utrecht" in client.get("/inloggen").get_data(as_text=True)
    answer = log_in(client, idp, staff())
    assert answer.status_code == 302, answer.get_data(as_text=True)  # type: ignore[attr-defined]
    # In without the authenticator app: the municipality's login had the second step.
    assert client.get("/inspectie/").status_code == 200
    with portal.app_context():
        bound = db.session.execute(select(ExternalIdentity)).scalar_one()
        assert (bound.subject, bound.kvk_number) == ("entra-1", "")


@pytest.mark.parametrize(
    ("claims", "status", "text"),
    [
        (staff(mfa=False), 403, "geen tweede stap"),
        (staff(email="onbekend@utrecht.nl"), 403, "Vraag de beheerder"),
        ({"sub": "entra-1", "amr": ["mfa"]}, 403, "e-mailadres niet doorgegeven"),
    ],
)
def test_refused_without_a_second_factor_an_account_or_an_email(
    portal: Flask, idp: Provider, inspector: object, claims: dict, status: int, text: str
) -> None:
    client = portal.test_client()
    answer = log_in(client, idp, claims)
    assert answer.status_code == status  # type: ignore[attr-defined]
    assert text in answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert client.get("/inspectie/").status_code in (302, 401)


def test_a_later_login_must_come_from_the_same_person_at_the_provider(
    portal: Flask, idp: Provider, inspector: object
) -> None:
    log_in(portal.test_client(), idp, staff(sub="entra-1"))
    other = portal.test_client()
    answer = log_in(other, idp, staff(sub="entra-someone-else"))
    assert answer.status_code == 403  # type: ignore[attr-defined]
    assert other.get("/inspectie/").status_code in (302, 401)
    with portal.app_context():
        details = db.session.execute(select(AuditEvent.detail)).scalars().all()
        assert "staff_login.other_person GM0344" in details


def test_another_municipality_or_none_configured_has_no_route(
    portal: Flask, client: FlaskClient
) -> None:
    assert portal.test_client().get("/inloggen/gemeente/GM0363").status_code == 404
    assert client.get("/inloggen/gemeente/GM0344").status_code == 404


@pytest.mark.parametrize(
    ("code", "entry", "problem"),
    [
        ("0344", {"discovery_url": "https://x", "client_id": "a", "client_secret": "b"}, "code"),
        ("GM0344", {"client_id": "a", "client_secret": "b"}, "needs discovery_url"),
        (
            "GM0344",
            {"discovery_url": "http://idp.example", "client_id": "a", "client_secret": "b"},
            "https",
        ),
        (
            "GM0344",
            {"discovery_url": "https://x", "client_id": "a", "client_secret": "b", "x": 1},
            "unknown keys",
        ),
    ],
)
def test_a_wrong_provider_table_stops_the_start(code: str, entry: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        rules.provider(code, entry)


@pytest.mark.parametrize(
    ("claims", "name", "value", "more"),
    [
        ({"amr": ["pwd", "mfa"]}, "amr", "mfa", True),
        ({"amr": ["pwd"]}, "amr", "mfa", False),
        ({"amr": "mfa"}, "amr", "mfa", True),
        ({}, "amr", "mfa", False),
        ({"acr": "substantial"}, "acr", "substantial", True),
    ],
)
def test_more_than_one_factor(claims: dict, name: str, value: str, more: bool) -> None:
    assert rules.used_more_factors(claims, name, value) is more
