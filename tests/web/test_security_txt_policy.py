"""security.txt's Policy links (Dutch and English) and its Contact (RFC 9116 §2.5.3, §2.5.7)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

BASE = "https://meldportaal.example.nl"
CONTACT = "cvd@meldportaal.example.nl"


@pytest.fixture
def configured(app: Flask) -> Iterator[Flask]:
    saved = {name: app.config[name] for name in ("SECURITY_CONTACT", "PUBLIC_BASE_URL")}
    app.config.update(SECURITY_CONTACT=CONTACT, PUBLIC_BASE_URL=BASE + "/")
    yield app
    app.config.update(saved)


def field(text: str, name: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(name + ": ")]


def test_each_policy_link_opens_the_disclosure_page_in_its_language(
    configured: Flask, client: FlaskClient
) -> None:
    policies = field(client.get("/.well-known/security.txt").get_data(as_text=True), "Policy")
    languages = set()
    for policy in policies:
        link = urlsplit(policy)
        assert f"{link.scheme}://{link.netloc}" == BASE, policy
        page = client.get(f"{link.path}?{link.query}")
        assert page.status_code == 200, policy
        html = page.get_data(as_text=True)
        assert f'href="mailto:{CONTACT}"' in html
        lang = link.query.removeprefix("lang=")
        assert f'<html lang="{lang}">' in html
        languages.add(lang)
    assert len(policies) == 2 and languages == {"nl", "en"}


def test_a_contact_written_as_a_mailto_link_is_not_doubled(
    configured: Flask, client: FlaskClient
) -> None:
    configured.config["SECURITY_CONTACT"] = f"mailto:{CONTACT}"
    text = client.get("/.well-known/security.txt").get_data(as_text=True)
    assert field(text, "Contact") == [f"mailto:{CONTACT}"]
    page = client.get("/kwetsbaarheid-melden").get_data(as_text=True)
    assert f'href="mailto:{CONTACT}"' in page and "mailto:mailto:" not in page
