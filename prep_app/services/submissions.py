"""A patient's answers: saving a section, submitting, changing after submitting."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from ..extensions import db
from ..models import (
    Appointment,
    Submission,
    SubmissionRevision,
    SubmissionStatus,
    utcnow,
)
from ..readiness import is_shown
from . import audit, checklists


class StaleSave(Exception):
    """The submission changed since the form was shown (another tab, another device)."""


class Incomplete(ValueError):
    def __init__(self, missing: list):
        super().__init__("required answers are missing")
        self.missing = missing


def get_or_start(appointment: Appointment) -> Submission:
    """The appointment's submission, started on the current checklist version if none yet."""
    if appointment.submission is None:
        appointment.submission = Submission(
            checklist_version=checklists.current_version(), status=SubmissionStatus.IN_PROGRESS)
        db.session.flush()
    return appointment.submission


def answers_of(submission: Submission | None) -> dict[str, str]:
    if submission is None:
        return {}
    return {answer.item.key: answer.value for answer in submission.answers}


def answers_hash(answers: Mapping[str, str]) -> str:
    canonical = json.dumps(dict(sorted(answers.items())), ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_version(submission: Submission, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != submission.version:
        raise StaleSave()


def is_open_for_changes(submission: Submission | None, appointment: Appointment) -> bool:
    """Patients may change answers until the session starts (and not once checked in)."""
    return (not appointment.is_cancelled and appointment.checked_in_at is None
            and appointment.starts_at > utcnow())


def save_section(submission: Submission, section: str, values: Mapping[str, str],
                 expected_version: int | None) -> None:
    """Store the answers of one section. A save after submitting reopens the submission."""
    check_version(submission, expected_version)
    by_key = {a.item.key: a for a in submission.answers}
    now = utcnow()
    for item in checklists.section_items(submission.checklist_version, section):
        if item.key not in values:
            continue
        value = values[item.key]
        answer = by_key.get(item.key)
        if answer is None:
            submission.answers.append(_new_answer(item, value, now))
        elif answer.value != value:
            answer.value, answer.updated_at = value, now
    if submission.status == SubmissionStatus.SUBMITTED and _differs_from_submitted(submission):
        submission.status = SubmissionStatus.IN_PROGRESS
    submission.last_section = section
    submission.updated_at = now
    submission.appointment.last_activity_at = now
    db.session.flush()
    audit.record("submission.save", record_type="submission", record_id=submission.id,
                 patient_id=submission.appointment.patient_id, detail=f"section {section}")


def _new_answer(item, value, now):
    from ..models import Answer

    return Answer(item=item, value=value, updated_at=now)


def _differs_from_submitted(submission: Submission) -> bool:
    return answers_hash(current_answers(submission)) != submission.answers_hash


def current_answers(submission: Submission) -> dict[str, str]:
    """The answers that apply: hidden follow-up items (show_if not met) are left out."""
    answers = answers_of(submission)
    rules = checklists.rules(submission.checklist_version.items)
    return {r.key: answers[r.key] for r in rules if r.key in answers and is_shown(r, answers)}


def missing_required(submission: Submission) -> list:
    answers = answers_of(submission)
    rules = {r.key: r for r in checklists.rules(submission.checklist_version.items)}
    missing = []
    for item in submission.checklist_version.items:
        value = (answers.get(item.key) or "").strip()
        if item.is_required and is_shown(rules[item.key], answers):
            if not value or (str(item.kind) == "confirm" and value != "yes"):
                missing.append(item)
    return missing


def submit(submission: Submission, attested_name: str, idempotency_key: str,
           expected_version: int | None) -> bool:
    """Submit the answers as they stand. Returns False when this exact submit was already done
    (a double click), True when a new revision was stored."""
    if db.session.query(SubmissionRevision.id).filter_by(
            idempotency_key=idempotency_key).first() is not None:
        return False
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
    submission.appointment.last_activity_at = now
    db.session.flush()
    audit.record("submission.submit", record_type="submission", record_id=submission.id,
                 patient_id=submission.appointment.patient_id,
                 detail=f"revision {submission.revision}")
    return True
