"""Pages for municipal inspectors (interface layer). Everything is scoped to their municipality:
reads and changes go through ``portal.services.inspection`` and the scoping helpers, and a flag
of another municipality answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.domain.address import normalise_postcode
from portal.domain.errors import InvalidValue
from portal.forms import apply_refusal
from portal.forms.inspector import (
    AlertSettingsForm,
    AssignForm,
    InboxFilterForm,
    NoteForm,
    StatusForm,
)
from portal.models import Address, Flag, Municipality
from portal.presentation import labels
from portal.presentation.exports import excel_csv, flag_rows
from portal.presentation.occupancy import occupancy_chart
from portal.services import inspection
from portal.services.address_overview import address_overview
from portal.services.queries import get_scoped_or_404, scope_of, scoped
from portal.views import refused_forms
from portal.views.guards import gate
from portal.views.pagination import paginate
from portal.views.transaction import commit_point

bp = Blueprint("inspector", __name__, url_prefix="/inspectie")
gate(bp, "inspector", "municipal_admin")

INBOX_PER_PAGE = 25


@bp.context_processor
def _labels() -> dict[str, Any]:
    tables = {
        "flag_status_label": labels.FLAG_STATUS_LABELS,
        "outcome_label": labels.OUTCOME_LABELS,
        "event_label": labels.FLAG_EVENT_LABELS,
    }
    helpers: dict[str, Any] = {
        name: (lambda code, table=table: labels.label(table, code))
        for name, table in tables.items()
    }
    helpers["event_detail"] = inspection.event_detail
    helpers["automatic_events"] = inspection.AUTOMATIC_EVENTS
    return helpers


@bp.get("/")
def dashboard() -> str:
    scope = scope_of(current_user)
    municipality = get_scoped_or_404(Municipality, current_user.municipality_id, scope)
    counts = inspection.inbox_counts(scope, current_user)
    return render_template("inspector/dashboard.html", municipality=municipality, counts=counts)


# --- the inbox ---------------------------------------------------------------------------------


@bp.get("/signalen")
def inbox() -> str:
    scope = scope_of(current_user)
    filters = inspection.InboxFilter.from_args(request.args)
    form = InboxFilterForm(data=filters.__dict__)
    page = paginate(inspection.inbox_query(scope, current_user, filters), INBOX_PER_PAGE)
    users = inspection.users_by_id(scope, (f.assignee_user_id for f in page.items))
    return render_template(
        "inspector/inbox.html",
        form=form,
        page=page,
        users=users,
        filters=filters,
        now=inspection.current_figures(page.items),
    )


@bp.get("/signalen/export.csv")
def inbox_export() -> Response:
    filters = inspection.InboxFilter.from_args(request.args)
    with commit_point():  # the export is audited
        flags, users = inspection.export_inbox(scope_of(current_user), current_user, filters)
        data = excel_csv(*flag_rows(flags, users))  # before the commit expires the flags
    filename = f"signalen-{clock.today().isoformat()}.csv"
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the dossier -------------------------------------------------------------------------------


DOSSIER_FORMS: dict[str, type[FlaskForm]] = {
    "note_form": NoteForm,
    "assign_form": AssignForm,
    "status_form": StatusForm,
}


def _page(flag_id: int) -> str:
    return f"inspector.flag:{flag_id}"


def _dossier_page(flag: Flag, **forms: FlaskForm) -> str:
    scope = scope_of(current_user)
    dossier = inspection.dossier(flag, scope)
    assign_form = forms.get("assign_form") or AssignForm(
        formdata=None, assignee=str(flag.assignee_user_id or "")
    )
    assign_form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.email})" if u.display_name else u.email)
        for u in dossier.assignable
    ]
    return render_template(
        "inspector/flag.html",
        dossier=dossier,
        chart=occupancy_chart(dossier.evaluation, clock.today()),
        flag=flag,
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        assign_form=assign_form,
        status_form=forms.get("status_form") or StatusForm(formdata=None),
    )


def _change(
    flag_id: int, form: FlaskForm, name: str, action: Callable[[], object], done: str
) -> object:
    """Validate ``form``, run ``action``, commit and go back to the dossier (303), also when it is
    refused: then the form's values and messages wait in the session for the dossier page."""
    flag = inspection.get_flag(flag_id, scope_of(current_user))  # 404 for a flag out of scope
    if form.validate_on_submit():
        with commit_point() as outcome:
            action()
        if not outcome.refused:
            flash(done, "success")
            return redirect(url_for("inspector.flag", flag_id=flag_id), 303)
        apply_refusal(form, outcome.refused)
    flash(_("Nothing was changed. See the message at the form."), "error")
    if not refused_forms.keep(_page(flag_id), name, form):
        return _dossier_page(flag, **{name: form})
    return redirect(url_for("inspector.flag", flag_id=flag_id), 303)


@bp.get("/signalen/<int:flag_id>")
def flag(flag_id: int) -> str:
    flag = inspection.get_flag(flag_id, scope_of(current_user))
    return _dossier_page(flag, **refused_forms.restore(_page(flag_id), DOSSIER_FORMS))


@bp.post("/signalen/<int:flag_id>/notitie")
def flag_note(flag_id: int) -> object:
    form = NoteForm()
    return _change(
        flag_id,
        form,
        "note_form",
        lambda: inspection.add_note(current_user, flag_id, form.text.data or ""),
        _("Your note has been added."),
    )


def _user_id(chosen: str) -> int | None:
    """A user id from a form, or None: only ASCII digits that fit a database integer."""
    return int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) <= 9 else None


@bp.post("/signalen/<int:flag_id>/toewijzen")
def flag_assign(flag_id: int) -> object:
    form = AssignForm()
    chosen = (form.assignee.data or "").strip()
    return _change(
        flag_id,
        form,
        "assign_form",
        lambda: inspection.assign(current_user, flag_id, _user_id(chosen)),
        _("The assignment has been saved."),
    )


@bp.post("/signalen/<int:flag_id>/status")
def flag_status(flag_id: int) -> object:
    form = StatusForm()
    return _change(
        flag_id,
        form,
        "status_form",
        lambda: inspection.change_status(
            current_user, flag_id, form.to_status.data or "", form.outcome.data or None
        ),
        _("The status of the signal has been changed."),
    )


# --- settings ----------------------------------------------------------------------------------


@bp.route("/meldingen-instellingen", methods=["GET", "POST"])
def alert_settings() -> object:
    form = AlertSettingsForm(alert_mode=current_user.alert_mode)
    if form.validate_on_submit():
        with commit_point() as outcome:
            inspection.set_alert_mode(current_user, form.alert_mode.data)
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            flash(_("Your alert settings have been saved."), "success")
            return redirect(url_for("inspector.alert_settings"), 303)
    return render_template("inspector/alert_settings.html", form=form)


# --- the address register ----------------------------------------------------------------------


@bp.get("/adressen")
def addresses() -> str:
    scope = scope_of(current_user)
    stmt = scoped(Address, scope).order_by(
        Address.postcode,
        Address.house_number,
        Address.house_letter,
        Address.house_number_addition,
    )
    query = (request.args.get("postcode") or "").strip()
    error = None
    if query:
        try:
            stmt = stmt.where(Address.postcode == normalise_postcode(query))
        except InvalidValue as exc:
            from portal.messages import message

            error = message(exc.code)
    page = paginate(stmt)
    return render_template("inspector/addresses.html", page=page, query=query, error=error)


@bp.get("/adressen/<int:address_id>")
def address(address_id: int) -> str:
    """Every address of the municipality, flagged or not (issue 20); 404 for another's."""
    overview = address_overview(address_id, scope_of(current_user))
    chart = occupancy_chart(overview.evaluation, clock.today())
    return render_template("inspector/address.html", overview=overview, chart=chart)
