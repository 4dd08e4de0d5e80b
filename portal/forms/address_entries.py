"""Forms of the municipal queue of unregistered-address conflicts (interface layer). Shape only:
``services.address_entries`` checks the values (street, town, municipality, which entry or
register address)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import InputRequired

REQUIRED = _l("This field is required.")


def form_prefix(address_id: int) -> str:
    """One prefix per address, so the forms of several conflicts on one page have their own ids."""
    return f"a{address_id}"


class ConfirmEntryForm(FlaskForm):
    entry = HiddenField(validators=[InputRequired(REQUIRED)])


class CorrectAddressForm(FlaskForm):
    street = StringField(_l("Street"), validators=[InputRequired(REQUIRED)])
    town = StringField(_l("Town"), validators=[InputRequired(REQUIRED)])
    municipality = StringField(
        _l("Municipality code"),
        description=_l("GM followed by 4 digits, for example GM0344."),
        validators=[InputRequired(REQUIRED)],
    )


class LinkAddressForm(FlaskForm):
    register_address = RadioField(
        _l("Register address"), validators=[InputRequired(REQUIRED)], validate_choice=False
    )
