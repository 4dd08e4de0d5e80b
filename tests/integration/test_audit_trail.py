"""The audit trail is complete (docs/security.md T15, BIO2 8.15.01): every security-relevant action,
performed through the real routes (test client; the API with a bearer key), writes exactly one
audit event of its kind with the six fields filled: actor, action, object, result, origin IP
and a UTC time.

The table ``CASES`` lists the actions; each case prepares what it needs (``setup``), then the
one action runs (``act``) and the events written after it are checked. Actions that file many
declarations (a batch) write one event per declaration too; the case says how many.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import clock
from portal.extensions import db
from portal.models import (
    ApiKey,
    AuditEvent,
    Declaration,
    Municipality,
    Permit,
    PermitApplication,
    PermitDocument,
    Receipt,
    Region,
    User,
)
from tests.batch_support import excel_csv, row, seed_register
from tests.conftest import PASSWORD, login
from tests.helpers import MINIMAL_PDF, last_mail, link_path

PDF = MINIMAL_PDF  # a real PDF: uploads are parsed (issue 21 D)
NEW_PASSWORD = "een heel nieuw wachtwoord 2026"


@dataclass
class World:
    """Users of every role, an address with a permit, API keys, and a logged-in client each."""

    app: Flask
    utrecht: Municipality
    declarant: User
    org_admin: User
    provider: User
    inspector: User
    municipal_admin: User
    system_admin: User
    address_id: int
    permit_id: int
    org_key: str
    municipal_key: str
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> FlaskClient:
        """A test client logged in as the user of ``role`` (second factor included)."""
        if role not in self.clients:
            client = self.app.test_client()
            login(client, getattr(self, role))
            self.clients[role] = client
        return self.clients[role]

    def anonymous(self) -> FlaskClient:
        return self.clients.setdefault("anonymous", self.app.test_client())


@pytest.fixture
def world(
    app: Flask,
    make_municipality: Callable[..., Any],
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    make_address: Callable[..., Any],
) -> World:
    from portal.services import apikeys

    utrecht = make_municipality("GM0344", "Utrecht")
    org = make_org(name="Flexwerk B.V.")
    provider_org = make_org(name="Huisvesting B.V.", kinds=("housing_provider",))
    address = make_address("3511 AB", 12, municipality=utrecht, floor_area=300)
    with app.app_context():
        permit = Permit(
            address_id=address.id,
            municipality_id=utrecht.id,
            holder_organisation_id=provider_org.id,
            permit_type="omzettingsvergunning",
            max_occupants=6,
            valid_from=clock.today() - timedelta(days=1000),
            valid_until=clock.today() + timedelta(days=60),
            decision_reference="UTR-1",
        )
        db.session.add(permit)
        org_key = apikeys.create_key("Planning", organisation=db.session.merge(org))
        municipal_key = apikeys.create_key("Zaaksysteem", municipality=db.session.merge(utrecht))
        db.session.commit()
        permit_id = permit.id
    return World(
        app=app,
        utrecht=utrecht,
        declarant=make_user("declarant", org=org),
        org_admin=make_user("org_admin", org=org),
        provider=make_user("org_admin", org=provider_org),
        inspector=make_user("inspector", municipality=utrecht),
        municipal_admin=make_user("municipal_admin", municipality=utrecht),
        system_admin=make_user("system_admin"),
        address_id=address.id,
        permit_id=permit_id,
        org_key=org_key.secret,
        municipal_key=municipal_key.secret,
    )


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    values = {
        k: FileStorage(stream=io.BytesIO(v[0]), filename=v[1]) if isinstance(v, tuple) else v
        for k, v in data.items()
    }
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def ok(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201, 302, 303)), (
        response.status_code,
        response.get_data(as_text=True)[:1500],
    )
    return response


# --- what the cases do -------------------------------------------------------------------------


def declare_form(w: World) -> None:
    response = ok(
        w.client("declarant").post(
            f"/organisatie/meldingen/nieuw/{w.address_id}",
            data={
                "occupants": "4",
                "start_date": clock.today().isoformat(),
                "separate_contracts": "yes",
            },
        ),
        302,
    )
    w.state["declaration_id"] = int(response.headers["Location"].rsplit("/", 1)[1])


def amend_form(w: World) -> None:
    response = ok(
        w.client("declarant").post(
            f"/organisatie/meldingen/{w.state['declaration_id']}/wijzigen",
            data={"occupants": "5", "effective_date": clock.today().isoformat()},
        ),
        302,
    )
    w.state["declaration_id"] = int(response.headers["Location"].rsplit("/", 1)[1])


def end_form(w: World) -> None:
    ok(
        w.client("declarant").post(
            f"/organisatie/meldingen/{w.state['declaration_id']}/beeindigen",
            data={"end_date": clock.today().isoformat(), "reason": "returned_home"},
        ),
        302,
    )


def api_body() -> dict[str, Any]:
    return {
        "address": {"postcode": "3511 AB", "house_number": 12},
        "occupants": 3,
        "occupants_registered_brp": 2,
        "start_date": clock.today().isoformat(),
        "end_date": None,
        "separate_contracts": True,
        "declared_for_kvk": None,
    }


def declare_api(w: World) -> None:
    response = ok(
        w.anonymous().post(
            "/api/v1/declarations",
            json=api_body(),
            headers={**bearer(w.org_key), "Idempotency-Key": "k-1"},
        ),
        201,
    )
    w.state["reference"] = response.get_json()["reference"]


def amend_api(w: World) -> None:
    response = ok(
        w.anonymous().post(
            f"/api/v1/declarations/{w.state['reference']}/amendments",
            json={"occupants": 2, "effective_date": clock.today().isoformat()},
            headers={**bearer(w.org_key), "Idempotency-Key": "k-2"},
        ),
        201,
    )
    w.state["reference"] = response.get_json()["reference"]


def end_api(w: World) -> None:
    ok(
        w.anonymous().post(
            f"/api/v1/declarations/{w.state['reference']}/end",
            json={"end_date": clock.today().isoformat(), "reason": "returned_home"},
            headers={**bearer(w.org_key), "Idempotency-Key": "k-3"},
        ),
        201,
    )


BATCH_ROWS = 3


def upload_batch(w: World) -> None:
    mun_id = w.utrecht.id
    seed_register(w.app, BATCH_ROWS, mun_id)
    start = clock.today() - timedelta(days=1)
    rows = [row(i, start) for i in range(BATCH_ROWS)] + [
        row(BATCH_ROWS, start, aantal_bewoners="x")
    ]
    response = ok(
        multipart(
            w.client("declarant"),
            "/organisatie/meldingen/bulk",
            {"file": (excel_csv(rows), "meldingen.csv")},
        ),
        302,
    )
    w.state["check_url"] = response.headers["Location"]


def batch_errors(w: World) -> None:
    ok(w.client("declarant").get(w.state["check_url"] + "/fouten.csv"), 200)


def file_batch(w: World) -> None:
    response = ok(w.client("declarant").post(w.state["check_url"], data={"choice": "file"}), 302)
    w.state["batch_url"] = response.headers["Location"]


def batch_receipt(w: World) -> None:
    response = ok(w.client("declarant").get(w.state["batch_url"] + "/ontvangstbevestiging.pdf"))
    assert response.data.startswith(b"%PDF")


def apply_with_floor_plan(w: World) -> None:
    ok(
        multipart(
            w.client("provider"),
            f"/organisatie/vergunningen/{w.permit_id}/verlengen",
            {
                "requested_from": clock.today().strftime("%d-%m-%Y"),
                "requested_until": "",
                "requested_max_occupants": "10",
                "note": "Zolder verbouwd.",
                "floor_plan": (PDF, "plattegrond.pdf"),
            },
        ),
        302,
    )
    with w.app.app_context():
        application = db.session.execute(select(PermitApplication)).scalar_one()
        document = db.session.execute(select(PermitDocument)).scalar_one()
        w.state["application_id"] = application.id
        w.state["document_id"] = document.id


def receipt_html(w: World) -> None:
    with w.app.app_context():
        receipt_id = db.session.execute(
            select(Receipt.id).join(Declaration).where(Declaration.id == w.state["declaration_id"])
        ).scalar_one()
    response = ok(
        w.client("declarant").get(f"/organisatie/ontvangstbevestigingen/{receipt_id}.pdf")
    )
    assert response.data.startswith(b"%PDF")


def receipt_api(w: World) -> None:
    with w.app.app_context():
        reference = db.session.execute(select(Receipt.reference)).scalars().first()
    response = ok(w.anonymous().get(f"/api/v1/receipts/{reference}.pdf", headers=bearer(w.org_key)))
    assert response.data.startswith(b"%PDF")


def application_receipt(w: World) -> None:
    response = ok(
        w.client("provider").get(
            f"/organisatie/vergunningen/aanvragen/{w.state['application_id']}/ontvangstbevestiging.pdf"
        )
    )
    assert response.data.startswith(b"%PDF")


def document_org(w: World) -> None:
    ok(
        w.client("provider").get(
            f"/organisatie/vergunningen/documenten/{w.state['document_id']}.pdf"
        )
    )


def document_municipal(w: World) -> None:
    ok(
        w.client("municipal_admin").get(
            f"/gemeente/aanvragen/documenten/{w.state['document_id']}.pdf"
        )
    )


def make_region(w: World) -> None:
    with w.app.app_context():
        region = Region(name="Regio Utrecht", data_sharing_agreed_on=date(2020, 1, 1))
        db.session.add(region)
        db.session.flush()
        mun = db.session.get(Municipality, w.utrecht.id)
        assert mun is not None
        mun.region_id = region.id
        db.session.commit()
    w.client("inspector")


def forgot(w: World) -> None:
    ok(w.anonymous().post("/wachtwoord-vergeten", data={"email": w.declarant.email}))


def reset(w: World) -> None:
    path = link_path(last_mail(w.app, w.declarant.email, "reset_password"))
    ok(
        w.anonymous().post(path, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}),
        302,
    )


def org_invite(w: World) -> None:
    ok(
        w.client("org_admin").post(
            "/organisatie/medewerkers/uitnodigen",
            data={"email": "nieuw@example.nl", "role": "declarant"},
        ),
        302,
    )


def accept_invite(w: World) -> None:
    path = link_path(last_mail(w.app, "nieuw@example.nl", "invite"))
    ok(
        w.anonymous().post(path, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}),
        302,
    )


def create_org_key(w: World) -> None:
    page = ok(
        w.client("org_admin").post(
            "/organisatie/api-sleutels", data={"name": "Nieuw", "lifetime_days": "30"}
        ),
        200,
    )
    assert "mhk_" in page.get_data(as_text=True)


def revoke_org_key(w: World) -> None:
    with w.app.app_context():
        key_id = db.session.execute(
            select(ApiKey.id).where(ApiKey.organisation_id.is_not(None))
        ).scalar_one()
    ok(w.client("org_admin").post(f"/organisatie/api-sleutels/{key_id}/intrekken"), 302)


def revoke_key_directly(w: World) -> None:
    from portal.services import apikeys

    with w.app.app_context():
        key = db.session.execute(
            select(ApiKey).where(ApiKey.organisation_id.is_not(None))
        ).scalar_one()
        apikeys.revoke_key(key)
        db.session.commit()


def wrong_totp(w: World) -> None:
    client = w.anonymous()
    login(client, w.inspector, second_factor=False)
    ok(client.post("/account/tweede-stap", data={"code": "000000"}), 200, 422, 429)


@dataclass(frozen=True)
class Case:
    name: str
    act: Callable[[World], Any]
    action: str
    actor: str  # a World role, or "api-key:" / a label the actor label starts with
    result: str = "ok"
    setup: tuple[Callable[[World], Any], ...] = ()
    also: int = 0  # further events of the same action the act writes (a batch's declarations)
    object_type: str = ""


def _get(role: str, path: str, *codes: int) -> Callable[[World], Any]:
    return lambda w: ok(w.client(role).get(path), *(codes or (200,)))


CASES = [
    Case(
        "login ok",
        lambda w: ok(
            w.anonymous().post(
                "/inloggen", data={"email": w.declarant.email, "password": PASSWORD}
            ),
            302,
        ),
        "login",
        "declarant",
        object_type="user",
    ),
    Case(
        "login unknown email",
        lambda w: ok(
            w.anonymous().post(
                "/inloggen", data={"email": "niemand@example.nl", "password": PASSWORD}
            ),
            200,
            401,
            422,
        ),
        "login",
        "niemand@example.nl",
        "failed",
        object_type="user",
    ),
    Case(
        "login wrong password",
        lambda w: ok(
            w.anonymous().post("/inloggen", data={"email": w.declarant.email, "password": "nee"}),
            200,
            401,
            422,
        ),
        "login",
        "declarant",
        "failed",
        object_type="user",
    ),
    Case("totp failed", wrong_totp, "totp.failed", "inspector", "failed", object_type="user"),
    Case(
        "role gate denial",
        _get("declarant", "/inspectie/", 404),
        "authz_denied",
        "declarant",
        "denied",
        object_type="route",
    ),
    Case(
        "role denial inside a blueprint",
        _get("declarant", "/organisatie/medewerkers", 404),
        "authz_denied",
        "declarant",
        "denied",
        setup=(lambda w: w.client("declarant"),),
        object_type="route",
    ),
    Case(
        "api unknown key",
        lambda w: ok(
            w.anonymous().get("/api/v1/declarations", headers=bearer("mhk_onbekend")), 401
        ),
        "api.auth_failed",
        "anonymous",
        "denied",
        object_type="route",
    ),
    Case(
        "api no key",
        lambda w: ok(w.anonymous().get("/api/v1/declarations"), 401),
        "api.auth_failed",
        "anonymous",
        "denied",
        object_type="route",
    ),
    Case(
        "api revoked key",
        lambda w: ok(w.anonymous().get("/api/v1/declarations", headers=bearer(w.org_key)), 401),
        "api.auth_failed",
        "api-key:",
        "denied",
        setup=(revoke_key_directly,),
        object_type="route",
    ),
    Case(
        "api key of the wrong kind",
        lambda w: ok(w.anonymous().get("/api/v1/flags", headers=bearer(w.org_key)), 403),
        "authz_denied",
        "api-key:",
        "denied",
        object_type="route",
    ),
    Case(
        "declaration filed (form)",
        declare_form,
        "declaration.new",
        "declarant",
        setup=(lambda w: w.client("declarant"),),
        object_type="declaration",
    ),
    Case(
        "declaration amended (form)",
        amend_form,
        "declaration.amendment",
        "declarant",
        setup=(declare_form,),
        object_type="declaration",
    ),
    Case(
        "declaration ended (form)",
        end_form,
        "declaration.end",
        "declarant",
        setup=(declare_form,),
        object_type="declaration",
    ),
    Case(
        "declaration filed (API)",
        declare_api,
        "declaration.new",
        "api-key:",
        object_type="declaration",
    ),
    Case(
        "declaration amended (API)",
        amend_api,
        "declaration.amendment",
        "api-key:",
        setup=(declare_api,),
        object_type="declaration",
    ),
    Case(
        "declaration ended (API)",
        end_api,
        "declaration.end",
        "api-key:",
        setup=(declare_api,),
        object_type="declaration",
    ),
    Case(
        "batch upload",
        upload_batch,
        "batch.upload",
        "declarant",
        setup=(lambda w: w.client("declarant"),),
        object_type="batch_upload",
    ),
    Case(
        "batch errors downloaded",
        batch_errors,
        "batch.errors_export",
        "declarant",
        setup=(upload_batch,),
        object_type="batch_upload",
    ),
    Case(
        "batch filed",
        file_batch,
        "batch.file",
        "declarant",
        setup=(upload_batch,),
        object_type="batch",
    ),
    Case(
        "batch filed: one event per declaration",
        file_batch,
        "declaration.new",
        "declarant",
        setup=(upload_batch,),
        also=BATCH_ROWS - 1,
        object_type="declaration",
    ),
    Case(
        "floor plan uploaded with a renewal",
        apply_with_floor_plan,
        "permit_application.submit",
        "provider",
        setup=(lambda w: w.client("provider"),),
        object_type="permit_application",
    ),
    Case(
        "receipt PDF (pages)",
        receipt_html,
        "receipt.download",
        "declarant",
        setup=(declare_form,),
        object_type="receipt",
    ),
    Case(
        "receipt PDF (API)",
        receipt_api,
        "receipt.download",
        "api-key:",
        setup=(declare_api,),
        object_type="receipt",
    ),
    Case(
        "batch receipt PDF",
        batch_receipt,
        "receipt.download",
        "declarant",
        setup=(upload_batch, file_batch),
        object_type="receipt",
    ),
    Case(
        "renewal receipt PDF",
        application_receipt,
        "receipt.download",
        "provider",
        setup=(apply_with_floor_plan,),
        object_type="receipt",
    ),
    Case(
        "permit document (organisation)",
        document_org,
        "permit_document.download",
        "provider",
        setup=(apply_with_floor_plan,),
        object_type="permit_document",
    ),
    Case(
        "permit document (municipality)",
        document_municipal,
        "permit_document.download",
        "municipal_admin",
        setup=(apply_with_floor_plan, lambda w: w.client("municipal_admin")),
        object_type="permit_document",
    ),
    Case(
        "declarations CSV",
        _get("declarant", "/organisatie/meldingen/export.csv"),
        "declaration.export",
        "declarant",
        setup=(declare_form,),
        object_type="organisation",
    ),
    Case(
        "inspector signals CSV",
        _get("inspector", "/inspectie/signalen/export.csv"),
        "flag.export",
        "inspector",
        setup=(lambda w: w.client("inspector"),),
        object_type="municipality",
    ),
    Case(
        "regional CSV",
        _get("inspector", "/inspectie/regio/cijfers.csv"),
        "region.export",
        "inspector",
        setup=(make_region,),
        object_type="region",
    ),
    Case(
        "regional XLSX",
        _get("inspector", "/inspectie/regio/cijfers.xlsx"),
        "region.export",
        "inspector",
        setup=(make_region,),
        object_type="region",
    ),
    Case(
        "regional organisations CSV",
        _get("inspector", "/inspectie/regio/organisaties.csv"),
        "region.organisations_export",
        "inspector",
        setup=(make_region,),
        object_type="region",
    ),
    Case(
        "audit log CSV (organisation)",
        _get("org_admin", "/organisatie/logboek/export.csv"),
        "audit.export",
        "org_admin",
        setup=(lambda w: w.client("org_admin"),),
        object_type="audit_log",
    ),
    Case(
        "audit log CSV (municipality)",
        _get("inspector", "/inspectie/logboek/export.csv"),
        "audit.export",
        "inspector",
        setup=(lambda w: w.client("inspector"),),
        object_type="audit_log",
    ),
    Case(
        "audit log CSV (system)",
        _get("system_admin", "/beheer/logboek/export.csv"),
        "audit.export",
        "system_admin",
        setup=(lambda w: w.client("system_admin"),),
        object_type="audit_log",
    ),
    Case(
        "colleague invited with a role",
        org_invite,
        "invite",
        "org_admin",
        setup=(lambda w: w.client("org_admin"),),
        object_type="user",
    ),
    Case(
        "invitation accepted",
        accept_invite,
        "accept_invite",
        "nieuw@example.nl",
        setup=(org_invite,),
        object_type="user",
    ),
    Case(
        "municipal user invited with a role",
        lambda w: ok(
            w.client("municipal_admin").post(
                "/gemeente/gebruikers/uitnodigen",
                data={"email": "collega@example.nl", "role": "inspector"},
            ),
            302,
        ),
        "create_user",
        "municipal_admin",
        setup=(lambda w: w.client("municipal_admin"),),
        object_type="user",
    ),
    Case(
        "municipal user deactivated",
        lambda w: ok(
            w.client("municipal_admin").post(f"/gemeente/gebruikers/{w.inspector.id}/deactiveren"),
            302,
        ),
        "user.deactivate",
        "municipal_admin",
        setup=(lambda w: w.client("municipal_admin"),),
        object_type="user",
    ),
    Case(
        "colleague removed",
        lambda w: ok(
            w.client("org_admin").post(f"/organisatie/medewerkers/{w.declarant.id}/verwijderen"),
            302,
        ),
        "remove_user",
        "org_admin",
        setup=(lambda w: w.client("org_admin"),),
        object_type="user",
    ),
    Case(
        "API key created",
        create_org_key,
        "apikey.create",
        "org_admin",
        setup=(lambda w: w.client("org_admin"),),
        object_type="api_key",
    ),
    Case(
        "API key revoked",
        revoke_org_key,
        "apikey.revoke",
        "org_admin",
        setup=(lambda w: w.client("org_admin"),),
        object_type="api_key",
    ),
    Case(
        "password reset asked", forgot, "password_reset_requested", "declarant", object_type="user"
    ),
    Case(
        "password reset", reset, "password_reset", "declarant", setup=(forgot,), object_type="user"
    ),
    Case(
        "logout",
        lambda w: ok(w.client("declarant").post("/uitloggen"), 302),
        "logout",
        "declarant",
        setup=(lambda w: w.client("declarant"),),
        object_type="user",
    ),
]


def _last_id(app: Flask) -> int:
    with app.app_context():
        return int(
            db.session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalar() or 0
        )


def _events_after(app: Flask, mark: int) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.execute(
                select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id)
            ).scalars()
        )
        db.session.expunge_all()
        return events


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_action_writes_one_complete_audit_event(world: World, case: Case) -> None:
    for step in case.setup:
        step(world)
    mark = _last_id(world.app)
    case.act(world)
    new = _events_after(world.app, mark)
    mine = [e for e in new if e.action == case.action]
    assert len(mine) == 1 + case.also, [(e.action, e.result) for e in new]
    if case.actor in ("api-key:", "anonymous") or "@" in case.actor:
        expected_user_id = None
    else:
        expected_user_id = getattr(world, case.actor).id
    for event in mine:
        # Actor: the user, or for a key / an unknown person the label.
        if expected_user_id is not None:
            assert event.actor_user_id == expected_user_id
            assert event.actor_label == getattr(world, case.actor).email
        else:
            assert event.actor_label.startswith(case.actor), event.actor_label
        assert event.result == case.result
        assert event.object_type == case.object_type and event.object_type
        assert event.object_id
        assert event.origin_ip == "127.0.0.1"
        assert event.occurred_at.tzinfo is not None
        assert event.occurred_at.utcoffset() == timedelta(0)
        assert abs(event.occurred_at - clock.now()) < timedelta(minutes=5)
    # Every event written by the action (also the side events) has the six fields.
    for event in new:
        assert event.action and event.actor_label and event.result and event.origin_ip, event.action
        assert event.occurred_at.astimezone(UTC).utcoffset() == timedelta(0)
