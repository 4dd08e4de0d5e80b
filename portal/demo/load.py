"""Load the demo data set (entry-point helper): municipalities, addresses, organisations, users.

Idempotent: running it again adds nothing that is already there. Never used in production (the CLI
refuses). The address CSV is made by ``portal.demo.generate`` and shipped in ``portal/demo/data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import (
    Address,
    Declaration,
    Flag,
    Mandate,
    Municipality,
    MunicipalPolicy,
    Organisation,
    OutboxMessage,
    Permit,
    PermitApplication,
    User,
)
from portal.notifications.outbox import render_email
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

# The names the pages show for the demo logins (users.display_name; the email address on hover).
NAMES = {
    "declarant@flexwerk.demo.meldportaal.nl": "Sanne de Vries",
    "beheer@flexwerk.demo.meldportaal.nl": "Mark Jansen",
    "beheer@westlandpersoneel.demo.meldportaal.nl": "Fatima El Amrani",
    "hr@glazentuin.demo.meldportaal.nl": "Pieter Bakker",
    "verhuur@hnl.demo.meldportaal.nl": "Linda Hendriks",
    "inspecteur@utrecht.demo.meldportaal.nl": "Eva Visser",
    "inspecteur@westland.demo.meldportaal.nl": "Johan van Dijk",
    "beheer@utrecht.demo.meldportaal.nl": "Noor Smit",
    "systeembeheer@demo.meldportaal.nl": "Tim de Boer",
}

# Utrecht sets its alert and support-desk addresses with the national figures from 1 January
# 2026; Westland applies the SNF 2025 new-build figure of 15 m² per person from 1 July 2026
# (docs/rules.md §1.2) — an example of a policy change with an effective date.
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


# Permits of the demo housing provider in Utrecht, at register addresses whose floor area allows
# more than the permit (162, 209 and 153 m² at 12 m² per person: 13, 17 and 12 people), so the
# permit sets the limit. Keyed by the decision reference within the municipality; the dates are
# relative to the day of the first load. The first permit expires within 90 days and its address
# has 5 + 3 = 8 occupants declared by the demo declarant of Flexwerk against a maximum of 6, so
# the address is flagged; a renewal approved with a higher maximum resolves the flag.
PERMIT_HOLDER_KVK = "90000014"
PERMIT_DECLARANT = "declarant@flexwerk.demo.meldportaal.nl"
PERMITS = [
    # nummeraanduiding, permit type, maximum, decision reference, period key, declared counts
    ("0344200000000042", "omzettingsvergunning", 6, "UTR-OMZ-2021-0042", "expiring", (5, 3)),
    ("0344200000000073", "omzettingsvergunning", 12, "UTR-OMZ-2025-0073", "valid", ()),
    ("0344200000000107", "kamerverhuurvergunning", 5, "UTR-KV-2021-0107", "expired", ()),
]


def _permit_period(key: str, today: date) -> tuple[date, date]:
    if key == "expiring":  # ends 60 days from now
        return today - timedelta(days=5 * 365 - 60), today + timedelta(days=60)
    if key == "valid":  # about two years left
        return today - timedelta(days=365), today + timedelta(days=2 * 365)
    last_month_end = today.replace(day=1) - timedelta(days=1)  # expired last month
    return last_month_end - timedelta(days=5 * 365), last_month_end


@dataclass
class DemoSummary:
    municipalities: ImportReport
    addresses: ImportReport
    organisations_added: int = 0
    users_added: int = 0
    permits_added: int = 0
    declarations_added: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"municipalities: {self.municipalities.inserted} added, "
            f"{self.municipalities.unchanged + self.municipalities.updated} present; "
            f"addresses: {self.addresses.inserted} added, "
            f"{self.addresses.unchanged + self.addresses.updated} present; "
            f"organisations added: {self.organisations_added}; users added: {self.users_added}; "
            f"permits added: {self.permits_added}; declarations added: "
            f"{self.declarations_added}\n"
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
            # Demo staff loaded before two-factor login existed get the documented secret too;
            # demo users loaded before display names existed get their name.
            if existing.role in DEMO_TOTP_ROLES and existing.totp_enabled_at is None:
                _enrol_demo_totp(existing)
            if existing.display_name is None:
                existing.display_name = NAMES.get(email)
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        user = User(
            email=email,
            display_name=NAMES.get(email),
            role=role,
            password_hash=password_hash,
            email_verified_at=clock.now(),
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
    _load_mandate(organisations)
    _load_contact_phones(organisations)
    summary.declarations_added += _load_shared_address()
    _load_permits(summary, municipalities["GM0344"], organisations[PERMIT_HOLDER_KVK])
    summary.declarations_added += _load_work(municipalities["GM0344"])
    from portal.demo.region import load_demo_region

    summary.declarations_added += load_demo_region()
    return summary


# The employer lets the demo staffing agency declare on its behalf (issue 18: mandates).
MANDATE = ("90000013", "90000011")  # grantor (employer), holder (staffing agency)


def _load_mandate(organisations: dict[str, Organisation]) -> None:
    """The employer's mandate for the demo staffing agency, from a month ago, without an end."""
    grantor_kvk, holder_kvk = MANDATE
    grantor = organisations[grantor_kvk]
    exists = db.session.execute(
        select(Mandate.id).where(
            Mandate.grantor_organisation_id == grantor.id, Mandate.grantee_kvk == holder_kvk
        )
    ).first()
    if not exists:
        db.session.add(
            Mandate(
                grantor_organisation_id=grantor.id,
                grantee_kvk=holder_kvk,
                start_on=clock.today() - timedelta(days=30),
                granted_at=clock.now(),
            )
        )


def _load_permits(summary: DemoSummary, utrecht: Municipality, holder: Organisation) -> None:
    """The housing provider's permits and the declarations that flag the expiring one."""
    from portal.services.declarations import file_declaration

    today = clock.today()
    declarant = db.session.execute(select(User).where(User.email == PERMIT_DECLARANT)).scalar_one()
    for bag_id, permit_type, maximum, reference, period, counts in PERMITS:
        address = db.session.execute(
            select(Address).where(Address.nummeraanduiding_id == bag_id)
        ).scalar_one()
        exists = db.session.execute(
            select(Permit.id).where(
                Permit.municipality_id == utrecht.id, Permit.decision_reference == reference
            )
        ).first()
        if not exists:
            valid_from, valid_until = _permit_period(period, today)
            db.session.add(
                Permit(
                    address_id=address.id,
                    municipality_id=utrecht.id,
                    holder_organisation_id=holder.id,
                    permit_type=permit_type,
                    max_occupants=maximum,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    covers_lodging=True,
                    decision_reference=reference,
                    status="valid",
                )
            )
            db.session.flush()
            summary.permits_added += 1
        declared = db.session.execute(
            select(Declaration.id).where(
                Declaration.address_id == address.id,
                Declaration.organisation_id == declarant.organisation_id,
            )
        ).first()
        if counts and not declared:
            for occupants in counts:
                file_declaration(
                    declarant,
                    DeclarationInput(occupants, today, separate_contracts=True),
                    address_id=address.id,
                )
                summary.declarations_added += 1


# Phone numbers the inspectors see on the address page (issue 20); an organisation admin sets
# its own on /organisatie/contactgegevens. The Westland agency gives none.
PHONES = {"90000011": "030 123 4567", "90000013": "+31 174 123 456", "90000014": "077 123 4567"}
# Oudegracht 13, Utrecht (53 m², so at most 4 people at 12 m² each): the staffing agency and the
# second agency each house people there — the address the Utrecht inspector finds by searching
# "oudegr 13", with both organisations, their counts and contacts on its page.
SHARED_ADDRESS = "0344200000000556"
SHARED_DECLARANTS = (
    ("declarant@flexwerk.demo.meldportaal.nl", 4),
    ("beheer@westlandpersoneel.demo.meldportaal.nl", 3),
)


def _load_contact_phones(organisations: dict[str, Organisation]) -> None:
    for kvk, phone in PHONES.items():
        if not organisations[kvk].phone:
            organisations[kvk].phone = phone


def _load_shared_address() -> int:
    """The two agencies' declarations at Oudegracht 13 (once each); returns how many were filed."""
    from portal.services.declarations import file_declaration

    address = db.session.execute(
        select(Address).where(Address.nummeraanduiding_id == SHARED_ADDRESS)
    ).scalar_one()
    filed = 0
    for email, occupants in SHARED_DECLARANTS:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        declared = db.session.execute(
            select(Declaration.id).where(
                Declaration.address_id == address.id,
                Declaration.organisation_id == user.organisation_id,
            )
        ).first()
        if not declared:
            file_declaration(
                user,
                DeclarationInput(occupants, clock.today(), separate_contracts=True),
                address_id=address.id,
            )
            filed += 1
    return filed


# Work for the start pages (issue 23), so each role's first page has something to do: renewal
# applications of the housing provider (Utrecht asked a question on the valid permit's; the
# expired permit's waits for a decision), a declaration of the demo agency that ends within 14
# days, and a daily overview to the Utrecht inspector that could not be delivered.
QUESTION = (
    "Klopt het dat er sinds vorig jaar een extra slaapkamer is? Stuur de nieuwe plattegrond mee."
)
ENDING = (2, 30, 10)  # occupants, started days ago, ends in days
BOUNCE = "550 5.2.2 Mailbox full (demo)"


def _user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _load_work(utrecht: Municipality) -> int:
    """The start pages' demo work (idempotent); returns the declarations added."""
    from portal.services import permit_applications as applications
    from portal.services.declarations import file_declaration

    today = clock.today()
    provider, admin = (
        _user("verhuur@hnl.demo.meldportaal.nl"),
        _user("beheer@utrecht.demo.meldportaal.nl"),
    )
    for reference, ask in (("UTR-OMZ-2025-0073", True), ("UTR-KV-2021-0107", False)):
        permit = db.session.execute(
            select(Permit).where(
                Permit.municipality_id == utrecht.id, Permit.decision_reference == reference
            )
        ).scalar_one()
        applied = db.session.execute(
            select(PermitApplication.id).where(PermitApplication.permit_id == permit.id)
        ).first()
        if applied:
            continue
        request = applications.RenewalRequest(
            requested_from=max(today, (permit.valid_until or today) + timedelta(days=1)),
            requested_until=None,
            requested_max_occupants=permit.max_occupants + 2,
            note="Na de verbouwing is er plaats voor twee mensen meer.",
        )
        application = applications.apply_for_renewal(provider, permit, request, "nl")
        if ask:
            applications.request_information(admin, application, QUESTION)

    added = 0
    declarant = _user(PERMIT_DECLARANT)
    permit_addresses = select(Permit.address_id)
    address = db.session.execute(
        select(Address)
        .where(
            Address.municipality_id == utrecht.id,
            Address.uses == "woonfunctie",
            Address.floor_area_m2 >= 140,  # outside the 60-130 m² the demo scenario test takes
            Address.id.not_in(permit_addresses),
        )
        .order_by(Address.id)
        .limit(1)
    ).scalar_one_or_none()
    if (
        address is not None
        and not db.session.execute(
            select(Declaration.id).where(
                Declaration.address_id == address.id,
                Declaration.organisation_id == declarant.organisation_id,
            )
        ).first()
    ):
        occupants, started, ends = ENDING
        file_declaration(
            declarant,
            DeclarationInput(
                occupants,
                today - timedelta(days=started),
                today + timedelta(days=ends),
                separate_contracts=True,
            ),
            address_id=address.id,
        )
        added += 1

    inspector = _user("inspecteur@utrecht.demo.meldportaal.nl")
    bounced = db.session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.recipient == inspector.email, OutboxMessage.last_error == BOUNCE
        )
    ).first()
    flag = db.session.execute(
        select(Flag).where(Flag.municipality_id == utrecht.id).order_by(Flag.id).limit(1)
    ).scalar_one_or_none()
    if not bounced and flag is not None:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        item = SimpleNamespace(
            flag_id=flag.id, changes=("opened",), link=f"{base}/inspectie/signalen/{flag.id}"
        )
        row = render_email(
            inspector.email,
            "alert_digest",
            locale="nl",
            day=today - timedelta(days=1),
            items=[item],
        )
        db.session.add(OutboxMessage(**row, status="failed", attempts=8, last_error=BOUNCE))
    db.session.flush()
    return added


def _enrol_demo_totp(user: User) -> None:
    user.totp_secret = DEMO_TOTP_SECRET
    user.totp_enabled_at = clock.now()
    user.totp_last_step = None


def is_demo_user(email: str) -> bool:
    """Whether ``email`` is one of the demo logins above."""
    return email.strip().lower() in {spec[1] for spec in USERS}
