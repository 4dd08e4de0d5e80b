"""Forms for uploading a batch of declarations (interface layer). Shape only: the service reads
the file and decides what is acceptable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class BatchUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "A CSV file saved by Excel (separated by semicolons or commas), at most 5 MB and "
            "10,000 rows. Dates as dd-mm-yyyy or yyyy-mm-dd."
        ),
        validators=[FileRequired(_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
    )


class BatchChoiceForm(FlaskForm):
    """Only the CSRF token: the choice is which button was pressed."""
