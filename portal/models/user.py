"""Users, their server-side sessions and single-use email tokens (model layer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.models.municipality import Municipality
from portal.models.organisation import Organisation
from portal.models.types import UTCDateTime

ORG_ROLES = ("declarant", "org_admin")
MUNICIPAL_ROLES = ("inspector", "municipal_admin")
SYSTEM_ROLES = ("system_admin",)
ROLES = ORG_ROLES + MUNICIPAL_ROLES + SYSTEM_ROLES


class User(db.Model):
    """A person who logs in: of one organisation, of one municipality, or neither (operator)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('declarant', 'org_admin', 'inspector', 'municipal_admin', 'system_admin')",
            name="role_known",
        ),
        CheckConstraint(
            "(role IN ('declarant', 'org_admin') AND organisation_id IS NOT NULL "
            "AND municipality_id IS NULL) OR "
            "(role IN ('inspector', 'municipal_admin') AND municipality_id IS NOT NULL "
            "AND organisation_id IS NULL) OR "
            "(role = 'system_admin' AND organisation_id IS NULL AND municipality_id IS NULL)",
            name="tenant_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored as normalised by email-validator (domain part lower-cased) and compared lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # How pages that list people show this person; empty: the email address (``shown_name``).
    display_name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preferred_locale: Mapped[str] = mapped_column(String(5), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor login (TOTP) for municipal staff; enrolment arrives with the inspector issue.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Inspectors: alert on every new or escalated flag ("immediate"), once a day ("digest"), or
    # not by email ("none").
    alert_mode: Mapped[str] = mapped_column(
        String(10), default="immediate", server_default="immediate"
    )

    organisation: Mapped[Organisation | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()

    # --- Flask-Login protocol. The id Flask-Login keeps in the cookie is the session token, not
    # the user id, so that logout can end the session on the server (docs/security.md §3).
    session_token = None  # set per request by services.sessions; not a column
    second_factor_done = False  # likewise: this session passed TOTP or a recovery code

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.removed_at is None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> Any:
        return self.session_token

    @property
    def shown_name(self) -> str:
        """The display name, or the email address when the person has not given one."""
        return self.display_name or self.email

    @property
    def is_org_user(self) -> bool:
        return self.role in ORG_ROLES

    @property
    def is_municipal_user(self) -> bool:
        return self.role in MUNICIPAL_ROLES


class UserSession(db.Model):
    """One login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the second factor (TOTP or a recovery code) was checked in this session.
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    origin_ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class AccountToken(db.Model):
    """A single-use link sent by email: verify an address, reset a password, accept an invite."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('verify_email', 'reset_password', 'invite')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use recovery code for two-factor login; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExternalIdentity(db.Model):
    """A person proven by an eHerkenning broker, bound to a user: the broker (``issuer``), its
    pseudonym of the person (the acting subject) and the company they act for (one person may act
    for several). Logins are matched on these, not on email. Municipal staff who log in through
    their municipality's provider are bound the same way, without a KvK number."""

    __tablename__ = "external_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", "kvk_number", name="uq_external_identities_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kvk_number: Mapped[str] = mapped_column(String(8))
    loa: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
