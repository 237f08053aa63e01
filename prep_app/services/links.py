"""Patient links: random tokens, stored only as SHA-256 hashes, expiring and revocable."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import timeline
from ..extensions import db
from ..models import Appointment, PatientLink, utcnow
from ..readiness import LinkState, link_state
from . import audit, settings

TOKEN_BYTES = 32  # 256 bits from the operating system's CSPRNG
TEXT_TOKEN_BYTES = 16  # 128 bits (22 characters) in a text, which has 160 characters in all
MAX_TOKEN_LENGTH = 200  # anything longer is not one of ours: no need to hash it
DOB_MAX_TRIES = 5  # wrong dates of birth in a row before a pause
DOB_PAUSE = timedelta(minutes=15)
DOB_MAX_TOTAL = 10  # wrong dates of birth in all before the link stops for good
DOB_WARN_FROM = 3  # tries left from which the patient is told how many


class DobCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    PAUSED = "paused"  # too many in a row: wait DOB_PAUSE
    LOCKED = "locked"  # too many in all: the desk sends a new link


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token(token_bytes: int = TOKEN_BYTES) -> tuple[str, str]:
    """(token, its hash): the token goes to the person once, only the hash is stored."""
    token = secrets.token_urlsafe(token_bytes)
    return token, hash_token(token)


def expiry_for(appointment: Appointment) -> datetime:
    clinic = settings.get()
    return (timeline.session_end(appointment.starts_at, clinic.session_minutes)
            + timedelta(hours=clinic.link_grace_hours))


def issue(appointment: Appointment, actor=None) -> str:
    """Issue a fresh link for the appointment; every older link stops working. Returns the token,
    which is shown once and never stored."""
    revoke_all(appointment, record=False)
    return _new_link(appointment, actor)


def issue_for_message(appointment: Appointment, token_bytes: int = TOKEN_BYTES) -> str:
    """A link of its own for a text or email about to be sent (the worker's, no actor): the
    links already given stay valid, and revoking the appointment's links revokes this one too.
    The token goes into the message only, never into the database or a log."""
    return _new_link(appointment, None, detail="sent in a message", token_bytes=token_bytes)


def _new_link(appointment: Appointment, actor, detail: str = "",
              token_bytes: int = TOKEN_BYTES) -> str:
    token, token_hash = new_token(token_bytes)
    link = PatientLink(appointment=appointment, token_hash=token_hash,
                       expires_at=expiry_for(appointment),
                       created_by_id=actor.id if actor is not None else None)
    db.session.add(link)
    appointment.last_activity_at = utcnow()
    db.session.flush()
    audit.record("link.issue", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, actor=actor, detail=detail)
    return token


def revoke_all(appointment: Appointment, actor=None, record: bool = True) -> int:
    now = utcnow()
    result = db.session.execute(
        update(PatientLink)
        .where(PatientLink.appointment_id == appointment.id, PatientLink.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session="fetch"))
    if record:
        appointment.last_activity_at = now
        audit.record("link.revoke", record_type="appointment", record_id=appointment.id,
                     patient_id=appointment.patient_id, actor=actor)
    return result.rowcount


def find_usable(token: str | None = None, link_id: int | None = None) -> PatientLink | None:
    """The link for a token (or id), if it is neither unknown, revoked, expired nor cancelled.

    Every failure looks the same to the caller, so the patient sees one and the same page.
    """
    if token is not None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        where = PatientLink.token_hash == hash_token(token)
    elif link_id is not None:
        where = PatientLink.id == link_id
    else:
        return None
    # One query brings the appointment and its submission along: every patient page needs them.
    link = db.session.scalar(select(PatientLink).where(where).options(
        joinedload(PatientLink.appointment).joinedload(Appointment.submission)))
    if link is None or link.appointment.is_cancelled or state(link, utcnow()) is not (
            LinkState.ACTIVE):
        return None
    return link


def state(link: PatientLink | None, now: datetime) -> LinkState:
    """Active, revoked or expired (NONE: no link)."""
    if link is None:
        return LinkState.NONE
    return link_state(link.expires_at, link.revoked_at is not None, now)


def record_open(link: PatientLink) -> None:
    """The patient opened their link (the first use is kept for the front desk)."""
    if link.first_used_at is None:
        link.first_used_at = utcnow()
    audit.record("link.open", record_type="appointment", record_id=link.appointment_id,
                 patient_id=link.appointment.patient_id, actor=link)


def is_dob_paused(link: PatientLink) -> bool:
    return link.dob_locked_until is not None and link.dob_locked_until > utcnow()


def is_locked_after(dob_failures_total: int | None) -> bool:
    """Whether this many wrong dates of birth in all lock a link (until a new one is sent)."""
    return (dob_failures_total or 0) >= DOB_MAX_TOTAL


def dob_state(link: PatientLink) -> DobCheck | None:
    """LOCKED or PAUSED when no date of birth can be tried now, else None."""
    if is_locked_after(link.dob_failures_total):
        return DobCheck.LOCKED
    return DobCheck.PAUSED if is_dob_paused(link) else None


def dob_tries_left(link: PatientLink) -> int | None:
    """How many wrong answers the link takes before it locks, once few are left, else None."""
    left = DOB_MAX_TOTAL - (link.dob_failures_total or 0)
    return left if 0 < left <= DOB_WARN_FROM else None


def check_date_of_birth(link: PatientLink, given: date) -> DobCheck:
    """Compare the date of birth the patient typed with the record, and count a wrong one.

    The link's row is read again under a lock (FOR UPDATE on PostgreSQL; SQLite's write lock is
    already held), so two answers sent at once cannot both slip past a pause or the lock.
    Wrong answers are counted on the link in the database, so a new browser or a cleared
    cookie does not reset them: the fifth in a row pauses the link for ``DOB_PAUSE``, the
    tenth in all locks it until the front desk sends a new link.
    """
    db.session.scalar(select(PatientLink).where(PatientLink.id == link.id).with_for_update()
                      .execution_options(populate_existing=True))
    state = dob_state(link)
    if state is not None:
        return state
    appointment = link.appointment
    if given == appointment.patient.date_of_birth:
        link.failed_dob_attempts = 0
        audit.record("link.verify", record_type="appointment", record_id=appointment.id,
                     patient_id=appointment.patient_id, actor=link)
        return DobCheck.RIGHT
    link.failed_dob_attempts = (link.failed_dob_attempts or 0) + 1
    link.dob_failures_total = (link.dob_failures_total or 0) + 1
    audit.record("link.verify_failed", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, actor=link)
    if is_locked_after(link.dob_failures_total):
        audit.record("link.verify_locked", record_type="appointment", record_id=appointment.id,
                     patient_id=appointment.patient_id, actor=link,
                     detail=f"{DOB_MAX_TOTAL} wrong dates of birth")
        db.session.flush()
        return DobCheck.LOCKED
    if link.failed_dob_attempts >= DOB_MAX_TRIES:
        link.failed_dob_attempts = 0
        link.dob_locked_until = utcnow() + DOB_PAUSE
    db.session.flush()
    return DobCheck.WRONG


def public_url(token: str, base_url: str) -> str:
    """The absolute link to give the patient: the app's public address (``base_url``: the
    PUBLIC_BASE_URL, or the address a request came to) and the patient page's path."""
    path = current_app.url_map.bind("").build("patient.open_link", {"token": token})
    return base_url.rstrip("/") + path
