"""The driver confirms: the patient lets the clinic text their driver, the driver answers on a
page of their own, and the board and the patient see the answer (texts: tests/driver_steps.py).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import (
    Appointment,
    AuditEvent,
    DriverLink,
    Message,
    MessageRecipient,
    MessageStatus,
    utcnow,
)
from prep_app.services import drivers

from .driver_steps import (
    RIDE_WITH_TEXTS,
    answer,
    driver_opens,
    driver_texts,
    link_in,
    name_driver,
    send_due,
)
from .patient_forms import calm_answers, save, session_day
from .worker_process import Worker, wait_until


@pytest.fixture
def outbox_dir(app, tmp_path) -> Path:
    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    return tmp_path / "outbox"


@pytest.fixture
def desk(login_as, app):
    return login_as("front_desk", app.test_client())


def board_cell(desk, patient, label: str) -> str:
    """The words of the board's cell (Driver, Status) for the one appointment of the day."""
    html = desk.get(f"/board/?date={session_day(patient)}").text
    cell = html.split(f'data-label="{label}">')[1].split("</td>")[0]
    return unescape(" ".join(re.sub(r"<[^>]+>", "", cell).split()))


def board_driver_cell(desk, patient) -> str:
    return board_cell(desk, patient, "Driver")


def board_status_cell(desk, patient) -> str:
    return board_cell(desk, patient, "Status")


def test_the_ride_page_asks_whether_we_may_text_the_driver(patient):
    html = patient.get("/checklist/step/ride").text
    assert "May we text your driver?" in html
    assert 'name="may_text_driver"' in html
    assert "only your first name" in html


def test_driver_confirms_and_board_shows_it(app, patient, desk, outbox_dir):
    name_driver(patient)
    assert "Driver not answered" in board_driver_cell(desk, patient)
    driver = driver_opens(app, outbox_dir)
    day = session_day(patient)
    assert driver.text.startswith(f"Cedar City Clinic: a ride home {day:%a} {day.day} {day:%b}? ")
    assert "Reply STOP to opt out" in driver.text
    page = driver.get("/ride/").text
    assert "Can you drive Ada home?" in page
    response = answer(driver, "coming")
    assert response.status_code == 302
    page = driver.get("/ride/").text
    assert "You said you'll be there. Thank you." in page
    assert "Driver confirmed" in board_driver_cell(desk, patient)
    # A confirmed driver changes nothing of the readiness: submitted, awaiting review.
    assert "Awaiting review" in board_status_cell(desk, patient)


def test_driver_decline_needs_attention_and_tells_patient(app, patient, desk, outbox_dir):
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    assert answer(driver, "not coming").status_code == 302
    assert "You said you can't make it." in driver.get("/ride/").text
    status = board_status_cell(desk, patient)
    assert "Needs attention" in status and "Driver said they can't make it" in status
    assert "Driver declined" in board_driver_cell(desk, patient)
    for page in ("/checklist/", "/checklist/done", "/checklist/step/dayof"):
        html = unescape(patient.get(page).text)
        assert ("Your driver said they can't make it. Please name another driver or call "
                "us.") in html, page
    # The driver changes their mind before the session: the appointment is fine again.
    answer(driver, "coming")
    assert "Driver said they can't make it" not in board_status_cell(desk, patient)
    assert "Your driver said they can" not in patient.get("/checklist/").text


def test_driver_page_shows_only_first_name(app, patient, outbox_dir):
    name_driver(patient, driver_relationship="Neighbour")
    driver = driver_opens(app, outbox_dir)
    page = driver.get("/ride/").text
    with app.app_context():
        appointment = db.session.get(Appointment, patient.appointment_id)
        pickup = appointment.starts_at + timedelta(minutes=60)
    assert "Ada" in page
    assert "About 3:00" in page or "About 15:00" in page, pickup
    assert "(435) 555-0100" in page  # the clinic's phone
    day = session_day(patient)
    assert str(day.day) in page and day.strftime("%B") in page
    body = page.split("</head>")[1]
    assert "Cedar City Ketamine Clinic" not in page
    for private in ("Lovelace", "1990", "Charles", "Babbage", "Neighbour", "555-0142",
                    "Rest and listen", "medication", "ketamine", "Ketamine", "fasting"):
        assert private not in body, private
    assert "Lovelace" not in driver.text and "Babbage" not in driver.text


def test_old_driver_link_dies_when_driver_changes(app, patient, desk, outbox_dir):
    name_driver(patient)
    old_driver = driver_opens(app, outbox_dir)
    answer(old_driver, "not coming")
    # The patient names someone else, with another number.
    response = save(patient, "ride", {**calm_answers(patient)["ride"], **RIDE_WITH_TEXTS,
                                      "driver_name": "Mary Somerville",
                                      "driver_phone": "(435) 555-0177"})
    assert response.status_code == 302
    assert old_driver.get("/ride/").status_code == 404
    assert old_driver.get(link_in(old_driver.text)).status_code == 404
    # The old driver's "can't make it" no longer counts, and the new driver gets a text.
    assert "Driver said they can't make it" not in board_status_cell(desk, patient)
    new_driver = driver_opens(app, outbox_dir, to="+14355550177")
    assert "Can you drive Ada home?" in new_driver.get("/ride/").text
    assert answer(new_driver, "coming").status_code == 302
    assert "Driver confirmed" in board_driver_cell(desk, patient)


def test_a_new_number_for_the_same_driver_also_gets_a_new_link(app, patient, outbox_dir):
    name_driver(patient)
    send_due(app)
    ride = {**calm_answers(patient)["ride"], **RIDE_WITH_TEXTS, "driver_phone": "(435) 555-0199"}
    # Saved before the first text went out: that text is not sent at all.
    assert save(patient, "ride", ride).status_code == 302
    send_due(app)
    assert len(driver_texts(outbox_dir, "+14355550199")) == 1
    with app.app_context():
        statuses = db.session.scalars(select(Message.status).where(
            Message.recipient == MessageRecipient.DRIVER).order_by(Message.id)).all()
        links = db.session.scalars(select(DriverLink).order_by(DriverLink.id)).all()
    assert statuses == [MessageStatus.SENT, MessageStatus.SENT]
    assert links[0].revoked_at is not None and links[1].revoked_at is None


def test_saving_the_ride_page_again_sends_no_second_text(app, patient, outbox_dir):
    name_driver(patient)
    assert save(patient, "ride", {**calm_answers(patient)["ride"],
                                  **RIDE_WITH_TEXTS}).status_code == 302
    send_due(app)
    assert len(driver_texts(outbox_dir)) == 1


def test_no_text_to_the_driver_without_the_patients_yes(app, patient, desk, outbox_dir):
    name_driver(patient, may_text_driver="no")
    send_due(app)
    assert driver_texts(outbox_dir) == []
    assert board_driver_cell(desk, patient) == "Charles Babbage (435) 555-0142"
    with app.app_context():
        assert db.session.get(Appointment, patient.appointment_id).is_driver_text_allowed is False
    # Saying no after yes stops the text still planned.
    save(patient, "ride", {**calm_answers(patient)["ride"], **RIDE_WITH_TEXTS})
    save(patient, "ride", {**calm_answers(patient)["ride"], "may_text_driver": "no"})
    send_due(app)
    assert driver_texts(outbox_dir) == []


def test_the_driver_cannot_change_the_answer_once_the_session_started(app, patient, outbox_dir):
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    with app.app_context():
        appointment = db.session.get(Appointment, patient.appointment_id)
        appointment.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    page = driver.get("/ride/").text
    assert "answers can no longer be changed here" in page
    assert "I'll be there" not in unescape(page)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = driver.post("/ride/not-coming", data={"csrf_token": token})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Appointment, patient.appointment_id).driver_reply is None


def test_an_answer_needs_the_pages_csrf_token(app, patient, outbox_dir):
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    response = driver.post("/ride/not-coming", data={})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Appointment, patient.appointment_id).driver_reply is None


def test_every_view_and_answer_of_the_driver_is_audited_with_ids_only(app, patient, outbox_dir):
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    driver.get("/ride/")
    answer(driver, "coming")
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("driver.%")).order_by(AuditEvent.id)).all()
        link_id = db.session.scalar(select(DriverLink.id))
    actions = [row.action for row in rows]
    assert actions.count("driver.link_issue") == 1
    # The page looked at, then again to press the answer's button: two views.
    assert actions.count("driver.view") == 2
    assert actions.count("driver.reply") == 1
    for row in rows:
        assert row.record_id == patient.appointment_id
        assert "Ada" not in row.detail and "Charles" not in row.detail and "555" not in row.detail
        if row.action in ("driver.view", "driver.reply"):
            assert (row.actor_type, row.actor_id, row.actor_role) == ("driver_link", link_id,
                                                                     "driver")
    assert [r.detail for r in rows if r.action == "driver.reply"] == [
        f"driver link {link_id}: coming"]


def test_a_driver_link_reaches_nothing_of_the_patient(app, patient, outbox_dir):
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    for url in ("/checklist/", "/checklist/review", "/checklist/done", "/checklist/step/ride"):
        assert driver.get(url).status_code == 404, url
    assert driver.get(f"/board/a/{patient.appointment_id}").status_code == 302  # sign in


def test_a_driver_link_dies_with_the_session_day_and_a_cancellation(app, patient, outbox_dir):
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    with app.app_context():
        link = db.session.scalar(select(DriverLink))
        appointment = link.appointment
        assert link.expires_at > appointment.starts_at + timedelta(hours=1)
        assert link.expires_at - appointment.starts_at <= timedelta(hours=24)
        appointment.is_cancelled = True
        db.session.commit()
    assert driver.get("/ride/").status_code == 404
    assert "This link is not working" in driver.get("/ride/").text


def test_the_driver_page_is_rate_limited(make_app, book):
    app = make_app(RATE_LIMITING=True, PATIENT_RATE_LIMIT="3/minute")
    appointment_id, _ = book()
    with app.app_context():
        token = drivers.issue_for_message(db.session.get(Appointment, appointment_id), utcnow())
        db.session.commit()
    driver = app.test_client()
    assert driver.get(f"/p/{token}").status_code == 302
    hidden = driver.hidden("/ride/")  # the CSRF token of the page: one of the three
    assert [driver.get("/ride/").status_code for _ in range(3)] == [200, 200, 429]
    assert driver.post("/ride/coming", data=hidden).status_code == 429
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).driver_reply is None


def test_a_real_worker_texts_the_driver_who_then_confirms(app, patient, desk, jobs,
                                                          fake_twilio, tmp_path):
    """The worker command in a child process texts the driver through the real twilio library
    (to a Twilio-speaking server on loopback); the link in the text opens the driver's page."""
    name_driver(patient)
    with Worker(jobs(**fake_twilio.settings()), tmp_path / "worker.log"):
        (text,) = fake_twilio.wait_for(1)
        wait_until(lambda: driver_message(app).status == MessageStatus.SENT,
                   what="the text marked sent")
    assert text["to"] == "+14355550142"
    day = session_day(patient)
    assert text["body"].startswith(f"Cedar City Clinic: a ride home {day:%a} {day.day} {day:%b}? ")
    assert driver_message(app).provider_id == text["sid"]
    token = link_in(text["body"]).rsplit("/", 1)[1]
    assert token not in (tmp_path / "worker.log").read_text()
    driver = app.test_client()
    assert driver.get(link_in(text["body"])).status_code == 302
    assert answer(driver, "coming").status_code == 302
    assert "Driver confirmed" in board_driver_cell(desk, patient)


def driver_message(app) -> Message:
    with app.app_context():
        message = db.session.scalar(select(Message).where(
            Message.recipient == MessageRecipient.DRIVER))
        db.session.expunge_all()
        db.session.remove()
        return message


def test_a_spanish_patients_driver_gets_the_text_and_the_page_in_spanish(app, patient,
                                                                          outbox_dir):
    patient.get("/checklist/language?to=es")
    name_driver(patient)
    driver = driver_opens(app, outbox_dir)
    assert "Llame" in driver.text and "STOP" in driver.text
    page = driver.get("/ride/").text
    assert '<html lang="es">' in page and "¿Puede llevar a Ada a su casa?" in page
    assert "Sí, voy a estar" in page
