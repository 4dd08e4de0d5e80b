"""Two-factor login with TOTP and single-use recovery codes (service layer).

Rules (docs/security.md T11; ASVS 6.3.3, 6.4.3, 6.5.1-6.5.5; BIO2 5.17.01):

- Municipal staff and system administrators must pass a second factor after their password;
  organisation users may enrol voluntarily, and once enrolled they are asked too.
- RFC 6238 codes of 6 digits and 30-second time steps, computed from ``portal.clock.now()`` so
  tests can freeze time. A code is accepted for its own step and one step either side (clock
  drift); two steps away is refused.
- A code is usable once: its time step must be later than the last accepted step of the user
  (``users.totp_last_step``), set with a compare-and-set UPDATE so two requests racing with the
  same code cannot both pass.
- Recovery codes: 10 per enrolment, 24 characters of a 32-symbol alphabet (120 bits), shown once,
  stored as SHA-256 (random secrets of >= 112 bits may use a plain hash, ASVS 6.5.2), each usable
  once (compare-and-set on ``used_at``).
- Every attempt counts against a per-user rate limit shared by all workers.

Like every service this module flushes but never commits; the view commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal import clock
from portal.extensions import db
from portal.models import RecoveryCode, User
from portal.models.user import MUNICIPAL_ROLES, SYSTEM_ROLES
from portal.services import audit
from portal.services.errors import Refused
from portal.services.ratelimit import hit
from portal.services.sessions import mark_second_factor

REQUIRED_ROLES = MUNICIPAL_ROLES + SYSTEM_ROLES
ISSUER = "Meldportaal Huisvesting"
STEP_SECONDS = 30  # ASVS 6.5.5: a TOTP lives at most 30 seconds
DIGITS = 6
DRIFT_STEPS = 1  # accept the previous and the next step as well, nothing further
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no I/O/0/1 to misread
RECOVERY_CODE_LENGTH = 24  # 24 x 5 bits = 120 bits
# Attempts (right or wrong) per user per window, across all workers.
ATTEMPT_LIMIT = 10
ATTEMPT_WINDOW_SECONDS = 15 * 60


# --- secrets and codes -----------------------------------------------------------------------


def new_secret() -> str:
    """A fresh base32 TOTP secret of 160 bits from the operating system's CSPRNG (ASVS 6.5.3)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def step_at(moment_timestamp: float) -> int:
    return int(moment_timestamp) // STEP_SECONDS


def current_step() -> int:
    """The RFC 6238 time step of ``clock.now()``."""
    return step_at(clock.now().timestamp())


def code_at(secret: str, step: int) -> str:
    """The 6-digit code of ``secret`` for time step ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def current_code(secret: str) -> str:
    """The code an authenticator app shows now (demo command, tests)."""
    return code_at(secret, current_step())


def grouped(secret: str) -> str:
    """The secret in groups of four characters, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )


def qr_data_uri(text: str) -> str:
    """``text`` as a QR code in an SVG ``data:`` URI (no external asset, no JavaScript)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=4))


# --- who must do what ------------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Whether the role demands a second factor (municipal staff, system administrators)."""
    return user.role in REQUIRED_ROLES


def is_enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def asks_second_factor(user: User) -> bool:
    """Whether a login of ``user`` needs the second step (required, or voluntarily enrolled)."""
    return required_for(user) or is_enrolled(user)


def second_factor_pending(user: User) -> bool:
    """True while a logged-in user still owes the second factor in this session."""
    return asks_second_factor(user) and not getattr(user, "second_factor_done", False)


# --- enrolment -------------------------------------------------------------------------------


def start_enrolment(user: User) -> str:
    """Give a not yet enrolled user a fresh pending secret (replacing any earlier pending one).

    Called on a POST (the password login, or "set up" on the account page), so a secret seen in
    an earlier, abandoned session is never the one that ends up enrolled.
    """
    if is_enrolled(user):
        raise Refused.one("code", "totp.already_enrolled")
    user.totp_secret = new_secret()
    user.totp_last_step = None
    db.session.flush()
    return user.totp_secret


def pending_secret(user: User) -> str | None:
    """The secret being set up, or None when there is none (or the user is enrolled)."""
    if is_enrolled(user) or not user.totp_secret:
        return None
    return user.totp_secret


def confirm_enrolment(user: User, raw_code: str) -> list[str]:
    """Enrol ``user`` when ``raw_code`` fits the pending secret; returns the recovery codes.

    The session counts as having passed the second factor. The codes are returned once, in
    plain text, for the page to show; only their hashes are stored.
    """
    _count_attempt(user)
    secret = pending_secret(user)
    if is_enrolled(user):
        raise Refused.one("code", "totp.already_enrolled")
    if secret is None:
        raise Refused.one("code", "totp.enrol_expired")
    code = _normalise_totp(raw_code)
    step = _matching_step(secret, code) if code else None
    if step is None or not _claim_step(user, step):
        _failed(user, "enrol")
        raise Refused.one("code", "totp.enrol_wrong")
    user.totp_enabled_at = clock.now()
    codes = replace_recovery_codes(user)
    mark_second_factor(user)
    audit.record("totp.enrol", actor=user, object_type="user", object_id=user.id)
    return codes


# --- the second step of a login --------------------------------------------------------------


@dataclass(frozen=True)
class SecondFactorResult:
    method: str  # "totp" or "recovery_code"
    recovery_codes_left: int


def verify_second_factor(user: User, raw_code: str) -> SecondFactorResult:
    """Check a TOTP code or a recovery code; on success this session has its second factor."""
    _count_attempt(user)
    if not is_enrolled(user):
        raise Refused.one("code", "totp.not_enrolled")
    totp_code = _normalise_totp(raw_code)
    if totp_code:
        step = _matching_step(str(user.totp_secret), totp_code)
        if step is None:
            _failed(user, "wrong")
            raise Refused.one("code", "totp.wrong")
        if not _claim_step(user, step):
            _failed(user, "replay")
            raise Refused.one("code", "totp.replay")
        mark_second_factor(user)
        audit.record("totp.ok", actor=user, object_type="user", object_id=user.id)
        return SecondFactorResult("totp", remaining_recovery_codes(user))
    recovery = _normalise_recovery(raw_code)
    if recovery is None:
        _failed(user, "format")
        raise Refused.one("code", "totp.format")
    if not _claim_recovery_code(user, recovery):
        _failed(user, "recovery_code")
        raise Refused.one("code", "totp.wrong")
    mark_second_factor(user)
    left = remaining_recovery_codes(user)
    audit.record(
        "recovery_code.used",
        actor=user,
        object_type="user",
        object_id=user.id,
        detail=f"{left} left",
    )
    return SecondFactorResult("recovery_code", left)


def new_recovery_codes(user: User, raw_code: str) -> list[str]:
    """Replace the recovery codes after a fresh TOTP code (re-authentication, ASVS 7.5.1)."""
    _count_attempt(user)
    if not is_enrolled(user):
        raise Refused.one("code", "totp.not_enrolled")
    code = _normalise_totp(raw_code)
    step = _matching_step(str(user.totp_secret), code) if code else None
    if step is None or not _claim_step(user, step):
        _failed(user, "new_recovery_codes")
        raise Refused.one("code", "totp.wrong")
    codes = replace_recovery_codes(user)
    audit.record("recovery_codes.replaced", actor=user, object_type="user", object_id=user.id)
    return codes


# --- recovery codes --------------------------------------------------------------------------


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _new_recovery_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def format_recovery_code(code: str) -> str:
    """``ABCD-EFGH-…`` for display; input is accepted with or without dashes and spaces."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def replace_recovery_codes(user: User) -> list[str]:
    """Drop the unused recovery codes of ``user`` and make 10 new ones (returned in plain text)."""
    db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(code)))
    db.session.flush()
    return [format_recovery_code(code) for code in codes]


def reset_second_factor(user: User) -> None:
    """Forget the user's TOTP key and recovery codes (a lost phone, on an operator's word) and
    end their sessions: at the next login a staff user enrols again."""
    from portal.services.sessions import revoke_all_sessions

    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    revoke_all_sessions(user)
    audit.record(
        "totp.reset",
        actor_label="cli",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        municipality_id=user.municipality_id,
    )


def remaining_recovery_codes(user: User) -> int:
    return int(
        db.session.execute(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).scalar_one()
    )


# --- internals -------------------------------------------------------------------------------


def _normalise_totp(raw: str) -> str | None:
    code = "".join((raw or "").split())
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def _normalise_recovery(raw: str) -> str | None:
    code = "".join(ch for ch in (raw or "").upper() if ch not in " -\t")
    if len(code) != RECOVERY_CODE_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in code):
        return None
    return code


def _matching_step(secret: str, code: str) -> int | None:
    """The latest step within the drift window whose code equals ``code`` (constant time)."""
    now = current_step()
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def _claim_step(user: User, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) was used already: one code, one use."""
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _claim_recovery_code(user: User, code: str) -> bool:
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _count_attempt(user: User) -> None:
    limit = hit(f"totp:{user.id}", ATTEMPT_LIMIT, ATTEMPT_WINDOW_SECONDS)
    if not limit.allowed:
        _failed(user, "rate_limited")
        raise Refused.one("code", "totp.too_many", detail=str(limit.retry_after))


def _failed(user: User, reason: str) -> None:
    audit.record(
        "totp.failed",
        actor=user,
        object_type="user",
        object_id=user.id,
        result="failed",
        detail=reason,
    )
