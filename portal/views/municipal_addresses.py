"""The queue of unregistered-address conflicts for the municipal admin, on the municipal
blueprint (interface layer): every open conflict the admin's municipality is involved in, and
the three decisions (confirm an entry, correct, link to the register). A conflict the
municipality is not involved in is 404."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal.domain.errors import InvalidValue
from portal.domain.inputs import parse_whole_number
from portal.forms.address_entries import (
    ConfirmEntryForm,
    CorrectAddressForm,
    LinkAddressForm,
    form_prefix,
)
from portal.messages import message
from portal.models import Address
from portal.services import address_entries as service
from portal.services.queries import scope_of
from portal.views.municipal import bp
from portal.views.transaction import commit_point


@bp.context_processor
def _conflict_helpers() -> dict[str, object]:
    return {"open_address_conflicts": lambda: service.open_conflict_count(scope_of(current_user))}


@bp.get("/adresconflicten")
def address_conflicts() -> str:
    conflicts = service.open_conflicts(scope_of(current_user))
    forms = {
        c.address.id: (
            ConfirmEntryForm(prefix=form_prefix(c.address.id), formdata=None),
            CorrectAddressForm(prefix=form_prefix(c.address.id), formdata=None),
            LinkAddressForm(prefix=form_prefix(c.address.id), formdata=None),
        )
        for c in conflicts
    }
    return render_template("municipal/address_conflicts.html", conflicts=conflicts, forms=forms)


def _number(raw: object) -> int | None:
    try:
        return parse_whole_number(str(raw or ""))
    except InvalidValue:
        return None


def _decide(address_id: int, form: FlaskForm, decision: Callable[[], Address]) -> Response:
    """Check the form, run one decision, and go back to the queue with what happened."""
    if service.open_conflict(scope_of(current_user), address_id) is None:
        abort(404)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("municipal.address_conflicts"))
    with commit_point() as outcome:
        address = decision()
    if outcome.refused:
        for problem in outcome.refused.problems:
            flash(message(problem.code), "error")
    else:
        flash(_("Decided: %(address)s.", address=address.one_line), "success")
    return redirect(url_for("municipal.address_conflicts"))


@bp.post("/adresconflicten/<int:address_id>/bevestigen")
def address_conflict_confirm(address_id: int) -> Response:
    form = ConfirmEntryForm(prefix=form_prefix(address_id))
    return _decide(
        address_id,
        form,
        lambda: service.confirm_entry(
            current_user, scope_of(current_user), address_id, _number(form.entry.data)
        ),
    )


@bp.post("/adresconflicten/<int:address_id>/corrigeren")
def address_conflict_correct(address_id: int) -> Response:
    form = CorrectAddressForm(prefix=form_prefix(address_id))
    return _decide(
        address_id,
        form,
        lambda: service.correct(
            current_user,
            scope_of(current_user),
            address_id,
            form.street.data or "",
            form.town.data or "",
            form.municipality.data or "",
        ),
    )


@bp.post("/adresconflicten/<int:address_id>/koppelen")
def address_conflict_link(address_id: int) -> Response:
    form = LinkAddressForm(prefix=form_prefix(address_id))
    return _decide(
        address_id,
        form,
        lambda: service.link_to_register(
            current_user, scope_of(current_user), address_id, _number(form.register_address.data)
        ),
    )
