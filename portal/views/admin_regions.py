"""Regions for the system admin: create, name the municipalities, record the data-sharing
agreement (interface layer). The admin blueprint's system_admin gate is the access rule."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.extensions import db
from portal.forms.regions import RegionForm
from portal.messages import message
from portal.models import Region
from portal.services.queries import get_scoped_or_404, scope_of
from portal.services.regions import agreement_in_force, parse_codes, save_region
from portal.views.admin import bp
from portal.views.transaction import commit_point


def _regions() -> list[Region]:
    return list(
        db.session.execute(
            select(Region).options(selectinload(Region.municipalities)).order_by(Region.name)
        ).scalars()
    )


def _save(form: RegionForm, region: Region | None) -> Region | None:
    with commit_point() as outcome:
        saved = save_region(
            current_user,
            region,
            form.name.data or "",
            form.agreed_on.data,
            parse_codes(form.municipalities.data or ""),
        )
    if outcome.refused:
        for problem in outcome.refused.problems:  # the codes that are wrong follow the reason
            field = getattr(form, problem.field, None)
            text = message(problem.code) + (f" {problem.detail}" if problem.detail else "")
            if field is not None:
                field.errors = [*field.errors, text]
            else:
                form.form_errors.append(text)
        return None
    return saved


@bp.route("/regios", methods=["GET", "POST"])
def regions() -> object:
    form = RegionForm()
    if form.validate_on_submit():
        region = _save(form, None)
        if region is not None:
            flash(_("Region %(name)s was created.", name=region.name), "success")
            return redirect(url_for("admin.regions"))
    return render_template(
        "admin/regions.html",
        regions=_regions(),
        form=form,
        today=clock.today(),
        agreement_in_force=agreement_in_force,
    )


@bp.route("/regios/<int:region_id>", methods=["GET", "POST"])
def region(region_id: int) -> object:
    region = get_scoped_or_404(Region, region_id, scope_of(current_user))
    form = RegionForm()
    if not form.is_submitted():
        form.name.data = region.name
        form.agreed_on.data = region.data_sharing_agreed_on
        form.municipalities.data = ", ".join(sorted(m.code for m in region.municipalities))
    if form.validate_on_submit():
        saved = _save(form, region)
        if saved is not None:
            flash(_("Region %(name)s was saved.", name=saved.name), "success")
            return redirect(url_for("admin.regions"))
    return render_template("admin/region.html", region=region, form=form)
