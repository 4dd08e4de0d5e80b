"""The privacy statement is public, linked from every page, and shows the retention periods of
the live settings (not numbers written in the template)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_privacy_page_shows_the_configured_periods(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = client.get("/?lang=en").get_data(as_text=True)
    assert 'href="/privacy"' in home
    page = client.get("/privacy?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2 years (730 days)" in html  # declarations and closed signals, the defaults
    assert "7 years (2,557 days)" in html  # permits
    assert "1 year (365 days)" in html  # the audit trail
    assert "90 days" in html and "180 days" in html and "24 hours" in html
    assert "BSN" in html and "&lt;5" in html  # no identities; the suppression rule

    monkeypatch.setitem(app.config, "RETENTION_DECLARATION_DAYS", 1095)
    monkeypatch.setitem(app.config, "RETENTION_SESSION_DAYS", 45)
    html = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "3 years (1,095 days)" in html
    assert "45 days" in html and "30 days" in html  # sessions changed, emailed links not


def test_privacy_page_in_dutch_formats_numbers_the_dutch_way(client: FlaskClient) -> None:
    html = client.get("/privacy?lang=nl").get_data(as_text=True)
    assert "2.557" in html
    assert '<html lang="nl"' in html
