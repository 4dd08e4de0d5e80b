"""The password policy, table-driven."""

from __future__ import annotations

import pytest

from portal.domain.passwords import password_problems

COMMON = frozenset({"password1234", "qwertyuiopas"})


@pytest.mark.parametrize(
    ("password", "personal", "expected"),
    [
        ("correct horse battery staple", (), []),
        ("kort", (), ["password.too_short"]),
        ("elf tekens!", (), ["password.too_short"]),
        ("twaalf tekens", (), []),
        ("Password1234", (), ["password.common"]),
        ("qwertyuiopas", (), ["password.common"]),
        ("aaaaaaaaaaaaaaaa", (), ["password.repetitive"]),
        ("abababababababab", (), ["password.repetitive"]),
        ("jan.jansen2026", ("jan.jansen",), ["password.personal"]),
        ("jan.jansen woont in Venlo sinds 2026", ("jan.jansen",), []),
        ("x" * 129, (), ["password.too_long", "password.repetitive"]),
        ("ä" * 3 + "ëïöü ĳ € zinnetje", (), []),
    ],
)
def test_password_policy(password: str, personal: tuple[str, ...], expected: list[str]) -> None:
    assert password_problems(password, min_length=12, common=COMMON, personal=personal) == expected


@pytest.mark.parametrize(
    "password", ["1qaz2wsx3edc", "qwerty123456", "Q1W2E3R4T5Y6", "123456654321"]
)
def test_shipped_common_list_refuses_well_known_long_passwords(password: str) -> None:
    from portal.services.passwords import common_passwords

    assert len(common_passwords()) > 19000
    assert "password.common" in password_problems(
        password, min_length=12, common=common_passwords()
    )
