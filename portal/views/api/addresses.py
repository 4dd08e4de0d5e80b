"""API: look an address up in the register (interface layer), as the declare page does."""

from __future__ import annotations

from flask import Response, request

from portal.domain.errors import Problem
from portal.services.addresses import lookup_address
from portal.views.api import bp
from portal.views.api.declarations import address_json, organisation_key
from portal.views.api.errors import ApiProblem
from portal.views.api.io import json_response

QUERY = ("postcode", "house_number", "house_letter", "house_number_addition")


@bp.get("/addresses")
def lookup() -> Response:
    # The register is reference data for declarants; a municipality's key has its own scope.
    organisation_key()
    args = {name: request.args.get(name) for name in QUERY}
    result = lookup_address(
        args["postcode"] or "",
        args["house_number"] or "",
        args["house_letter"] or None,
        args["house_number_addition"] or None,
        register_only=True,  # what a filing through the API may name
    )
    if result.status == "invalid":
        raise ApiProblem(422, problems=[Problem(p.field, p.code) for p in result.problems])
    found = [result.address] if result.address is not None else result.choices
    return json_response({"status": result.status, "candidates": [address_json(a) for a in found]})
