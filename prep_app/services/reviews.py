"""A clinician's decision on a submission, bound to the exact revision and answers it saw.

A decision carries three things from the page the clinician read: the submission's revision,
the hash of its answers, and the decision's place in line (``sequence``). The revision and hash
must still be current (a patient change since then makes the decision stale); the sequence must
still be free (two clinicians deciding at once race for it, and the unique constraint on
``(submission_id, sequence)`` lets exactly one win, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import (
    Appointment,
    ChecklistItem,
    Decision,
    Review,
    Submission,
    SubmissionRevision,
    SubmissionStatus,
    User,
    utcnow,
)
from ..readiness import Status
from . import audit, settings, status, text
from .errors import Conflict, InputError
from .status import AppointmentStatus

NOTE_LIMIT = 2000
MESSAGE_LIMIT = 1000
NEEDS_NOTE = {Decision.FOLLOW_UP, Decision.NOT_CLEARED}


class ReviewError(InputError):
    """The decision cannot be stored as given; the message says why, in plain words."""


class StaleReview(Conflict):
    """The patient changed their answers since the page was shown."""


class DecidedFirst(Conflict):
    """Another decision took this place in line first."""


@dataclass(frozen=True)
class Seen:
    """What the clinician's page showed: the decision covers exactly this."""

    revision: int
    answers_hash: str
    sequence: int


def seen(submission: Submission) -> Seen:
    """What a page built now shows (for the decision form's hidden fields)."""
    return Seen(submission.revision, submission.answers_hash or "", next_sequence(submission))


def next_sequence(submission: Submission) -> int:
    highest = db.session.scalar(
        select(func.max(Review.sequence)).where(Review.submission_id == submission.id))
    return (highest or 0) + 1


def latest(submission: Submission) -> Review | None:
    return db.session.scalar(select(Review).where(Review.submission_id == submission.id)
                             .order_by(Review.sequence.desc()).limit(1))


def current_and_previous_revisions(
        submission: Submission) -> tuple[SubmissionRevision | None, SubmissionRevision | None]:
    """The submission's latest revision and the one before it, in one query."""
    wanted = (submission.revision, submission.revision - 1)
    found = {revision.number: revision for revision in db.session.scalars(
        select(SubmissionRevision).where(SubmissionRevision.submission_id == submission.id,
                                         SubmissionRevision.number.in_(wanted)))}
    return found.get(wanted[0]), found.get(wanted[1])


def previous_session_revision(appointment: Appointment) -> SubmissionRevision | None:
    """The last answers the same patient submitted for their previous (not cancelled) session."""
    query = (select(SubmissionRevision)
             .join(Submission, SubmissionRevision.submission_id == Submission.id)
             .join(Appointment, Submission.appointment_id == Appointment.id)
             .where(Appointment.patient_id == appointment.patient_id,
                    Appointment.starts_at < appointment.starts_at,
                    Appointment.is_cancelled.is_(False), Appointment.id != appointment.id)
             .order_by(Appointment.starts_at.desc(), SubmissionRevision.number.desc()).limit(1))
    return db.session.scalar(query)


def decide(submission: Submission, *, decision: str, saw: Seen, clinician: User,
           note: str = "", message_to_patient: str = "") -> Review:
    """Store a decision on ``submission`` as the clinician saw it.

    Raises :class:`ReviewError` for unusable input, :class:`StaleReview` when the answers
    changed since the page was shown, :class:`DecidedFirst` when someone else decided first.
    After :class:`DecidedFirst` the transaction must be rolled back by the caller.
    """
    try:
        choice = Decision(decision)
    except ValueError:
        raise ReviewError("Choose a decision.") from None
    note = _clean(note, NOTE_LIMIT, "note")
    message = _clean(message_to_patient, MESSAGE_LIMIT, "message to the patient")
    if choice in NEEDS_NOTE and not note:
        raise ReviewError("Add a note saying what needs to happen.")
    if choice == Decision.RETURNED and not message:
        raise ReviewError("Write a message telling the patient what to check.")
    if saw.sequence != next_sequence(submission):
        raise DecidedFirst("Someone else decided first.")
    if (submission.status != SubmissionStatus.SUBMITTED or submission.revision != saw.revision
            or (submission.answers_hash or "") != saw.answers_hash):
        raise StaleReview("The patient changed their answers after this page was opened.")

    now = utcnow()
    review = Review(submission_id=submission.id, sequence=saw.sequence,
                    revision=saw.revision, answers_hash=saw.answers_hash, decision=choice,
                    note=note, message_to_patient=message if choice == Decision.RETURNED else "",
                    clinician_id=clinician.id, decided_at=now)
    try:
        # A savepoint: a lost race fails here, on the unique (submission_id, sequence).
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        raise DecidedFirst("Someone else decided first.") from None
    if choice == Decision.RETURNED:
        submission.status = SubmissionStatus.RETURNED
        submission.returned_message = message
        submission.updated_at = now
    submission.appointment.last_activity_at = now
    db.session.flush()
    audit.record("review.decide", record_type="submission", record_id=submission.id,
                 patient_id=submission.appointment.patient_id,
                 detail=f"{choice.value} on revision {saw.revision} (decision {saw.sequence})",
                 actor=clinician)
    return review


def _clean(value: str | None, limit: int, what: str) -> str:
    value = text.clean(value)
    if len(value) > limit:
        raise ReviewError(f"Please keep the {what} under {limit} characters.")
    return value


# The queue's groups, in the order they are shown.
NEVER_REVIEWED, FOLLOW_UP, WITH_PATIENT = "never_reviewed", "follow_up", "with_patient"


def queue(day: date | None = None) -> list[AppointmentStatus]:
    """Submitted checklists still to decide, for sessions on the clinic's ``day`` (default:
    today and the days after), in review order: needs attention first, then awaiting review,
    then the rest; by session time within each. Cleared ones and past sessions leave it."""
    start, end = status.day_bounds(day or settings.today())
    query = (select(Appointment).join(Appointment.patient)
             .join(Submission, Submission.appointment_id == Appointment.id)
             .options(contains_eager(Appointment.patient))
             .where(Appointment.starts_at >= start, Appointment.is_cancelled.is_(False),
                    Submission.revision > 0)
             .order_by(Appointment.starts_at, Appointment.id))
    if day is not None:
        query = query.where(Appointment.starts_at < end)
    rows = [row for row in status.overview(list(db.session.scalars(query)))
            if row.readiness.status is not Status.CLEARED]
    return sorted(rows, key=lambda row: row.readiness.status.queue_rank)  # stable: time order


def group_of(row: AppointmentStatus) -> str:
    """Never reviewed (no decision on the answers as they stand), needs follow-up (a
    clinician asked for it, or said not cleared), or back with the patient."""
    submission, review = row.submission, row.latest_review
    if submission.status != SubmissionStatus.SUBMITTED:
        return WITH_PATIENT
    applies = review is not None and (review.revision, review.answers_hash) == (
        submission.revision, submission.answers_hash)
    if applies and review.decision in NEEDS_NOTE:
        return FOLLOW_UP
    return NEVER_REVIEWED


def next_to_review(after: Appointment) -> Appointment | None:
    """The first submission still waiting for a decision in the queue, other than ``after``."""
    for row in queue():
        if row.appointment.id != after.id and group_of(row) == NEVER_REVIEWED:
            return row.appointment
    return None


@dataclass(frozen=True)
class Change:
    item: ChecklistItem
    before: str
    after: str


def changes(items: list[ChecklistItem], before: dict[str, str], after: dict[str, str]
            ) -> list[Change]:
    """The answers that differ, in checklist order (``items`` may span two versions)."""
    by_key: dict[str, ChecklistItem] = {}
    for item in items:
        by_key.setdefault(item.key, item)
    return [Change(item, before.get(key, ""), after.get(key, ""))
            for key, item in by_key.items() if before.get(key, "") != after.get(key, "")]
