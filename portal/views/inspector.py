"""Pages for municipal inspectors (interface layer). Everything is scoped to their municipality."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from portal.domain.address import normalise_postcode
from portal.domain.errors import InvalidValue
from portal.models import Address, Municipality
from portal.services.queries import get_scoped_or_404, scope_of, scoped
from portal.views.guards import gate
from portal.views.pagination import paginate

bp = Blueprint("inspector", __name__, url_prefix="/inspectie")
gate(bp, "inspector", "municipal_admin")


@bp.get("/")
def dashboard() -> str:
    scope = scope_of(current_user)
    municipality = get_scoped_or_404(Municipality, current_user.municipality_id, scope)
    return render_template("inspector/dashboard.html", municipality=municipality)


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
    item = get_scoped_or_404(Address, address_id, scope_of(current_user))
    return render_template("inspector/address.html", address=item)
