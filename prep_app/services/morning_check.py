"""The morning-of check (a clinic setting, off by default): on the session's day, at the
clinic's hour, a text and an email ask the patient three short questions behind their link
("still fasting as planned? driver still coming? feeling unwell?"). The answers are kept on the
appointment; readiness turns a "no" or an "unwell" into "needs attention" (readiness.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time

from sqlalchemy import select

from .. import readiness
from ..extensions import db
from ..models import Appointment, Message, MessagePurpose, MessageStatus
from . import audit, messages, settings

QUESTIONS = tuple(readiness.MORNING_CONCERNS)  # each answered "yes" or "no"


def is_on() -> bool:
    return bool(settings.get().is_morning_check_on)


def sent_at(appointment: Appointment) -> datetime:
    """The clinic's hour on the session's day, on its location's clock, as UTC (DST-safe:
    built on the local clock)."""
    place = appointment.location
    day = place.to_local(appointment.starts_at).date()
    hour = time(settings.get().morning_check_hour)
    return datetime.combine(day, hour, tzinfo=place.zone).astimezone(UTC)


def is_session_day(appointment: Appointment, moment: datetime) -> bool:
    """``moment`` falls on the session's day, on its location's clock."""
    place = appointment.location
    return place.to_local(moment).date() == place.to_local(appointment.starts_at).date()


def is_open(appointment: Appointment, now: datetime) -> bool:
    """The check can be answered on the session's day, until the session starts."""
    return (is_on() and not appointment.is_cancelled and appointment.checked_in_at is None
            and is_session_day(appointment, now) and now < appointment.starts_at)


def plan(appointment: Appointment, now: datetime, actor=None) -> list[Message]:
    """Plan the check's text and email for the session's day (once: a plan already waiting
    for the same moment stays; one for another moment, after a move, is cancelled)."""
    if not is_on():
        return []
    due = sent_at(appointment)
    waiting = list(db.session.scalars(select(Message).where(
        Message.appointment_id == appointment.id,
        Message.purpose == MessagePurpose.MORNING_CHECK,
        Message.status == MessageStatus.PLANNED)))
    for old in waiting:
        if old.due_at != due:
            old.status, old.status_at, old.last_error = MessageStatus.CANCELLED, now, "moved"
    if any(old.due_at == due for old in waiting) or not (now < due < appointment.starts_at):
        return []
    return messages.plan_to_patient(appointment, MessagePurpose.MORNING_CHECK, due, actor)


def answer(appointment: Appointment, answers: Mapping[str, str], now: datetime,
           actor=None) -> None:
    """Keep the patient's answers (they may answer again until the session starts)."""
    appointment.morning_check = {key: answers[key] for key in QUESTIONS}
    appointment.morning_checked_at = appointment.last_activity_at = now
    concerns = len(readiness.morning_concerns(appointment.morning_check))
    audit.record("morning_check.answer", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, actor=actor,
                 detail=f"{concerns} concern(s)")
