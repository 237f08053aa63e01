"""The record back to the chart: a PDF and a FHIR R4 QuestionnaireResponse per appointment, the
checklist as a FHIR R4 Questionnaire, and a day as CSV; each checked from the receiving side
(the official FHIR R4 JSON Schema, the PDF's own text, the CSV read back), each export audited.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import secrets
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft6Validator
from pypdf import PdfReader
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, ChecklistItem, User
from prep_app.services import appointments as appointment_service
from prep_app.services import exports, reviews, settings, submissions

from .saved_answers import ready_answers, save_answers

SCHEMA = Path(__file__).parent / "data" / "fhir" / "fhir.schema.json.gz"
CHANGES = {"medications": "yes", "medications_detail": "Lorazepam 0.5 mg at night",
           "driver_plan": "returns", "driver_return_time": "16:30",
           "questions": "Can I bring my own blanket? — ½ joking", "intention": "=1+2 calm"}


@cache
def fhir_schema() -> dict:
    return json.loads(gzip.decompress(SCHEMA.read_bytes()))


def schema_errors(resource: dict) -> list[str]:
    """What the official FHIR R4 JSON Schema says about ``resource`` (nothing: valid)."""
    full = fhir_schema()
    schema = {key: value for key, value in full.items() if key not in ("oneOf",
                                                                         "discriminator")}
    schema["$ref"] = f"#/definitions/{resource['resourceType']}"
    return [f"{list(e.absolute_path)}: {e.message}"
            for e in Draft6Validator(schema).iter_errors(resource)]


@pytest.fixture
def submitted(app, book, make_staff):
    """A submitted checklist (twice: the second is an amendment) with flags, and a decision."""
    appointment_id, _ = book(name="Ada Lovelace")
    clinician_id = make_staff("clinician", name="Dr. Rivera")
    with app.test_request_context(method="POST"):
        appointment = db.session.get(Appointment, appointment_id)
        appointment.session_type = "Infusion"
        submission = save_answers(appointment, ready_answers(appointment.starts_at))
        submissions.submit(submission, "Ada Lovelace", secrets.token_urlsafe(24), None)
        reviews.decide(submission, decision="returned", saw=reviews.seen(submission),
                       clinician=db.session.get(User, clinician_id),
                       message_to_patient="Please tell us about your medicines.")
        save_answers(appointment, ready_answers(appointment.starts_at, **CHANGES))
        submissions.submit(submission, "Ada King Lovelace", secrets.token_urlsafe(24), None)
        reviews.decide(submission, decision="follow_up", saw=reviews.seen(submission),
                       clinician=db.session.get(User, clinician_id),
                       note="Call about lorazepam timing.")
        db.session.commit()
    return appointment_id


def exported(app, appointment_id: int):
    with app.test_request_context():
        record = exports.record_of(db.session.get(Appointment, appointment_id))
        version = record.version
        return (exports.questionnaire(version), exports.questionnaire_response(record),
                exports.pdf(record), record)


def test_the_questionnaire_and_response_pass_the_official_fhir_r4_schema(app, submitted):
    questionnaire, response, _, _ = exported(app, submitted)
    assert schema_errors(questionnaire) == []
    assert schema_errors(response) == []
    assert response["status"] == "amended"  # submitted a second time
    assert schema_errors({**response, "status": "sent"}) != []  # the check can fail


def test_the_response_matches_the_questionnaire(app, submitted):
    questionnaire, response, _, _ = exported(app, submitted)
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    assert response["subject"] == {"reference": "Patient/1", "display": "Ada Lovelace"}
    questions = {q["linkId"]: q for group in questionnaire["item"] for q in group["item"]}
    groups = {group["linkId"] for group in questionnaire["item"]}
    answered = {}
    for group in response["item"]:
        assert group["linkId"] in groups
        for item in group["item"]:
            question = questions[item["linkId"]]  # every linkId exists
            (answer,) = item["answer"]
            (value_key,) = answer.keys()
            assert value_key == exports.ANSWER_VALUE[question["type"]], item["linkId"]
            if question["type"] == "choice":
                assert answer[value_key]["code"] in {
                    o["valueCoding"]["code"] for o in question["answerOption"]}
            answered[item["linkId"]] = answer[value_key]
    assert answered["medications"] is True and answered["alcohol_cannabis"] is False
    assert answered["driver_plan"]["code"] == "returns"
    assert answered["driver_return_time"] == "16:30:00"
    assert answered["medications_detail"] == "Lorazepam 0.5 mg at night"
    assert answered["last_solid_food"].endswith(("-07:00", "-06:00"))  # on the clinic's clock
    assert questions["driver_return_time"]["enableWhen"] == [{
        "question": "driver_plan", "operator": "=",
        "answerCoding": {"code": "returns", "display": "They will come back to pick me up"}}]
    assert questions["medications_detail"]["enableWhen"][0]["answerBoolean"] is True
    assert questions["driver_name"]["required"] is True
    assert questions["intention"]["required"] is False


def test_the_pdf_holds_every_answer_flag_attestation_and_decision(app, submitted):
    _, _, pdf, record = exported(app, submitted)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    with app.test_request_context():
        stored = dict(record.revision.answers)
        items = db.session.scalars(select(ChecklistItem).filter_by(
            version_id=record.version.id)).all()
        for item in items:
            if stored.get(item.key):
                assert " ".join(exports.answer_text(item, stored[item.key]).split()) in text
                assert " ".join(item.label.split()) in text
    assert "Patient: Ada Lovelace, born 1990-01-31" in text
    assert "Infusion" in text and "version 1" in text
    assert "[!] Flag: Takes a medication to discuss" in text
    assert "Signed by typing their name: Ada King Lovelace" in text
    assert "Returned to the patient: Dr. Rivera" in text
    assert "Needs follow-up: Dr. Rivera" in text
    assert "Note: Call about lorazepam timing." in text
    assert "Can I bring my own blanket? — ½ joking" in text


def test_a_clinician_downloads_the_chart_copies_and_each_is_audited(app, client, submitted,
                                                                    login_as):
    login_as("clinician")
    pdf = client.get(f"/review/{submitted}/chart.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    fhir = client.get(f"/review/{submitted}/questionnaire-response.json")
    assert fhir.mimetype == "application/fhir+json"
    assert schema_errors(fhir.get_json()) == []
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.action.like("export.%"))).all()
    assert sorted(rows) == [("export.fhir", client.user_id), ("export.pdf", client.user_id)]
    page = client.get(f"/review/{submitted}").text
    assert f"/review/{submitted}/chart.pdf" in page


def test_nothing_submitted_means_nothing_to_export(app, client, book, login_as):
    appointment_id, _ = book()
    login_as("admin")
    assert client.get(f"/review/{appointment_id}/chart.pdf").status_code == 404


def test_the_day_csv_reads_back_and_is_formula_safe(app, client, submitted, book, login_as):
    with app.test_request_context(method="POST"):
        patient, _ = appointment_service.find_or_create_patient(
            "=HYPERLINK(\"http://x\")", __import__("datetime").date(1980, 5, 5))
        appointment_service.create(patient, db.session.get(Appointment, submitted).starts_at)
        day = settings.to_local(db.session.get(Appointment, submitted).starts_at).date()
        db.session.commit()
    login_as("clinician")
    response = client.get(f"/review/day.csv?date={day}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0].keys()) == list(exports.DAY_COLUMNS)
    ada, other = rows
    assert (ada["patient"], ada["date_of_birth"], ada["time"]) == ("Ada Lovelace", "1990-01-31",
                                                                  "14:00")
    assert ada["decision"] == "Needs follow-up" and ada["driver"] == "Charles Babbage"
    assert ada["checked_in"] == "" and ada["left_with"] == ""
    assert "Takes a medication to discuss" in ada["reasons"]
    assert other["patient"] == "'=HYPERLINK(\"http://x\")"
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.detail).filter_by(
            action="export.day_csv")) == f"day={day}, 2 appointments"


def test_the_command_line_exports_the_same(app, runner, submitted, tmp_path):
    fhir = runner.invoke(args=["export", "appointment", str(submitted), "--format", "fhir"])
    assert fhir.exit_code == 0, fhir.output
    assert schema_errors(json.loads(fhir.output)) == []
    target = tmp_path / "chart.pdf"
    pdf = runner.invoke(args=["export", "appointment", str(submitted), "--format", "pdf",
                              "--output", str(target)])
    assert pdf.exit_code == 0, pdf.output
    assert "Ada Lovelace" in PdfReader(target).pages[0].extract_text()
    refused = runner.invoke(args=["export", "appointment", str(submitted), "--format", "pdf"])
    assert refused.exit_code != 0 and "--output FILE.pdf" in refused.output
    questionnaire = runner.invoke(args=["checklist", "export", "--version", "1"])
    assert questionnaire.exit_code == 0, questionnaire.output
    assert schema_errors(json.loads(questionnaire.output)) == []
    missing = runner.invoke(args=["checklist", "export", "--version", "9"])
    assert missing.exit_code == 1 and "There is no checklist version 9." in missing.output
    with app.app_context():
        day = settings.to_local(db.session.get(Appointment, submitted).starts_at).date()
    csv_out = runner.invoke(args=["export", "day", "--date", day.isoformat()])
    assert csv_out.exit_code == 0, csv_out.output
    assert "Ada Lovelace" in csv_out.output
    none = runner.invoke(args=["export", "appointment", "999", "--format", "fhir"])
    assert none.exit_code == 1 and "There is no appointment #999." in none.output
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("export.%"))).all()
    assert sorted(actions) == ["export.day_csv", "export.fhir", "export.pdf"]


@pytest.mark.parametrize("hostile", ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1+2"])
def test_no_cell_of_the_day_csv_starts_a_formula(app, runner, book, hostile):
    """Whatever a patient typed as their driver's name, or the desk as a patient's name, the
    day's CSV opens in a spreadsheet as text."""
    from prep_app.services import text

    appointment_id, _ = book(name=f"{hostile} Lovelace")
    with app.test_request_context(method="POST"):
        appointment = db.session.get(Appointment, appointment_id)
        appointment.session_type = hostile
        submission = save_answers(appointment, ready_answers(
            appointment.starts_at, driver_name=f"{hostile} Babbage"))
        submissions.submit(submission, "Ada", secrets.token_urlsafe(24), None)
        day = settings.to_local(appointment.starts_at).date()
        db.session.commit()
    result = runner.invoke(args=["export", "day", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(io.StringIO(result.output)))
    for column, name in (("patient", "Lovelace"), ("driver", "Babbage")):
        assert row[column].startswith("'") and row[column].endswith(f"{hostile.strip()} {name}")
    assert [cell for cell in row.values() if cell.startswith(text.FORMULA_START)] == []
