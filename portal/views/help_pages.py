"""Help pages: one per role and one for everyone (interface layer; issue 23, item 7).

Public pages — no login needed — in Dutch and English. The footer of every page links to the
help of the signed-in user's role (``help_endpoint``), or to the index for everyone else. The
findings and the national defaults come from the domain and the settings, never from the
template, so the help says what the portal does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_login import current_user

from portal.domain.flags import CLOSING_OUTCOMES
from portal.domain.occupancy import EXPIRING_WITHIN_DAYS, SEVERITY
from portal.models.user import ORG_ROLES
from portal.presentation.labels import FLAG_STATUS_LABELS, OUTCOME_LABELS
from portal.services.municipalities import default_policy

bp = Blueprint("help", __name__, url_prefix="/hulp")

SEVERITY_ORDER = ("high", "medium", "info")  # the findings table: serious ones first

# The help page of each role; a housing provider's users get the provider page (help_endpoint).
HELP_BY_ROLE = {
    "declarant": "help.declarant",
    "org_admin": "help.declarant",
    "inspector": "help.inspector",
    "municipal_admin": "help.municipal_admin",
}
PAGES = ("declarant", "provider", "inspector", "municipal_admin")


def help_endpoint(user: Any) -> str:
    """The help page for ``user``: their role's page, the index for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return "help.index"
    if user.role in ORG_ROLES:
        organisation = user.organisation
        if organisation is not None and organisation.is_housing_provider:
            return "help.provider"
    return HELP_BY_ROLE.get(user.role, "help.index")


@bp.app_context_processor
def _help_link() -> dict[str, Any]:
    return {"help_url": lambda: url_for(help_endpoint(current_user))}


def _page(name: str) -> str:
    return render_template(
        f"help/{name}.html",
        findings=sorted(SEVERITY.items(), key=lambda item: SEVERITY_ORDER.index(item[1])),
        defaults=default_policy(),
        expiring_days=EXPIRING_WITHIN_DAYS,
        flag_status_labels=FLAG_STATUS_LABELS,
        outcomes=[OUTCOME_LABELS[o] for o in CLOSING_OUTCOMES],
        page=name,
    )


@bp.get("/")
def index() -> str:
    return _page("index")


@bp.get("/melden")
def declarant() -> str:
    return _page("declarant")


@bp.get("/woningaanbieder")
def provider() -> str:
    return _page("provider")


@bp.get("/inspectie")
def inspector() -> str:
    return _page("inspector")


@bp.get("/gemeente")
def municipal_admin() -> str:
    return _page("municipal_admin")
