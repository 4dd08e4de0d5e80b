"""Web forms, one module per audience (interface layer). Forms check shape only; the services
decide what is acceptable, and ``apply_refusal`` puts their reasons on the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.messages import message
from portal.services.errors import Refused


def apply_refusal(form: FlaskForm, refused: Refused, aliases: dict[str, str] | None = None) -> None:
    """Show each refused reason at its field (or at the top of the form when it has no field)."""
    aliases = aliases or {}
    for problem in refused.problems:
        name = aliases.get(problem.field, problem.field)
        field = getattr(form, name, None)
        text = message(problem.code, problem.detail)
        if field is not None and hasattr(field, "errors"):
            errors = list(field.errors)
            if text not in errors:
                errors.append(text)
            field.errors = errors
        else:
            form.form_errors.append(text)
