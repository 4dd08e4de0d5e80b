"""Forms for API keys (interface layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired


class NewKeyForm(FlaskForm):
    name = StringField(
        _l("Name of the key"),
        description=_l("What uses the key, for example “Planning system”. At most 100 characters."),
        validators=[InputRequired(_l("This field is required."))],
    )


class RevokeKeyForm(FlaskForm):
    """Only the CSRF token: revoking is a POST."""
