"""What waits for each kind of user: the counts of the start pages (service layer).

One function per role; each count is one query, scoped through ``services.queries`` like the list
it links to, and uses that list's own filter (so the number on the start page is the number of
rows the link shows). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date

from sqlalchemy import Select, exists, func, select

from portal.extensions import db
from portal.models import Permit, PermitApplication, User
from portal.models.permit import OPEN_APPLICATION_STATUSES
from portal.notifications.sender import troubled_messages
from portal.services import address_entries, batches, declarations, municipal_admin
from portal.services.permit_applications import applications_query
from portal.services.permit_register import state_condition
from portal.services.queries import Scope, scoped


def _count(stmt: Select[tuple[object]]) -> int:
    return int(db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


class _Counts:
    @property
    def total(self) -> int:
        """Everything that waits: 0 means the start page says there is nothing to do."""
        return sum(astuple(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class OrganisationTodo(_Counts):
    """A declarant's or organisation admin's work; the last three matter to housing providers."""

    declarations_ending: int  # the last day within ENDING_WITHIN_DAYS (list: status=ending)
    uploads_with_errors: int  # the user's checked CSV files with errors, not yet filed or dropped
    questions: int  # renewal applications on which the municipality asked a question
    permits_to_renew: int  # expiring within 90 days, no renewal applied for or granted
    applications_waiting: int  # renewal applications waiting for the municipality's decision


def permits_to_renew_query(scope: Scope, today: date) -> Select[tuple[Permit]]:
    """The permits of ``permit_applications.needs_renewal``, in SQL."""
    applied = exists().where(
        PermitApplication.permit_id == Permit.id,
        PermitApplication.status.in_((*OPEN_APPLICATION_STATUSES, "approved")),
    )
    return scoped(Permit, scope).where(state_condition("expiring", today), ~applied)


def organisation_todo(user: User, scope: Scope, today: date) -> OrganisationTodo:
    """The counts of an organisation user's start page."""
    return OrganisationTodo(
        declarations_ending=_count(declarations.current_declarations_query(scope, "ending")),
        uploads_with_errors=_count(batches.uploads_with_errors_query(scope, user.id)),
        questions=_count(applications_query(scope, "info_requested")),
        permits_to_renew=_count(permits_to_renew_query(scope, today)),
        applications_waiting=_count(applications_query(scope, "submitted")),
    )


@dataclass(frozen=True)
class MunicipalTodo(_Counts):
    """A municipal admin's work."""

    applications_waiting: int  # renewal applications waiting for a decision (status=submitted)
    address_conflicts: int  # unregistered addresses entered with different details
    failed_mail: int  # mail to the municipality's people that failed after the last attempt


def municipal_todo(scope: Scope) -> MunicipalTodo:
    """The counts of a municipal admin's start page."""
    return MunicipalTodo(
        applications_waiting=_count(applications_query(scope, "submitted")),
        address_conflicts=address_entries.open_conflict_count(scope),
        failed_mail=_count(municipal_admin.failed_mail_query(scope)),
    )


@dataclass(frozen=True)
class SystemTodo(_Counts):
    """The system admin's work."""

    failed_mail: int  # mail that failed after the last attempt (outgoing mail, status=failed)


def system_todo(scope: Scope) -> SystemTodo:
    """The counts of the system admin's start page. The outbox has no tenant: only the system
    admin's scope sees it."""
    if scope.kind != "system":
        return SystemTodo(0)
    return SystemTodo(failed_mail=_count(troubled_messages("failed")))
