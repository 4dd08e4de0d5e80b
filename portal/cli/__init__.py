"""Command-line entry points: ``flask --app wsgi …`` (interface layer; commits once per command).

One module per command group: ``users``, ``registers`` (addresses, municipalities),
``notifications`` (outbox, alerts), ``flags``, ``demo``, ``api`` (apikeys), ``permits`` (permits,
daily), ``statistics``, ``retention`` and ``security`` (check-deploy); ``common`` holds what they
share. Only this package imports the command groups; nothing in the portal imports this package
but the application factory.
"""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Add every command group to ``app.cli``."""
    from portal.cli.api import apikeys_cli
    from portal.cli.demo import demo_cli
    from portal.cli.flags import flags_cli
    from portal.cli.notifications import alerts_cli, outbox_cli
    from portal.cli.permits import daily_cli, permits_cli
    from portal.cli.registers import addresses_cli, municipalities_cli
    from portal.cli.retention import retention_cli
    from portal.cli.security import check_deploy
    from portal.cli.statistics import statistics_cli
    from portal.cli.users import users_cli

    for command in (
        users_cli,
        outbox_cli,
        addresses_cli,
        municipalities_cli,
        demo_cli,
        flags_cli,
        alerts_cli,
        check_deploy,
        permits_cli,
        daily_cli,
        apikeys_cli,
        statistics_cli,
        retention_cli,
    ):
        app.cli.add_command(command)
