"""The portal's data model (model layer): one module per aggregate, typed columns only."""

from portal.models.address import Address
from portal.models.audit import AuditEvent
from portal.models.municipality import Municipality, MunicipalPolicy, Region
from portal.models.organisation import Organisation
from portal.models.outbox import OutboxMessage
from portal.models.user import ROLES, AccountToken, User, UserSession

__all__ = [
    "ROLES",
    "AccountToken",
    "Address",
    "AuditEvent",
    "MunicipalPolicy",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "Region",
    "User",
    "UserSession",
]
