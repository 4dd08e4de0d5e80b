"""Password hashing (argon2id) and the password policy with its shipped common list (service layer).

The common-password list is Django's ``common-passwords.txt.gz`` (20,000 entries, BSD licence,
compiled by Royce Williams), shipped in ``portal/data``.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from portal.domain.passwords import password_problems

COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lower-cased."""
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=int(cfg["ARGON2_TIME_COST"]),
        memory_cost=int(cfg["ARGON2_MEMORY_KIB"]),
        parallelism=int(cfg["ARGON2_PARALLELISM"]),
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """An ``$argon2id$`` hash of ``password``."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or malformed hash never matches."""
    if not stored_hash:
        # Spend comparable time so a missing account is not told apart by timing.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def check_password_policy(password: str, personal: tuple[str, ...] = ()) -> list[str]:
    """Reason codes for refusing ``password`` under the configured policy."""
    return password_problems(
        password,
        min_length=int(current_app.config["PASSWORD_MIN_LENGTH"]),
        common=common_passwords(),
        personal=personal,
    )
