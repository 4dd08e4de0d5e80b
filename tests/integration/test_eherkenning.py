"""eHerkenning login through OpenID Connect against a real OpenID Provider on loopback.

The provider is panva's oidc-provider (tools/oidc-provider, installed by scripts/install.sh with
npm): it publishes its keys, runs the authorization code flow with PKCE and signs real ID tokens.
Only the broker's login screen is its development form, where the "login" is the JSON of the
claims the token carries. The portal's side runs as in production (Authlib, discovery, the JWKS).

Tokens that a provider would never issue (another key, another audience, expired, a replayed
nonce, a level too low after signing) are made by re-signing the provider's real answer on its
way back to the portal (``tamper``): the portal must refuse them all. Skips where node or the
provider's packages are missing, unless ``OIDC_REQUIRED`` is set (CI).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask, session
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from portal import create_app
from portal.domain.declarations import DeclarationInput
from portal.domain.eherkenning import ProvenIdentity
from portal.extensions import db
from portal.models import ApiKey, AuditEvent, Declaration, Organisation, User
from portal.models.user import ExternalIdentity
from portal.services import eherkenning
from portal.services.apikeys import create_key
from portal.services.declarations import file_declaration
from tests.conftest import (
    create_address,
    create_municipality,
    create_org,
    create_user,
    login,
    overrides_for,
)
from tests.oidc_provider import (
    BASE,
    EH2,
    EH3,
    KVK,
    LOA,
    Provider,
    missing,
    new_key,
    person,
    portal_settings,
)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    reason = missing()
    if reason:
        if os.environ.get("OIDC_REQUIRED"):
            pytest.fail(f"OIDC_REQUIRED is set but the provider cannot run: {reason}")
        pytest.skip(reason)
    running = Provider(tmp_path_factory.mktemp("oidc"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def rp(app: Flask, database_url: str, provider: Provider) -> Iterator[Flask]:
    """The portal with eHerkenning configured against the provider (the same database)."""
    application = create_app({**overrides_for(database_url), **portal_settings(provider)})
    yield application
    with application.app_context():
        db.engine.dispose()  # its pooled connections, closed (PostgreSQL warns otherwise)


def through_provider(provider: Provider, location: str, claims: dict) -> str:
    """Log in at the provider as ``claims``; returns the portal URL it sends the browser to."""
    browser = requests.Session()
    answer = browser.get(location, timeout=10)
    assert "/interaction/" in answer.url, answer.text[:500]
    answer = browser.post(
        answer.url,
        data={"prompt": "login", "login": json.dumps(claims), "password": "x"},
        allow_redirects=False,
        timeout=10,
    )
    while answer.is_redirect:
        target = urljoin(answer.url, answer.headers["Location"])
        if target.startswith(BASE):
            return target
        answer = browser.get(target, allow_redirects=False, timeout=10)
    raise AssertionError(f"the provider did not send the browser back: {answer.text[:500]}")


def log_in(client: FlaskClient, provider: Provider, claims: dict) -> Any:
    """The whole login as a browser makes it; returns the portal's answer to the callback."""
    start = client.get("/inloggen/eherkenning")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = through_provider(provider, start.headers["Location"], claims)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


def register(client: FlaskClient, **fields: Any) -> Any:
    data = {
        "organisation_name": "Bouwbedrijf De Vries B.V.",
        "kinds": ["employer"],
        "contact_email": "info@devries.example",
        "email": "jan@devries.example",
        **fields,
    }
    return client.post("/inloggen/eherkenning/gegevens", data=data)


def logged_in_user(rp: Flask, client: FlaskClient) -> User | None:
    answer = client.get("/organisatie/")
    if answer.status_code != 200:
        return None
    with rp.app_context():
        return (
            db.session.execute(select(User).order_by(User.last_login_at.desc().nulls_last()))
            .scalars()
            .first()
        )


def test_first_login_at_eh3_registers_a_verified_organisation_and_the_next_login_finds_it(
    rp: Flask, provider: Provider
) -> None:
    client = rp.test_client()
    answer = log_in(client, provider, person(name="Bouwbedrijf De Vries B.V."))
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/inloggen/eherkenning/gegevens")
    form = client.get("/inloggen/eherkenning/gegevens").get_data(as_text=True)
    assert "90000011" in form and "EH3" in form and "Bouwbedrijf De Vries B.V." in form
    done = register(client)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert client.get("/organisatie/").status_code == 200
    with rp.app_context():
        org = db.session.execute(select(Organisation)).scalar_one()
        assert (org.kvk_number, org.verified, org.verified_loa) == ("90000011", True, "loa3")
        user = db.session.execute(select(User)).scalar_one()
        assert (user.role, user.organisation_id, user.password_hash) == ("org_admin", org.id, None)
        bound = db.session.execute(select(ExternalIdentity)).scalar_one()
        assert (bound.subject, bound.user_id, bound.issuer) == (
            "medewerker-1",
            user.id,
            provider.issuer,
        )

    again = rp.test_client()
    answer = log_in(again, provider, person())
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    assert again.get("/organisatie/").status_code == 200
    with rp.app_context():
        assert db.session.query(User).count() == 1


def test_a_colleague_of_a_verified_organisation_joins_it_as_declarant(
    rp: Flask, provider: Provider
) -> None:
    first = rp.test_client()
    log_in(first, provider, person())
    register(first)
    colleague = rp.test_client()
    answer = log_in(colleague, provider, person(sub="medewerker-2"))
    assert answer.headers["Location"].endswith("/inloggen/eherkenning/gegevens")
    page = colleague.get("/inloggen/eherkenning/gegevens").get_data(as_text=True)
    assert "Bouwbedrijf De Vries B.V." in page
    assert register(colleague, email="piet@devries.example").status_code == 302
    with rp.app_context():
        roles = dict(db.session.execute(select(User.email, User.role)).all())
        assert roles == {"jan@devries.example": "org_admin", "piet@devries.example": "declarant"}
        assert db.session.query(Organisation).count() == 1


def test_a_level_below_eh3_is_refused_with_a_dutch_page_and_no_session(
    rp: Flask, provider: Provider
) -> None:
    client = rp.test_client()
    answer = log_in(client, provider, person(loa=EH2))
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "niveau EH2" in page and "EH3" in page, page
    assert client.get("/inloggen/eherkenning/gegevens").status_code == 302
    assert client.get("/organisatie/").status_code in (302, 401)
    with rp.app_context():
        assert db.session.query(User).count() == 0
        refused = db.session.execute(select(AuditEvent.detail)).scalars().all()
        assert any(d.startswith("eherkenning.loa_too_low EH2") for d in refused), refused


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        (person(kvk=None), "KvK-nummer van uw organisatie"),
        (person(kvk="9000001"), "niet 8 cijfers"),
        (person(kvk="9000001A"), "niet 8 cijfers"),
        ({"sub": "x", KVK: "90000011", LOA: EH3}, "wie er inlogt"),
        (person(loa="urn:etoegang:core:assurance-class:loa9"), "op welk niveau"),
    ],
)
def test_missing_or_malformed_claims_are_refused(
    rp: Flask, provider: Provider, claims: dict, code: str
) -> None:
    client = rp.test_client()
    answer = log_in(client, provider, claims)
    assert answer.status_code == 400
    assert code in answer.get_data(as_text=True)
    with rp.app_context():
        assert db.session.query(User).count() == 0


def test_a_mismatched_state_and_a_replayed_answer_are_refused(
    rp: Flask, provider: Provider
) -> None:
    client = rp.test_client()
    start = client.get("/inloggen/eherkenning")
    back = urlsplit(through_provider(provider, start.headers["Location"], person()))
    forged = back.query.replace("state=", "state=x")
    assert client.get(f"{back.path}?{forged}").status_code == 400
    # The real answer once more, after the state was used up: refused too.
    client = rp.test_client()
    start = client.get("/inloggen/eherkenning")
    back = urlsplit(through_provider(provider, start.headers["Location"], person()))
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    replay = client.get(f"{back.path}?{back.query}")
    assert replay.status_code == 400


def test_the_portal_follows_the_providers_key_rotation(rp: Flask, provider: Provider) -> None:
    client = rp.test_client()
    log_in(client, provider, person())
    register(client)
    old = provider.key
    try:
        provider.restart(new_key("key-2"))
        answer = log_in(rp.test_client(), provider, person())
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    finally:
        provider.restart(old)


@pytest.fixture
def tamper(monkeypatch: pytest.MonkeyPatch, provider: Provider) -> Callable[..., None]:
    """Change the ID token of the provider's token answer on its way to the portal: its claims
    (``claims``: a function of the real claims) and the key it is signed with (``key``)."""

    send = requests.Session.send

    def install(claims: Callable[[dict], dict] = lambda c: c, key: RSAKey | None = None) -> None:

        def changed(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            answer = send(session, request, **kwargs)
            if request.url.startswith(provider.issuer) and "/token" in request.url:
                body = answer.json()
                real = jwt.decode(body["id_token"], provider.key)
                signer = key or provider.key
                header = {"alg": "RS256", "kid": signer.kid}
                body["id_token"] = jwt.encode(header, claims(dict(real.claims)), signer)
                answer._content = json.dumps(body).encode()
            return answer

        monkeypatch.setattr(requests.Session, "send", changed)

    return install


def _expired(claims: dict) -> dict:
    return {**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"key": "other"}, id="signed-by-another-key"),
        pytest.param({"key": "other-same-kid"}, id="wrong-signature-known-key-id"),
        pytest.param({"claims": lambda c: {**c, "aud": "someone-else"}}, id="wrong-audience"),
        pytest.param({"claims": lambda c: {**c, "iss": "http://evil.test"}}, id="wrong-issuer"),
        pytest.param({"claims": _expired}, id="expired"),
        pytest.param({"claims": lambda c: {**c, "nonce": "replayed"}}, id="replayed-nonce"),
    ],
)
def test_tokens_the_portal_must_not_trust_are_refused(
    rp: Flask, provider: Provider, tamper: Callable[..., None], change: dict
) -> None:
    key = change.get("key")
    if key == "other":
        tamper(key=new_key("key-of-someone-else"))
    elif key == "other-same-kid":
        tamper(key=new_key(provider.key.kid))
    else:
        tamper(claims=change["claims"])
    client = rp.test_client()
    answer = log_in(client, provider, person())
    assert answer.status_code == 400, answer.get_data(as_text=True)[:500]
    assert "niet worden gecontroleerd" in answer.get_data(as_text=True)
    assert client.get("/inloggen/eherkenning/gegevens").status_code == 302


def test_a_level_lowered_after_signing_cannot_pass_as_a_valid_token(
    rp: Flask, provider: Provider, tamper: Callable[..., None]
) -> None:
    """The untouched path through ``tamper`` works (re-signed with the provider's own key): the
    refusals above come from the change, not from the re-signing."""
    tamper(claims=lambda c: {**c, LOA: EH2})
    answer = log_in(rp.test_client(), provider, person())
    assert answer.status_code == 403
    tamper()
    answer = log_in(rp.test_client(), provider, person())
    assert answer.status_code == 302


def test_without_a_provider_the_routes_are_not_there(client: FlaskClient) -> None:
    for path in ("/inloggen/eherkenning", "/inloggen/eherkenning/terug"):
        assert client.get(path).status_code == 404


def test_the_login_page_offers_eherkenning_only_when_a_broker_is_configured(
    rp: Flask, client: FlaskClient
) -> None:
    assert "/inloggen/eherkenning" in rp.test_client().get("/inloggen").get_data(as_text=True)
    assert "/inloggen/eherkenning" not in client.get("/inloggen").get_data(as_text=True)


def test_a_claimed_kvk_number_is_taken_over_by_the_first_proven_login(
    rp: Flask, provider: Provider
) -> None:
    """Someone signed up with KvK 90000011 and a password and filed; the real company logs in
    with eHerkenning: it takes the organisation over, the claimants lose access, the filing stays
    and shows as filed while unverified; a filing after the take-over shows as proven."""

    claimed = create_org(rp, name="Nep Uitzend B.V.", kvk="90000011")
    claimant = create_user(rp, "org_admin", org=claimed, email="nep@example.test")
    utrecht = create_municipality(rp)
    address = create_address(rp, "3511 AB", 12)
    with rp.app_context():
        user = db.session.get(User, claimant.id)
        before = file_declaration(
            user,
            DeclarationInput(occupants=4, start_date=date.today(), separate_contracts=True),
            address_id=address.id,
        )
        key = create_key("Planning", organisation=user.organisation, created_by=user)
        db.session.commit()
        old_code, key_id = before.receipt.verification_code, key.key.id
        declaration_id = before.declaration.id
    claimant_client = rp.test_client()
    login(claimant_client, claimant)
    assert claimant_client.get("/organisatie/").status_code == 200

    proven = rp.test_client()
    answer = log_in(proven, provider, person())
    assert answer.headers["Location"].endswith("/inloggen/eherkenning/gegevens")
    form = proven.get("/inloggen/eherkenning/gegevens").get_data(as_text=True)
    assert "U neemt deze organisatie over" in form and "Nep Uitzend B.V." in form
    assert register(proven).status_code == 302

    with rp.app_context():
        org = db.session.get(Organisation, claimed.id)
        assert (org.verified, org.name) == (True, "Bouwbedrijf De Vries B.V.")
        people = dict(db.session.execute(select(User.email, User.active)).all())
        assert people == {"nep@example.test": False, "jan@devries.example": True}
        assert db.session.get(ApiKey, key_id).revoked_at is not None
        kept = db.session.get(Declaration, declaration_id)
        assert kept is not None and not org.proven_at(kept.filed_at)
    assert claimant_client.get("/organisatie/").status_code in (302, 401)

    old = rp.test_client().get(f"/verify/{old_code}").get_data(as_text=True)
    assert 'data-filer-proven="no"' in old and "zonder aangetoonde organisatie" in old
    with rp.app_context():
        new_user = db.session.execute(
            select(User).where(User.email == "jan@devries.example")
        ).scalar_one()
        after = file_declaration(
            new_user,
            DeclarationInput(occupants=2, start_date=date.today(), separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()
        new_code = after.receipt.verification_code
    new = rp.test_client().get(f"/verify/{new_code}").get_data(as_text=True)
    assert 'data-filer-proven="yes"' in new

    # The inspector's address page marks the filing made while the organisation was claimed.
    inspector = create_user(rp, "inspector", municipality=utrecht)
    office = rp.test_client()
    login(office, inspector)
    page = office.get(f"/inspectie/adressen/{address.id}").get_data(as_text=True)
    assert page.count("data-filed-unverified") == 1, page

    admin = create_user(rp, "system_admin")
    operator = rp.test_client()
    login(operator, admin)
    listed = operator.get("/beheer/overnames").get_data(as_text=True)
    assert "90000011" in listed and "1 users, 1 keys" in listed


def test_a_removed_colleague_is_refused_not_registered_again(rp: Flask, provider: Provider) -> None:
    first = rp.test_client()
    log_in(first, provider, person())
    register(first)
    with rp.app_context():
        db.session.execute(select(User)).scalar_one().active = False
        db.session.commit()
    answer = log_in(rp.test_client(), provider, person())
    assert answer.status_code == 403
    assert "uitgeschakeld" in answer.get_data(as_text=True)
    with rp.app_context():
        assert db.session.query(User).count() == 1


def test_reading_the_pending_login_leaves_it_in_the_session(rp: Flask) -> None:
    """The registration form reads the pending identity on GET and on POST: reading it must not
    change the session (a GET that also stores a CSRF token would save the changed copy)."""
    proven = ProvenIdentity(issuer="i", subject="s", kvk="90000011", loa="loa3")
    with rp.test_request_context():
        eherkenning.remember(proven)
        assert eherkenning.pending() == proven
        assert eherkenning.pending() == proven
        assert "at" in session[eherkenning.PENDING]
