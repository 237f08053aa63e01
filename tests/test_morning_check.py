"""The morning-of check: a clinic setting (off by default) with an hour. On the session's day the
patient gets a text and an email with their link; a short page asks three questions, and a "no"
or an "unwell" makes the appointment need attention, with the reason, on the board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, ClinicSettings, Message, MessagePurpose

from .patient_forms import calm_answers, session_day, submit, walk

DENVER = ZoneInfo("America/Denver")
ALL_WELL = {"fasting": "yes", "driver": "yes", "unwell": "no"}


def clinic_sets(app, **values) -> None:
    with app.app_context():
        clinic = db.session.get(ClinicSettings, 1)
        for key, value in values.items():
            setattr(clinic, key, value)
        db.session.commit()


@pytest.fixture
def reachable(app, patient):
    """The patient (their link open) has a mobile number and an email address."""
    with app.app_context():
        appointment = db.session.get(Appointment, patient.appointment_id)
        appointment.patient.phone, appointment.patient.email = "+14355550123", "ada@mail.example"
        db.session.commit()
    return patient


def morning_messages(app) -> list[Message]:
    with app.app_context():
        found = list(db.session.scalars(select(Message).where(
            Message.purpose == MessagePurpose.MORNING_CHECK).order_by(Message.id)))
        db.session.expunge_all()
        return found


def on_the_morning(app, patient, time_machine, hour: int = 8):
    """The clock moves to ``hour`` on the clinic's clock on the session's day (returned)."""
    day = session_day(patient)
    time_machine.move_to(datetime(day.year, day.month, day.day, hour, tzinfo=DENVER), tick=False)
    return day


def test_the_morning_check_is_off_by_default(app, reachable):
    walk(reachable, calm_answers(reachable))
    assert submit(reachable).status_code == 302
    assert morning_messages(app) == []
    assert reachable.get("/checklist/morning").status_code == 302


def test_submitting_plans_the_morning_check_at_the_clinics_hour(app, reachable):
    clinic_sets(app, is_morning_check_on=True, morning_check_hour=7)
    walk(reachable, calm_answers(reachable))
    assert submit(reachable).status_code == 302
    rows = morning_messages(app)
    assert sorted(str(m.channel) for m in rows) == ["email", "sms"]
    day = session_day(reachable)
    assert {m.due_at for m in rows} == {
        datetime(day.year, day.month, day.day, 7, tzinfo=DENVER).astimezone(UTC)}
    # Submitting again (a changed answer) plans nothing more.
    walk(reachable, {"questions": {"questions": ""}})
    assert submit(reachable).status_code == 302
    assert len(morning_messages(app)) == 2


def test_a_no_or_unwell_needs_attention_and_staff_see_why(app, reachable, login_as,
                                                           time_machine):
    clinic_sets(app, is_morning_check_on=True)
    walk(reachable, calm_answers(reachable))
    assert submit(reachable).status_code == 302
    day = on_the_morning(app, reachable, time_machine)
    page = unescape(reachable.get("/checklist/").text)
    assert "A quick check this morning" in page
    form = unescape(reachable.get("/checklist/morning").text)
    for question in ("Are you still fasting as planned?", "Is your driver still coming?",
                     "Are you feeling unwell?"):
        assert question in form
    response = reachable.submit("/checklist/morning", {"fasting": "yes", "driver": "no",
                                                        "unwell": "yes"})
    assert response.status_code == 302
    with app.app_context():
        said = db.session.get(Appointment, reachable.appointment_id).morning_check
    assert said == {"fasting": "yes", "driver": "no", "unwell": "yes"}
    desk = login_as("front_desk", app.test_client())
    board = unescape(desk.get(f"/board/?date={day}").text)
    assert "Needs attention</span>" in board
    assert "Morning check: driver not coming" in board
    assert "Morning check: feeling unwell" in board
    assert "Morning check: not fasting" not in board
    with app.app_context():
        detail = db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "morning_check.answer"))
    assert detail == "2 concern(s)"
    # All well after all: the reasons go.
    assert reachable.submit("/checklist/morning", ALL_WELL).status_code == 302
    board = unescape(desk.get(f"/board/?date={day}").text)
    assert "Morning check" not in board and "Awaiting review" in board


def test_every_question_needs_an_answer(app, reachable, time_machine):
    clinic_sets(app, is_morning_check_on=True)
    walk(reachable, calm_answers(reachable))
    submit(reachable)
    on_the_morning(app, reachable, time_machine)
    response = reachable.submit("/checklist/morning", {"fasting": "yes"})
    assert response.status_code == 422
    assert "Please answer this question." in response.text
    with app.app_context():
        assert db.session.get(Appointment, reachable.appointment_id).morning_check is None


def test_the_check_is_only_open_on_the_session_day_before_it_starts(app, reachable,
                                                                    time_machine):
    clinic_sets(app, is_morning_check_on=True)
    walk(reachable, calm_answers(reachable))
    submit(reachable)
    assert reachable.get("/checklist/morning").status_code == 302  # the day before
    on_the_morning(app, reachable, time_machine, hour=15)  # the session started at 14:00
    assert reachable.get("/checklist/morning").status_code == 302


def test_the_admin_turns_the_morning_check_on_with_its_hour(app, login_as):
    admin = login_as("admin", app.test_client())
    page = admin.get("/admin/settings").text
    assert "morning" in page.lower()
    with app.app_context():
        clinic = db.session.get(ClinicSettings, 1)
        values = {"name": clinic.name, "country": clinic.country,
                  "arrive_early_minutes": clinic.arrive_early_minutes,
                  "link_grace_hours": clinic.link_grace_hours,
                  "idle_timeout_minutes": clinic.idle_timeout_minutes,
                  "is_dob_check_on": "y"}
        assert clinic.is_morning_check_on is False
    response = admin.submit("/admin/settings", {**values, "is_morning_check_on": "y",
                                                "morning_check_hour": "6"}, form=1)
    assert response.status_code in (200, 302), response.text
    with app.app_context():
        clinic = db.session.get(ClinicSettings, 1)
        assert (clinic.is_morning_check_on, clinic.morning_check_hour) == (True, 6)


def test_the_morning_text_names_no_clinical_detail(app, reachable, tmp_path):
    from prep_app import gateways
    from prep_app.gateways import outbox
    from prep_app.services import messages

    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    clinic_sets(app, is_morning_check_on=True)
    walk(reachable, calm_answers(reachable))
    submit(reachable)
    rows = morning_messages(app)
    with app.app_context():
        messages.deliver_due(rows[0].due_at + timedelta(minutes=1), gateways.for_app(app),
                             timedelta(minutes=5))
        db.session.remove()
    sent = outbox.read(tmp_path / "outbox")
    texts = [m["body"] for m in sent if m["channel"] == "sms"]
    assert len(texts) == 1 and "quick check" in texts[0] and "/p/" in texts[0]
    for message in sent:
        for word in ("Lovelace", "1990", "ketamine", "Ketamine", "fasting", "Fasting"):
            assert word not in message["body"] + message["subject"], word


def test_an_answered_check_or_the_setting_turned_off_sends_no_text(app, reachable,
                                                                   time_machine, tmp_path):
    from prep_app import gateways
    from prep_app.services import messages

    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    clinic_sets(app, is_morning_check_on=True)
    walk(reachable, calm_answers(reachable))
    submit(reachable)
    on_the_morning(app, reachable, time_machine, hour=6)  # before the 07:00 text
    assert reachable.submit("/checklist/morning", ALL_WELL).status_code == 302
    with app.app_context():
        messages.deliver_due(morning_messages(app)[0].due_at, gateways.for_app(app),
                             timedelta(minutes=5))
        db.session.remove()
    assert {(str(m.status), m.last_error) for m in morning_messages(app)} == {
        ("cancelled", "morning check already answered")}
