"""Form fields that speak the portal's language (interface layer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField
from wtforms.widgets import TextInput

from portal.domain.dates import parse_day
from portal.domain.errors import InvalidValue
from portal.domain.inputs import parse_whole_number
from portal.messages import message


class WholeNumberField(StringField):
    """A whole number; empty gives None; anything else gets a clear message."""

    widget = TextInput(input_type="text")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        raw = str(valuelist[0]).strip() if valuelist else ""
        self.raw_data = valuelist
        if not raw:
            return
        try:  # ASCII digits only: "٣" or "３" is not read as 3 (domain.inputs)
            self.data = parse_whole_number(raw, signed=True, max_digits=6)
        except InvalidValue:
            raise ValueError(str(_l("Enter a whole number, for example 6."))) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


class DutchDateField(Field):
    """A date as the browser's date picker sends it (2026-12-01) or typed the Dutch way
    (1-12-2026); empty gives None. ``domain.dates.parse_day`` reads it, so a date outside
    1900–2200 gets its own message."""

    widget = TextInput(input_type="date")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        raw = str(valuelist[0]) if valuelist else ""
        try:
            self.data = parse_day(raw)
        except InvalidValue as exc:
            if exc.code == "date.format":
                raise ValueError(
                    str(_l("Enter a date as day-month-year, for example 1-12-2026."))
                ) from None
            raise ValueError(message(exc.code, exc.value)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if isinstance(self.data, date) else ""
