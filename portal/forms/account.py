"""Forms for sign-up, login and the email links (interface layer)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def kinds_field() -> Any:
    """The organisation's kinds, as check boxes (sign-up and the first eHerkenning login)."""
    return MultiCheckboxField(
        _l("Kind of organisation"),
        choices=[
            SelectChoice("employer", _l("Employer")),
            SelectChoice("staffing_agency", _l("Staffing agency")),
            SelectChoice("housing_provider", _l("Housing provider")),
        ],
        description=_l("Choose every kind that applies."),
    )


class SignUpForm(FlaskForm):
    organisation_name = StringField(
        _l("Name of the organisation"),
        validators=[InputRequired(REQUIRED), Length(max=200)],
    )
    kvk_number = StringField(
        _l("KvK number"),
        description=_l("8 digits, from the Chamber of Commerce (Kamer van Koophandel)."),
        validators=[InputRequired(REQUIRED)],
    )
    kinds = kinds_field()
    snf_number = StringField(
        _l("SNF registration number (optional)"),
        description=_l("If your housing is registered with Stichting Normering Flexwonen."),
    )
    contact_email = EmailField(
        _l("Contact email address of the organisation"),
        description=_l("Where the municipality and the portal can reach the organisation."),
        validators=[InputRequired(REQUIRED)],
    )
    name = StringField(
        _l("Your name (optional)"),
        description=_l("Your colleagues see this name instead of your email address."),
    )
    email = EmailField(
        _l("Your email address"),
        description=_l("You log in with this address. We send a confirmation link to it."),
        validators=[InputRequired(REQUIRED)],
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 15 characters. A sentence of several words is easy to remember."),
        validators=[InputRequired(REQUIRED)],
    )
    password_repeat = PasswordField(
        _l("Repeat the password"),
        validators=[
            InputRequired(REQUIRED),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )

    def validate_kinds(self, field: MultiCheckboxField) -> None:
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(str(_l("Choose at least one kind of organisation.")))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(REQUIRED)])
    password = PasswordField(_l("Password"), validators=[InputRequired(REQUIRED)])


class EmailForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(REQUIRED)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 15 characters. A sentence of several words is easy to remember."),
        validators=[InputRequired(REQUIRED)],
    )
    password_repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(REQUIRED),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l(
            "The 6-digit code from your authenticator app. Lost your phone? Enter one of your "
            "recovery codes instead."
        ),
        validators=[InputRequired(REQUIRED), Length(max=64)],
    )


class TotpConfirmForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        description=_l("The 6 digits the app shows now for this portal."),
        validators=[InputRequired(REQUIRED), Length(max=64)],
    )


class TotpStartForm(FlaskForm):
    """Only the CSRF token: starting a set-up changes the account, so it is a POST."""


class EherkenningRegistrationForm(FlaskForm):
    """The first eHerkenning login: what the broker's token does not say. The KvK number is
    proven and shown, not asked."""

    organisation_name = StringField(_l("Name of the organisation"), validators=[Length(max=200)])
    kinds = kinds_field()
    contact_email = EmailField(
        _l("Contact email address of the organisation"),
        description=_l("Where the municipality and the portal can reach the organisation."),
    )
    name = StringField(
        _l("Your name (optional)"),
        description=_l("Your colleagues see this name instead of your email address."),
    )
    email = EmailField(
        _l("Your email address"),
        description=_l("For notices from the portal. We send a confirmation link to it."),
        validators=[InputRequired(REQUIRED)],
    )


class ProfileForm(FlaskForm):
    """One's own account: the display name (the service checks it)."""

    name = StringField(
        _l("Your name"),
        description=_l(
            "Your colleagues see this name instead of your email address. Leave it empty to "
            "show your email address."
        ),
    )
