"""Who an eHerkenning login proves (domain layer).

An eHerkenning broker that speaks OpenID Connect sends, in the ID token, the company the person
acts for (the legal subject: a KvK number), optionally its branch (vestigingsnummer), a pseudonym
of the person (the acting subject), the level of assurance of the login, and — when the company
acts on behalf of another — the represented party. Brokers name these claims differently, so the
claim names are settings (``ClaimNames``); a name may be a path into nested claims, written with
``/`` (``"eherkenning/kvk"``), as claim names themselves hold ``:`` and ``.``.

The levels are ordered EH2 < EH2+ < EH3 < EH4 (``urn:etoegang:core:assurance-class:loa2``,
``…loa2plus``, ``…loa3``, ``…loa4``); a login below the configured minimum is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from portal.domain.errors import InvalidValue

LOA_PREFIX = "urn:etoegang:core:assurance-class:"
# Lowest first. The short names are what an operator writes in the settings.
LEVELS = ("loa2", "loa2plus", "loa3", "loa4")
LEVEL_LABELS = {"loa2": "EH2", "loa2plus": "EH2+", "loa3": "EH3", "loa4": "EH4"}
_KVK = re.compile(r"^[0-9]{8}$")
_BRANCH = re.compile(r"^[0-9]{12}$")
_SUBJECT_MAX = 255


@dataclass(frozen=True)
class ClaimNames:
    """Where each fact is in the broker's ID token; an empty name: the broker does not send it."""

    kvk: str = "urn:etoegang:core:LegalSubjectID"
    acting_subject: str = "urn:etoegang:core:ActingSubjectID"
    loa: str = "urn:etoegang:core:LevelOfAssurance"
    branch: str = "urn:etoegang:1.9:ServiceRestriction:Vestigingsnr"
    represented_kvk: str = ""
    organisation_name: str = ""


@dataclass(frozen=True)
class ProvenIdentity:
    """What one eHerkenning login proved."""

    issuer: str
    subject: str  # the acting subject: a pseudonym of the person, stable per broker
    kvk: str
    loa: str  # a short level name: one of LEVELS
    branch: str = ""
    represented_kvk: str = ""
    organisation_name: str = ""

    @property
    def loa_label(self) -> str:
        return LEVEL_LABELS[self.loa]


def level(raw: object) -> str:
    """The short level name of a claim value: the full URN or the short name; else refused."""
    text = str(raw or "").strip().lower()
    if text.startswith(LOA_PREFIX):
        text = text[len(LOA_PREFIX) :]
    if text not in LEVELS:
        raise InvalidValue("eherkenning.loa_unknown", raw)
    return text


def at_least(actual: str, minimum: str) -> bool:
    """Whether level ``actual`` is ``minimum`` or higher (both short names)."""
    return LEVELS.index(actual) >= LEVELS.index(minimum)


def claim(claims: Mapping[str, object], name: str) -> object:
    """The claim at ``name`` (``a/b`` for nested objects); None when absent or not configured."""
    if not name:
        return None
    value: object = claims
    for part in name.split("/"):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def identity(
    issuer: str, claims: Mapping[str, object], names: ClaimNames, minimum: str
) -> ProvenIdentity:
    """The proven identity of a verified ID token's claims, or ``InvalidValue`` with the reason:
    the level unknown or below ``minimum``, the KvK number missing or not 8 digits, no acting
    subject, a malformed branch or represented KvK number."""
    loa = level(claim(claims, names.loa))
    if not at_least(loa, minimum):
        raise InvalidValue("eherkenning.loa_too_low", LEVEL_LABELS[loa])
    kvk = _text(claim(claims, names.kvk))
    if not kvk:
        raise InvalidValue("eherkenning.kvk_missing")
    if not _KVK.match(kvk):
        raise InvalidValue("eherkenning.kvk_malformed", kvk)
    subject = _text(claim(claims, names.acting_subject))
    if not subject or len(subject) > _SUBJECT_MAX:
        raise InvalidValue("eherkenning.subject_missing")
    branch = _text(claim(claims, names.branch))
    if branch and not _BRANCH.match(branch):
        raise InvalidValue("eherkenning.branch_malformed", branch)
    represented = _text(claim(claims, names.represented_kvk))
    if represented and not _KVK.match(represented):
        raise InvalidValue("eherkenning.kvk_malformed", represented)
    name = " ".join(_text(claim(claims, names.organisation_name)).split())[:200]
    return ProvenIdentity(
        issuer=issuer,
        subject=subject,
        kvk=kvk,
        loa=loa,
        branch=branch,
        represented_kvk=represented,
        organisation_name=name,
    )


def masked(subject: str) -> str:
    """The acting subject as shown to people: never in full (``ab12…89``)."""
    if len(subject) <= 6:
        return "…"
    return f"{subject[:4]}…{subject[-2:]}"


def proven_when(verified_at: datetime | None, filed_at: datetime) -> bool:
    """Whether an organisation proven at ``verified_at`` (None: never) was proven when it filed
    at ``filed_at``. Filings before a take-over were made while it was only claimed."""
    return verified_at is not None and verified_at <= filed_at
