"""The language switch and the pager keep a page's own query parameters and nothing else
(portal/views/links.py, issue 21 A; the crawl over every route is
tests/security/test_reserved_parameters.py)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm

from portal.forms.declarations import DeclarationFilterForm
from portal.forms.inspector import InboxFilterForm
from portal.forms.org import AddressLookupForm
from portal.forms.permits import PermitFilterForm
from portal.forms.regions import StatisticsMonthForm
from portal.views.audit_log import AuditFilterForm
from portal.views.links import QUERY_PARAMETERS, page_url, this_page_in

GET_FORMS = (
    DeclarationFilterForm,
    InboxFilterForm,
    AddressLookupForm,
    PermitFilterForm,
    StatisticsMonthForm,
    AuditFilterForm,
)


@pytest.mark.parametrize("form_class", GET_FORMS, ids=lambda f: f.__name__)
def test_every_field_of_a_get_form_is_a_known_query_parameter(
    app: Flask, form_class: type[FlaskForm]
) -> None:
    with app.test_request_context("/"):
        names = {field.name for field in form_class()} - {"csrf_token"}
    assert names - QUERY_PARAMETERS == set()


def lang_link(page: str, locale: str = "en") -> str:
    match = re.search(rf'<a href="([^"]*)" lang="{locale}"', page)
    assert match, "no language link"
    return unescape(match.group(1))


def test_the_language_link_keeps_the_filters_and_drops_other_keys(
    app: Flask, client: FlaskClient, login_as
) -> None:  # type: ignore[no-untyped-def]
    login_as("inspector")
    response = client.get(
        "/inspectie/signalen?status=all&sort=oldest&sort=newest&_anchor=x&_method=POST&foo=1"
    )
    assert response.status_code == 200
    link = urlsplit(lang_link(response.get_data(as_text=True)))
    assert link.path == "/inspectie/signalen" and link.fragment == ""
    assert parse_qs(link.query) == {
        "status": ["all"],
        "sort": ["oldest", "newest"],
        "lang": ["en"],
    }


def test_the_helpers_never_pass_reserved_names_to_url_for(app: Flask) -> None:
    hostile = "_method=POST&_external=1&_scheme=javascript&_anchor=x"
    with app.test_request_context(f"/inspectie/signalen?{hostile}&page=3&q=a&q=b"):
        assert page_url("inspector.inbox", 4) == "/inspectie/signalen?page=4&q=a&q=b"
    with app.test_request_context(f"/?{hostile}&lang=../../x"):
        assert this_page_in("en") == "/?lang=en"
    with app.test_request_context("/verify/ABCD-EFGH-JKLM?_method=POST"):
        assert this_page_in("en") == "/verify/ABCD-EFGH-JKLM?lang=en"
    with app.test_request_context(f"/?{hostile}", method="POST"):
        assert this_page_in("nl") == "/?lang=nl"
