"""Forms for inspectors and municipal admins (interface layer). Shape only: which status may
follow which, who may be assigned and which outcome closes a flag are the service's rules
(``portal.services.inspection``), whose reasons ``apply_refusal`` puts on the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.presentation.labels import (
    ALERT_MODE_LABELS,
    ASSIGNEE_FILTER_LABELS,
    FLAG_STATUS_FILTER_LABELS,
    FLAG_STATUS_LABELS,
    INBOX_SORT_LABELS,
    OUTCOME_LABELS,
)
from portal.receipts.texts import FINDING_TEXTS
from portal.services.inspection import (
    ALERT_MODES,
    ASSIGNEE_FILTERS,
    CLOSED_STATUSES,
    CLOSING_OUTCOMES,
    FLAG_REASONS,
    NOTE_MAX_LENGTH,
    SORTS,
    STATUS_FILTERS,
)


class InboxFilterForm(FlaskForm):
    """The inbox filters; GET, so no CSRF token is needed."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(c, FLAG_STATUS_FILTER_LABELS[c]) for c in STATUS_FILTERS],
    )
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice("", _l("All reasons"))]
        + [SelectChoice(c, FINDING_TEXTS[c][0]) for c in FLAG_REASONS],
    )
    assignee = SelectField(
        _l("Assigned to"),
        choices=[SelectChoice(c, ASSIGNEE_FILTER_LABELS[c]) for c in ASSIGNEE_FILTERS],
    )
    sort = SelectField(
        _l("Sort by"), choices=[SelectChoice(c, INBOX_SORT_LABELS[c]) for c in SORTS]
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("New note"),
        description=_l(
            "For your colleagues: what you saw, did or agreed. At most 4,000 characters."
        ),
        validators=[
            InputRequired(_l("Write a note.")),
            Length(max=NOTE_MAX_LENGTH, message=_l("A note is at most 4,000 characters.")),
        ],
    )


class AssignForm(FlaskForm):
    """The assignee's user id, or empty for nobody; the service checks it is a colleague."""

    assignee = SelectField(_l("Assign to"), validate_choice=False)


class StatusForm(FlaskForm):
    """A status change. The page offers "start handling" (a hidden ``in_progress``) and
    "close" (handled or dismissed, with the outcome of the inspection)."""

    to_status = RadioField(
        _l("Close as"),
        choices=[SelectChoice(c, FLAG_STATUS_LABELS[c]) for c in CLOSED_STATUSES],
        validate_choice=False,
    )
    outcome = RadioField(
        _l("Outcome of the inspection"),
        choices=[SelectChoice(c, OUTCOME_LABELS[c]) for c in CLOSING_OUTCOMES],
        validate_choice=False,
    )


class AlertSettingsForm(FlaskForm):
    alert_mode = RadioField(
        _l("How do you want to receive alerts about signals?"),
        choices=[SelectChoice(c, ALERT_MODE_LABELS[c]) for c in ALERT_MODES],
        validators=[InputRequired(_l("Choose how you want to receive alerts."))],
        validate_choice=False,
    )
