"""The inspectors' search box (interface layer, issue 20): one query, results grouped by kind,
each with a link. A GET form, so no CSRF token and a result page that can be bookmarked; the
scoping is the service's (``portal.services.search``). Registers on the inspector blueprint."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from portal.domain.search import MAX_QUERY_LENGTH
from portal.services.queries import scope_of
from portal.services.search import LIMIT
from portal.services.search import search as run_search
from portal.views.inspector import bp


@bp.get("/zoeken")
def search() -> str:
    raw = (request.args.get("q") or "")[: MAX_QUERY_LENGTH * 2]
    results = run_search(raw, scope_of(current_user))
    return render_template("inspector/search.html", q=raw.strip(), results=results, limit=LIMIT)
