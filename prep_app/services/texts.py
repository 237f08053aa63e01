"""Texts' own rules: a number that replied STOP gets no more texts until it replies START, and
what the text provider later reports (delivered, failed) lands on the message's row.

Called by the provider's webhooks and by the worker, with the clock passed in. The reply itself
is never stored or audited: only the keyword and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..extensions import db
from ..models import (
    Appointment,
    Message,
    MessageChannel,
    MessageRecipient,
    MessageStatus,
    Patient,
    TextOptOut,
)
from . import audit

# The keywords carriers and Twilio treat as opting out and back in (a whole reply, any case).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
OPTED_OUT = "opted out by text"
# What a provider's report can make of a sent text.
REPORTED = {"delivered": MessageStatus.DELIVERED, "failed": MessageStatus.FAILED,
            "undeliverable": MessageStatus.UNDELIVERABLE,
            "opted_out": MessageStatus.UNDELIVERABLE}
FROM_PROVIDER = "reported by the text service"


def keyword(body: str) -> str | None:
    """STOP, START (or a synonym) when that is the whole reply, else None."""
    word = (body or "").strip().strip(".!").upper()
    return word if word in STOP_WORDS | START_WORDS else None


def is_opted_out(phone: str) -> bool:
    return bool(db.session.scalar(select(TextOptOut.opted_out).where(TextOptOut.phone == phone)))


def record_reply(phone: str, body: str, now: datetime) -> str | None:
    """Act on a reply from ``phone``: STOP opts it out (its planned texts are suppressed),
    START opts it back in. Returns the keyword acted on, or None for any other reply."""
    word = keyword(body)
    if word is None:
        return None
    return set_opt_out(phone, word in STOP_WORDS, word, now)


def set_opt_out(phone: str, opted_out: bool, word: str, now: datetime,
                how: str = "by text") -> str:
    row = db.session.scalar(select(TextOptOut).where(TextOptOut.phone == phone))
    if row is None:
        row = TextOptOut(phone=phone)
        db.session.add(row)
    row.opted_out, row.keyword, row.changed_at = opted_out, word, now
    db.session.flush()
    suppressed = _suppress_planned(phone, now) if opted_out else 0
    audit.record("text.opt_out" if opted_out else "text.opt_in", record_type="text_opt_out",
                 record_id=row.id, detail=f"{word} {how}"
                 + (f"; {suppressed} planned text(s) suppressed" if suppressed else ""))
    return word


def _suppress_planned(phone: str, now: datetime) -> int:
    """Planned texts to patients with this number will not go out (the worker also checks each
    number before it sends, which covers drivers and texts planned later)."""
    to_phone = select(Appointment.id).join(Patient).where(Patient.phone == phone)
    result = db.session.execute(
        update(Message).where(Message.status == MessageStatus.PLANNED,
                              Message.channel == MessageChannel.SMS,
                              Message.recipient == MessageRecipient.PATIENT,
                              Message.appointment_id.in_(to_phone))
        .values(status=MessageStatus.SUPPRESSED, status_at=now, last_error=OPTED_OUT)
        .execution_options(synchronize_session=False))
    return result.rowcount


def record_report(provider_id: str, outcome: str, reason: str | None, now: datetime) -> bool:
    """The provider's later word on a sent text ("delivered", "failed", "undeliverable" or
    "opted_out", with the desk's reason). Only a sent text moves on, so a late or repeated
    report changes nothing. Returns whether a row changed."""
    status = REPORTED[outcome]
    message = db.session.scalar(select(Message).where(
        Message.provider_id == provider_id, Message.channel == MessageChannel.SMS))
    if message is None or message.status != MessageStatus.SENT:
        return False
    message.status, message.status_at = status, now
    if status != MessageStatus.DELIVERED:
        message.last_error = reason
        audit.record("message.fail", record_type="message", record_id=message.id,
                     patient_id=message.appointment.patient_id, detail=reason or str(status))
    if outcome == "opted_out" and message.to_address:
        set_opt_out(message.to_address, True, "STOP", now, how=FROM_PROVIDER)
    return True
