"""An organisation's contact details for the inspectors (service layer, issue 20).

The phone number is checked by ``portal.domain.phones`` and audited in the organisation's log;
the inspectors of a municipality where the organisation declares see it on the address page
(``services.address_overview``). Nothing here commits.
"""

from __future__ import annotations

from portal.domain.errors import InvalidValue
from portal.domain.phones import normalise_phone
from portal.extensions import db
from portal.models import Organisation, User
from portal.services import audit
from portal.services.errors import Refused
from portal.services.queries import get_scoped_or_404, scope_of


def set_phone(user: User, raw: str) -> Organisation:
    """Set (or with ``""`` remove) the phone number of the user's own organisation."""
    organisation = get_scoped_or_404(Organisation, user.organisation_id or 0, scope_of(user))
    if user.role != "org_admin":
        raise Refused.one("phone", "phone.not_admin")
    try:
        phone = normalise_phone(raw)
    except InvalidValue as exc:
        raise Refused.one("phone", exc.code) from None
    if phone == organisation.phone:
        return organisation
    organisation.phone = phone
    audit.record(
        "organisation.phone",
        actor=user,
        object_type="organisation",
        object_id=organisation.id,
        organisation_id=organisation.id,
        detail="removed" if not phone else "set",
    )
    db.session.flush()
    return organisation
