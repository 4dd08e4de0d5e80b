"""Password policy (domain layer): long enough, not common, not the account's own name.

No composition rules (ASVS 6.2.5); a minimum length (configured; 15 by default) and a refusal of the
most common passwords (ASVS 6.2.4) — the list is passed in, so this stays pure.
"""

from __future__ import annotations

from collections.abc import Collection

MAX_LENGTH = 128  # ASVS 6.2.9 asks that at least 64 be allowed


def password_problems(
    password: str,
    *,
    min_length: int,
    common: Collection[str],
    personal: Collection[str] = (),
) -> list[str]:
    """Codes of every reason ``password`` is refused; empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append("password.too_short")
    if len(password) > MAX_LENGTH:
        problems.append("password.too_long")
    lowered = password.lower()
    if lowered in common or lowered.strip() in common:
        problems.append("password.common")
    elif len(set(lowered)) <= 2:
        problems.append("password.repetitive")
    for word in personal:
        word = word.lower().strip()
        if len(word) >= 4 and word in lowered and len(lowered) - len(word) < 6:
            problems.append("password.personal")
            break
    return problems
