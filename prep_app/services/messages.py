"""Texts and emails: planning them (rows written with the change that causes them), claiming the
due ones (a compare-and-set update, so two workers or a repeated tick never send one twice) and
sending each through its gateway.

Called by the views (planning) and by the job worker (claiming and sending), with the clock
passed in. The worker has no request: its audit rows name the system as the actor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_datetime
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from .. import languages
from ..config import public_base_url
from ..extensions import db
from ..gateways import GatewayFailure, OptedOut, Outgoing, PermanentFailure
from ..models import (
    Appointment,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageRecipient,
    MessageStatus,
    Patient,
    User,
)
from . import audit, drivers, links, rules, settings, texts
from .errors import InputError

log = logging.getLogger(__name__)

CLAIM_BATCH = 20
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)  # then doubled each time: 30 s, 1, 2, 4 minutes
# What the desk's record says when a message is not sent, by the rule that stopped it.
STOPPED = {
    rules.Refusal.CANCELLED: (MessageStatus.CANCELLED, "appointment cancelled"),
    rules.Refusal.CHECKED_IN: (MessageStatus.SUPPRESSED, "patient checked in"),
    rules.Refusal.OVER: (MessageStatus.SUPPRESSED, "appointment is over"),
}
# Texts have no subject; the console line of the development outbox shows it.
SUBJECTS = {MessagePurpose.LINK: _l("Your checklist before your visit"),
            MessagePurpose.DRIVER_LINK: _l("A ride home: can you make it?"),
            MessagePurpose.MORNING_CHECK: _l("A quick check before your visit today")}
# How a text (short) and an email (long) write the session's day and time, in each language.
WHEN_FORMATS = {
    "en": ("EEE d MMM HH:mm", "EEEE d MMMM y 'at' HH:mm"),
    "es": ("EEE d MMM HH:mm", "EEEE d 'de' MMMM 'de' y, 'a las' HH:mm"),
}


@dataclass(frozen=True, order=True)
class Claimed:
    id: int
    attempt: int  # the fencing token: only this attempt may record the outcome


def addresses(patient: Patient) -> list[tuple[MessageChannel, str]]:
    found = []
    if patient.phone:
        found.append((MessageChannel.SMS, patient.phone))
    if patient.email:
        found.append((MessageChannel.EMAIL, patient.email))
    return found


def plan_link(appointment: Appointment, now: datetime, actor=None) -> list[Message]:
    """The personal link, due now, by each way the patient can be reached (text, email)."""
    return plan_to_patient(appointment, MessagePurpose.LINK, now, actor)


def plan_to_patient(appointment: Appointment, purpose: MessagePurpose, due_at: datetime,
                    actor=None) -> list[Message]:
    """A message for ``purpose`` due at ``due_at``, by each way the patient can be reached;
    ``actor`` caused it (a member of staff is kept on the rows)."""
    rows = [Message(appointment=appointment, recipient=MessageRecipient.PATIENT,
                    channel=channel, purpose=purpose, due_at=due_at,
                    created_by_id=actor.id if isinstance(actor, User) else None)
            for channel, _ in addresses(appointment.patient)]
    db.session.add_all(rows)
    if rows:
        db.session.flush()
        audit.record("message.plan", record_type="appointment", record_id=appointment.id,
                     patient_id=appointment.patient_id, actor=actor,
                     detail=f"{purpose.value.replace('_', ' ')} by "
                            + " and ".join(str(m.channel) for m in rows))
    return rows


RESENDABLE = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED,
              MessageStatus.UNDELIVERABLE}


def resend(message: Message, now: datetime, actor) -> Message:
    """A fresh copy of a sent or failed message, due now (to the address on file now, so a
    corrected number gets it). Refused while a copy is still on its way, or to a number that
    replied STOP, or when the appointment may no longer be given a link."""
    rules.require(rules.link_refusal(message.appointment, now))
    if message.status not in RESENDABLE:
        raise InputError("Only a text or email that was sent or failed can be sent again.")
    same = (Message.appointment_id == message.appointment_id,
            Message.recipient == message.recipient, Message.channel == message.channel,
            Message.purpose == message.purpose)
    if db.session.scalar(select(Message.id).where(*same, Message.status.in_(
            (MessageStatus.PLANNED, MessageStatus.SENDING))).limit(1)) is not None:
        raise InputError("A copy is already on its way: it appears under Texts and emails.")
    address = _address(message)
    if address is None:
        what = "mobile number" if message.channel == MessageChannel.SMS else "email"
        raise InputError(f"There is no {what} on file: add one under Patient.")
    if message.channel == MessageChannel.SMS and texts.is_opted_out(address):
        raise InputError("This number replied STOP, so no texts go to it. Ask the patient to "
                         "reply START to get texts again, or give them the link by hand.")
    copy = Message(appointment_id=message.appointment_id, recipient=message.recipient,
                   channel=message.channel, purpose=message.purpose, due_at=now,
                   created_by_id=actor.id)
    db.session.add(copy)
    db.session.flush()
    audit.record("message.resend", record_type="message", record_id=copy.id,
                 patient_id=message.appointment.patient_id, actor=actor,
                 detail=f"copy of message {message.id}, {message.purpose} by {message.channel}")
    return copy


def for_appointment(appointment_id: int) -> list[Message]:
    """What was planned and sent for an appointment, newest first (the desk's record)."""
    return list(db.session.scalars(select(Message).where(
        Message.appointment_id == appointment_id).order_by(Message.id.desc())))


# Claiming ----------------------------------------------------------------------------------


def _due(now: datetime, sending_timeout: timedelta):
    return or_(and_(Message.status == MessageStatus.PLANNED, Message.due_at <= now),
               and_(Message.status == MessageStatus.SENDING,
                    Message.claimed_at < now - sending_timeout))


def claim(now: datetime, sending_timeout: timedelta, limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Mark up to ``limit`` due messages as sending, and return them; the caller commits.

    The condition is repeated in the UPDATE itself, so a row another worker claimed meanwhile
    no longer matches (PostgreSQL re-checks it after the other transaction commits; SQLite runs
    one writer at a time). PostgreSQL skips rows another worker holds instead of waiting. A row
    left in "sending" longer than ``sending_timeout`` (its worker died) is due again.
    """
    due = _due(now, sending_timeout)
    candidates = (select(Message.id).where(due).order_by(Message.due_at, Message.id)
                  .limit(limit).with_for_update(skip_locked=True).scalar_subquery())
    rows = db.session.execute(
        update(Message).where(Message.id.in_(candidates), due)
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id, Message.attempts)
        .execution_options(synchronize_session=False)).all()
    return sorted(Claimed(id_, attempt) for id_, attempt in rows)


def _finish(claimed: Claimed, now: datetime, **values) -> bool:
    """Record the outcome, if this attempt still holds the message (fencing on ``attempts``)."""
    result = db.session.execute(
        update(Message).where(Message.id == claimed.id, Message.attempts == claimed.attempt,
                              Message.status == MessageStatus.SENDING)
        .values(status_at=now, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        log.warning("message %s: attempt %s was overtaken; its outcome is not recorded",
                    claimed.id, claimed.attempt)
    return result.rowcount == 1


# Sending -----------------------------------------------------------------------------------


def stop_reason(message: Message, now: datetime) -> tuple[MessageStatus, str] | None:
    """Why this message must not go out (any more), or None: the appointment may no longer be
    given a link (``rules.link_refusal``), or a morning check is no longer wanted."""
    refusal = rules.link_refusal(message.appointment, now)
    if refusal is not None:
        return STOPPED[refusal]
    appointment = message.appointment
    if message.purpose == MessagePurpose.MORNING_CHECK:
        if not settings.get().is_morning_check_on:
            return MessageStatus.CANCELLED, "morning check turned off"
        if appointment.morning_checked_at is not None:
            return MessageStatus.CANCELLED, "morning check already answered"
        place = appointment.location  # planned for another day than the session's now
        if place.to_local(message.due_at).date() != place.to_local(appointment.starts_at).date():
            return MessageStatus.CANCELLED, "session moved to another day"
    return None


def _address(message: Message) -> str | None:
    if message.recipient == MessageRecipient.DRIVER:
        return drivers.phone_of(message.appointment)
    return dict(addresses(message.appointment.patient)).get(message.channel)


def _token(message: Message, now: datetime) -> str:
    """A link of the recipient's own, made just before sending (the patient's or the driver's:
    both open at /p/<token>); shorter in a text, which has 160 characters in all."""
    size = links.TEXT_TOKEN_BYTES if message.channel == MessageChannel.SMS else links.TOKEN_BYTES
    if message.recipient == MessageRecipient.DRIVER:
        return drivers.issue_for_message(message.appointment, now, size)
    return links.issue_for_message(message.appointment, size)


def compose(message: Message, url: str) -> tuple[str, str]:
    """(subject, body) of a message: no clinical detail, no last name, no date of birth. A
    message is written in the patient's language; its time and phone are the appointment's
    location's."""
    place = message.appointment.location
    local = place.to_local(message.appointment.starts_at)
    # The patient's language; the driver's text too (the patient's person: our best guess).
    language = languages.of_patient(message.appointment.patient)
    short, long = WHEN_FORMATS[language]
    context = {"sender": current_app.config["MESSAGE_SENDER_NAME"], "phone": place.phone,
               "url": url, "short_when": format_datetime(local, short, locale=language),
               "long_when": format_datetime(local, long, locale=language)}
    if message.purpose == MessagePurpose.DRIVER_LINK:  # the day: the pick-up time is on the page
        context["short_day"] = format_datetime(local, "EEE d MMM", locale=language)
    if message.purpose == MessagePurpose.MORNING_CHECK:  # the session is today: its time
        context["short_time"] = format_datetime(local, "HH:mm", locale=language)
    with force_locale(language):
        body = render_template(f"messages/{message.purpose}_{message.channel}.txt", **context)
        subject = str(SUBJECTS.get(message.purpose, ""))
    return subject, body.strip() + ("\n" if message.channel == MessageChannel.EMAIL else "")


def deliver(claimed: Claimed, now: datetime, gateways: dict) -> MessageStatus:
    """Send one claimed message and record what happened. Commits (twice: the message's link
    before it goes out, so the link works the moment it arrives; then the outcome)."""
    message = db.session.get(Message, claimed.id)
    stop = stop_reason(message, now)
    address = _address(message)
    gateway = gateways.get(str(message.channel))
    if stop is None and address is None:
        stop = MessageStatus.SUPPRESSED, f"no {message.channel} on file"
    if stop is None and gateway is None:
        stop = MessageStatus.SUPPRESSED, f"no {message.channel} provider set up"
    if stop is None and message.channel == MessageChannel.SMS and texts.is_opted_out(address):
        stop = MessageStatus.SUPPRESSED, texts.OPTED_OUT
    if stop is not None:
        status, reason = stop
        _finish(claimed, now, status=status, last_error=reason)
        db.session.commit()
        return status
    token = _token(message, now)
    subject, body = compose(message, links.public_url(
        token, public_base_url(current_app.config)))
    appointment_id, patient_id = message.appointment_id, message.appointment.patient_id
    db.session.commit()
    try:
        provider_id = gateway.send(Outgoing(to=address, body=body, subject=subject,
                                            reference=str(message.id)))
    except GatewayFailure as failure:
        return _failed(claimed, now, failure, appointment_id, patient_id, address)
    if _finish(claimed, now, status=MessageStatus.SENT, sent_at=now, provider_id=provider_id,
               to_address=address, last_error=None):
        audit.record("message.send", record_type="message", record_id=claimed.id,
                     patient_id=patient_id, detail=f"{message.purpose} by {message.channel}")
    db.session.commit()
    return MessageStatus.SENT


def _failed(claimed: Claimed, now: datetime, failure: GatewayFailure, appointment_id: int,
            patient_id: int, address: str) -> MessageStatus:
    db.session.rollback()
    if isinstance(failure, PermanentFailure):
        status, values = MessageStatus.UNDELIVERABLE, {}
    elif claimed.attempt >= MAX_ATTEMPTS:
        status, values = MessageStatus.FAILED, {}
    else:
        status = MessageStatus.PLANNED
        values = {"due_at": now + FIRST_RETRY * 2 ** (claimed.attempt - 1)}
    if _finish(claimed, now, status=status, last_error=failure.reason, to_address=address,
               **values) and \
            status != MessageStatus.PLANNED:
        audit.record("message.fail", record_type="message", record_id=claimed.id,
                     patient_id=patient_id, detail=failure.reason)
    if isinstance(failure, OptedOut):
        texts.set_opt_out(address, True, "STOP", now, how=texts.FROM_PROVIDER)
    db.session.commit()
    return status


def deliver_due(now: datetime, gateways: dict, sending_timeout: timedelta) -> int:
    """One tick of the worker: claim what is due and send it, one unit of work per message.
    Returns how many were claimed."""
    claimed = claim(now, sending_timeout)
    db.session.commit()
    for one in claimed:
        try:
            deliver(one, now, gateways)
        except Exception:
            # This message stays "sending" and is picked up again after the timeout.
            db.session.rollback()
            log.exception("message %s could not be processed", one.id)
    return len(claimed)
