"""The patient's journey through their checklist, from the introduction to the printed timeline.

Each test does what a patient does in the browser (JavaScript off: plain forms and links) and
checks what is stored in the database, not only what the page says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, SubmissionStatus, utcnow
from prep_app.readiness import Status
from prep_app.services import appointments as appointment_service
from prep_app.services import settings, status, submissions

from .browserlike import element, tags
from .patient_forms import (
    SECTIONS,
    calm_answers,
    open_link,
    save,
    session_day,
    stored,
    submit,
    walk,
)

# --- what is stored ---------------------------------------------------------------------------

def readiness(client):
    with client.application.test_request_context():
        return status.for_appointment(db.session.get(Appointment, client.appointment_id)
                                      ).readiness


def audit_rows(client, prefix: str = "submission.") -> list[AuditEvent]:
    with client.application.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                  .order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return rows


def patient_id(client) -> int:
    with client.application.app_context():
        return db.session.get(Appointment, client.appointment_id).patient_id


def move_session(client, **delta) -> None:
    """Move the session's start relative to now (the link keeps working through its grace)."""
    with client.application.app_context():
        appointment = db.session.get(Appointment, client.appointment_id)
        appointment.starts_at = utcnow() + timedelta(**delta)
        db.session.commit()


# --- reading the page -----------------------------------------------------------------------

def text_of(html: str) -> str:
    """The words a person reads (tags dropped, spaces collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def links_on(html: str) -> list[str]:
    return [attrs.get("href", "") for tag, attrs in tags(html) if tag == "a"]


def static_text(client, name: str) -> str:
    with client.get(f"/static/{name}") as response:
        assert response.status_code == 200
        return response.get_data(as_text=True)


def main_button(html: str) -> str:
    """Where the page's first link styled as a button leads."""
    return next(attrs["href"] for tag, attrs in tags(html)
                if tag == "a" and attrs.get("role") == "button")


# --- the journey ------------------------------------------------------------------------------

def test_patient_reads_a_short_intro_then_answers_one_section_per_page(patient):
    intro = patient.get("/checklist/")
    assert "It takes about 5 minutes" in intro.text
    assert "/checklist/step/prepare" in links_on(intro.text)

    answers = calm_answers(patient)
    titles = ["Getting ready", "What to bring and wear", "Your ride home",
              "The day of your session", "Your medicines", "How you are feeling",
              "Questions for the team"]
    for number, (section, title) in enumerate(zip(SECTIONS, titles, strict=True), start=1):
        page = patient.get(f"/checklist/step/{section}")
        assert f"Step {number} of 7" in page.text
        assert f"<h1>{title}</h1>" in page.text
        response = save(patient, section, answers[section])
        following = (f"/checklist/step/{SECTIONS[number]}" if number < 7
                     else "/checklist/review")
        assert response.headers["Location"] == following

    saved = stored(patient)
    assert saved.status == SubmissionStatus.IN_PROGRESS
    assert saved.answers["support_habits"] == "yes"
    assert saved.answers["intention"] == "Rest and listen"
    assert saved.answers["driver_phone"] == "+14355550142"
    assert saved.answers["last_clear_liquid"] == f"{session_day(patient)}T11:30"
    assert saved.answers["alcohol_cannabis"] == "no"
    assert saved.answers["questions"] == ""
    assert saved.revision == 0  # saved, not submitted


def test_coming_back_in_a_new_browser_resumes_at_the_first_unfinished_section(
        patient, app):
    answers = calm_answers(patient)
    save(patient, "prepare", answers["prepare"])
    save(patient, "bring", answers["bring"])
    save(patient, "ride", {"driver_name": "Charles Babbage"}, action="later")

    phone = app.test_client()  # the same link, opened later on another device
    assert open_link(phone, patient.token).status_code == 302
    overview = phone.get("/checklist/")
    assert "Continue where you left off" in overview.text
    assert main_button(overview.text) == "/checklist/step/ride"

    ride = phone.get("/checklist/step/ride")
    assert element(ride.text, "driver_name")[1]["value"] == "Charles Babbage"
    bring = phone.get("/checklist/step/bring")
    assert "checked" in element(bring.text, "headphones")[1]
    prepare = phone.get("/checklist/step/prepare")
    assert "Rest and listen" in prepare.text


def test_a_section_never_opened_is_where_the_patient_resumes_even_if_all_optional(patient):
    answers = calm_answers(patient)
    for section in SECTIONS[:-1]:
        save(patient, section, answers[section])
    assert main_button(patient.get("/checklist/").text) == "/checklist/step/questions"
    save(patient, "questions", {"questions": ""})
    overview = patient.get("/checklist/")
    assert main_button(overview.text) == "/checklist/review"
    assert "Check and submit your answers" in overview.text


def test_save_and_finish_later_keeps_a_half_filled_page_without_nagging(patient):
    response = save(patient, "ride", {"driver_name": "Charles Babbage",
                                      "driver_relationship": "Friend"}, action="later")
    assert response.status_code == 302
    assert response.headers["Location"] == "/checklist/"
    overview = patient.get("/checklist/")
    assert "Saved. You can close this page" in overview.text
    saved = stored(patient)
    assert saved.answers["driver_name"] == "Charles Babbage"
    assert saved.answers["driver_relationship"] == "Friend"
    assert saved.answers["driver_phone"] == ""
    assert saved.status == SubmissionStatus.IN_PROGRESS
    assert readiness(patient).status == Status.IN_PROGRESS


def test_save_and_continue_asks_for_missing_answers_next_to_each_field_and_at_the_top(patient):
    response = save(patient, "ride", {"driver_name": "Charles Babbage"})
    assert response.status_code == 422
    html = response.text
    summary_start = html.index('id="error-summary"')
    summary = html[summary_start:html.index("</div>", summary_start)]
    for key in ("driver_phone", "driver_relationship", "no_driving"):
        assert f'href="#{key}"' in summary
        error_tag, error = element(html, f"{key}-error")
        assert error_tag == "p"
        _, field = element(html, key)
        assert f"{key}-error" in field["aria-describedby"].split()
        assert field["aria-invalid"] == "true"
    # A choice is a group of radio buttons: the summary links to the group, which names its error.
    assert 'href="#driver_plan-group"' in summary
    _, group = element(html, "driver_plan-group")
    assert "driver_plan-error" in group["aria-describedby"].split()
    assert "Please answer this question." in html
    assert "Please tick this box to confirm." in html
    # The name was typed correctly: no error on it, and it is kept on the page and in the DB.
    assert "driver_name-error" not in html
    assert element(html, "driver_name")[1]["value"] == "Charles Babbage"
    assert stored(patient).answers["driver_name"] == "Charles Babbage"


def test_driver_mobile_number_is_checked_stored_in_e164_and_shown_the_usual_way(patient):
    answers = calm_answers(patient)
    response = save(patient, "ride", {**answers["ride"], "driver_phone": "555-12"})
    assert response.status_code == 422
    assert "does not look like a phone number" in response.text
    assert element(response.text, "driver_phone")[1]["aria-invalid"] == "true"
    assert stored(patient).answers.get("driver_phone", "") == ""
    assert stored(patient).answers["driver_name"] == "Charles Babbage"  # the rest is saved

    response = save(patient, "ride", {**answers["ride"], "driver_phone": "435.555.0142"})
    assert response.status_code == 302
    assert stored(patient).answers["driver_phone"] == "+14355550142"
    page = patient.get("/checklist/step/ride")
    assert element(page.text, "driver_phone")[1]["value"] == "(435) 555-0142"
    for section in ("prepare", "bring", "dayof", "medicines", "health", "questions"):
        save(patient, section, answers[section])
    assert "(435) 555-0142" in patient.get("/checklist/review").text


def test_pickup_time_is_needed_only_when_the_driver_comes_back(patient):
    ride = calm_answers(patient)["ride"]
    response = save(patient, "ride", {**ride, "driver_plan": "returns"})
    assert response.status_code == 422
    assert element(response.text, "driver_return_time")[1]["aria-invalid"] == "true"
    assert 'href="#driver_return_time"' in response.text

    response = save(patient, "ride", {**ride, "driver_plan": "returns",
                                      "driver_return_time": "17:30"})
    assert response.status_code == 302
    assert stored(patient).answers["driver_return_time"] == "17:30"

    response = save(patient, "ride", {**ride, "driver_plan": "waits", "driver_return_time": ""})
    assert response.status_code == 302
    assert stored(patient).answers["driver_plan"] == "waits"


def test_pickup_time_question_is_on_the_page_without_javascript(patient):
    html = patient.get("/checklist/step/ride").text
    tag, field = element(html, "driver_return_time")
    assert tag == "input" and "hidden" not in field
    assert field["data-show-if-item"] == "driver_plan"
    assert field["data-show-if-value"] == "returns"
    assert re.search(r'<script src="/static/patient\.js\?v=[0-9a-f]{12}">', html)
    assert "data-show-if-item" in static_text(patient, "patient.js")


ALARMING = ("flag", "warning", "danger", "unsafe", "risk", "cancel", "not allowed", "must not",
            "should not have", "violat", "denied", "!")


def test_answers_that_matter_do_not_scold_the_patient_but_flag_it_for_the_team(patient):
    day = session_day(patient).isoformat()
    answers = calm_answers(patient, last_solid_food=f"{day}T12:00",
                           alcohol_cannabis="yes", medications="yes",
                           medications_detail="Lamotrigine 100 mg each morning")
    walk(patient, answers)
    saved = stored(patient).answers
    assert saved["last_solid_food"] == f"{day}T12:00"
    assert saved["medications_detail"] == "Lamotrigine 100 mg each morning"

    pages = [patient.get("/checklist/step/questions"), patient.get("/checklist/review")]
    assert submit(patient).status_code == 302
    pages.append(patient.get("/checklist/done"))
    for page in pages:
        # The one reassurance that names the fear (issue 9) is not a scolding.
        words = text_of(page.text).lower().replace(
            "it does not mean your session is cancelled", "")
        for word in ALARMING:
            assert word not in words, (page.request.path, word)

    result = readiness(patient)
    assert result.status == Status.NEEDS_ATTENTION
    assert "Alcohol or cannabis within 24 h" in result.flags
    assert "Takes a medication to discuss" in result.flags
    assert "Ate 2 h before: inside the 6 h fasting window" in result.flags


def test_medication_details_are_asked_only_when_the_patient_takes_one(patient):
    medicines = calm_answers(patient)["medicines"]
    response = save(patient, "medicines", {**medicines, "medications": "yes"})
    assert response.status_code == 422
    assert 'href="#medications_detail"' in response.text
    assert save(patient, "medicines", medicines).status_code == 302


def test_review_shows_every_answer_and_each_change_link_comes_back_to_review(patient):
    walk(patient, calm_answers(patient))
    page = patient.get("/checklist/review")
    words = text_of(page.text)
    for shown in ("Charles Babbage", "(435) 555-0142", "They will wait at the clinic",
                  "Rest and listen", "Yes, confirmed", "Friend"):
        assert shown in words
    assert "What time will they come back?" not in words  # does not apply: they wait
    for section in SECTIONS:
        assert f"/checklist/step/{section}?back=review" in links_on(page.text)

    change = patient.get("/checklist/step/ride?back=review")
    assert "/checklist/review" in links_on(change.text)
    response = patient.submit("/checklist/step/ride?back=review",
                              {**calm_answers(patient)["ride"], "driver_name": "Mary Somerville",
                               "action": "continue"})
    assert response.headers["Location"] == "/checklist/review"
    assert stored(patient).answers["driver_name"] == "Mary Somerville"
    assert "Mary Somerville" in patient.get("/checklist/review").text


def test_review_lists_missing_answers_with_links_and_cannot_be_submitted_yet(patient):
    answers = calm_answers(patient)
    save(patient, "prepare", answers["prepare"])
    save(patient, "ride", {"driver_name": "Charles Babbage"}, action="later")
    page = patient.get("/checklist/review")
    assert "A few answers are still needed" in page.text
    hrefs = links_on(page.text)
    assert "/checklist/step/bring?back=review#headphones" in hrefs
    assert "/checklist/step/ride?back=review#driver_phone" in hrefs
    assert "/checklist/step/ride?back=review#driver_plan-group" in hrefs
    assert "/checklist/step/ride?back=review#driver_name" not in hrefs
    assert 'name="attested_name"' not in page.text

    response = patient.post("/checklist/review", data={
        "csrf_token": patient.hidden("/checklist/")["csrf_token"],
        "attested_name": "Ada Lovelace", "version": "99", "submit_key": "k" * 32})
    assert response.status_code in (409, 422)
    assert stored(patient).revision == 0


def test_typing_the_name_submits_a_snapshot_of_the_answers_with_an_audit_row(patient):
    walk(patient, calm_answers(patient))
    response = submit(patient, "  Ada   Lovelace ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/checklist/done"

    saved = stored(patient)
    assert saved.status == SubmissionStatus.SUBMITTED
    assert saved.revision == 1
    [revision] = saved.revisions
    assert revision.number == 1
    assert revision.attested_name == "Ada   Lovelace"
    not_applying = {"driver_return_time", "medications_detail"}  # they wait; no medicines
    expected = {k: v for k, v in saved.answers.items() if k not in not_applying}
    assert revision.answers == expected
    canonical = json.dumps(dict(sorted(expected.items())), ensure_ascii=False,
                           separators=(",", ":"))
    assert revision.answers_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert saved.answers_hash == revision.answers_hash

    [row] = audit_rows(patient, "submission.submit")
    assert row.actor_type == "patient_link"
    assert row.patient_id == patient_id(patient)
    assert row.detail == "revision 1"
    assert row.request_id == response.headers["X-Request-Id"]
    assert readiness(patient).status == Status.AWAITING_REVIEW


def test_typing_no_name_asks_for_it_next_to_the_field(patient):
    walk(patient, calm_answers(patient))
    response = submit(patient, "   ")
    assert response.status_code == 422
    assert element(response.text, "attested_name")[1]["aria-invalid"] == "true"
    assert 'href="#attested_name"' in response.text
    assert stored(patient).revision == 0


def test_a_submit_that_fails_half_way_stores_nothing(patient, monkeypatch):
    """The revision and its audit row are written in one transaction: both or neither."""
    from prep_app.services import audit

    walk(patient, calm_answers(patient))
    real_record = audit.record

    def failing_record(action, **kwargs):
        if action == "submission.submit":
            raise RuntimeError("the audit table is unavailable")
        return real_record(action, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    response = submit(patient)
    assert response.status_code == 500
    saved = stored(patient)
    assert saved.revision == 0 and saved.revisions == []
    assert saved.status == SubmissionStatus.IN_PROGRESS
    assert audit_rows(patient, "submission.submit") == []


def test_a_double_click_on_submit_submits_once(patient):
    walk(patient, calm_answers(patient))
    form = patient.hidden("/checklist/review")
    data = {**form, "attested_name": "Ada Lovelace"}
    first = patient.post("/checklist/review", data=data)
    second = patient.post("/checklist/review", data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == "/checklist/done"
    assert [r.number for r in stored(patient).revisions] == [1]
    assert len(audit_rows(patient, "submission.submit")) == 1


def test_a_stale_save_from_a_second_tab_is_refused_and_keeps_what_was_typed(patient):
    ride = calm_answers(patient)["ride"]
    # Both tabs open before anything was saved: the first save must still go through.
    first_tab = patient.hidden("/checklist/step/ride")
    second_tab = patient.hidden("/checklist/step/ride")
    saved = patient.post("/checklist/step/ride",
                         data={**first_tab, **ride, "action": "continue"})
    assert saved.status_code == 302

    stale = patient.post("/checklist/step/ride", data={
        **second_tab, **ride, "driver_name": "Mary Somerville", "action": "continue"})
    assert stale.status_code == 409
    assert "reload the page" in stale.text
    assert element(stale.text, "driver_name")[1]["value"] == "Mary Somerville"
    assert stored(patient).answers["driver_name"] == "Charles Babbage"

    # Saving again from that page is a deliberate choice, and goes through.
    again = patient.post("/checklist/step/ride", data={
        **forms_hidden(stale.text), **ride, "driver_name": "Mary Somerville",
        "action": "continue"})
    assert again.status_code == 302
    assert stored(patient).answers["driver_name"] == "Mary Somerville"


def test_a_stale_submit_from_a_second_tab_is_refused_and_nothing_is_submitted(patient):
    answers = calm_answers(patient)
    walk(patient, answers)
    review_tab = patient.hidden("/checklist/review")
    save(patient, "ride", {**answers["ride"], "driver_name": "Mary Somerville"}, back=True)
    response = patient.post("/checklist/review",
                            data={**review_tab, "attested_name": "Ada Lovelace"})
    assert response.status_code == 409
    assert "reload the page" in response.text
    assert element(response.text, "attested_name")[1]["value"] == "Ada Lovelace"
    assert "Mary Somerville" in response.text  # the latest answers, to check again
    assert stored(patient).revision == 0


def forms_hidden(html: str) -> dict:
    from .browserlike import forms_of

    return forms_of(html)[0]["hidden"]


def test_after_submitting_the_patient_sees_their_timeline_in_the_clinics_time(client, book, app):
    with app.app_context():
        clinic = settings.get()
        place = clinic.main_location
        place.timezone, place.solid_fast_hours, place.clear_fast_hours = "Asia/Kolkata", 4, 2
        clinic.arrive_early_minutes = 15
        db.session.commit()
    client.appointment_id, token = book(hour=14)
    open_link(client, token)
    walk(client, calm_answers(client, last_solid_food=f"{session_day(client)}T09:00"))
    submit(client)

    page = client.get("/checklist/done")
    assert page.status_code == 200
    assert "Thank you. We have your answers." in page.text
    day = session_day(client)
    written = f"{day:%A}, {day:%B} {day.day}"  # a US clinic
    words = text_of(page.text).replace("\u202f", " ")
    for clock, what in (("10:00 AM", "Last solid food"), ("12:00 PM", "Last clear liquids"),
                        ("1:45 PM", "Arrive at the clinic"), ("2:00 PM", "Your session starts")):
        assert f"{written}, {clock} {what}" in words
    assert "Charles Babbage will drive you home" in words
    assert "data-print" in page.text
    assert re.search(r'<script src="/static/print\.js\?v=[0-9a-f]{12}">', page.text)
    assert "window.print()" in static_text(client, "print.js")


def test_a_change_after_submitting_reopens_it_and_resubmitting_keeps_the_history(patient):
    answers = calm_answers(patient)
    walk(patient, answers)
    submit(patient)
    assert stored(patient).status == SubmissionStatus.SUBMITTED

    # Saving the same answers again changes nothing.
    save(patient, "ride", answers["ride"], back=True)
    assert stored(patient).status == SubmissionStatus.SUBMITTED

    save(patient, "ride", {**answers["ride"], "driver_name": "Mary Somerville"}, back=True)
    saved = stored(patient)
    assert saved.status == SubmissionStatus.IN_PROGRESS
    result = readiness(patient)
    assert result.status == Status.IN_PROGRESS
    assert "Changing answers; not submitted again yet" in result.reasons
    assert "You have changed some answers" in patient.get("/checklist/done").text

    assert submit(patient).status_code == 302
    saved = stored(patient)
    assert saved.status == SubmissionStatus.SUBMITTED
    assert [r.number for r in saved.revisions] == [1, 2]
    assert saved.revisions[0].answers["driver_name"] == "Charles Babbage"
    assert saved.revisions[1].answers["driver_name"] == "Mary Somerville"
    assert [r.detail for r in audit_rows(patient, "submission.submit")] == [
        "revision 1", "revision 2"]


@pytest.mark.parametrize("moment", ["session started", "checked in"])
def test_once_the_session_starts_changes_are_refused_politely(patient, moment):
    answers = calm_answers(patient)
    walk(patient, answers)
    submit(patient)
    before = stored(patient)
    open_tab = patient.hidden("/checklist/step/ride")  # a page left open from before
    if moment == "session started":
        move_session(patient, minutes=-10)
    else:
        with patient.application.test_request_context():
            appointment = db.session.get(Appointment, patient.appointment_id)
            appointment_service.check_in(appointment, is_driver_confirmed=True,
                                         now=appointment.starts_at)
            db.session.commit()

    response = patient.post("/checklist/step/ride", data={
        **open_tab, **answers["ride"], "driver_name": "Mary Somerville", "action": "continue"})
    assert response.status_code == 302
    overview = patient.get(response.headers["Location"])
    assert "answers can no longer be changed here" in overview.text
    assert "please tell the team" in overview.text
    page = patient.get("/checklist/step/ride")
    assert "Save and continue" not in page.text
    assert "can no longer be changed" in page.text

    response = patient.post("/checklist/review", data={
        **forms_hidden(patient.get("/checklist/").text),  # the only form left: sign out
        "attested_name": "Ada Lovelace", "submit_key": "k" * 32})
    assert response.status_code == 302
    after = stored(patient)
    assert after.answers == before.answers
    assert after.revision == 1 and after.status == SubmissionStatus.SUBMITTED


def test_every_save_and_submit_writes_an_audit_row_without_health_details(patient):
    walk(patient, calm_answers(patient))
    submit(patient)
    rows = audit_rows(patient)
    assert [r.action for r in rows] == ["submission.save"] * len(SECTIONS) + ["submission.submit"]
    assert [r.detail for r in rows[:-1]] == [f"section {s}" for s in SECTIONS]
    for row in rows:
        assert row.actor_type == "patient_link" and row.actor_role == "patient"
        assert row.patient_id == patient_id(patient)
        assert re.fullmatch(r"[0-9a-f]{16}", row.request_id)
    assert len({r.request_id for r in rows}) == len(rows)  # one request each


CANARIES = {
    "patient": "Zebulon Quixworthy",
    "driver": "Yolanda Canarybird",
    "phone": "(435) 555-0177",
    "intention": "canary-intention-7731",
    "medicine": "canary-medicine-5512",
    "question": "canary-question-9127",
}


def test_no_patient_details_reach_the_logs(client, book, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger propagates here
    for name in list(logging.root.manager.loggerDict):
        # Every logger at DEBUG (restored after the test), except SQLAlchemy's SQL echo: it
        # writes statements and rows by design, and stays at its default (warnings) unless
        # someone turns echo on.
        echo = name.startswith(("sqlalchemy.engine", "sqlalchemy.pool"))
        caplog.set_level(logging.WARNING if echo else logging.DEBUG, logger=name)
    client.appointment_id, token = book(name=CANARIES["patient"], dob=date(1961, 7, 19))
    assert client.get(f"/p/{token}").status_code == 302
    assert client.submit("/checklist/verify", {"date_of_birth": "1961-07-18"}).status_code == 422
    open_link(client, token, dob="1961-07-19")
    answers = calm_answers(
        client, intention=CANARIES["intention"], driver_name=CANARIES["driver"],
        driver_phone=CANARIES["phone"], medications="yes",
        medications_detail=CANARIES["medicine"], questions=CANARIES["question"])
    save(client, "ride", {**answers["ride"], "driver_phone": CANARIES["phone"] + "99"})
    walk(client, answers)
    stale = client.hidden("/checklist/step/ride")
    save(client, "ride", answers["ride"], back=True)
    client.post("/checklist/step/ride", data={**stale, **answers["ride"]})
    submit(client, CANARIES["patient"])
    client.get("/checklist/done")

    def broken(*args, **kwargs):
        raise RuntimeError(f"cannot save {CANARIES['driver']} {CANARIES['question']}")

    monkeypatch.setattr(submissions, "save_section", broken)
    assert save(client, "ride", answers["ride"]).status_code == 500

    assert caplog.records, "the capture works: at least the 500 is logged"
    assert stored(client).answers["questions"] == CANARIES["question"]  # the canaries were used
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    needles = [*CANARIES.values(), "+14355550177", "4355550177", "1961-07-19", "1961-07-18"]
    for needle in needles:
        assert needle not in logged, needle


PATIENT_PAGES = ["/checklist/", "/checklist/verify", "/checklist/review", "/checklist/done",
                 *[f"/checklist/step/{s}" for s in SECTIONS]]


def test_patient_pages_fit_a_small_phone_and_keep_to_the_content_security_policy(patient):
    walk(patient, calm_answers(patient))
    submit(patient)
    pages = [patient.get(path) for path in PATIENT_PAGES]
    pages.append(patient.application.test_client().get("/p/not-a-real-link"))
    for page in pages:
        html = page.text
        assert page.status_code in (200, 302, 404), page.request.path
        if page.status_code == 302:
            continue
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "<table" not in html
        assert "style=" not in html
        for tag, attrs in tags(html):
            assert not tag == "script" or attrs.get("src"), page.request.path
            assert not any(name.startswith("on") for name in attrs), (page.request.path, tag)
        assert page.headers["Cache-Control"] == "no-store"
