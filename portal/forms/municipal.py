"""Forms and figure texts for municipal admins (interface layer). The forms check shape only;
``portal.domain.policy.policy_problems`` decides what a policy may hold."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.domain.policy import MAX_ALERT_EMAILS, POLICY_LIMITS, OccupancyPolicy, PolicyDraft
from portal.forms.fields import DutchDateField, WholeNumberField
from portal.messages import message
from portal.services.errors import Refused

REQUIRED = _l("This field is required.")

# Where each national default comes from (docs/rules.md §1.8): a norm, a law or the portal's own
# national rule — never another municipality's policy, which is an example, not the source.
FIGURE_SOURCES = {
    "m2_per_person_dwelling": _l("SNF norm 1.3; Bouwbesluit 2012 art. 7.18"),
    "m2_per_person_lodging": _l("SNF norm 1.3, lodging"),
    "no_permit_max_occupants": _l("regional policy examples; not set by law"),
    "near_limit_percent": _l("the portal's warning level"),
    "late_after_days": _l("the portal's national rule for late declarations"),
}


def figure_text(name: str, value: int) -> str:
    """A policy figure with its unit, e.g. ``12 m²`` or ``3 days``."""
    if name.startswith("m2_"):
        return _("%(num)s m²", num=value)
    if name == "no_permit_max_occupants":
        return ngettext("%(num)s occupant", "%(num)s occupants", value)
    if name == "near_limit_percent":
        return _("%(num)s%% of the limit", num=value)
    return ngettext("%(num)s day", "%(num)s days", value)


def default_text(name: str, defaults: OccupancyPolicy) -> str:
    """The national default of a figure with its source, e.g. ``12 m² (SNF norm 1.3; …)``."""
    return _(
        "%(value)s (%(source)s)",
        value=figure_text(name, getattr(defaults, name)),
        source=FIGURE_SOURCES[name],
    )


class PolicyForm(FlaskForm):
    effective_from = DutchDateField(
        _l("Effective from"),
        description=_l(
            "Today or a later date. Pick it in the calendar, or type the day, month and year. "
            "Days before it keep the policy that applied then."
        ),
    )
    m2_per_person_dwelling = WholeNumberField(_l("Minimum floor area per person, dwelling"))
    m2_per_person_lodging = WholeNumberField(_l("Minimum floor area per person, lodging"))
    no_permit_max_occupants = WholeNumberField(_l("Occupants allowed without a permit"))
    near_limit_percent = WholeNumberField(_l("Near-limit warning from"))
    late_after_days = WholeNumberField(_l("A declaration is late after"))
    alert_emails = TextAreaField(
        _l("Alert addresses"),
        description=_l(
            "Where signals about addresses go, besides the inspectors. One address per line, or "
            "separated by commas; at most %(n)s.",
            n=MAX_ALERT_EMAILS,
        ),
        render_kw={"rows": 4, "cols": 50},
    )
    support_desk_email = StringField(
        _l("Support desk address (optional)"),
        description=_l(
            "The support desk that hears when people may lose the housing that came with their job."
        ),
    )
    replace = BooleanField(_l("Replace the planned policy"))

    def __init__(self, *args: Any, defaults: OccupancyPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = {
            "m2_per_person_dwelling": _l("m² per person"),
            "m2_per_person_lodging": _l("m² per person"),
            "no_permit_max_occupants": _l("occupants"),
            "near_limit_percent": _l("percent of the limit"),
            "late_after_days": _l("days"),
        }
        for name, (low, high) in POLICY_LIMITS.items():
            getattr(self, name).description = _(
                "In %(unit)s, from %(low)s to %(high)s. National default: %(default)s.",
                unit=units[name],
                low=low,
                high=high,
                default=default_text(name, defaults),
            )

    def draft(self) -> PolicyDraft:
        return PolicyDraft(
            effective_from=self.effective_from.data,
            m2_per_person_dwelling=self.m2_per_person_dwelling.data,
            m2_per_person_lodging=self.m2_per_person_lodging.data,
            no_permit_max_occupants=self.no_permit_max_occupants.data,
            near_limit_percent=self.near_limit_percent.data,
            late_after_days=self.late_after_days.data,
            alert_emails=self.alert_emails.data or "",
            support_desk_email=self.support_desk_email.data or "",
        )


def apply_policy_refusal(form: FlaskForm, refused: Refused) -> None:
    """Put each refused reason at its field; a bad alert address is named in the message."""
    for problem in refused.problems:
        if problem.code == "alert_emails.format":
            text = message(problem.code, address=problem.detail)
        else:
            text = message(problem.code)
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, text] if text not in field.errors else field.errors
        else:
            form.form_errors.append(text)


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(REQUIRED)])
    name = StringField(
        _l("Name (optional)"),
        description=_l("Shown instead of the email address in lists of colleagues."),
    )
    role = RadioField(
        _l("Role"),
        choices=[
            SelectChoice("inspector", _l("Inspector — handles the signals about addresses")),
            SelectChoice(
                "municipal_admin",
                _l("Municipal administrator — also sets the policy and manages users"),
            ),
        ],
        default="inspector",
        validators=[InputRequired(_l("Choose a role."))],
    )


class DeactivateForm(FlaskForm):
    """Only the CSRF token: deactivating is a POST."""
