"""Links back to the page being shown, carrying its query string (interface layer).

Flask's ``url_for`` reads some keyword names itself (``_method``, ``_external``, ``_scheme``,
``_anchor``): a visitor's query string passed as keywords could make it fail (a 500) or build a
``javascript:`` link. So the language switch, the pager and the look-up redirect carry along only
the query parameters the pages read, named here; any other key a visitor adds is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request, url_for

# Every query parameter a GET page reads: paging, sorting (``sort`` and ``dir``), the filter forms'
# fields (org declarations, inspection inbox, permits, applications, outgoing mail, audit log, open
# statistics), the address look-up, the policy's ``vanaf``, the verification ``code`` and the
# log-in's ``next``. A page that reads a new one adds it here, or the language switch forgets it
# (tests/web/test_language_links.py checks the filter forms' fields;
# tests/security/test_reserved_parameters.py crawls every route).
QUERY_PARAMETERS = frozenset(
    {
        "page",
        "month",
        "next",
        "code",
        "vanaf",
        # filters
        "status",
        "municipality",
        "q",
        "reason",
        "assignee",
        "sort",
        "dir",
        "state",
        "permit_type",
        "action",
        "date_from",
        "date_until",
        # the address look-up (and its hand-entered variant's prefill)
        "postcode",
        "house_number",
        "house_letter",
        "house_number_addition",
        "street",
        "town",
    }
)
ADDRESS_LOOKUP_PARAMETERS = ("postcode", "house_number", "house_letter", "house_number_addition")


def kept_query(names: Iterable[str] = QUERY_PARAMETERS) -> dict[str, list[str]]:
    """The request's values of ``names`` only (every value of a repeated key, in order)."""
    return {name: request.args.getlist(name) for name in sorted(names) if name in request.args}


def this_page_in(locale: str) -> str:
    """This GET page (its view arguments and known query parameters) in ``locale``; for any
    other request (a POST, an unknown path) the home page in it."""
    if request.method == "GET" and request.endpoint and request.endpoint != "static":
        values: dict[str, Any] = {**kept_query(), **(request.view_args or {})}
        values["lang"] = locale
        return url_for(request.endpoint, **values)
    return url_for("public.home", lang=locale)


def sort_url(sort: Any, column: str) -> str:
    """This GET page sorted by ``column`` (a ``services.sorting.Sort`` says which direction),
    keeping its filters, its page and its view arguments."""
    values: dict[str, Any] = {**kept_query(), **(request.view_args or {})}
    values["sort"] = column
    values["dir"] = sort.next_direction(column)
    return url_for(request.endpoint or "public.home", **values)


def page_url(endpoint: str, page: int) -> str:
    """Page ``page`` of a paged list at ``endpoint``, keeping its filters."""
    values: dict[str, Any] = {**kept_query(), "page": page}
    return url_for(endpoint, **values)
