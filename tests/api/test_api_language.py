"""The API answers in the language of Accept-Language (Dutch by default) and says so.

The web pages choose their language by ``?lang=`` and a cookie; the API has neither: it takes the
best match of Accept-Language among the portal's locales, else Dutch, for ``detail`` and the
per-field ``message``, and names it in ``Content-Language``.

Sabotage (shown by hand): with the API branch taken out of ``select_locale`` in portal/web.py,
the English cases fail (the texts stay Dutch); without the Content-Language line, every case
fails on the header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import body, headers

DUTCH = (
    "Het verzoek bevat ongeldige waarden. Zie errors.",
    "Het aantal bewoners ligt tussen 1 en 500.",
)
ENGLISH = (
    "The request has invalid values. See errors.",
    "The number of occupants is between 1 and 500.",
)


@pytest.mark.parametrize(
    ("accept", "language", "texts"),
    [
        ("en", "en", ENGLISH),
        ("en-GB,en;q=0.9,nl;q=0.5", "en", ENGLISH),
        ("nl", "nl", DUTCH),
        ("nl-NL,en;q=0.5", "nl", DUTCH),
        ("de", "nl", DUTCH),
        (None, "nl", DUTCH),
    ],
)
def test_a_refusal_is_in_the_language_of_accept_language(
    client: FlaskClient,
    make_key: Callable[..., Any],
    make_address: Callable[..., Any],
    accept: str | None,
    language: str,
    texts: tuple[str, str],
) -> None:
    make_address("3511 AB", 12)
    sent = headers(make_key(), "lang-1")
    if accept is not None:
        sent["Accept-Language"] = accept
    response = client.post("/api/v1/declarations", json=body(occupants=0), headers=sent)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    problem = response.get_json()
    messages = {e["field"]: e["message"] for e in problem["errors"]}
    assert (problem["detail"], messages["occupants"]) == texts
    assert response.headers["Content-Language"] == language


def test_routing_errors_and_successes_name_their_language_too(
    client: FlaskClient, make_key: Callable[..., Any]
) -> None:
    missing = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert missing.headers["Content-Language"] == "en"
    assert missing.get_json()["detail"].isascii()
    ok = client.get("/api/v1/statistics", headers={"Accept-Language": "en"})
    assert ok.headers["Content-Language"] == "en"


def test_the_web_pages_still_ignore_accept_language(client: FlaskClient) -> None:
    page = client.get("/verify", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in page.get_data(as_text=True)
    assert "Content-Language" not in page.headers
