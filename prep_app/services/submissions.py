"""A patient's answers: saving a section, submitting, changing after submitting."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping

from sqlalchemy import inspect, select

from ..extensions import db
from ..models import (
    Answer,
    Appointment,
    ItemKind,
    Submission,
    SubmissionRevision,
    SubmissionStatus,
    utcnow,
)
from ..readiness import is_answered, is_shown
from . import audit, checklists
from .errors import Conflict, InputError

# A page shown before anything was saved carries this version.
NOT_STARTED_VERSION = 0
# What a submit form's one-time key looks like (``secrets.token_urlsafe(24)``).
SUBMIT_KEY = re.compile(r"[A-Za-z0-9_-]{16,48}")


class StaleSave(Conflict):
    """The submission changed since the form was shown (another tab, another device)."""


class Incomplete(InputError):
    def __init__(self, missing: list):
        super().__init__("Some required answers are missing.")
        self.missing = missing


def get_or_start(appointment: Appointment) -> Submission:
    """The appointment's submission, started on the current checklist version if none yet."""
    if appointment.submission is None:
        appointment.submission = Submission(
            checklist_version_id=checklists.current_version_id(),
            status=SubmissionStatus.IN_PROGRESS)
        db.session.flush()
    return appointment.submission


def submission_to_save(appointment: Appointment, expected_version: int) -> Submission:
    """The submission a page's save goes into, started if this is the very first save.

    Raises StaleSave when the page was built from another version than the one stored: a
    page shown before anything was saved carries ``NOT_STARTED_VERSION``, so of two tabs
    opened on a fresh checklist only the first save goes through.
    """
    if appointment.submission is None:
        if expected_version != NOT_STARTED_VERSION:
            raise StaleSave()
        return get_or_start(appointment)
    check_version(appointment.submission, expected_version)
    return appointment.submission


def page_version(submission: Submission | None) -> int:
    """The version a page carries in its hidden field (see :func:`submission_to_save`)."""
    return submission.version if submission is not None else NOT_STARTED_VERSION


def answers_of(submission: Submission | None) -> dict[str, str]:
    """{item key: answer} in one query (or none, when the answers are already loaded)."""
    if submission is None:
        return {}
    key_by_id = checklists.frozen(submission.checklist_version_id).key_by_id
    if "answers" in inspect(submission).unloaded:
        rows = db.session.execute(select(Answer.item_id, Answer.value)
                                  .where(Answer.submission_id == submission.id))
        return {key_by_id[item_id]: value for item_id, value in rows}
    return {key_by_id[answer.item_id]: answer.value for answer in submission.answers}


def version_of(submission: Submission) -> checklists.FrozenVersion:
    return checklists.frozen(submission.checklist_version_id)


def answers_hash(answers: Mapping[str, str]) -> str:
    canonical = json.dumps(dict(sorted(answers.items())), ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_version(submission: Submission, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != submission.version:
        raise StaleSave()


def is_open_for_changes(appointment: Appointment) -> bool:
    """Patients may change answers until the session starts (and not once checked in)."""
    return (not appointment.is_cancelled and appointment.checked_in_at is None
            and appointment.starts_at > utcnow())


def save_section(submission: Submission, section: str, values: Mapping[str, str],
                 expected_version: int | None, actor=None) -> None:
    """Store the answers of one section. A save after submitting reopens the submission.

    A question of the section that no longer applies (its driver, once the patient ticked "I
    am still arranging a ride") is emptied, as a form forgets a hidden question's answer.
    ``actor``: the patient's link (None: the system, as for demo data).
    """
    check_version(submission, expected_version)
    version = version_of(submission)
    by_key = {version.key_by_id[a.item_id]: a for a in submission.answers}
    answers = {key: answer.value for key, answer in by_key.items()}
    now = utcnow()
    for item in checklists.section_items(version, section):
        if item.key in values:
            answers[item.key] = values[item.key]
        if answers.get(item.key) and not is_shown(version.rules[item.key], answers):
            answers[item.key] = ""
        elif item.key not in values:
            continue
        value = answers[item.key]
        answer = by_key.get(item.key)
        if answer is None:
            submission.answers.append(Answer(item_id=item.id, value=value, updated_at=now))
        elif answer.value != value:
            answer.value, answer.updated_at = value, now
    if submission.status == SubmissionStatus.SUBMITTED and _differs_from_submitted(submission):
        submission.status = SubmissionStatus.IN_PROGRESS
    submission.last_section = section
    submission.updated_at = now
    submission.appointment.last_activity_at = now
    db.session.flush()
    audit.record("submission.save", record_type="submission", record_id=submission.id,
                 patient_id=submission.appointment.patient_id, detail=f"section {section}",
                 actor=actor)


# Answers tied to the session's day ("2026-12-03T07:30"): a move to another day asks them again.
DAY_BOUND_KINDS = {ItemKind.DATETIME}


def day_bound_items(submission: Submission) -> list[checklists.FrozenItem]:
    return [item for item in version_of(submission).items if item.kind in DAY_BOUND_KINDS]


def reopen_day_bound_answers(submission: Submission) -> int:
    """The session moved to another day: forget the answers tied to the old day (last food,
    last drink) and reopen a submitted checklist, so no earlier clearance covers it. Returns
    how many answers were asked again."""
    ids = {item.id for item in day_bound_items(submission)}
    dropped = [answer for answer in submission.answers if answer.item_id in ids]
    if not dropped and not submission.revision:
        return 0
    for answer in dropped:
        submission.answers.remove(answer)
    now = utcnow()
    if submission.status == SubmissionStatus.SUBMITTED:
        submission.status = SubmissionStatus.IN_PROGRESS
    submission.time_answers_reopened_at = submission.updated_at = now
    db.session.flush()
    return len(dropped)


def _differs_from_submitted(submission: Submission) -> bool:
    return answers_hash(current_answers(submission)) != submission.answers_hash


def current_answers(submission: Submission) -> dict[str, str]:
    """The answers that apply: hidden follow-up items (show_if not met) are left out."""
    answers = answers_of(submission)
    rules = version_of(submission).rules.values()
    return {r.key: answers[r.key] for r in rules if r.key in answers and is_shown(r, answers)}


def missing_required(submission: Submission) -> list:
    answers = answers_of(submission)
    version = version_of(submission)
    rules = version.rules
    missing = []
    for item in version.items:
        if item.is_required and is_shown(rules[item.key], answers) and not is_answered(
                str(item.kind), answers.get(item.key)):
            missing.append(item)
    return missing


def new_submit_key() -> str:
    return secrets.token_urlsafe(24)


def _stored_key(submission: Submission, submit_key: str | None) -> str | None:
    """The one-time key as stored: scoped to this submission, so a key copied from elsewhere
    can neither collide with nor stand in for another submission's. None when the key is not
    one the app could have made (missing or tampered)."""
    if not submit_key or not SUBMIT_KEY.fullmatch(submit_key):
        return None
    return f"{submission.id}:{submit_key}"


def already_submitted(submission: Submission, submit_key: str | None) -> bool:
    """True when a submit with this one-time key was stored (the first of a double click)."""
    key = _stored_key(submission, submit_key)
    return key is not None and db.session.scalar(
        select(SubmissionRevision.id).filter_by(idempotency_key=key)) is not None


def submit(submission: Submission, attested_name: str, submit_key: str | None,
           expected_version: int | None, actor=None) -> bool:
    """Submit the answers as they stand. Returns False when this exact submit was already done
    (a double click), True when a new revision was stored.

    A missing or tampered key still submits (under a fresh key); the version check then
    keeps a repeated post from storing twice."""
    if already_submitted(submission, submit_key):
        return False
    idempotency_key = _stored_key(submission, submit_key) or _stored_key(
        submission, new_submit_key())
    check_version(submission, expected_version)
    missing = missing_required(submission)
    if missing:
        raise Incomplete(missing)
    answers = current_answers(submission)
    digest = answers_hash(answers)
    now = utcnow()
    submission.revision += 1
    submission.revisions.append(SubmissionRevision(
        number=submission.revision, answers=answers, answers_hash=digest,
        attested_name=attested_name, idempotency_key=idempotency_key, submitted_at=now))
    submission.status = SubmissionStatus.SUBMITTED
    submission.answers_hash = digest
    submission.attested_name = attested_name
    submission.submitted_at = submission.updated_at = now
    submission.returned_message = None
    submission.time_answers_reopened_at = None
    submission.appointment.last_activity_at = now
    db.session.flush()
    audit.record("submission.submit", record_type="submission", record_id=submission.id,
                 patient_id=submission.appointment.patient_id,
                 detail=f"revision {submission.revision}", actor=actor)
    return True
