"""API key pages for organisation admins (/organisatie/api-sleutels) and municipal admins
(/gemeente/api-sleutels) (interface layer). A new key is shown once, on the page that answers
the POST, and never stored in the clear; revoking takes effect at the next request."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.forms import apply_refusal
from portal.forms.apikeys import NewKeyForm, RevokeKeyForm
from portal.models import ApiKey, Municipality, Organisation
from portal.services import apikeys
from portal.services.queries import get_scoped_or_404, scope_of
from portal.views import municipal, org
from portal.views.guards import require_role
from portal.views.transaction import commit_point


def _require_org_admin() -> None:
    require_role("org_admin")


def _page(area: str, form: NewKeyForm, secret: str | None = None) -> str:
    if form.lifetime_days.data is None and not form.lifetime_days.errors:
        form.lifetime_days.data = apikeys.default_lifetime_days()
    form.lifetime_days.description = _(
        "After this many days the key stops working; make a new key before then. "
        "At most %(n)s days.",
        n=apikeys.max_lifetime_days(),
    )
    return render_template(
        f"{area}/apikeys.html",
        keys=apikeys.keys_of(scope_of(current_user)),
        form=form,
        revoke_form=RevokeKeyForm(),
        secret=secret,
        area=area,
        key_state=apikeys.state,
    )


def _create(area: str) -> object:
    form = NewKeyForm()
    if form.validate_on_submit():
        scope = scope_of(current_user)
        tenant: dict[str, object] = {}
        if area == "org":
            tenant["organisation"] = get_scoped_or_404(
                Organisation, current_user.organisation_id, scope
            )
        else:
            tenant["municipality"] = get_scoped_or_404(
                Municipality, current_user.municipality_id, scope
            )
        with commit_point() as outcome:
            new = apikeys.create_key(
                form.name.data or "",
                created_by=current_user,
                lifetime_days=form.lifetime_days.data,
                **tenant,  # type: ignore[arg-type]
            )
        if outcome.refused:
            apply_refusal(form, outcome.refused)
        else:
            return _page(area, NewKeyForm(formdata=None), secret=new.secret)
    return _page(area, form)


def _revoke(area: str, key_id: int) -> object:
    if not RevokeKeyForm().validate_on_submit():
        abort(400)
    key = get_scoped_or_404(ApiKey, key_id, scope_of(current_user))
    with commit_point():
        revoked = apikeys.revoke_key(key, current_user)
    if revoked:
        flash(
            _("The key %(prefix)s has been revoked. It no longer works.", prefix=key.prefix),
            "success",
        )
    return redirect(url_for(f"{'org' if area == 'org' else 'municipal'}.apikeys"))


@org.bp.route("/api-sleutels", methods=["GET", "POST"], endpoint="apikeys")
def org_apikeys() -> object:
    _require_org_admin()
    return _create("org")


@org.bp.post("/api-sleutels/<int:key_id>/intrekken", endpoint="apikey_revoke")
def org_apikey_revoke(key_id: int) -> object:
    _require_org_admin()
    return _revoke("org", key_id)


@municipal.bp.route("/api-sleutels", methods=["GET", "POST"], endpoint="apikeys")
def municipal_apikeys() -> object:
    return _create("municipal")


@municipal.bp.post("/api-sleutels/<int:key_id>/intrekken", endpoint="apikey_revoke")
def municipal_apikey_revoke(key_id: int) -> object:
    return _revoke("municipal", key_id)
