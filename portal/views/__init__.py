"""Web entry points, one blueprint per audience (interface layer).

Views are short: build form → validate → one service call inside ``transaction.commit_point``
(the one place a request commits) → flash → redirect.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user


def register_blueprints(app: Flask) -> None:
    # Modules that add pages to the org and municipal blueprints (imported for their routes).
    from portal.views import (  # noqa: F401
        account,
        admin,
        admin_regions,
        api,
        apikeys,
        audit_log,
        disclosure,
        eherkenning,
        help_pages,
        inspector,
        inspector_region,
        inspector_search,
        municipal,
        municipal_addresses,
        municipal_applications,
        municipal_permits,
        org,
        org_batches,
        org_mandates,
        org_permits,
        org_profile,
        privacy,
        public,
        public_statistics,
    )

    @app.before_request
    def load_user_first() -> None:
        # Resolve the session before the view does any work, so the session loader's own
        # commit (last-seen time, expiry) never carries half of a view's changes.
        if request.endpoint != "static" and not request.path.startswith("/api/"):
            _ = current_user.is_authenticated

    for module in (public, account, org, inspector, municipal, admin, api, disclosure):
        app.register_blueprint(module.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(eherkenning.bp)
    app.register_blueprint(help_pages.bp)
