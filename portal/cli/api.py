"""Command-line entry points for API keys (interface layer; commits once per command)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.messages import message
from portal.models import Municipality, Organisation
from portal.services.errors import Refused

apikeys_cli = AppGroup("apikeys", help="API keys of organisations and municipalities.")


def _tenant(
    org: str | None, municipality: str | None
) -> tuple[Organisation | None, Municipality | None]:
    from portal.domain.errors import InvalidValue
    from portal.domain.identifiers import normalise_kvk, normalise_municipality_code

    if (org is None) == (municipality is None):
        click.echo("error: give exactly one of --org KVKNUMBER or --municipality GM0344", err=True)
        sys.exit(2)
    try:
        if org is not None:
            kvk = normalise_kvk(org)
            found = db.session.execute(
                select(Organisation).where(Organisation.kvk_number == kvk)
            ).scalar_one_or_none()
            if found is None:
                click.echo(f"error: {message('organisation.unknown')}", err=True)
                sys.exit(1)
            return found, None
        assert municipality is not None
        code = normalise_municipality_code(municipality)
    except InvalidValue as exc:
        click.echo(f"error: {message(exc.code)}", err=True)
        sys.exit(1)
    mun = db.session.execute(
        select(Municipality).where(Municipality.code == code)
    ).scalar_one_or_none()
    if mun is None:
        click.echo(f"error: {message('municipality.unknown')}", err=True)
        sys.exit(1)
    return None, mun


@apikeys_cli.command("create")
@click.option("--org", "org", help="KvK number of the organisation.")
@click.option("--municipality", help="CBS code of the municipality, e.g. GM0344.")
@click.option("--name", default="API key", show_default=True, help="What the key is for.")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Days until the key expires (default API_KEY_DEFAULT_DAYS, at most API_KEY_MAX_DAYS).",
)
def apikeys_create(org: str | None, municipality: str | None, name: str, days: int | None) -> None:
    """Create a key and print it ONCE (only its hash is stored)."""
    from portal.services import apikeys

    organisation, mun = _tenant(org, municipality)
    try:
        new = apikeys.create_key(
            name, organisation=organisation, municipality=mun, lifetime_days=days
        )
    except Refused as exc:
        db.session.rollback()
        click.echo(f"error: {message(exc.problems[0].code)}", err=True)
        sys.exit(1)
    db.session.commit()
    expires = f"{new.key.expires_at:%Y-%m-%d %H:%M} UTC" if new.key.expires_at else "never"
    click.echo(
        f"created key {new.key.prefix}… ({new.key.name}), expires {expires}; "
        "it is shown only this once:"
    )
    click.echo(new.secret)


@apikeys_cli.command("list")
@click.option("--org", "org", help="KvK number of the organisation.")
@click.option("--municipality", help="CBS code of the municipality, e.g. GM0344.")
def apikeys_list(org: str | None, municipality: str | None) -> None:
    """The keys of one organisation or municipality (prefix, name, last use, revoked)."""
    from portal.services import apikeys
    from portal.services.queries import Scope

    organisation, mun = _tenant(org, municipality)
    if organisation is not None:
        scope = Scope("organisation", organisation.id)
    else:
        assert mun is not None
        scope = Scope("municipality", mun.id)
    for key in apikeys.keys_of(scope):
        used = key.last_used_at.isoformat(timespec="minutes") if key.last_used_at else "never"
        expires = f"{key.expires_at:%Y-%m-%d}" if key.expires_at else "never"
        state = apikeys.state(key)
        if state == "revoked" and key.revoked_at is not None:
            state = f"revoked {key.revoked_at:%Y-%m-%d}"
        click.echo(
            f"{key.prefix}  {state:<18}  expires {expires:<10}  last used {used:<22}  {key.name}"
        )


@apikeys_cli.command("revoke")
@click.argument("prefix")
def apikeys_revoke(prefix: str) -> None:
    """Revoke the key whose prefix (as listed, e.g. mhk_AbCd1234) is PREFIX; at once."""
    from portal.models import ApiKey
    from portal.services import apikeys

    keys = db.session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalars().all()
    if len(keys) != 1:
        click.echo(f"error: {len(keys)} keys have the prefix {prefix!r}", err=True)
        sys.exit(1)
    if not apikeys.revoke_key(keys[0]):
        click.echo(f"error: {message('apikey.revoked')}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"revoked {prefix}")
