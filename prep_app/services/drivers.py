"""The driver confirms: the patient's consent to text their driver, the driver's own link, and
the driver's answer ("I'll be there" / "I can't make it").

A driver link is made by the same machinery as a patient's (a random token, only its SHA-256
hash stored) when the worker sends the text, and it expires at the end of the session's day.
It opens the driver's page only. A new driver or a new number revokes the old links, cancels
the texts still planned, forgets the old driver's answer and plans a text to the new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import timeline
from ..extensions import db
from ..models import (
    Appointment,
    DriverLink,
    DriverReply,
    Location,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageRecipient,
    MessageStatus,
)
from . import audit, links, settings, status, submissions
from .errors import InputError

NAME, PHONE = "driver_name", "driver_phone"  # the ride page's items (default_checklist.py)


class ReplyClosed(InputError):
    """The session has started: the driver's answer can no longer change here."""

    def __init__(self):
        super().__init__("The session has started.", status=409)


def place_of(appointment: Appointment) -> Location:
    """Where the driver picks the patient up: the appointment's location (its address and
    phone, as the texts name them)."""
    return appointment.location


def pickup_at(appointment: Appointment) -> datetime:
    return timeline.session_end(appointment.starts_at, settings.get().session_minutes)


def expiry_for(appointment: Appointment) -> datetime:
    """The end of the session's day, on its location's clock."""
    place = appointment.location
    return status.day_bounds(place.to_local(appointment.starts_at).date(), place.zone)[1]


def first_name(appointment: Appointment) -> str:
    return (appointment.patient.full_name.split() or [""])[0]


def is_reply_open(appointment: Appointment, now: datetime) -> bool:
    """The driver may answer, or change the answer, until the session starts."""
    return (not appointment.is_cancelled and appointment.checked_in_at is None
            and appointment.starts_at > now)


# The patient names a driver ------------------------------------------------------------------


def ride_saved(appointment: Appointment, before: Mapping[str, str], after: Mapping[str, str],
               is_text_allowed: bool | None, now: datetime, actor=None) -> None:
    """The ride page was saved (by ``actor``, the patient's link): ``before`` and ``after`` are
    the answers around the save, ``is_text_allowed`` the patient's yes/no to texting the
    driver (None: not answered)."""
    phone = after.get(PHONE, "")
    allowed = bool(phone) and is_text_allowed is True
    was_allowed = appointment.is_driver_text_allowed is True
    is_new_driver = (before.get(NAME, ""), before.get(PHONE, "")) != (after.get(NAME, ""), phone)
    appointment.is_driver_text_allowed = is_text_allowed if phone else None
    if is_new_driver and appointment.driver_reply is not None:
        appointment.driver_reply = appointment.driver_replied_at = None
    if is_new_driver or (was_allowed and not allowed):
        _stop(appointment, now, "driver changed" if is_new_driver else "patient said no texts",
              actor)
    if allowed and (is_new_driver or not was_allowed):
        _plan(appointment, now, actor)


def _stop(appointment: Appointment, now: datetime, reason: str, actor) -> None:
    """The old driver's links stop working and their texts still planned are cancelled."""
    revoked = db.session.execute(
        update(DriverLink).where(DriverLink.appointment_id == appointment.id,
                                 DriverLink.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session="fetch")).rowcount
    cancelled = db.session.execute(
        update(Message).where(Message.appointment_id == appointment.id,
                              Message.recipient == MessageRecipient.DRIVER,
                              Message.status == MessageStatus.PLANNED)
        .values(status=MessageStatus.CANCELLED, status_at=now, last_error=reason)
        .execution_options(synchronize_session="fetch")).rowcount
    if revoked or cancelled:
        audit.record("driver.link_revoke", record_type="appointment", record_id=appointment.id,
                     patient_id=appointment.patient_id, detail=reason, actor=actor)


def _plan(appointment: Appointment, now: datetime, actor) -> None:
    db.session.add(Message(appointment=appointment, recipient=MessageRecipient.DRIVER,
                           channel=MessageChannel.SMS, purpose=MessagePurpose.DRIVER_LINK,
                           due_at=now))
    db.session.flush()
    audit.record("message.plan", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail="driver link by sms", actor=actor)


def phone_of(appointment: Appointment) -> str | None:
    """The driver's mobile number, while the patient lets the clinic text it."""
    if appointment.is_driver_text_allowed is not True:
        return None
    return submissions.answers_of(appointment.submission).get(PHONE) or None


# The driver's link ---------------------------------------------------------------------------


def issue_for_message(appointment: Appointment, now: datetime,
                      token_bytes: int = links.TEXT_TOKEN_BYTES) -> str:
    """A driver link for a text about to be sent (the worker's). Returns the token, which goes
    into the text only."""
    token, token_hash = links.new_token(token_bytes)
    db.session.add(DriverLink(appointment=appointment, token_hash=token_hash, created_at=now,
                              expires_at=expiry_for(appointment)))
    db.session.flush()
    audit.record("driver.link_issue", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail="sent in a message")
    return token


def find_usable(now: datetime, token: str | None = None, link_id: int | None = None
                ) -> DriverLink | None:
    """The driver link for a token (or id) unless unknown, revoked, expired or cancelled: each
    of these looks the same."""
    if token is not None:
        if not token or len(token) > links.MAX_TOKEN_LENGTH:
            return None
        where = DriverLink.token_hash == links.hash_token(token)
    elif link_id is not None:
        where = DriverLink.id == link_id
    else:
        return None
    link = db.session.scalar(select(DriverLink).where(where).options(
        joinedload(DriverLink.appointment).joinedload(Appointment.patient)))
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        return None
    return None if link.appointment.is_cancelled else link


def record_view(link: DriverLink, now: datetime) -> None:
    """The driver looked at their page (a row per view; ids only)."""
    if link.first_used_at is None:
        link.first_used_at = now
    audit.record("driver.view", record_type="appointment", record_id=link.appointment_id,
                 patient_id=link.appointment.patient_id, detail=f"driver link {link.id}",
                 actor=link)


def reply(link: DriverLink, answer: DriverReply, now: datetime) -> None:
    """The driver's answer; they may change it until the session starts."""
    appointment = link.appointment
    if not is_reply_open(appointment, now):
        raise ReplyClosed()
    appointment.driver_reply, appointment.driver_replied_at = answer, now
    appointment.last_activity_at = now
    audit.record("driver.reply", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail=f"driver link {link.id}: {answer}",
                 actor=link)
