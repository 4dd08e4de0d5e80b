"""Forms for the municipal permit register (interface layer). Shape only: the fields arrive as
text and ``portal.domain.permits.check_permit`` decides, the same way for a form and a CSV line."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import TextInput

from portal.domain.permits import PERMIT_TYPES, PermitFields
from portal.forms.account import MultiCheckboxField
from portal.presentation.labels import PERMIT_STATE_LABELS, PERMIT_TYPE_LABELS
from portal.services.permit_register import STATE_ORDER


class PermitForm(FlaskForm):
    decision_reference = StringField(
        _l("Decision reference"),
        description=_l(
            "The number of the municipal decision that granted the permit. Each number can be "
            "used once in your municipality."
        ),
    )
    postcode = StringField(_l("Postcode"))
    house_number = StringField(_l("House number"))
    house_letter = StringField(_l("House letter (optional)"))
    house_number_addition = StringField(_l("Addition (optional)"))
    holder_kvk = StringField(
        _l("KvK number of the holder (optional)"),
        description=_l(
            "The organisation that holds the permit. It must be registered in the portal; it "
            "receives the reminders before the permit ends."
        ),
    )
    permit_type = SelectField(_l("Kind of permit"), validate_choice=False)
    max_occupants = StringField(
        _l("Maximum number of occupants"), description=_l("A whole number from 1 to 10,000.")
    )
    valid_from = StringField(
        _l("Valid from"),
        widget=TextInput(input_type="date"),
        description=_l(
            "Pick the first valid day in the calendar, or type the day, month and year."
        ),
    )
    valid_until = StringField(
        _l("Last valid day (optional)"),
        widget=TextInput(input_type="date"),
        description=_l("Leave empty when the permit has no end date."),
    )

    def set_types(self, codes: list[str]) -> None:
        self.permit_type.choices = [SelectChoice("", _l("Choose a kind of permit"))] + [
            SelectChoice(code, PERMIT_TYPE_LABELS.get(code, code)) for code in codes
        ]

    def fields(self) -> PermitFields:
        return PermitFields(
            **{
                name: str(getattr(self, name).data or "")
                for name in PermitFields.__dataclass_fields__
            }
        )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for revoking"),
        description=_l(
            "For example the decision that revokes the permit. The holder and inspectors see "
            "that the permit has been revoked; the permit itself stays in the register."
        ),
        render_kw={"rows": 4, "cols": 60, "maxlength": 500},
    )


class PermitTypesForm(FlaskForm):
    permit_types = MultiCheckboxField(
        _l("Kinds of permit your municipality issues"),
        choices=[SelectChoice(code, PERMIT_TYPE_LABELS[code]) for code in PERMIT_TYPES],
        description=_l(
            "Choose at least one. Existing permits keep their kind; new permits and imports use "
            "one of these."
        ),
        validate_choice=False,
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("Permit file (CSV)"),
        description=_l(
            "A CSV file, separated by semicolons or commas, saved as UTF-8, at most 2 MB."
        ),
    )


class PermitFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All"))]
        + [SelectChoice(code, PERMIT_STATE_LABELS[code]) for code in STATE_ORDER],
        validate_choice=False,
    )
    permit_type = SelectField(
        _l("Kind of permit"),
        choices=[SelectChoice("", _l("All"))]
        + [SelectChoice(code, PERMIT_TYPE_LABELS[code]) for code in PERMIT_TYPES],
        validate_choice=False,
    )
    q = StringField(_l("Postcode, street, decision or holder"))
