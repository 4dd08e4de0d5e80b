"""Load the demo data set (entry-point helper): municipalities, addresses, organisations, users.

Idempotent: running it again adds nothing that is already there. Never used in production (the CLI
refuses). The address CSV is made by ``portal.demo.generate`` and shipped in ``portal/demo/data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Municipality, MunicipalPolicy, Organisation, User
from portal.services.addresses import import_addresses
from portal.services.imports import ImportReport
from portal.services.municipalities import import_municipalities
from portal.services.passwords import hash_password

DATA = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - printed on purpose; demo only
# The TOTP secret (base32, 160 bits) of every demo inspector and administrator, so `make run`
# users can log in: add it to an authenticator app, or print the current code with
# `flask --app wsgi demo totp-code EMAIL`. Documented in the README; demo only.
DEMO_TOTP_SECRET = "MELDPORTAALDEMOGEHEIMTOTPSLEUTEL"  # noqa: S105
DEMO_TOTP_ROLES = ("inspector", "municipal_admin", "system_admin")

ORGANISATIONS = [
    # kvk, name, kinds, snf, contact
    (
        "90000011",
        "Flexwerk Uitzendbureau B.V.",
        ("staffing_agency",),
        "SNF-10001",
        "contact@flexwerk.demo.meldportaal.nl",
    ),
    (
        "90000012",
        "Westland Personeelsdiensten B.V.",
        ("staffing_agency",),
        "",
        "info@westlandpersoneel.demo.meldportaal.nl",
    ),
    (
        "90000013",
        "Kwekerij De Glazen Tuin B.V.",
        ("employer",),
        "",
        "hr@glazentuin.demo.meldportaal.nl",
    ),
    (
        "90000014",
        "Huisvesting Noord-Limburg B.V.",
        ("housing_provider",),
        "SNF-20417",
        "verhuur@hnl.demo.meldportaal.nl",
    ),
]

USERS = [
    # role label shown by `make run`, email, role, organisation kvk or municipality code
    (
        "declarant (staffing agency)",
        "declarant@flexwerk.demo.meldportaal.nl",
        "declarant",
        "90000011",
    ),
    (
        "organisation admin (staffing agency)",
        "beheer@flexwerk.demo.meldportaal.nl",
        "org_admin",
        "90000011",
    ),
    (
        "organisation admin (second agency)",
        "beheer@westlandpersoneel.demo.meldportaal.nl",
        "org_admin",
        "90000012",
    ),
    ("organisation admin (employer)", "hr@glazentuin.demo.meldportaal.nl", "org_admin", "90000013"),
    ("housing provider admin", "verhuur@hnl.demo.meldportaal.nl", "org_admin", "90000014"),
    ("inspector Utrecht (GM0344)", "inspecteur@utrecht.demo.meldportaal.nl", "inspector", "GM0344"),
    (
        "inspector Westland (GM1783)",
        "inspecteur@westland.demo.meldportaal.nl",
        "inspector",
        "GM1783",
    ),
    (
        "municipal admin Utrecht (GM0344)",
        "beheer@utrecht.demo.meldportaal.nl",
        "municipal_admin",
        "GM0344",
    ),
    ("system admin", "systeembeheer@demo.meldportaal.nl", "system_admin", None),
]

# Utrecht sets its alert and support-desk addresses with the national figures from 1 January
# 2026; Westland applies the SNF 2025 new-build figure of 15 m² per person from 1 July 2026
# (DOMAIN.md §1.1) — an example of a policy change with an effective date.
POLICIES = [
    {
        "code": "GM0344",
        "effective_from": date(2026, 1, 1),
        "m2_per_person_dwelling": 12,
        "m2_per_person_lodging": 10,
        "no_permit_max_occupants": 4,
        "late_after_days": 3,
        "alert_emails": "signalen@utrecht.demo.meldportaal.nl",
        "support_desk_email": "steunpunt@utrecht.demo.meldportaal.nl",
    },
    {
        "code": "GM1783",
        "effective_from": date(2026, 7, 1),
        "m2_per_person_dwelling": 15,
        "m2_per_person_lodging": 10,
        "no_permit_max_occupants": 4,
        "late_after_days": 3,
        "alert_emails": "signalen@westland.demo.meldportaal.nl",
        "support_desk_email": "steunpunt@westland.demo.meldportaal.nl",
    },
]


@dataclass
class DemoSummary:
    municipalities: ImportReport
    addresses: ImportReport
    organisations_added: int = 0
    users_added: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"municipalities: {self.municipalities.inserted} added, "
            f"{self.municipalities.unchanged + self.municipalities.updated} present; "
            f"addresses: {self.addresses.inserted} added, "
            f"{self.addresses.unchanged + self.addresses.updated} present; "
            f"organisations added: {self.organisations_added}; users added: {self.users_added}\n"
            "Inspectors and administrators log in in two steps: after the password, enter the "
            "code from `flask --app wsgi demo totp-code EMAIL` (or add the key "
            f"{DEMO_TOTP_SECRET} to an authenticator app)."
        )


def load_demo() -> DemoSummary:
    """Add whatever of the demo set is missing (caller commits)."""
    summary = DemoSummary(
        municipalities=import_municipalities(DATA / "municipalities.csv"),
        addresses=import_addresses(DATA / "bag-demo.csv"),
    )
    municipalities = {m.code: m for m in db.session.execute(select(Municipality)).scalars()}
    for spec in POLICIES:
        fields = dict(spec)
        mun = municipalities[str(fields.pop("code"))]
        exists = db.session.execute(
            select(MunicipalPolicy.id).where(
                MunicipalPolicy.municipality_id == mun.id,
                MunicipalPolicy.effective_from == fields["effective_from"],
            )
        ).first()
        if not exists:
            db.session.add(MunicipalPolicy(municipality_id=mun.id, **fields))

    organisations = {o.kvk_number: o for o in db.session.execute(select(Organisation)).scalars()}
    for kvk, name, kinds, snf, contact in ORGANISATIONS:
        if kvk in organisations:
            continue
        org = Organisation(
            kvk_number=kvk,
            name=name,
            is_employer="employer" in kinds,
            is_staffing_agency="staffing_agency" in kinds,
            is_housing_provider="housing_provider" in kinds,
            snf_number=snf,
            contact_email=contact,
        )
        db.session.add(org)
        organisations[kvk] = org
        summary.organisations_added += 1
    db.session.flush()

    password_hash = None
    for label, email, role, tenant in USERS:
        summary.logins.append((label, email))
        existing = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if existing is not None:
            # Demo staff loaded before two-factor login existed get the documented secret too.
            if existing.role in DEMO_TOTP_ROLES and existing.totp_enabled_at is None:
                _enrol_demo_totp(existing)
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        user = User(
            email=email, role=role, password_hash=password_hash, email_verified_at=clock.now()
        )
        if role in ("declarant", "org_admin"):
            user.organisation_id = organisations[str(tenant)].id
        elif role in ("inspector", "municipal_admin"):
            user.municipality_id = municipalities[str(tenant)].id
        if role in DEMO_TOTP_ROLES:
            _enrol_demo_totp(user)
        db.session.add(user)
        summary.users_added += 1
    db.session.flush()
    return summary


def _enrol_demo_totp(user: User) -> None:
    user.totp_secret = DEMO_TOTP_SECRET
    user.totp_enabled_at = clock.now()
    user.totp_last_step = None


def is_demo_user(email: str) -> bool:
    """Whether ``email`` is one of the demo logins above."""
    return email.strip().lower() in {spec[1] for spec in USERS}
