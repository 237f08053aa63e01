"""Closing the day, from the desk's side: a session whose time has passed is marked a no-show,
or "left with <driver> at <time>"; the board and the day's export say so, and the board sums
the day up (sessions, ready on arrival, cancelled for no driver, no-shows)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, CancelReason, utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import settings

from .saved_answers import book_now, submit_ready
from .test_board import rows_of
from .test_frontdesk_actions import fuzz_post


@pytest.fixture
def desk(login_as):
    return login_as("front_desk")


def page(appointment_id: int) -> str:
    return f"/board/a/{appointment_id}"


def check_in(desk, appointment_id: int) -> None:
    response = desk.submit(f"{page(appointment_id)}/check-in",
                           {"driver_confirmed": "y", "clinician_knows": "y"},
                           page=page(appointment_id))
    assert response.status_code == 302, response.text


def actions(app, appointment_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.record_id == appointment_id,
            AuditEvent.action == "appointment.close")))


def test_a_patient_who_never_came_is_marked_a_no_show(app, desk):
    appointment_id = book_now(app, name="Nora Noshow")
    html = desk.get(page(appointment_id)).text
    assert "Mark as a no-show" in html

    response = desk.submit(f"{page(appointment_id)}/no-show", page=page(appointment_id))

    assert response.status_code == 302
    html = desk.get(response.headers["Location"]).text
    assert "Marked as a no-show." in html and "No-show" in html
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.no_show_at is not None and appointment.closed_by_id == desk.user_id
    assert actions(app, appointment_id) == ["no-show"]
    [row] = rows_of(desk.get("/board/").text)
    assert "No-show" in row
    # Once is enough: a second press changes nothing and says why.
    again = desk.submit(f"{page(appointment_id)}/no-show", page=page(appointment_id))
    assert again.status_code == 400 and "already" in again.text
    assert actions(app, appointment_id) == ["no-show"]


def test_a_patient_checked_in_leaves_with_their_driver_at_a_time(app, desk):
    appointment_id = book_now(app, name="Lee Leaving")
    submit_ready(app, appointment_id)  # the driver named is Charles Babbage
    check_in(desk, appointment_id)
    html = desk.get(page(appointment_id)).text
    assert 'value="Charles Babbage"' in html  # the form offers the driver the patient named
    assert "Mark as a no-show" not in html  # checked in: they came

    response = desk.submit(f"{page(appointment_id)}/left",
                           {"left_with": "Charles Babbage", "left_at_time": "23:59"},
                           page=page(appointment_id))
    assert response.status_code == 400 and "has not come yet" in response.text
    now = local_now(app)
    response = desk.submit(f"{page(appointment_id)}/left",
                           {"left_with": "Ada Babbage", "left_at_time": f"{now:%H:%M}"},
                           page=page(appointment_id))

    assert response.status_code == 302, response.text
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.left_with == "Ada Babbage"
        assert settings.to_local(appointment.left_at).strftime("%H:%M") == f"{now:%H:%M}"
        assert appointment.closed_by_id == desk.user_id
    left = f"Left with Ada Babbage at {now:%H:%M}"
    assert left in desk.get(page(appointment_id)).text
    [row] = rows_of(desk.get("/board/").text)
    assert left in row
    assert actions(app, appointment_id) == ["left"]  # no names in the audit row


def test_only_a_session_whose_time_has_passed_is_closed(app, desk, book):
    later_id, _ = book(days=1)
    assert "Mark as a no-show" not in desk.get(page(later_id)).text
    response = desk.submit(f"{page(later_id)}/no-show", page=page(later_id))
    assert response.status_code == 400 and "has not started yet" in response.text
    response = desk.submit(f"{page(later_id)}/left", {"left_with": "X", "left_at_time": "10:00"},
                           page=page(later_id))
    assert response.status_code == 400
    # Leaving needs a check-in first.
    now_id = book_now(app, name="Not In")
    response = desk.submit(f"{page(now_id)}/left", {"left_with": "X", "left_at_time": "10:00"},
                           page=page(now_id))
    assert response.status_code == 400 and "not checked in" in response.text
    assert actions(app, later_id) == actions(app, now_id) == []


def test_a_late_patient_marked_a_no_show_can_still_be_checked_in(app, desk):
    appointment_id = book_now(app, name="Late Larry")
    submit_ready(app, appointment_id)
    desk.submit(f"{page(appointment_id)}/no-show", page=page(appointment_id))
    check_in(desk, appointment_id)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.no_show_at is None and appointment.checked_in_at is not None


def test_the_board_sums_up_the_day_and_the_export_says_how_it_ended(app, desk, login_as):
    ready = book_now(app, name="Ready Rita", dob=date(1971, 1, 1))
    submit_ready(app, ready)
    with app.app_context():  # a clinician cleared her before she came
        from prep_app.models import Decision, Review, Submission, User

        submission = db.session.scalar(select(Submission).filter_by(appointment_id=ready))
        clinician = User(email="c@clinic.test", name="Dr C", role="clinician", password_hash="x")
        db.session.add(clinician)
        db.session.flush()
        db.session.add(Review(submission=submission, sequence=1, revision=submission.revision,
                              answers_hash=submission.answers_hash, decision=Decision.CLEARED,
                              clinician_id=clinician.id))
        db.session.commit()
    unready = book_now(app, name="Unready Ulla", dob=date(1972, 1, 1))
    submit_ready(app, unready)
    absent = book_now(app, name="Absent Abe", dob=date(1973, 1, 1))
    dropped = book_now(app, name="Dropped Dee", dob=date(1974, 1, 1))
    with app.test_request_context():
        appointment_service.cancel(db.session.get(Appointment, dropped),
                                   reason=CancelReason.NO_DRIVER)
        db.session.commit()
    check_in(desk, ready)
    check_in(desk, unready)
    desk.submit(f"{page(absent)}/no-show", page=page(absent))
    now = local_now(app)
    desk.submit(f"{page(ready)}/left", {"left_with": "Charles Babbage",
                                        "left_at_time": f"{now:%H:%M}"}, page=page(ready))

    html = desk.get("/board/").text
    summary = " ".join(html.split('class="day-summary"', 1)[1].split("</p>", 1)[0].split())
    assert re.search(r"4</strong> sessions", summary)
    assert re.search(r"1</strong> ready on arrival", summary)
    assert re.search(r"1</strong> cancelled for no driver", summary)
    assert re.search(r"1</strong> no-show", summary)

    clinician = login_as("clinician")
    day = settings_today(app)
    exported = clinician.get(f"/review/day.csv?date={day}").text
    by_name = {r["patient"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert by_name["Ready Rita"]["left_with"] == "Charles Babbage"
    assert by_name["Ready Rita"]["left_at"] == f"{now:%H:%M}"
    assert by_name["Ready Rita"]["ready_on_arrival"] == "yes"
    assert by_name["Unready Ulla"]["ready_on_arrival"] == "no"
    assert by_name["Unready Ulla"]["left_with"] == ""
    assert by_name["Absent Abe"]["no_show"] == "yes"
    assert by_name["Ready Rita"]["no_show"] == ""


def test_fuzz_the_leaving_form(app, desk):
    appointment_id = book_now(app, name="Fuzzy Leaver")
    submit_ready(app, appointment_id)
    check_in(desk, appointment_id)
    fuzz_post(desk, f"{page(appointment_id)}/left", ["left_with", "left_at_time"],
              page(appointment_id), {"left_with": "Charles Babbage"})
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.left_with or "").isprintable()
        assert (appointment.left_with is None) == (appointment.left_at is None)


def local_now(app):
    with app.app_context():
        return settings.to_local(utcnow())


def settings_today(app) -> date:
    with app.app_context():
        return settings.today()

