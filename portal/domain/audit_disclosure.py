"""Who sees whom in the audit log (domain layer): data minimisation of its views (issue 21 C).

The system administrator sees every event as it was recorded: the person (their email address at
the time) and the IP address. An organisation's administrators see their own staff the same way.
Inspectors and municipal administrators see their municipal colleagues by email address, but never
an IP address. Anyone else is shown by what they act for: an organisation's employee (or its API
key) by the organisation, municipal staff by their municipality, the system administrator by the
role. An actor without a user account (an API key, a scheduled job, the command line, someone not
logged in) keeps its recorded label, unless that label is an email address (what someone typed
at the login), which is then not shown either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ViewerKind = Literal["organisation", "municipality", "system"]
# What the actor column shows: the recorded email address or label ("person", "label"), the
# name of the organisation or municipality acted for, the role, or "not logged in".
ActorShown = Literal["person", "organisation", "municipality", "role", "label", "anonymous"]


@dataclass(frozen=True)
class Actor:
    """The facts of an event's actor that the rule needs."""

    is_user: bool  # acted through a user account (else: key, job, command line, anonymous)
    organisation_id: int | None = None  # the user's organisation (organisation staff)
    municipality_id: int | None = None  # the user's municipality (municipal staff)
    label: str = ""  # as recorded: the user's email address then, or "api-key:…", "system", …
    event_organisation_id: int | None = None  # the organisation the event belongs to


@dataclass(frozen=True)
class Disclosure:
    actor: ActorShown
    origin_ip: bool


def disclosure(viewer: ViewerKind, tenant_id: int | None, actor: Actor) -> Disclosure:
    """What a viewer of the ``viewer`` kind (of tenant ``tenant_id``) may see of ``actor``."""
    if viewer == "system":
        return Disclosure("person" if actor.is_user else "label", True)
    if actor.is_user:
        if viewer == "organisation" and actor.organisation_id == tenant_id:
            return Disclosure("person", True)  # the organisation's own staff
        if viewer == "municipality" and actor.municipality_id == tenant_id:
            return Disclosure("person", False)  # colleagues, without where they worked from
        if actor.organisation_id is not None:
            return Disclosure("organisation", False)
        if actor.municipality_id is not None:
            return Disclosure("municipality", False)
        return Disclosure("role", False)
    if viewer == "municipality" and actor.event_organisation_id is not None:
        return Disclosure("organisation", False)  # an organisation's API key or job
    return Disclosure("anonymous" if "@" in actor.label else "label", False)


def shows_origin_ip(viewer: ViewerKind) -> bool:
    """Whether the view has an IP address column at all (municipal views never show one)."""
    return viewer != "municipality"
