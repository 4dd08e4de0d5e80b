"""API: the open statistics (interface layer). Public, no key: counts below 5 are "<5" and
counts hidden so that none can be worked out from the totals are "x"
(``portal.domain.statistics``). Rate limited per client address."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, request

from portal import clock
from portal.presentation.exports import neutralise
from portal.services import audit
from portal.services.errors import Refused
from portal.services.ratelimit import hit
from portal.services.statistics import (
    AREA_MEASURES,
    OPEN_MEASURES,
    OpenStatistics,
    open_request,
    open_statistics,
)
from portal.views.api import bp
from portal.views.api.errors import ApiProblem
from portal.views.api.io import json_response
from portal.views.transaction import commit_point

FORMATS = ("json", "csv")
NOTE = (
    'Counts below 5 are shown as "<5"; counts shown as "x" are hidden so that no count below 5 '
    "can be worked out from the totals (secondary suppression). Occupants of an area with only "
    "a few occupied addresses are hidden, an area's addresses and occupants are hidden together, "
    "and only final months are published (see docs/statistics-disclosure.md)."
)


def _csv(data: OpenStatistics) -> str:
    measures = OPEN_MEASURES if data.level == "municipality" else AREA_MEASURES
    header = ["month", "municipality_code", "municipality"]
    if data.level == "postcode":
        header.append("postcode_area")
    header += list(measures)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in data.rows:
        writer.writerow([neutralise(row.get(name)) for name in header])
    for total in data.totals:
        writer.writerow(
            [total["month"], "NL", "Nederland"]
            + ([""] if data.level == "postcode" else [])
            + [neutralise(total[m]) for m in measures]
        )
    return buffer.getvalue()


@bp.get("/statistics")
def statistics() -> Response:
    with commit_point():  # the count stays whatever the request does next
        limit = hit(
            f"api-public:{audit.origin_ip()}",
            int(current_app.config["API_RATE_LIMIT"]),
            int(current_app.config["API_RATE_WINDOW_SECONDS"]),
        )
    if not limit.allowed:
        raise ApiProblem(429, headers={"Retry-After": str(limit.retry_after)})
    wanted = request.args.get("format") or "json"
    try:
        if wanted not in FORMATS:
            raise Refused.one("format", "statistics.format")
        months, level = open_request(
            request.args.get("month"), request.args.get("level"), clock.today()
        )
    except Refused as exc:
        raise ApiProblem(422, problems=exc.problems) from None
    data = open_statistics(months, level)
    if wanted == "csv":
        return Response(
            _csv(data),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="statistieken.csv"'},
        )
    return json_response(
        {
            "level": data.level,
            "threshold": 5,
            "note": NOTE,
            "months": [m.strftime("%Y-%m") for m in data.months],
            "rows": data.rows,
            "totals": data.totals,
        }
    )
