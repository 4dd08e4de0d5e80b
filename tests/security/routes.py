"""The route table of the security matrix: every endpoint of ``app.url_map``, who may use it, and
how to fill its URL with objects of the OTHER tenant (docs/security.md T5).

A new route that is not in ``ROUTES`` makes tests/security/test_access_matrix.py fail: add it
here with its gate and, when its URL names an object, the world id of a tenant-2 object.

``access`` is one of:
- ``public``: anyone, logged in or not;
- ``login``: any logged-in user (anonymous users go to the login page);
- a tuple of roles (the blueprint's ``gate`` plus any ``require_role`` inside the view); other
  logged-in roles get 404, anonymous users the login page;
- ``api_public``: the API without a key; ``api_org`` / ``api_mun`` / ``api_any``: the API with an
  organisation's / a municipality's / either key (the wrong kind of key gets 403, none 401).

``params`` maps each URL parameter to a key of ``World.ids`` (or a literal, prefixed ``=``).
``foreign`` means those params name tenant-2 objects: every role that passes the gate must get
404. ``register`` marks pages of the address register (reference data that organisations may
see, so M2's street names are no leak there for organisation users).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ORG = ("declarant", "org_admin")
ORG_ADMIN = ("org_admin",)
INSPECTION = ("inspector", "municipal_admin")
MUN_ADMIN = ("municipal_admin",)
SYSTEM = ("system_admin",)


@dataclass(frozen=True)
class Route:
    access: str | tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)
    foreign: bool = False
    register: bool = False
    note: str = ""


def _f(access: str | tuple[str, ...], **params: str) -> Route:
    """A route whose URL names a tenant-2 object."""
    return Route(access, params, foreign=True)


ROUTES: dict[str, Route] = {
    # --- public pages ---------------------------------------------------------------------------
    "public.home": Route("public"),
    "public.healthz": Route("public"),
    "public.readyz": Route("public"),
    "public.statistics": Route("public"),
    "public.accessibility": Route("public"),
    "public.verify_form": Route("public"),
    # Verification is public by design (whoever holds a receipt's code); a made-up code here.
    "public.verify": Route("public", {"code": "=ABCD-EFGH-JKLM"}),
    "disclosure.well_known_security_txt": Route("public"),
    "disclosure.legacy_security_txt": Route("public"),
    "disclosure.policy": Route("public"),
    "privacy.statement": Route("public"),
    "help.index": Route("public"),
    "help.declarant": Route("public"),
    "help.provider": Route("public"),
    "help.inspector": Route("public"),
    "help.municipal_admin": Route("public"),
    "static": Route("public", {"filename": "=portal.css"}),
    # --- account --------------------------------------------------------------------------------
    "account.signup": Route("public"),
    "account.login": Route("public"),
    # eHerkenning (tests/integration/test_eherkenning.py runs them against a real provider); in
    # the matrix's app no broker is configured and they answer 404 to everyone.
    "eherkenning.start": Route("public", note="404 without a broker"),
    "eherkenning.callback": Route("public", note="404 without a broker"),
    "eherkenning.register": Route("public", note="404 without a broker"),
    "eherkenning.staff_start": Route("public", {"code": "=GM0344"}, note="404 without a provider"),
    "eherkenning.staff_callback": Route(
        "public", {"code": "=GM0344"}, note="404 without a provider"
    ),
    "account.resend_verification": Route("public"),
    "account.forgot_password": Route("public"),
    "account.verify": Route("public", {"token": "=not-a-real-token"}),
    "account.reset_password": Route("public", {"token": "=not-a-real-token"}),
    "account.accept_invite": Route("public", {"token": "=not-a-real-token"}),
    "account.second_factor": Route("login"),
    "account.totp_enrol": Route("login"),
    "account.totp_start": Route("login"),
    "account.two_factor": Route("login"),
    "account.profile": Route("login"),
    "account.logout": Route("login", note="run last: it ends the actor's session"),
    # --- organisation ---------------------------------------------------------------------------
    "org.dashboard": Route(ORG),
    "org.members": Route(ORG_ADMIN),
    "org.contact_details": Route(ORG_ADMIN),
    "org.invite": Route(ORG_ADMIN),
    "org.remove_member": _f(ORG_ADMIN, user_id="colleague_b"),
    "org.apikeys": Route(ORG_ADMIN),
    "org.apikey_revoke": _f(ORG_ADMIN, key_id="key_b_id"),
    "org.mandates_overview": Route(ORG),
    "org.mandate_grant": Route(ORG_ADMIN),
    "org.mandate_revoke": _f(ORG_ADMIN, mandate_id="b_mandate"),
    "org.audit_log": Route(ORG_ADMIN),
    "org.audit_log_export": Route(ORG_ADMIN),
    "org.address_lookup": Route(ORG, register=True),
    "org.declarations_list": Route(ORG),
    "org.declarations_export": Route(ORG),
    "org.declare_lookup": Route(ORG, register=True),
    # Any register address may be declared at, so M2's address is no foreign object here.
    "org.declare": Route(ORG, {"address_id": "b_home"}, register=True),
    "org.declare_manual": Route(ORG, register=True),
    "org.declaration": _f(ORG, declaration_id="b_declaration"),
    "org.amend": _f(ORG, declaration_id="b_amended"),
    "org.end": _f(ORG, declaration_id="b_amended"),
    "org.receipt_download": _f(ORG, receipt_id="b_receipt"),
    "org.batch_upload": Route(ORG),
    "org.batch_template": Route(ORG),
    "org.batch_detail": _f(ORG, batch_id="b_batch"),
    "org.batch_receipt_download": _f(ORG, batch_id="b_batch"),
    "org.batch_check": _f(ORG, token="b_upload_token"),
    "org.batch_choose": _f(ORG, token="b_upload_token"),
    "org.batch_errors": _f(ORG, token="b_upload_token"),
    "org.permits": Route(ORG),
    "org.permit_renew": _f(ORG, permit_id="b_permit"),
    "org.permit_application": _f(ORG, application_id="b_application"),
    "org.permit_application_answer": _f(ORG, application_id="b_application"),
    "org.permit_application_receipt": _f(ORG, application_id="b_application"),
    "org.permit_document": _f(ORG, document_id="b_document"),
    # --- inspection (inspectors and municipal admins) -------------------------------------------
    "inspector.dashboard": Route(INSPECTION),
    "inspector.addresses": Route(INSPECTION),
    "inspector.address": _f(INSPECTION, address_id="b_home"),
    "inspector.search": Route(INSPECTION),
    "inspector.audit_log": Route(INSPECTION),
    "inspector.audit_log_export": Route(INSPECTION),
    "inspector.alert_settings": Route(INSPECTION),
    "inspector.region": Route(INSPECTION),
    "inspector.region_csv": Route(INSPECTION),
    "inspector.region_xlsx": Route(INSPECTION),
    "inspector.region_organisations_csv": Route(INSPECTION),
    "inspector.inbox": Route(INSPECTION),
    "inspector.inbox_export": Route(INSPECTION),
    "inspector.flag": _f(INSPECTION, flag_id="b_flag"),
    "inspector.flag_note": _f(INSPECTION, flag_id="b_flag"),
    "inspector.flag_status": _f(INSPECTION, flag_id="b_flag"),
    "inspector.flag_assign": _f(INSPECTION, flag_id="b_flag"),
    # --- municipal administration ---------------------------------------------------------------
    "municipal.dashboard": Route(MUN_ADMIN),
    "municipal.applications": Route(MUN_ADMIN),
    "municipal.application": _f(MUN_ADMIN, application_id="b_application"),
    "municipal.application_reject": _f(MUN_ADMIN, application_id="b_application"),
    "municipal.application_approve": _f(MUN_ADMIN, application_id="b_application"),
    "municipal.application_question": _f(MUN_ADMIN, application_id="b_application"),
    "municipal.application_document": _f(MUN_ADMIN, document_id="b_document"),
    "municipal.apikeys": Route(MUN_ADMIN),
    "municipal.address_conflicts": Route(MUN_ADMIN),
    "municipal.address_conflict_confirm": _f(MUN_ADMIN, address_id="b_home"),
    "municipal.address_conflict_correct": _f(MUN_ADMIN, address_id="b_home"),
    "municipal.address_conflict_link": _f(MUN_ADMIN, address_id="b_home"),
    "municipal.apikey_revoke": _f(MUN_ADMIN, key_id="key_m2_id"),
    "municipal.policy": Route(MUN_ADMIN),
    "municipal.users": Route(MUN_ADMIN),
    "municipal.failed_mail": Route(MUN_ADMIN),
    "municipal.invite": Route(MUN_ADMIN),
    "municipal.deactivate": _f(MUN_ADMIN, user_id="insp2_2"),
    "municipal.permits": Route(MUN_ADMIN),
    "municipal.permit": _f(MUN_ADMIN, permit_id="b_permit"),
    "municipal.permit_revoke": _f(MUN_ADMIN, permit_id="b_permit"),
    "municipal.permits_import": Route(MUN_ADMIN),
    "municipal.permit_new": Route(MUN_ADMIN),
    "municipal.permit_types": Route(MUN_ADMIN),
    # --- system administration (sees every tenant by design) ------------------------------------
    "admin.dashboard": Route(SYSTEM),
    "admin.users": Route(SYSTEM),
    "admin.takeovers": Route(SYSTEM),
    "admin.audit_log": Route(SYSTEM),
    "admin.audit_log_export": Route(SYSTEM),
    "admin.regions": Route(SYSTEM),
    "admin.region": Route(SYSTEM, {"region_id": "r2"}),
    "admin.outbox": Route(SYSTEM),
    "admin.outbox_retry": Route(SYSTEM, {"message_id": "outbox_message"}),
    # --- API ------------------------------------------------------------------------------------
    "api.openapi": Route("api_public"),
    "api.statistics": Route("api_public"),
    "api.lookup": Route("api_org", register=True),
    "api.create_declaration": Route("api_org"),
    "api.create_batch": Route("api_org"),
    "api.list_declarations": Route("api_any"),
    "api.get_declaration": _f("api_any", reference="b_reference"),
    "api.amend_declaration": _f("api_org", reference="b_amended_reference"),
    "api.end_declaration": _f("api_org", reference="b_amended_reference"),
    "api.receipt_pdf": _f("api_any", reference="b_reference"),
    "api.list_flags": Route("api_mun"),
    "api.update_flag": _f("api_mun", flag_id="b_flag"),
}

# Roles of each actor of the matrix (API actors: the kind of key).
ROLE_OF = {
    "anonymous": None,
    "decl_a": "declarant",
    "admin_a": "org_admin",
    "insp_1": "inspector",
    "madmin_1": "municipal_admin",
    "sysadmin": "system_admin",
    "key_a": "api_org",
    "key_m1": "api_mun",
}


def url_values(route: Route, ids: dict[str, Any]) -> dict[str, Any]:
    return {
        name: source[1:] if source.startswith("=") else ids[source]
        for name, source in route.params.items()
    }


def methods_of(rule: Any) -> list[str]:
    return sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
