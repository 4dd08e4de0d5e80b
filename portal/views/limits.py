"""The 429 answer of the browser side's rate limits (interface layer).

Each helper counts one hit through ``services.limits``, commits it at once (a count must survive
whatever the request does next, errors included) and returns None, or a 429 page with
``Retry-After`` that the view returns instead of doing its work.
"""

from __future__ import annotations

import math

from flask import Response, make_response, render_template, request
from flask_login import current_user

from portal.services import limits
from portal.services.ratelimit import RateLimitResult
from portal.views.transaction import commit_now


def too_many_page(retry_after: int) -> Response:
    """The "too many requests" page: 429, ``Retry-After`` in seconds, the wait in minutes."""
    page = render_template("errors/too_many.html", minutes=max(1, math.ceil(retry_after / 60)))
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _answer(result: RateLimitResult) -> Response | None:
    commit_now()
    return None if result.allowed else too_many_page(result.retry_after)


def too_many_signups() -> Response | None:
    """Count a sign-up attempt of this client address."""
    return _answer(limits.signup_attempt())


def too_many_uploads() -> Response | None:
    """Count an upload of the logged-in user, when the request carries a file."""
    if not any(f.filename for f in request.files.values()):
        return None
    return _answer(limits.upload_attempt(current_user))


def too_many_downloads() -> Response | None:
    """Count a PDF download of the logged-in user."""
    return _answer(limits.download_attempt(f"user:{current_user.id}"))
