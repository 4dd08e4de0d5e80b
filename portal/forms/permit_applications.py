"""Forms for renewal applications: applying, answering, and the municipal decisions (interface
layer). Shape only: the period, the maximum and the floor plan are checked by the domain
(``portal.domain.permit_applications``) through the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.forms.fields import DutchDateField, WholeNumberField
from portal.models.permit import APPLICATION_STATUSES
from portal.presentation.labels import APPLICATION_STATUS_LABELS

REQUIRED = _l("This field is required.")
PDF_HINT = _l("Optional. A PDF, JPEG or PNG file of at most 5 MB.")


class RenewalForm(FlaskForm):
    requested_from = DutchDateField(
        _l("First day of the new period"),
        description=_l(
            "Filled in: the day after the current permit ends. Pick another day in the "
            "calendar if you need to, or type the day, month and year."
        ),
        validators=[InputRequired(REQUIRED)],
    )
    requested_until = DutchDateField(
        _l("Last day of the new period (optional)"),
        description=_l("Leave empty if you ask for a permit without an end date."),
        validators=[Optional()],
    )
    requested_max_occupants = WholeNumberField(
        _l("Maximum number of occupants you ask for"),
        description=_l("A whole number from 1 to 10,000."),
        validators=[InputRequired(REQUIRED)],
    )
    note = TextAreaField(_l("Explanation for the municipality (optional)"))
    floor_plan = FileField(_l("Floor plan (optional)"), description=PDF_HINT)


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[InputRequired(REQUIRED)])
    document = FileField(_l("Attachment (optional)"), description=PDF_HINT)


class ApproveForm(FlaskForm):
    valid_from = DutchDateField(_l("Valid from"), validators=[InputRequired(REQUIRED)])
    valid_until = DutchDateField(
        _l("Valid until (last day, optional)"),
        description=_l("Leave empty for a permit without an end date."),
        validators=[Optional()],
    )
    max_occupants = WholeNumberField(
        _l("Maximum number of occupants"), validators=[InputRequired(REQUIRED)]
    )
    decision_reference = StringField(
        _l("Decision reference (optional)"),
        description=_l("The reference of the municipal decision, for example Z/26/123456."),
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the rejection"),
        description=_l("The applicant reads this reason."),
        validators=[InputRequired(_l("Give the reason for the rejection."))],
    )


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Question for the applicant"),
        description=_l("The applicant answers in the portal."),
        validators=[InputRequired(_l("Write the question for the applicant."))],
    )


class ApplicationFilterForm(FlaskForm):
    """The municipal list's status filter; GET, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("open", _l("Open (waiting for a decision or an answer)")),
            *(SelectChoice(code, APPLICATION_STATUS_LABELS[code]) for code in APPLICATION_STATUSES),
        ],
        validate_choice=False,
    )
