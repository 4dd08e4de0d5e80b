"""What the command groups share: refusals and import reports printed the same way."""

from __future__ import annotations

import sys

import click

from portal.extensions import db
from portal.messages import message
from portal.services.errors import Refused
from portal.services.imports import ImportReport


def fail(exc: Refused) -> None:
    """Roll back, print each problem of the refusal on stderr, exit 1."""
    db.session.rollback()
    for problem in exc.problems:
        detail = f" ({problem.detail})" if problem.detail else ""
        click.echo(
            f"error: {problem.field}: {message(problem.code, problem.detail)}{detail}", err=True
        )
    sys.exit(1)


def print_report(report: ImportReport, max_lines: int = 200) -> None:
    """Counts on stdout; the rejected lines (at most max_lines) on stderr."""
    click.echo(
        f"inserted {report.inserted}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {len(report.rejected)}"
    )
    for rejected in report.rejected[:max_lines]:
        detail = f" ({rejected.detail})" if rejected.detail else ""
        click.echo(
            f"line {rejected.line}: {message(rejected.code, rejected.detail)}{detail}", err=True
        )
    if len(report.rejected) > max_lines:
        click.echo(f"… and {len(report.rejected) - max_lines} more rejected lines", err=True)
