"""Forms for regions (system admin) and the regional statistics (interface layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from portal.forms.fields import DutchDateField


class RegionForm(FlaskForm):
    name = StringField(_l("Name of the region"))
    agreed_on = DutchDateField(
        _l("Data-sharing agreement signed on"),
        description=_l(
            "Leave empty when the municipalities have not agreed to share address-level data: "
            "the region then sees figures only."
        ),
    )
    municipalities = TextAreaField(
        _l("Municipalities (CBS codes)"),
        description=_l("For example GM0344, GM0307. Separate codes with commas or spaces."),
    )


class StatisticsMonthForm(FlaskForm):
    """The month of the open statistics page (a GET form, no CSRF token)."""

    month = SelectField(_l("Month"), validate_choice=False)
