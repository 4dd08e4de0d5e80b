"""Forms for mandates (machtigingen) (interface layer). Shape only: the rules of a grant are
``portal.domain.mandates.grant_problems``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Optional

from portal.forms.fields import DutchDateField

REQUIRED = _l("This field is required.")


class GrantMandateForm(FlaskForm):
    kvk = StringField(
        _l("KvK number of the organisation you authorise"),
        description=_l(
            "The 8-digit KvK number of the staffing agency (or other organisation) that may "
            "declare on behalf of your organisation."
        ),
        validators=[InputRequired(REQUIRED)],
    )
    start_on = DutchDateField(
        _l("Start date"),
        description=_l("From this day the organisation may declare for you."),
        validators=[InputRequired(REQUIRED)],
    )
    end_on = DutchDateField(
        _l("End date (optional)"),
        description=_l("The last day of the mandate. Leave empty for a mandate without an end."),
        validators=[Optional()],
    )


class RevokeMandateForm(FlaskForm):
    """Only the CSRF token: revoking is a POST, after a confirmation page."""
