"""The record back to the chart: a checklist as a FHIR R4 Questionnaire, one appointment's
answers as a FHIR R4 QuestionnaireResponse or a PDF, and one day as a CSV.

What is exported is what the patient submitted last (the latest revision, with its attestation)
and every clinician's decision on it. Each export writes its audit row (``record``): the caller
commits. Only clinicians and clinic admins reach these on the web; the command line is the
server's own operator.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from ..config import public_base_url
from ..extensions import db
from ..models import (
    Appointment,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    ItemKind,
    Location,
    Submission,
    SubmissionRevision,
    utcnow,
)
from ..readiness import is_shown, raised_flags, unmet_blocking
from . import audit, checklists, settings, status, text

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FHIR_TYPES = {
    ItemKind.CONFIRM: "boolean", ItemKind.YES_NO: "boolean", ItemKind.SHORT_TEXT: "string",
    ItemKind.LONG_TEXT: "text", ItemKind.PHONE: "string", ItemKind.CHOICE: "choice",
    ItemKind.TIME: "time", ItemKind.DATETIME: "dateTime",
}
# The answer's value[x] for each Questionnaire item type (what a matching response carries).
ANSWER_VALUE = {"boolean": "valueBoolean", "string": "valueString", "text": "valueString",
                "choice": "valueCoding", "time": "valueTime", "dateTime": "valueDateTime"}
DAY_COLUMNS = ("time", "patient", "date_of_birth", "status", "reasons", "driver", "decision",
               "checked_in", "ready_on_arrival", "no_show", "left_with", "left_at")


class NothingToExport(LookupError):
    """The appointment has no submitted checklist yet."""


def fhir_base() -> str:
    """Where the clinic's FHIR resources live (the read-only API answers under it)."""
    return f"{public_base_url(current_app.config)}/fhir"


def canonical_url(checklist_key: str) -> str:
    return f"{fhir_base()}/Questionnaire/{checklist_key}"


# The checklist as a Questionnaire -------------------------------------------------------------


def version_by_number(number: int | None) -> ChecklistVersion:
    if number is None:
        return checklists.current_version()
    version = db.session.scalar(select(ChecklistVersion).filter_by(number=number))
    if version is None:
        raise LookupError(f"There is no checklist version {number}.")
    return version


def versions_by_canonical(url: str, number: str | None = None) -> list[ChecklistVersion]:
    """The versions a canonical reference names (``url``, ``url|version`` or ``url`` with
    ``number``), as a FHIR client resolves a QuestionnaireResponse's ``questionnaire``."""
    url, _, after_bar = url.partition("|")
    number = number or after_bar or None
    prefix = canonical_url("")
    key = url.removeprefix(prefix) if url.startswith(prefix) else ""
    if not key or (number is not None and not (number.isascii() and number.isdecimal()
                                               and len(number) < 10)):
        return []
    query = select(ChecklistVersion).join(ChecklistVersion.checklist).where(
        Checklist.key == key).order_by(ChecklistVersion.number)
    if number is not None:
        query = query.where(ChecklistVersion.number == int(number))
    return list(db.session.scalars(query))


def version_by_id(resource_id: str) -> ChecklistVersion | None:
    """The version whose Questionnaire has this id (``<checklist key>-<number>``)."""
    key, _, number = resource_id.rpartition("-")
    found = versions_by_canonical(canonical_url(key), number) if key and number else []
    return found[0] if found else None


def questionnaire(version: ChecklistVersion) -> dict:
    """The version as a FHIR R4 Questionnaire: a group per section, an item per question
    (linkId = the item's key)."""
    items = list(version.items)
    by_key = {item.key: item for item in items}
    groups = []
    for section in version.sections:
        inside = [i for i in items if i.section == section["key"]]
        if inside:
            groups.append({"linkId": section["key"], "type": "group", "text": section["title"],
                           "item": [_question(item, by_key) for item in inside]})
    return {
        "resourceType": "Questionnaire",
        "id": f"{version.checklist.key}-{version.number}",
        "url": canonical_url(version.checklist.key),
        "version": str(version.number),
        "name": version.checklist.key.replace("-", "_"),
        "title": version.checklist.name,
        "status": "active" if version.is_current else "retired",
        "date": version.published_at.isoformat(timespec="seconds"),
        "item": groups,
    }


def _question(item: ChecklistItem, by_key: dict[str, ChecklistItem]) -> dict:
    kind = ItemKind(item.kind)
    question = {"linkId": item.key, "text": item.label, "type": FHIR_TYPES[kind],
                "required": bool(item.is_required)}
    if kind == ItemKind.CHOICE:
        question["answerOption"] = [{"valueCoding": {"code": value, "display": label}}
                                    for value, label in item.options or []]
    if item.show_if:
        trigger, value = by_key[item.show_if["item"]], item.show_if["value"]
        # An empty value: asked while the trigger is not ticked ("still arranging a ride").
        question["enableWhen"] = [{"question": trigger.key, "operator": "=" if value else "!=",
                                   **_answer_value(trigger, value or "yes")}]
    return question


def _answer_value(item: ChecklistItem, value: str) -> dict:
    """A stored answer as FHIR's answer[x] (for enableWhen) or value[x] (for an answer)."""
    kind = ItemKind(item.kind)
    prefix = "answer"
    if kind in (ItemKind.CONFIRM, ItemKind.YES_NO):
        return {f"{prefix}Boolean": value == "yes"}
    if kind == ItemKind.CHOICE:
        labels = dict(item.options or [])
        return {f"{prefix}Coding": {"code": value, "display": labels.get(value, value)}}
    return {f"{prefix}String": value}


def _value(item: ChecklistItem, value: str, zone: ZoneInfo) -> dict:
    kind = ItemKind(item.kind)
    if kind == ItemKind.TIME:
        return {"valueTime": f"{value}:00"}
    if kind == ItemKind.DATETIME:
        local = datetime.fromisoformat(value).replace(tzinfo=zone)
        return {"valueDateTime": local.isoformat(timespec="seconds")}
    return {key.replace("answer", "value", 1): v for key, v in _answer_value(item, value).items()}


# One appointment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """Everything the chart gets for one appointment."""

    appointment: Appointment
    version: ChecklistVersion
    revision: SubmissionRevision
    sections: list[tuple[dict, list[tuple[ChecklistItem, str, list[str]]]]]  # item, text, marks
    reviews: list


def record_of(appointment: Appointment, revision: SubmissionRevision | None = None) -> Record:
    """``revision``: the submission's latest, when the caller has it already."""
    submission = appointment.submission
    if submission is None or submission.revision < 1:
        raise NothingToExport(f"Appointment #{appointment.id} has no submitted checklist yet.")
    revision = revision or db.session.scalar(select(SubmissionRevision).filter_by(
        submission_id=submission.id, number=submission.revision))
    version = submission.checklist_version
    items = list(version.items)
    answers = dict(revision.answers)
    rules = {rule.key: rule for rule in checklists.rules(items)}
    clock = status.timing(appointment.location)
    sections = []
    for section in version.sections:
        rows = []
        for item in (i for i in items if i.section == section["key"]):
            rule = rules[item.key]
            if not is_shown(rule, answers):
                continue
            marks = [*(f"Blocking: {m}" for m in unmet_blocking([rule], answers)),
                     *(f"Flag: {m}" for m in raised_flags([rule], answers,
                                                          appointment.starts_at, clock))]
            rows.append((item, answers.get(item.key, ""), marks))
        if rows:
            sections.append((section, rows))
    return Record(appointment, version, revision, sections, list(submission.reviews))


def questionnaire_response(record: Record) -> dict:
    """The submitted answers as a FHIR R4 QuestionnaireResponse of the version's Questionnaire:
    ``completed`` for a first submission, ``amended`` when the patient submitted again."""
    appointment, revision = record.appointment, record.revision
    groups = []
    for section, rows in record.sections:
        answered = [{"linkId": item.key, "text": item.label,
                     "answer": [_value(item, value, appointment.location.zone)]}
                    for item, value, _ in rows if value]
        if answered:
            groups.append({"linkId": section["key"], "text": section["title"],
                           "item": answered})
    patient = appointment.patient
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"appointment-{appointment.id}-{revision.number}",
        "questionnaire": f"{canonical_url(record.version.checklist.key)}|{record.version.number}",
        "status": "completed" if revision.number == 1 else "amended",
        "subject": {"reference": f"Patient/{patient.id}", "display": patient.full_name},
        "authored": revision.submitted_at.isoformat(timespec="seconds"),
        "author": {"reference": f"Patient/{patient.id}", "display": revision.attested_name},
        "item": groups,
    }


def submitted_on(day: date) -> list[Record]:
    """The records of the day's appointments (not cancelled) whose checklist was submitted,
    in the same number of queries whatever their number."""
    shown = [appointment for appointment in status.appointments_on(day)
             if not appointment.is_cancelled and appointment.submission is not None
             and appointment.submission.revision >= 1]
    ids = [appointment.submission.id for appointment in shown]
    latest = {revision.submission_id: revision for revision in db.session.scalars(
        select(SubmissionRevision).join(Submission, and_(
            Submission.id == SubmissionRevision.submission_id,
            Submission.revision == SubmissionRevision.number)).where(Submission.id.in_(ids)))}
    # Their decisions in one more query (loaded onto the submissions already in the session).
    db.session.scalars(select(Submission).where(Submission.id.in_(ids))
                       .options(selectinload(Submission.reviews))).all()
    return [record_of(appointment, latest[appointment.submission.id]) for appointment in shown]


def searchset(resources: list[dict], self_url: str) -> dict:
    """FHIR R4 resources (QuestionnaireResponses, Questionnaires) as a searchset Bundle."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": utcnow().isoformat(timespec="seconds"),
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [{"fullUrl": f"{fhir_base()}/{resource['resourceType']}/{resource['id']}",
                   "resource": resource, "search": {"mode": "match"}} for resource in resources],
    }


def answer_text(item: ChecklistItem, value: str) -> str:
    """A stored answer as a person reads it on paper."""
    from ..templating import local_text, pretty_phone

    if not value:
        return "Not answered"
    kind = ItemKind(item.kind)
    if kind == ItemKind.CONFIRM:
        return "Yes, confirmed"
    if kind == ItemKind.YES_NO:
        return "Yes" if value == "yes" else "No"
    if kind == ItemKind.CHOICE:
        return dict(item.options or []).get(value, value)
    if kind == ItemKind.PHONE:
        return pretty_phone(value)
    if kind == ItemKind.DATETIME:
        return local_text(value)
    return value


def when(moment: datetime, place: Location) -> str:
    """On the clock of the appointment's location, its zone named."""
    return f"{place.to_local(moment):%Y-%m-%d %H:%M} ({place.timezone})"


def pdf(record: Record) -> bytes:
    """The chart's copy: patient, session, every answer by section with its flags, the
    attestation, every decision with who and when, and the checklist version."""
    from fpdf import FPDF

    appointment, patient = record.appointment, record.appointment.patient
    doc = FPDF(format="Letter")
    doc.set_title(f"Session preparation, appointment {appointment.id}")
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_auto_page_break(True, margin=15)
    doc.add_page()

    def line(words: str, size: float = 10, bold: bool = False, gap: float = 1) -> None:
        doc.set_font("DejaVu", "B" if bold else "", size)
        doc.multi_cell(0, size * 0.5, words, new_x="LMARGIN", new_y="NEXT")
        doc.ln(gap)

    clinic = settings.get()
    line(f"{clinic.name}: session preparation", 14, bold=True, gap=3)
    line(f"Patient: {patient.full_name}, born {patient.date_of_birth.isoformat()}"
         f" (patient #{patient.id})")
    place = appointment.location
    session = f"Session: {when(appointment.starts_at, place)}, appointment #{appointment.id}"
    details = ", ".join(d for d in (appointment.session_type, appointment.clinician_name) if d)
    line(session + (f", {details}" if details else ""))
    line(f"Checklist: {record.version.checklist.name}, version {record.version.number}; "
         f"submission {record.revision.number}", gap=4)
    for section, rows in record.sections:
        line(section["title"], 12, bold=True, gap=2)
        for item, value, marks in rows:
            line(item.label, bold=True, gap=0)
            line(answer_text(item, value), gap=0)
            for mark in marks:
                line(f"[!] {mark}", bold=True, gap=0)
            doc.ln(2)
    line("Attestation", 12, bold=True, gap=2)
    line(f"Signed by typing their name: {record.revision.attested_name}, "
         f"{when(record.revision.submitted_at, place)}", gap=4)
    line("Review decisions", 12, bold=True, gap=2)
    if not record.reviews:
        line("No decision yet.")
    for review in record.reviews:
        line(f"{review.decision.label}: {review.clinician.name}, {when(review.decided_at, place)} "
             f"(on submission {review.revision})", bold=True, gap=0)
        if review.note:
            line(f"Note: {review.note}", gap=0)
        if review.message_to_patient:
            line(f"Message to the patient: {review.message_to_patient}", gap=0)
        doc.ln(2)
    return bytes(doc.output())


def audited(kind: str, appointment: Appointment, actor=None) -> None:
    audit.record(f"export.{kind}", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, actor=actor)


# One day --------------------------------------------------------------------------------------


def _clock(moment: datetime | None, place: Location) -> str:
    return f"{place.to_local(moment):%H:%M}" if moment else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def day_csv(day: date, actor=None) -> str:
    """The day for the clinic's own records, one row per appointment (formula-safe cells)."""
    rows = status.overview(status.appointments_on(day))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(DAY_COLUMNS)
    for row in rows:
        appointment, review = row.appointment, row.latest_review
        writer.writerow([text.csv_cell(value) for value in (
            _clock(appointment.starts_at, appointment.location),
            row.patient.full_name,
            row.patient.date_of_birth.isoformat(), row.readiness.status.label,
            "; ".join(row.readiness.reasons), row.driver_name,
            review.decision.label if review else "",
            _clock(appointment.checked_in_at, appointment.location),
            _yes_no(appointment.ready_on_arrival) if appointment.checked_in_at else "",
            "yes" if appointment.no_show_at else "", appointment.left_with or "",
            _clock(appointment.left_at, appointment.location))])
    audit.record("export.day_csv", record_type="day", detail=f"day={day.isoformat()}, "
                                                             f"{len(rows)} appointments",
                 actor=actor)
    return buffer.getvalue()
