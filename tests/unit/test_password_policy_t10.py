"""The password policy against docs/security.md T10 (ASVS 6.1.1, 6.2.x, 11.4.2): at least 15
characters by default, 64-character passphrases accepted, no composition rules, 100% of the
shipped common-password list refused, hashes ``$argon2id$`` with at least 19 MiB of memory."""

from __future__ import annotations

import gzip

import pytest
from argon2 import extract_parameters
from flask import Flask

from portal.domain.passwords import password_problems
from portal.services.passwords import COMMON_FILE, common_passwords, hash_password
from portal.settings import load_settings

DEFAULTS = load_settings(environ={})
MIN = int(DEFAULTS["PASSWORD_MIN_LENGTH"])


def test_the_default_minimum_is_15() -> None:
    assert MIN == 15


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("veertien tekn!", ["password.too_short"]),  # 14
        ("vijftien tekens", []),  # 15
        ("alleen kleine letters en spaties zonder cijfers", []),  # no composition rules
        ("x" + "boom" * 15 + "zon", []),  # 64 characters, lower case only
        ("de fiets staat al jaren bij de oude molen aan de rand van het do", []),  # 64
        ("p" + "ab1" * 42 + "q", []),  # 128, the most allowed
        ("Æbleskiver, één croissant & 3 ĳsjes — ok", []),  # any Unicode
    ],
)
def test_length_not_composition(password: str, expected: list[str]) -> None:
    assert password_problems(password, min_length=MIN, common=common_passwords()) == expected


def test_the_table_has_a_64_character_passphrase() -> None:
    assert len("x" + "boom" * 15 + "zon") == 64
    assert len("de fiets staat al jaren bij de oude molen aan de rand van het do") == 64
    assert len("p" + "ab1" * 42 + "q") == 128


def test_every_entry_of_the_shipped_common_list_is_refused() -> None:
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as fh:
        entries = [line.strip() for line in fh if line.strip()]
    assert len(entries) >= 10_000
    common = common_passwords()
    refused = [
        p
        for p in entries
        for variant in (p, p.upper(), p.capitalize())
        if "password.common" in password_problems(variant, min_length=MIN, common=common)
    ]
    assert len(refused) == 3 * len(entries)  # 100%, in three spellings each
    # Common passwords are refused for being common, not only for being short: with no minimum
    # at all every one of them is still refused.
    assert all(password_problems(p, min_length=0, common=common) for p in entries)


def test_hashes_are_argon2id_with_at_least_19_mib(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert int(DEFAULTS["ARGON2_MEMORY_KIB"]) >= 19 * 1024
    for name in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM"):
        monkeypatch.setitem(app.config, name, DEFAULTS[name])
    with app.app_context():
        stored = hash_password("de fiets staat al jaren bij de oude molen")
    assert stored.startswith("$argon2id$")
    params = extract_parameters(stored)
    assert params.memory_cost == int(DEFAULTS["ARGON2_MEMORY_KIB"]) >= 19 * 1024
    assert params.time_cost >= 2
