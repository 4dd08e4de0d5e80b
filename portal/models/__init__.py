"""The portal's data model (model layer): one module per aggregate, typed columns only."""

from portal.models.address import ENTRY_STATES, UNREGISTERED_LIVE, Address, AddressEntry
from portal.models.alert import AlertDigestLine, AlertMark
from portal.models.api import ApiKey, Batch, BatchUpload, IdempotencyRecord
from portal.models.audit import AuditEvent
from portal.models.declaration import (
    DECLARATION_KINDS,
    END_REASONS,
    Declaration,
    Receipt,
    ReferenceNumber,
)
from portal.models.flag import FLAG_STATUSES, OPEN_STATUSES, OUTCOMES, Flag, FlagEvent
from portal.models.mandate import Mandate
from portal.models.municipality import Municipality, MunicipalPolicy, Region
from portal.models.organisation import Organisation
from portal.models.outbox import OutboxMessage
from portal.models.permit import (
    APPLICATION_STATUSES,
    OPEN_APPLICATION_STATUSES,
    Permit,
    PermitApplication,
    PermitApplicationMessage,
    PermitDocument,
    PermitReminder,
)
from portal.models.ratelimit import RateLimitWindow
from portal.models.statistics import MonthlyStatistic
from portal.models.user import ROLES, AccountToken, RecoveryCode, User, UserSession

__all__ = [
    "APPLICATION_STATUSES",
    "DECLARATION_KINDS",
    "END_REASONS",
    "ENTRY_STATES",
    "FLAG_STATUSES",
    "OPEN_APPLICATION_STATUSES",
    "OPEN_STATUSES",
    "OUTCOMES",
    "ROLES",
    "UNREGISTERED_LIVE",
    "AccountToken",
    "Address",
    "AddressEntry",
    "AlertDigestLine",
    "AlertMark",
    "ApiKey",
    "AuditEvent",
    "Batch",
    "BatchUpload",
    "Declaration",
    "Flag",
    "FlagEvent",
    "IdempotencyRecord",
    "Mandate",
    "MonthlyStatistic",
    "MunicipalPolicy",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "Permit",
    "PermitApplication",
    "PermitApplicationMessage",
    "PermitDocument",
    "PermitReminder",
    "RateLimitWindow",
    "Receipt",
    "RecoveryCode",
    "ReferenceNumber",
    "Region",
    "User",
    "UserSession",
]
