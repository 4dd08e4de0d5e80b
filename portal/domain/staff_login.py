"""Municipal staff logging in through their municipality's own OpenID Provider (domain layer).

A municipality may let its staff log in with its own identity provider (for example its Entra
ID) instead of the portal's password and authenticator app. Roles stay in the portal: the login
only proves who the person is. The provider must say that the login used more than one factor;
the claim that says so, and its value, are settings per municipality (Entra ID and most
providers: ``amr`` holding ``mfa``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from portal.domain.errors import InvalidValue

_CODE = re.compile(r"^GM[0-9]{4}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Provider:
    """One municipality's provider, as the operator configured it."""

    municipality_code: str
    discovery_url: str
    client_id: str
    client_secret: str
    email_claim: str = "email"
    mfa_claim: str = "amr"
    mfa_value: str = "mfa"


def provider(code: str, entry: Mapping[str, object]) -> Provider:
    """A provider from one ``[GMxxxx]`` table of the configuration file; ``ValueError`` names
    what is wrong."""
    if not _CODE.match(code):
        raise ValueError(f"{code!r} is not a municipality code (GM and 4 digits)")
    values = {key: str(value).strip() for key, value in entry.items()}
    unknown = sorted(set(values) - {f for f in Provider.__dataclass_fields__})
    if unknown:
        raise ValueError(f"[{code}] has unknown keys: {', '.join(unknown)}")
    for key in ("discovery_url", "client_id", "client_secret"):
        if not values.get(key):
            raise ValueError(f"[{code}] needs {key}")
    if not values["discovery_url"].startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError(f"[{code}] discovery_url must be https://")
    values.pop("municipality_code", None)
    return Provider(municipality_code=code, **values)


def email_of(claims: Mapping[str, object], name: str) -> str:
    """The person's email address from the token, lower case; refused when absent or malformed."""
    value = claims.get(name)
    email = value.strip().lower() if isinstance(value, str) else ""
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidValue("staff_login.no_email")
    return email


def used_more_factors(claims: Mapping[str, object], name: str, value: str) -> bool:
    """Whether the token says the login used more than one factor: the claim equals ``value`` or
    is a list holding it."""
    found = claims.get(name)
    if isinstance(found, str):
        return found == value
    if isinstance(found, list | tuple):
        return value in found
    return False
