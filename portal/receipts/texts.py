"""Human texts for finding codes, rules, end reasons and filing kinds (receipts layer).

The receipt PDF and the web pages (the declaration result, the verify page, the inspector's
dossier) read the same table, so a finding means the same everywhere. The codes come from the
findings table in docs/rules.md §1.5 and ``portal.domain.occupancy``; every text is a
lazy string, translated when it is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

# code → (short title, what it means for the declarant)
FINDING_TEXTS: dict[str, tuple[LazyString, LazyString]] = {
    "over_limit": (
        _l("More occupants than allowed"),
        _l(
            "Counted over the declarations of all organisations, more people live at this "
            "address than the limit allows. The municipality can inspect the address and take "
            "action."
        ),
    ),
    "permit_required": (
        _l("Permit needed"),
        _l(
            "This number of occupants needs a permit from the municipality, and no valid permit "
            "is known for this address. Apply for a permit, or house fewer people here."
        ),
    ),
    "non_residential": (
        _l("Building not meant for living"),
        _l(
            "According to the address register, this building is not meant for living or "
            "lodging, and no permit allows it. The municipality checks whether people may live "
            "here."
        ),
    ),
    "address_unverified": (
        _l("Address not in the address register"),
        _l(
            "This address was not found in the address register (BAG). Your declaration counts, "
            "but the municipality checks the address. Check that you entered it correctly."
        ),
    ),
    "late_declaration": (
        _l("Declared late"),
        _l(
            "This declaration was made later than the municipality allows after the people "
            "moved in or the number changed. Declare changes on time."
        ),
    ),
    "near_limit": (
        _l("Close to the limit"),
        _l(
            "The number of occupants is at 90 percent of the limit or more. If more people move "
            "in, the address can go over the limit."
        ),
    ),
    "permit_expiring": (
        _l("Permit ends soon"),
        _l(
            "The permit that the limit is based on ends within 90 days. Apply for a renewal in "
            "time; without a permit a lower limit applies."
        ),
    ),
    "area_unknown": (
        _l("Floor area unknown"),
        _l(
            "The floor area of this address is not known, so no limit could be based on it. "
            "The municipality may ask you for the floor area."
        ),
    ),
}

# rule → the rule that set a limit, as a phrase that follows "limit 8, set by …"
RULE_TEXTS: dict[str, LazyString] = {
    "area_dwelling": _l("floor area of a dwelling"),
    "area_lodging": _l("floor area for lodging"),
    "permit": _l("maximum in the permit"),
    "no_permit_threshold": _l("maximum without a permit"),
    "late_after_days": _l("deadline for declaring"),
}

# The same area rules with the m² per person, when the finding carries the figure.
RULE_TEXTS_WITH_M2: dict[str, LazyString] = {
    "area_dwelling": _l("floor area (%(m2)s m² per person in a dwelling)"),
    "area_lodging": _l("floor area (%(m2)s m² per person for lodging)"),
}

END_REASON_TEXTS: dict[str, LazyString] = {
    "employment_ended": _l("the employment ended"),
    "moved_in_nl": _l("moved to another address in the Netherlands"),
    "returned_home": _l("returned to their home country"),
    "other": _l("other reason"),
}

KIND_TEXTS: dict[str, LazyString] = {
    "new": _l("New declaration"),
    "amendment": _l("Amendment of a declaration"),
    "end": _l("End of a declaration"),
    "permit_application": _l("Permit renewal application"),
    "batch": _l("Batch of new declarations"),
}

# The kinds of permit (portal/domain/permits.py PERMIT_TYPES); the web pages use them too.
PERMIT_TYPE_TEXTS: dict[str, LazyString] = {
    "omzettingsvergunning": _l("Conversion permit (omzettingsvergunning)"),
    "kamerverhuurvergunning": _l("Room rental permit (kamerverhuurvergunning)"),
    "huisvestingsvergunning": _l("Housing permit (huisvestingsvergunning)"),
    "verhuurvergunning": _l("Landlord permit (verhuurvergunning, Wgv)"),
    "exploitatievergunning": _l("Operating permit (exploitatievergunning)"),
}

# The same words as the web pages' severity labels (portal/presentation/labels.py).
SEVERITY_TEXTS: dict[str, LazyString] = {
    "high": _l("Serious"),
    "medium": _l("Attention"),
    "info": _l("For information"),
}


def finding_title(code: str) -> str:
    """The short title of a finding code; the code itself when it is unknown."""
    texts = FINDING_TEXTS.get(code)
    return str(texts[0]) if texts else code


def finding_meaning(code: str) -> str:
    """What a finding means for the declarant; empty when the code is unknown."""
    texts = FINDING_TEXTS.get(code)
    return str(texts[1]) if texts else ""


def rule_text(rule: str | None, finding: Mapping[str, Any] | None = None) -> str:
    """The rule that set a limit, with the m² per person when ``finding`` carries it."""
    if not rule:
        return ""
    m2 = (finding or {}).get("m2_per_person")
    if rule in RULE_TEXTS_WITH_M2 and isinstance(m2, int | float) and not isinstance(m2, bool):
        return str(RULE_TEXTS_WITH_M2[rule] % {"m2": m2})
    text = RULE_TEXTS.get(rule)
    return str(text) if text is not None else rule


def end_reason_text(reason: str | None) -> str:
    """The end reason as words; the code itself when it is unknown."""
    if not reason:
        return ""
    text = END_REASON_TEXTS.get(reason)
    return str(text) if text is not None else reason


def kind_text(kind: str) -> str:
    """ "New declaration", "Amendment of a declaration" or "End of a declaration"."""
    text = KIND_TEXTS.get(kind)
    return str(text) if text is not None else kind


def permit_type_text(code: str | None) -> str:
    """The kind of permit as words; the code itself when it is unknown."""
    if not code:
        return ""
    text = PERMIT_TYPE_TEXTS.get(code)
    return str(text) if text is not None else code
