"""Pages for declarants and organisation admins (interface layer)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.forms import apply_refusal
from portal.forms.declarations import (
    AmendForm,
    DeclarationFilterForm,
    DeclarationForm,
    EndForm,
    ManualDeclarationForm,
)
from portal.forms.org import AddressLookupForm, InviteForm, RemoveForm
from portal.models import Address, Declaration, Municipality, Organisation, Receipt, User
from portal.presentation import exports
from portal.services import accounts, audit, declarations
from portal.services.addresses import lookup_address
from portal.services.errors import Refused
from portal.services.queries import get_scoped_or_404, scope_of, scoped
from portal.services.todo import organisation_todo
from portal.views import downloads
from portal.views.guards import gate, require_role
from portal.views.links import ADDRESS_LOOKUP_PARAMETERS, kept_query
from portal.views.pagination import paginate
from portal.views.transaction import commit_point

bp = Blueprint("org", __name__, url_prefix="/organisatie")
gate(bp, "declarant", "org_admin")


def _require_admin() -> None:
    require_role("org_admin")


@bp.get("/")
def dashboard() -> str:
    scope = scope_of(current_user)
    organisation = get_scoped_or_404(Organisation, current_user.organisation_id, scope)
    todo = organisation_todo(current_user, scope, clock.today())
    return render_template("org/dashboard.html", organisation=organisation, todo=todo)


@bp.get("/medewerkers")
def members() -> str:
    _require_admin()
    users = (
        db.session.execute(
            scoped(User, scope_of(current_user)).order_by(User.removed_at.is_not(None), User.email)
        )
        .scalars()
        .all()
    )
    return render_template("org/members.html", users=users, remove_form=RemoveForm())


@bp.route("/medewerkers/uitnodigen", methods=["GET", "POST"])
def invite() -> object:
    _require_admin()
    form = InviteForm()
    if form.validate_on_submit():
        with commit_point() as outcome:
            email = accounts.invite_colleague(
                current_user, form.email.data or "", form.role.data, form.name.data or ""
            )
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            # The same words whether or not the address has an account (no enumeration).
            flash(_("An invitation has been sent to %(email)s.", email=email), "success")
            return redirect(url_for("org.members"))
    return render_template("org/invite.html", form=form)


@bp.post("/medewerkers/<int:user_id>/verwijderen")
def remove_member(user_id: int) -> object:
    _require_admin()
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    target = get_scoped_or_404(User, user_id, scope_of(current_user))
    with commit_point() as outcome:
        accounts.remove_colleague(current_user, target)
    if outcome.refused:
        from portal.messages import message

        flash(message(outcome.refused.problems[0].code), "error")
        return redirect(url_for("org.members"))
    flash(_("%(email)s has been removed and can no longer log in.", email=target.email), "success")
    if target.id == current_user.id:
        return redirect(url_for("account.login"))
    return redirect(url_for("org.members"))


@bp.get("/adres-zoeken")
def address_lookup() -> object:
    """The foundation's look-up page; looking up is now the first step of declaring."""
    return redirect(url_for("org.declare_lookup", **kept_query(ADDRESS_LOOKUP_PARAMETERS)))


# --- declarations -------------------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale() or "nl")


def _declaration_input(form: DeclarationForm) -> DeclarationInput:
    return DeclarationInput(
        occupants=form.occupants.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        occupants_registered_brp=form.occupants_registered_brp.data,
        separate_contracts={"yes": True, "no": False}.get(form.separate_contracts.data or ""),
    )


def _try_filing(
    form: FlaskForm, filing: Callable[[], declarations.FilingResult], text: str
) -> object | None:
    """Run one filing: commit and go to its page, or put the refusal on the form (None)."""
    with commit_point() as outcome:
        result = filing()
    if outcome.refused:
        apply_refusal(form, outcome.refused)
        return None
    flash(text % {"reference": result.declaration.reference}, "success")
    return redirect(url_for("org.declaration", declaration_id=result.declaration.id))


@bp.get("/meldingen")
def declarations_list() -> str:
    scope = scope_of(current_user)
    form = DeclarationFilterForm(request.args)
    municipalities = declarations.declaration_municipalities(scope)
    form.municipality.choices = [SelectChoice("", _("All municipalities"))] + [
        SelectChoice(str(m.id), m.name) for m in municipalities
    ]
    form.validate()
    status = form.status.data if form.status.data in declarations.STATUS_FILTERS else "active"
    chosen = form.municipality.data or ""
    # Only an id offered in the list (a huge or non-ASCII "digit" would break the query).
    municipality_id = int(chosen) if chosen in {str(m.id) for m in municipalities} else None
    sort = declarations.SORTS.parse(request.args.get("sort"), request.args.get("dir"))
    page = paginate(
        declarations.current_declarations_query(
            scope, status, municipality_id, form.q.data or "", sort
        )
    )
    return render_template(
        "org/declarations.html",
        form=form,
        page=page,
        sort=sort,
        status_of=declarations.declaration_status,
    )


@bp.get("/meldingen/export.csv")
def declarations_export() -> Response:
    scope = scope_of(current_user)
    status = request.args.get("status", "all")
    rows = db.session.execute(
        declarations.current_declarations_query(
            scope, status if status in declarations.STATUS_FILTERS else "all"
        )
    ).scalars()
    data = exports.excel_csv(*exports.declaration_rows(rows))
    with commit_point():
        audit.record(
            "declaration.export",
            actor=current_user,
            object_type="organisation",
            object_id=current_user.organisation_id,
        )
    filename = f"meldingen-{clock.today().isoformat()}.csv"
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/meldingen/nieuw")
def declare_lookup() -> str:
    form = AddressLookupForm(request.args)
    result = None
    if request.args and form.validate():
        result = lookup_address(
            form.postcode.data or "",
            form.house_number.data or "",
            form.house_letter.data or None,
            form.house_number_addition.data or None,
            scope=scope_of(current_user),
        )
        if result.status == "invalid":
            apply_refusal(form, Refused(*result.problems))
    return render_template("org/declare_lookup.html", form=form, result=result)


@bp.route("/meldingen/nieuw/<int:address_id>", methods=["GET", "POST"])
def declare(address_id: int) -> object:
    address = get_scoped_or_404(Address, address_id, scope_of(current_user))
    form = DeclarationForm()
    if form.validate_on_submit():
        done = _try_filing(
            form,
            lambda: declarations.file_declaration(
                current_user,
                _declaration_input(form),
                address_id=address.id,
                declared_for_kvk=form.declared_for_kvk.data,
                locale=_locale(),
            ),
            _("Your declaration %(reference)s has been filed."),
        )
        if done is not None:
            return done
    return render_template("org/declare.html", form=form, address=address)


@bp.route("/meldingen/nieuw/handmatig", methods=["GET", "POST"])
def declare_manual() -> object:
    form = ManualDeclarationForm(request.form if request.method == "POST" else request.args)
    form.municipality.choices = [SelectChoice("", _("Choose a municipality"))] + [
        SelectChoice(m.code, f"{m.name} ({m.code})")
        for m in db.session.execute(
            scoped(Municipality, scope_of(current_user)).order_by(Municipality.name)
        ).scalars()
    ]
    if request.method == "POST" and form.validate():
        manual = declarations.ManualAddress(
            postcode=form.postcode.data or "",
            house_number=form.house_number.data or "",
            house_letter=form.house_letter.data or "",
            house_number_addition=form.house_number_addition.data or "",
            street=form.street.data or "",
            town=form.town.data or "",
            municipality_code=form.municipality.data or "",
        )
        done = _try_filing(
            form,
            lambda: declarations.file_declaration(
                current_user,
                _declaration_input(form),
                manual_address=manual,
                declared_for_kvk=form.declared_for_kvk.data,
                locale=_locale(),
            ),
            _("Your declaration %(reference)s has been filed."),
        )
        if done is not None:
            return done
    return render_template("org/declare_manual.html", form=form)


@bp.get("/meldingen/<int:declaration_id>")
def declaration(declaration_id: int) -> str:
    scope = scope_of(current_user)
    item = get_scoped_or_404(Declaration, declaration_id, scope)
    chain = declarations.chain_of(item, scope)
    latest = chain[-1]
    return render_template(
        "org/declaration.html",
        declaration=item,
        chain=chain,
        latest=latest,
        findings=declarations.filing_findings(item.receipt),
        status=declarations.declaration_status(latest),
    )


@bp.route("/meldingen/<int:declaration_id>/wijzigen", methods=["GET", "POST"])
def amend(declaration_id: int) -> object:
    scope = scope_of(current_user)
    item = get_scoped_or_404(Declaration, declaration_id, scope)
    form = AmendForm()
    if form.validate_on_submit():
        done = _try_filing(
            form,
            lambda: declarations.amend_declaration(
                current_user,
                item,
                form.occupants.data,
                form.effective_date.data,
                form.occupants_registered_brp.data,
                locale=_locale(),
            ),
            _("Your amendment %(reference)s has been filed."),
        )
        if done is not None:
            return done
    return render_template("org/amend.html", form=form, declaration=item)


@bp.route("/meldingen/<int:declaration_id>/beeindigen", methods=["GET", "POST"])
def end(declaration_id: int) -> object:
    scope = scope_of(current_user)
    item = get_scoped_or_404(Declaration, declaration_id, scope)
    form = EndForm()
    if form.validate_on_submit():
        done = _try_filing(
            form,
            lambda: declarations.end_declaration(
                current_user, item, form.end_date.data, form.reason.data, locale=_locale()
            ),
            _("The end of your declaration has been filed as %(reference)s."),
        )
        if done is not None:
            return done
    return render_template("org/end.html", form=form, declaration=item)


@bp.get("/ontvangstbevestigingen/<int:receipt_id>.pdf")
def receipt_download(receipt_id: int) -> Response:
    return downloads.receipt_download(
        get_scoped_or_404(Receipt, receipt_id, scope_of(current_user))
    )
