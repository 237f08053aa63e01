"""Staff sign-in with a per-account lockout, sign-out everywhere, and changing one's own
password.

Every change here adds its audit row and flushes; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import User, utcnow
from . import audit
from .accounts import StaffError, end_sessions, normalise_email, set_password
from .passwords import dummy_hash, hash_password, hasher, verify_password

MAX_FAILED_SIGN_INS = 5
LOCK_DURATION = timedelta(minutes=15)


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


@dataclass(frozen=True)
class Credentials:
    """What a sign-in attempt's read-only half found: whose account, and whether the password
    matched the hash it was checked against."""

    user_id: int | None
    password_hash: str | None
    matches: bool


def check_credentials(email: str | None, password: str | None) -> Credentials:
    """The slow half of signing in (argon2), which only reads: run it before any lock is taken.

    An unknown account is checked against a dummy hash, so it takes about as long."""
    password = password or ""
    email = normalise_email(email)
    user = None
    if email and len(email) <= 254:
        user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        verify_password(dummy_hash(), password)
        return Credentials(None, None, False)
    return Credentials(user.id, user.password_hash,
                       verify_password(user.password_hash, password))


def record_sign_in(found: Credentials, password: str | None, *,
                   known_browser: bool = False) -> User | None:
    """The user, when the credentials match an active account that is not locked.

    Every failure looks the same to the person signing in (unknown account, wrong password,
    locked, deactivated). Failures are counted on the account, whatever address they come
    from; too many in a row lock it for a while. The account's row is locked (FOR UPDATE on
    PostgreSQL: two failures at once both count) only now, after the hash was checked. Each
    attempt is audited; no email address or password is stored in the row.

    ``known_browser``: the attempt comes from a browser that signed in to this account before
    (auth/devices.py, which counts its failures): the account's lockout does not apply to it,
    and its wrong passwords are not counted on the account.
    """
    password = password or ""
    user = None
    if found.user_id is not None:
        user = db.session.get(User, found.user_id, with_for_update=True,
                              populate_existing=True)
    if user is None:
        audit.record("sign_in.failed", detail="unknown account")
        db.session.flush()
        return None
    matches = found.matches
    if user.password_hash != found.password_hash:  # changed in between: check the new one
        matches = verify_password(user.password_hash, password)
    now = utcnow()
    if (is_locked(user, now) and not known_browser) or not user.is_active_account:
        reason = "account locked" if user.is_active_account else "account deactivated"
        audit.record("sign_in.failed", record_type="user", record_id=user.id, detail=reason)
        db.session.flush()
        return None
    if not matches:
        if known_browser:
            audit.record("sign_in.failed", record_type="user", record_id=user.id,
                         detail="wrong password; known browser")
            db.session.flush()
        else:
            register_failure(user, now)
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not known_browser:  # a stranger's lockout stays on for the other browsers
        user.failed_sign_ins = 0
        user.locked_until = None
    user.last_sign_in_at = now
    audit.record("sign_in", record_type="user", record_id=user.id, actor=user)
    db.session.flush()
    return user


def register_failure(user: User, now: datetime | None = None,
                     detail: str = "wrong password") -> bool:
    """Count a wrong password; lock the account after too many. Returns True when it locked."""
    now = now or utcnow()
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    locked = user.failed_sign_ins >= MAX_FAILED_SIGN_INS
    if locked:
        user.failed_sign_ins = 0
        user.locked_until = now + LOCK_DURATION
        detail += f"; locked for {int(LOCK_DURATION.total_seconds() // 60)} minutes"
    audit.record("sign_in.failed", record_type="user", record_id=user.id, detail=detail)
    db.session.flush()
    return locked


def sign_out(user: User, reason: str = "") -> None:
    """Sign this user out everywhere (the session epoch moves on)."""
    end_sessions(user)
    audit.record("sign_out", record_type="user", record_id=user.id, detail=reason, actor=user)
    db.session.flush()


def change_own_password(user: User, current: str, new: str) -> bool:
    """The person changes their own password; other sessions end. A wrong current password
    counts as a failed sign-in (so a borrowed session cannot guess it): False, and that failure
    is what the request stores."""
    if not verify_password(user.password_hash, current or ""):
        register_failure(user, detail="wrong current password on password change")
        return False
    if verify_password(user.password_hash, new or ""):
        raise StaffError("Choose a password different from your current one.", "password")
    set_password(user, new, actor=user, action="staff.password_change")
    return True
