"""Forms for organisation users (interface layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

REQUIRED = _l("This field is required.")


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address of your colleague"), validators=[InputRequired(REQUIRED)])
    name = StringField(
        _l("Name of your colleague (optional)"),
        description=_l("Shown instead of the email address in lists of colleagues."),
    )
    role = RadioField(
        _l("Role"),
        choices=[
            SelectChoice("declarant", _l("Declarant — files and manages declarations")),
            SelectChoice("org_admin", _l("Administrator — also manages colleagues and API keys")),
        ],
        default="declarant",
        validators=[InputRequired(_l("Choose a role."))],
    )


class RemoveForm(FlaskForm):
    """Only the CSRF token: removal is a POST."""


class AddressLookupForm(FlaskForm):
    """Postcode + house number; GET, so no CSRF token is needed."""

    class Meta:
        csrf = False

    postcode = StringField(
        _l("Postcode"), description=_l("For example 3511 AB."), validators=[InputRequired(REQUIRED)]
    )
    house_number = StringField(_l("House number"), validators=[InputRequired(REQUIRED)])
    house_letter = StringField(_l("House letter (optional)"))
    house_number_addition = StringField(_l("Addition (optional)"))
