"""Forms for filing, amending and ending declarations (interface layer). Shape only: the limits
(1–500 occupants, the date window, BRP ≤ occupants) are the domain's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.forms.fields import DutchDateField, WholeNumberField

REQUIRED = _l("This field is required.")
END_REASON_CHOICES = [
    SelectChoice("employment_ended", _l("Employment ended")),
    SelectChoice("moved_in_nl", _l("Moved to another address in the Netherlands")),
    SelectChoice("returned_home", _l("Returned to the home country")),
    SelectChoice("other", _l("Other reason")),
]


class DeclarationForm(FlaskForm):
    occupants = WholeNumberField(
        _l("Number of occupants"),
        description=_l("How many people your organisation houses at this address (1 to 500)."),
        validators=[InputRequired(REQUIRED)],
    )
    occupants_registered_brp = WholeNumberField(
        _l("Of whom registered in the BRP at this address (optional)"),
        description=_l(
            "How many of them are registered at this address in the municipal "
            "personal records database (BRP), if you know."
        ),
        validators=[Optional()],
    )
    start_date = DutchDateField(
        _l("Start date"),
        description=_l("The first night people stay here. At most a year ago or a year ahead."),
        validators=[InputRequired(REQUIRED)],
    )
    end_date = DutchDateField(_l("Expected end date (optional)"), validators=[Optional()])
    declared_for_kvk = StringField(
        _l("KvK number of the employer you declare for (optional)"),
        description=_l("Only when a staffing agency declares on behalf of an employer."),
    )
    separate_contracts = RadioField(
        _l("Are the rental contract and the employment contract separate documents?"),
        description=_l("Required by the Good Landlordship Act (Wet goed verhuurderschap)."),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[
            InputRequired(
                _l(
                    "Choose whether the rental contract and the employment contract are "
                    "separate documents."
                )
            )
        ],
    )


class ManualDeclarationForm(DeclarationForm):
    """For an address missing from the register: the address is entered by hand."""

    postcode = StringField(_l("Postcode"), validators=[InputRequired(REQUIRED)])
    house_number = StringField(_l("House number"), validators=[InputRequired(REQUIRED)])
    house_letter = StringField(_l("House letter (optional)"))
    house_number_addition = StringField(_l("Addition (optional)"))
    street = StringField(_l("Street"), validators=[InputRequired(REQUIRED)])
    town = StringField(_l("Town"), validators=[InputRequired(REQUIRED)])
    municipality = SelectField(_l("Municipality"), validators=[InputRequired(REQUIRED)])


class AmendForm(FlaskForm):
    occupants = WholeNumberField(
        _l("New number of occupants"), validators=[InputRequired(REQUIRED)]
    )
    occupants_registered_brp = WholeNumberField(
        _l("Of whom registered in the BRP at this address (optional)"), validators=[Optional()]
    )
    effective_date = DutchDateField(
        _l("From which date"),
        description=_l("The first night with the new number of occupants."),
        validators=[InputRequired(REQUIRED)],
    )


class EndForm(FlaskForm):
    end_date = DutchDateField(
        _l("Last night at this address"), validators=[InputRequired(REQUIRED)]
    )
    reason = RadioField(
        _l("Why did the occupancy end?"),
        choices=END_REASON_CHOICES,
        validators=[InputRequired(_l("Choose a reason."))],
    )


class DeclarationFilterForm(FlaskForm):
    """The list's filters; GET, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("active", _l("Active and future")),
            SelectChoice("ending", _l("Ending within 14 days")),
            SelectChoice("ended", _l("Ended")),
            SelectChoice("all", _l("All")),
        ],
        default="active",
        validators=[Optional()],
    )
    municipality = SelectField(_l("Municipality"), validators=[Optional()])
    q = StringField(_l("Address contains"), validators=[Optional()])
