"""The organisation's contact details, set by its administrator (interface layer, issue 20)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TelField


class PhoneForm(FlaskForm):
    # Shape only; services.organisation_profile checks the number (domain.phones).
    phone = TelField(
        _l("Phone number (optional)"),
        description=_l(
            "The number the municipality's inspectors can call about the addresses where you "
            "house people, for example 030 123 4567 or +31 30 123 4567. Leave it empty to "
            "remove it."
        ),
    )
