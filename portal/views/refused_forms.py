"""Post/redirect/get for forms that post to an action URL (interface layer).

A form whose refusal would be rendered at its action URL (``/inspectie/signalen/7/status``) is
sent back to its page with a 303 instead, so a reload does not post again and the address bar
shows the page. What was typed and the messages wait once in the session (``keep``); the page
builds the form from them (``restore``): the error summary links to the fields, the fields carry
their messages. The session is a signed cookie (at most 4 KB): values longer than
``KEEP_MAX_CHARS`` are not put in it, and the view answers the post itself (``keep`` says False),
so nothing typed is lost. An uploaded file is never kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

KEY = "refused_form"
KEEP_MAX_CHARS = 1500


def keep(page: str, name: str, form: FlaskForm) -> bool:
    """Keep ``form`` (called ``name`` on ``page``) with its values and messages for the page."""
    fields = [f for f in form if f.type != "CSRFTokenField"]
    raw = {
        f.name: [v for v in (f.raw_data or []) if isinstance(v, str)]
        for f in fields
        if f.type != "FileField"
    }
    if sum(len(v) for values in raw.values() for v in values) > KEEP_MAX_CHARS:
        return False
    session[KEY] = {
        "page": page,
        "form": name,
        "raw": raw,
        "errors": {f.name: [str(e) for e in f.errors] for f in fields if f.errors},
        "form_errors": [str(e) for e in form.form_errors],
    }
    return True


def restore(page: str, forms: Mapping[str, type[FlaskForm]]) -> dict[str, FlaskForm]:
    """The form kept for ``page`` (shown once), rebuilt from what was typed, with its messages;
    empty when none was kept for it."""
    kept = session.pop(KEY, None)
    if not isinstance(kept, dict) or kept.get("page") != page or kept.get("form") not in forms:
        return {}
    raw = kept.get("raw") or {}
    formdata = MultiDict([(k, v) for k, values in raw.items() for v in values])
    form = forms[kept["form"]](formdata=formdata)
    for field_name, errors in (kept.get("errors") or {}).items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(errors)
    form.form_errors = list(kept.get("form_errors") or [])
    return {kept["form"]: form}
