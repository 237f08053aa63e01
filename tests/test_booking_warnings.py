"""Booking warns, without blocking, about a likely duplicate patient (the same date of birth and
a similar name) and a double booking (the same patient, or another, in the same slot). The desk
sees the warning before anything is written, and books anyway with one more click."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prep_app.extensions import db
from prep_app.models import Appointment, Patient
from prep_app.services import settings


@pytest.fixture
def desk(login_as):
    return login_as("front_desk")


def booking(app, **changes) -> dict:
    with app.app_context():
        day = settings.today() + timedelta(days=3)
    data = {"full_name": "Ada Lovelace", "date_of_birth": "1990-01-31", "phone": "",
            "email": "", "day": day.isoformat(), "at": "14:00"}
    return {**data, **changes}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_similar_name_with_the_same_date_of_birth_is_warned_before_booking(app, desk, book):
    book("Ada Lovelace", date(1990, 1, 31), days=5)
    patients, appointments = count(app, Patient), count(app, Appointment)

    response = desk.submit("/board/new", booking(app, full_name="Ada Lovelaces"))

    assert response.status_code == 200
    assert "Check before you book" in response.text
    assert "Ada Lovelace" in response.text and "born 31 January 1990" in response.text
    assert "Book anyway" in response.text
    assert (count(app, Patient), count(app, Appointment)) == (patients, appointments)
    # The form keeps what was typed; one more click books it.
    assert 'value="Ada Lovelaces"' in response.text
    booked = desk.submit("/board/new", {**booking(app, full_name="Ada Lovelaces"),
                                        "book_anyway": "y"}, page="/board/new")
    assert booked.status_code == 302
    assert count(app, Patient) == patients + 1 and count(app, Appointment) == appointments + 1


def test_other_people_born_the_same_day_are_no_reason_to_warn(app, desk, book):
    book("Grace Hopper", date(1990, 1, 31), days=5)
    response = desk.submit("/board/new", booking(app))
    assert response.status_code == 302  # booked straight away


def test_the_same_patient_at_the_same_time_is_a_double_booking(app, desk, book):
    desk.submit("/board/new", booking(app))
    response = desk.submit("/board/new", booking(app, at="14:30"))
    assert response.status_code == 200
    assert "Ada Lovelace already has a session at 14:00 that day" in response.text
    assert count(app, Appointment) == 1


def test_another_patient_in_the_same_slot_is_warned(app, desk, book):
    desk.submit("/board/new", booking(app, full_name="Grace Hopper", date_of_birth="1950-12-09"))
    response = desk.submit("/board/new", booking(app))
    assert response.status_code == 200
    assert "Grace Hopper is booked at 14:00" in response.text
    assert count(app, Appointment) == 1
    # A cancelled session does not hold its slot.
    with app.app_context():
        db.session.scalar(select(Appointment)).is_cancelled = True
        db.session.commit()
    assert desk.submit("/board/new", booking(app)).status_code == 302


def test_fuzz_the_warnings(app, desk, book):
    """Odd names and dates with someone on file: a warning, a booking or a clear refusal; a
    warning never writes anything."""
    from hypothesis import given
    from hypothesis import strategies as st

    from .test_frontdesk_actions import FUZZ, odd_text

    book("Ada Lovelace", date(1990, 1, 31), days=3, hour=14)
    token = desk.hidden("/board/new")["csrf_token"]

    @FUZZ
    @given(name=st.one_of(st.just("Ada Lovelac"), odd_text),
           born=st.one_of(st.just("1990-01-31"), odd_text),
           anyway=st.one_of(st.just(""), odd_text))
    def run(name, born, anyway):
        before = count(app, Appointment), count(app, Patient)
        response = desk.post("/board/new", data={
            **booking(app, full_name=name, date_of_birth=born), "book_anyway": anyway,
            "csrf_token": token})
        assert response.status_code in (200, 302, 400), response.status_code
        if "Check before you book" in response.text:
            assert (count(app, Appointment), count(app, Patient)) == before

    run()
