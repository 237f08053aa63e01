"""Readiness for many appointments at once, in a fixed number of queries.

The board, the clinician's queue and ``flask appointments list`` all use :func:`overview`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models import (
    Answer,
    Appointment,
    CancelReason,
    ChecklistItem,
    DriverReply,
    Location,
    Message,
    MessagePurpose,
    MessageStatus,
    Patient,
    PatientLink,
    Review,
    Submission,
    User,
    utcnow,
)
from ..readiness import Facts, Readiness, ReviewFacts, Status, Timing, assess
from . import checklists, links, settings

NO_DRIVER = "No driver named"


@dataclass(frozen=True)
class AppointmentStatus:
    appointment: Appointment
    patient: Patient
    readiness: Readiness
    submission: Submission | None
    answers: dict[str, str]
    latest_review: Review | None

    @property
    def driver_name(self) -> str:
        return self.answers.get("driver_name", "")

    @property
    def driver_phone(self) -> str:
        return self.answers.get("driver_phone", "")

    @property
    def driver_answer(self) -> str | None:
        """What the board says of a driver the clinic texted: confirmed, declined or not
        answered (None when the patient did not let the clinic text them)."""
        reply = self.appointment.driver_reply
        if reply is not None:
            return "confirmed" if reply == DriverReply.COMING else "declined"
        return "not answered" if self.appointment.is_driver_text_allowed else None

    @property
    def check_in_concerns(self) -> tuple[str, ...]:
        """What a clinician must know before this patient is checked in: the reasons of an
        appointment that needs attention (an unresolved flag, a follow-up), any unmet blocking
        item, and a driver not named."""
        readiness = self.readiness
        found = list(readiness.reasons if readiness.status is Status.NEEDS_ATTENTION
                     else readiness.blocking)
        if not self.driver_name and NO_DRIVER not in found:
            found.append(NO_DRIVER)
        return tuple(found)


    @property
    def outcome(self) -> str:
        """How the session ended, once the desk has said: "No-show" or "Left with ... at ..."."""
        appointment = self.appointment
        if appointment.no_show_at is not None:
            return "No-show"
        if appointment.left_at is not None:
            return (f"Left with {appointment.left_with} at "
                    f"{appointment.location.to_local(appointment.left_at):%H:%M}")
        return ""


@dataclass(frozen=True)
class DaySummary:
    sessions: int
    checked_in: int
    ready_on_arrival: int  # cleared by a clinician when checked in
    cancelled_no_driver: int
    no_shows: int
    left: int


def summarise(rows: list[AppointmentStatus]) -> DaySummary:
    """The day in a line, for the board and the close of the day."""
    appointments = [row.appointment for row in rows]
    return DaySummary(
        sessions=len(appointments),
        checked_in=sum(a.checked_in_at is not None for a in appointments),
        ready_on_arrival=sum(bool(a.ready_on_arrival) for a in appointments),
        cancelled_no_driver=sum(a.cancel_reason == CancelReason.NO_DRIVER for a in appointments),
        no_shows=sum(a.no_show_at is not None for a in appointments),
        left=sum(a.left_at is not None for a in appointments))


def timing(location: Location) -> Timing:
    """The clock and fasting hours readiness uses for an appointment at ``location``."""
    return Timing(location.timezone, location.solid_fast_hours, location.clear_fast_hours)


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and ends on ``zone``'s clock (a location's; by
    default the staff pages'), 23 or 25 h on DST days."""
    zone = zone or settings.zone()
    # In UTC: two datetimes in one zone subtract as wall clocks (24 h even on a 23 h day).
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def appointments_on(day: date) -> list[Appointment]:
    start, end = day_bounds(day)
    # Patients and submissions come in the same query (a submission is one row per appointment).
    query = (select(Appointment).join(Appointment.patient)
             .outerjoin(Submission, Submission.appointment_id == Appointment.id)
             .options(contains_eager(Appointment.patient),
                      contains_eager(Appointment.submission),
                      joinedload(Appointment.desk_note_by))
             .where(Appointment.starts_at >= start, Appointment.starts_at < end)
             .order_by(Appointment.starts_at, Appointment.id))
    return list(db.session.scalars(query).unique())


def overview(appointments: list[Appointment], now: datetime | None = None
             ) -> list[AppointmentStatus]:
    """Readiness for each appointment (patients already loaded), in at most five queries
    (four when the submissions came with the appointments, as from :func:`appointments_on`)."""
    if not appointments:
        return []
    now = now or utcnow()
    ids = [a.id for a in appointments]
    newest_link: dict[int, tuple] = {}
    last_revoked: dict[int, datetime] = {}
    link_sent: dict[int, datetime] = {}
    link_opened: dict[int, datetime] = {}
    for appointment_id, expires_at, revoked_at, dob_failures, opened_at, sent_at in (
            db.session.execute(_links_query(ids))):
        newest_link[appointment_id] = (expires_at, revoked_at, dob_failures)
        if revoked_at is not None:
            last_revoked[appointment_id] = max(revoked_at, last_revoked.get(appointment_id,
                                                                            revoked_at))
        elif opened_at is not None:
            link_opened[appointment_id] = max(opened_at, link_opened.get(appointment_id,
                                                                         opened_at))
        if sent_at is not None:
            link_sent[appointment_id] = sent_at
    for appointment_id, revoked_at in last_revoked.items():
        # Revoking stops every link at once: a link sent before that is no longer the one out.
        if link_sent.get(appointment_id, revoked_at) <= revoked_at:
            link_sent.pop(appointment_id, None)
    if any("submission" in inspect(a).unloaded for a in appointments):
        subs = {s.appointment_id: s for s in db.session.scalars(
            select(Submission).where(Submission.appointment_id.in_(ids)))}
    else:  # loaded with the appointments (appointments_on)
        subs = {a.id: a.submission for a in appointments if a.submission is not None}
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    reviews: dict[int, tuple[Review, str]] = {}
    rules_by_version: dict[int, list] = {}
    if subs:
        sub_ids = [s.id for s in subs.values()]
        for sub_id, key, value in db.session.execute(
                select(Answer.submission_id, ChecklistItem.key, Answer.value)
                .join(ChecklistItem, Answer.item_id == ChecklistItem.id)
                .where(Answer.submission_id.in_(sub_ids))):
            answers[sub_id][key] = value
        for review, name in db.session.execute(
                select(Review, User.name).join(User, Review.clinician_id == User.id)
                .where(Review.submission_id.in_(sub_ids)).order_by(Review.sequence)):
            reviews[review.submission_id] = (review, name)
        items = db.session.scalars(select(ChecklistItem).where(ChecklistItem.version_id.in_(
            {s.checklist_version_id for s in subs.values()})).order_by(ChecklistItem.position))
        grouped: dict[int, list] = defaultdict(list)
        for item in items:
            grouped[item.version_id].append(item)
        rules_by_version = {vid: checklists.rules(group) for vid, group in grouped.items()}
    result = []
    for appointment in appointments:
        sub = subs.get(appointment.id)
        sub_answers = answers.get(sub.id, {}) if sub else {}
        review, name = reviews.get(sub.id, (None, "")) if sub else (None, "")
        link = newest_link.get(appointment.id)
        facts = Facts(
            starts_at=appointment.starts_at, is_cancelled=appointment.is_cancelled,
            checked_in_at=appointment.checked_in_at,
            is_driver_confirmed=appointment.is_driver_confirmed,
            link_expires_at=link[0] if link else None,
            is_link_revoked=bool(link and link[1] is not None),
            is_link_locked=bool(link and links.is_locked_after(link[2])),
            link_sent_at=link_sent.get(appointment.id),
            link_opened_at=link_opened.get(appointment.id),
            submission_status=str(sub.status) if sub and (sub_answers or sub.revision) else None,
            answers=sub_answers, revision=sub.revision if sub else 0,
            answers_hash=sub.answers_hash if sub else None,
            review=ReviewFacts(str(review.decision), review.revision, review.answers_hash,
                               review.note, name) if review else None,
            is_moved_to_new_day=bool(sub and sub.time_answers_reopened_at),
            driver_reply=str(appointment.driver_reply) if appointment.driver_reply else None,
            morning_check=appointment.morning_check,
        )
        rules = rules_by_version.get(sub.checklist_version_id, []) if sub else []
        result.append(AppointmentStatus(appointment, appointment.patient,
                                        assess(rules, facts, timing(appointment.location), now),
                                        sub, sub_answers,
                                        review))
    return result


def _links_query(ids: list[int]):
    """Each link of these appointments (oldest first) with, on every row, when a text or email
    with a link last went out for its appointment: one query for both."""
    sent = (select(func.max(Message.sent_at))
            .where(Message.appointment_id == PatientLink.appointment_id,
                   Message.purpose == MessagePurpose.LINK,
                   Message.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)))
            .correlate(PatientLink).scalar_subquery())
    return (select(PatientLink.appointment_id, PatientLink.expires_at, PatientLink.revoked_at,
                   PatientLink.dob_failures_total, PatientLink.first_used_at, sent)
            .where(PatientLink.appointment_id.in_(ids)).order_by(PatientLink.id))


def for_appointment(appointment: Appointment) -> AppointmentStatus:
    return overview([appointment])[0]
