"""Fixtures for the API tests: API keys of organisations and municipalities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from portal import clock
from portal.extensions import db
from portal.models import Municipality, Organisation


@dataclass(frozen=True)
class Key:
    secret: str
    id: int
    organisation_id: int | None
    municipality_id: int | None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture
def make_key(app: Flask, make_org: Callable[..., Any]) -> Callable[..., Key]:
    from portal.services import apikeys

    def make(
        org: Organisation | None = None,
        *,
        municipality: Municipality | None = None,
        name: str = "Planning system",
    ) -> Key:
        with app.app_context():
            if municipality is not None:
                new = apikeys.create_key(
                    name, municipality=db.session.get(Municipality, municipality.id)
                )
            else:
                organisation = db.session.get(Organisation, (org or make_org()).id)
                new = apikeys.create_key(name, organisation=organisation)
            db.session.commit()
            return Key(new.secret, new.key.id, new.key.organisation_id, new.key.municipality_id)

    return make


def body(**changes: Any) -> dict[str, Any]:
    """A valid POST /declarations body for the address 3511 AB 12."""
    data: dict[str, Any] = {
        "address": {
            "postcode": "3511 AB",
            "house_number": 12,
            "house_letter": None,
            "house_number_addition": None,
        },
        "occupants": 3,
        "occupants_registered_brp": 2,
        "start_date": clock.today().isoformat(),
        "end_date": None,
        "separate_contracts": True,
        "declared_for_kvk": None,
    }
    data.update(changes)
    return data


def headers(key: Key, idempotency_key: str | None = None) -> dict[str, str]:
    result = dict(key.auth)
    if idempotency_key is not None:
        result["Idempotency-Key"] = idempotency_key
    return result
