"""Forms for API keys (interface layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Optional

from portal.forms.fields import WholeNumberField


class NewKeyForm(FlaskForm):
    name = StringField(
        _l("Name of the key"),
        description=_l("What uses the key, for example “Planning system”. At most 100 characters."),
        validators=[InputRequired(_l("This field is required."))],
    )
    # The range (1 to API_KEY_MAX_DAYS) is checked by services.apikeys.create_key; left empty,
    # the default applies. The view fills in the default and a description with the maximum.
    # A WholeNumberField, not WTForms' IntegerField: that one reads "٣٠" as 30 (int()).
    lifetime_days = WholeNumberField(_l("Valid for (days)"), validators=[Optional()])


class RevokeKeyForm(FlaskForm):
    """Only the CSRF token: revoking is a POST."""
