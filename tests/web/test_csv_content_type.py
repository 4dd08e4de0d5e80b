"""Every CSV download names its charset once: ``Content-Type: text/csv; charset=utf-8``.

Each download is fetched as the role that may have it; a source scan catches a view that is hard
to reach here (the batch error report needs an upload) or a new one.

Sabotage (shown by hand): with ``mimetype="text/csv; charset=utf-8"`` back in the views (Flask
adds its own charset), every fetch here and the scan fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.models import Municipality
from tests.web.test_regions import _region

EXACT = "text/csv; charset=utf-8"


def _assert_one_charset(response: Any) -> None:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == EXACT
    assert response.headers["Content-Type"].count("charset=") == 1


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("declarant", "/organisatie/meldingen/export.csv"),
        ("declarant", "/organisatie/meldingen/bulk/sjabloon.csv"),
        ("org_admin", "/organisatie/logboek/export.csv"),
        ("inspector", "/inspectie/logboek/export.csv"),
        ("system_admin", "/beheer/logboek/export.csv"),
        ("inspector", "/inspectie/signalen/export.csv"),
        (None, "/api/v1/statistics?level=postcode&format=csv"),
    ],
)
def test_each_csv_download_names_its_charset_once(
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_municipality: Callable[..., Municipality],
    role: str | None,
    path: str,
) -> None:
    if role in ("inspector", "municipal_admin"):
        login_as(role, municipality=make_municipality("GM0344", "Utrecht"))
    elif role is not None:
        login_as(role)
    _assert_one_charset(client.get(path))


@pytest.mark.parametrize(
    "path", ["/inspectie/regio/cijfers.csv", "/inspectie/regio/organisaties.csv"]
)
def test_the_regional_csv_downloads_name_their_charset_once(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_municipality: Callable[..., Municipality],
    path: str,
) -> None:
    towns = {
        "utrecht": make_municipality("GM0344", "Utrecht"),
        "amersfoort": make_municipality("GM0307", "Amersfoort"),
    }
    _region(app, towns, date(2026, 1, 1))
    login_as("inspector", municipality=towns["utrecht"])
    _assert_one_charset(client.get(path))


def test_no_view_spells_the_charset_into_a_mimetype() -> None:
    views = Path(__file__).resolve().parents[2] / "portal" / "views"
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(views.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"mimetype=\"[^\"]*charset=", line)
    ]
    assert offenders == []
