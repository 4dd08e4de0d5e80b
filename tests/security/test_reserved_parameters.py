"""Hostile query strings on every GET route, for anonymous visitors and every role (issue 21 A).

Flask's ``url_for`` reads ``_method``, ``_external``, ``_scheme`` and ``_anchor`` itself. The
language switch (on every page), the pager and the address look-up's redirect build links from
the request; they carry only the query parameters the pages read (portal/views/links.py). The
crawl reuses the access matrix's route table, actors and URL filling (tests/security/matrix.py):
every GET route × every actor × every query below must answer under 500, and no link or redirect
may point at another scheme or host or carry a reserved name.
"""

from __future__ import annotations

import re
from html import unescape as html_unescape
from urllib.parse import parse_qsl, urlsplit

from flask import Flask

from tests.security.conftest import API_ACTORS, BROWSER_ACTORS, World, logged_in
from tests.security.matrix import is_api, requests_of, send

RESERVED = ("_method", "_external", "_scheme", "_anchor")
LONG = "a" * 20_000
QUERIES = (
    "_method=POST",  # url_for cannot build a GET-only route for POST: BuildError
    "_scheme=javascript",  # _scheme without _external: ValueError
    "_external=1&_scheme=javascript&_anchor=x",  # a javascript://… link, if it were passed on
    # the reserved names next to real filter and paging parameters
    "_method=POST&_anchor=x&page=2&status=all&q=straat&sort=severity",
    # junk: very long values and names, repeated keys, non-UTF-8 escapes, a path as language
    f"q={LONG}&page={'9' * 5000}&{'k' * 3000}=v&status=a&status=b&page=1&page=2"
    "&lang=../../x&%ff=%ff&q=%c3%28&next=%ff&postcode=%fe%ff&month=%ff",
    "q=%00&%00=x&page=%00",  # NUL: refused with 400 by the input guard
)
HREF = re.compile(r'\b(?:href|action)="([^"]*)"')
OWN_HOSTS = ("", "portal.test", "localhost")


def url_problems(url: str) -> list[str]:
    """A link or redirect built from a hostile query: another scheme or host, a reserved name
    as a query key, or the ``_anchor`` value as its fragment."""
    parts = urlsplit(html_unescape(url))
    problems = []
    if parts.scheme.lower() not in ("", "http", "https") or parts.netloc not in OWN_HOSTS:
        problems.append(f"points to {url[:80]!r}")
    keys = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
    found = [name for name in RESERVED if name in keys]
    if found:
        problems.append(f"carries {found}: {url[:80]!r}")
    if parts.fragment == "x":
        problems.append(f"ends in the visitor's anchor: {url[:80]!r}")
    return problems


def link_problems(location: str, html: str) -> list[str]:
    problems = [f"redirect {p}" for p in url_problems(location)] if location else []
    for href in HREF.findall(html):
        problems += [f"link {p}" for p in url_problems(href)]
    return problems


def crawl(app: Flask, world: World) -> tuple[int, list[str]]:
    problems: list[str] = []
    requests = 0
    for actor in BROWSER_ACTORS + API_ACTORS:
        client = logged_in(app, world, actor)
        for rule, _route, method, url in requests_of(app, world, methods=("GET",)):
            for query in QUERIES:
                target = f"{url}?{query}"
                where = f"{actor:9} {url}?{query[:60]} [{rule.endpoint}]"
                requests += 1
                try:
                    response = send(client, actor, method, target, world, is_api(rule))
                except Exception as error:  # TESTING propagates what would be a 500
                    problems.append(f"{where}: raised {type(error).__name__}: {error}"[:300])
                    continue
                if response.status_code >= 500:
                    problems.append(f"{where}: answered {response.status_code}")
                html = ""
                if (response.content_type or "").startswith("text/html"):
                    html = response.get_data(as_text=True)
                location = response.headers.get("Location", "")
                problems += [f"{where}: {p}" for p in link_problems(location, html)]
                response.close()
    return requests, problems


def test_no_get_route_fails_or_links_out_on_reserved_or_junk_query_parameters(
    app: Flask, world: World
) -> None:
    requests, problems = crawl(app, world)
    print(f"{requests} requests")
    assert requests > 1000
    assert problems == [], f"{len(problems)} problem(s):\n" + "\n".join(problems[:40])
