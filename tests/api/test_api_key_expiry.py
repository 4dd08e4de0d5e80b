"""API keys (docs/security.md T18; ASVS 7.2.3, 11.5.1, 14.2.1, 2.4.1): 256 random bits, stored only
as a hash, an expiry date (default 365 days, at most 730), expired or revoked → 401 at the very next
request, a key in the query string → 401 even when valid (and never recorded), another
organisation's receipt → 404, and the per-key limits → 429 with Retry-After.

Sabotage: ``test_expiry_check_has_teeth`` takes the expiry check out (monkeypatch) and shows the
expired key then gets in.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, Organisation, Receipt
from portal.services import apikeys
from portal.services.errors import Refused
from tests.api.conftest import Key, body, headers
from tests.conftest import login

MOMENT = datetime(2026, 3, 10, 10, 5, tzinfo=UTC)


def _org_key(app: Flask, org: Any, days: int | None = None) -> tuple[str, int]:
    with app.app_context():
        new = apikeys.create_key(
            "Planning", organisation=db.session.get(Organisation, org.id), lifetime_days=days
        )
        db.session.commit()
        return new.secret, new.key.id


def _get(client: FlaskClient, secret: str, path: str = "/api/v1/declarations") -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {secret}"})


def test_keys_have_256_bits_and_only_their_hash_is_stored(
    app: Flask, make_org: Callable[..., Any]
) -> None:
    org = make_org()
    secrets = [_org_key(app, org)[0] for _ in range(20)]
    for secret in secrets:
        assert re.fullmatch(r"mhk_[A-Za-z0-9_-]{43}", secret)
        assert len(base64.urlsafe_b64decode(secret[4:] + "=")) == 32  # 256 bits
    assert len(set(secrets)) == 20
    with app.app_context():
        dump = "\n".join(
            " ".join(str(v) for v in row)
            for table in ("api_keys", "audit_events")
            for row in db.session.execute(text(f"SELECT * FROM {table}"))
        )
        hashes = set(db.session.execute(select(ApiKey.key_hash)).scalars())
    assert hashes == {hashlib.sha256(s.encode()).hexdigest() for s in secrets}
    for secret in secrets:
        assert secret not in dump and secret[12:] not in dump  # only the 12-character prefix


def test_a_key_expires_after_its_lifetime_at_the_very_next_request(
    app: Flask, client: FlaskClient, make_org: Callable[..., Any]
) -> None:
    org = make_org()
    with clock.freeze(MOMENT):
        secret, key_id = _org_key(app, org)
    with app.app_context():
        key = db.session.get(ApiKey, key_id)
        assert key is not None and key.expires_at == MOMENT + timedelta(days=365)
    with clock.freeze(MOMENT + timedelta(days=365) - timedelta(seconds=1)):
        assert _get(client, secret).status_code == 200
    with clock.freeze(MOMENT + timedelta(days=365)):
        refused = _get(client, secret)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.mimetype == "application/problem+json"


def test_lifetime_is_chosen_within_the_maximum(app: Flask, make_org: Callable[..., Any]) -> None:
    org = make_org()
    with clock.freeze(MOMENT):
        _secret, key_id = _org_key(app, org, days=730)
        with app.app_context():
            key = db.session.get(ApiKey, key_id)
            assert key is not None and key.expires_at == MOMENT + timedelta(days=730)
    for days in (0, -1, 731, 100_000):
        with pytest.raises(Refused) as refused:
            _org_key(app, org, days=days)
        assert refused.value.problems[0].code == "apikey.lifetime"


def test_expiry_check_has_teeth(
    app: Flask, client: FlaskClient, make_org: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org()
    with clock.freeze(MOMENT):
        secret, _ = _org_key(app, org, days=1)
    monkeypatch.setattr(apikeys, "is_expired", lambda _key: False)
    with clock.freeze(MOMENT + timedelta(days=2)):
        assert _get(client, secret).status_code == 200  # without the check it would get in


def test_a_revoked_key_is_refused_at_the_next_request(
    app: Flask, client: FlaskClient, make_org: Callable[..., Any]
) -> None:
    secret, key_id = _org_key(app, make_org())
    assert _get(client, secret).status_code == 200
    with app.app_context():
        key = db.session.get(ApiKey, key_id)
        assert key is not None and apikeys.revoke_key(key)
        db.session.commit()
    assert _get(client, secret).status_code == 401


@pytest.mark.parametrize("name", ["token", "api_key", "access_token", "key", "Token"])
def test_a_key_in_the_query_string_is_refused_even_when_valid(
    app: Flask,
    client: FlaskClient,
    make_org: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    secret, _ = _org_key(app, make_org())
    caplog.set_level(logging.DEBUG)
    alone = client.get(f"/api/v1/declarations?{name}={secret}")
    with_header = client.get(
        f"/api/v1/declarations?{name}={secret}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert alone.status_code == with_header.status_code == 401
    assert secret not in with_header.get_data(as_text=True)
    assert all(secret not in record.getMessage() for record in caplog.records)
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM audit_events")).all()
    assert rows and all(secret not in " ".join(str(v) for v in row) for row in rows)
    assert _get(client, secret).status_code == 200  # the key itself still works


def test_another_organisations_receipt_is_404(
    app: Flask, client: FlaskClient, make_key: Callable[..., Key], make_address: Callable[..., Any]
) -> None:
    make_address("3511 AB", 12)
    mine, theirs = make_key(), make_key()
    filed = client.post("/api/v1/declarations", json=body(), headers=headers(mine, "one"))
    assert filed.status_code == 201, filed.get_data(as_text=True)
    path = filed.get_json()["receipt"]["pdf_url"]
    assert client.get(path, headers=theirs.auth).status_code == 404
    assert client.get(path, headers=mine.auth).status_code == 200


def test_the_per_key_limit_answers_429_with_retry_after(
    app: Flask, client: FlaskClient, make_key: Callable[..., Key], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 3)
    key, other = make_key(), make_key()
    with clock.freeze(MOMENT):  # 10:05:00, the 60-second window ends at 10:06:00
        codes = [client.get("/api/v1/declarations", headers=key.auth).status_code for _ in range(3)]
        limited = client.get("/api/v1/declarations", headers=key.auth)
        assert client.get("/api/v1/declarations", headers=other.auth).status_code == 200
    assert codes == [200] * 3
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert limited.mimetype == "application/problem+json"


def test_receipt_pdfs_have_a_per_key_limit(
    app: Flask,
    client: FlaskClient,
    make_key: Callable[..., Key],
    make_address: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_address("3511 AB", 12)
    key = make_key()
    filed = client.post("/api/v1/declarations", json=body(), headers=headers(key, "pdf"))
    path = filed.get_json()["receipt"]["pdf_url"]
    monkeypatch.setitem(app.config, "DOWNLOAD_LIMIT", 2)
    with clock.freeze(MOMENT):
        ok = [client.get(path, headers=key.auth) for _ in range(2)]
        limited = client.get(path, headers=key.auth)
        json_still = client.get("/api/v1/declarations", headers=key.auth)
    assert [r.status_code for r in ok] == [200, 200] and ok[1].data.startswith(b"%PDF-")
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) == 15 * 60  # until 10:20
    assert json_still.status_code == 200  # the PDF limit is separate from the request limit
    with app.app_context():
        reference = db.session.execute(select(Receipt.reference)).scalar_one()
    assert path.endswith(f"/{reference}.pdf")


def test_admin_page_sets_and_shows_the_expiry(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    admin = make_user("org_admin")
    login(client, admin)
    with clock.freeze(MOMENT):
        form = client.get("/organisatie/api-sleutels?lang=en").get_data(as_text=True)
        assert 'name="lifetime_days"' in form and 'value="365"' in form
        assert "At most 730 days" in form
        too_long = client.post(
            "/organisatie/api-sleutels?lang=en", data={"name": "ERP", "lifetime_days": "731"}
        )
        assert "within the range" in too_long.get_data(as_text=True)
        created = client.post(
            "/organisatie/api-sleutels?lang=en", data={"name": "ERP", "lifetime_days": "30"}
        )
        assert created.status_code == 200
        page = created.get_data(as_text=True)
        assert "Expires" in page and "9 April 2026" in page and "Active" in page
    with clock.freeze(MOMENT + timedelta(days=31)):
        later = client.get("/organisatie/api-sleutels?lang=en").get_data(as_text=True)
    assert "Expired" in later
    with app.app_context():
        keys = db.session.execute(select(ApiKey)).scalars().all()
        assert len(keys) == 1 and keys[0].expires_at == MOMENT + timedelta(days=30)


def test_cli_create_takes_days_and_list_shows_the_state(
    app: Flask, runner: Any, make_org: Callable[..., Any]
) -> None:
    make_org(kvk="12345678")
    with clock.freeze(MOMENT):
        created = runner.invoke(args=["apikeys", "create", "--org", "12345678", "--days", "10"])
        assert created.exit_code == 0, created.output
        assert "expires 2026-03-20 10:05 UTC" in created.output
        default = runner.invoke(args=["apikeys", "create", "--org", "12345678"])
        assert "expires 2027-03-10" in default.output
        too_long = runner.invoke(args=["apikeys", "create", "--org", "12345678", "--days", "800"])
        assert too_long.exit_code == 1
    with clock.freeze(MOMENT + timedelta(days=11)):
        listed = runner.invoke(args=["apikeys", "list", "--org", "12345678"]).output
    assert "expired" in listed and "expires 2026-03-20" in listed
    assert "active" in listed and "expires 2027-03-10" in listed
