"""Times a patient reads correctly (issue 9): Babel's formats for the clinic's locale, a
timeline that knows "now", "the night before" for an early session, the expected end, the
pick-up time to tell the driver, and where to go. The clock moves with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from prep_app.extensions import db
from prep_app.models import Appointment, ClinicSettings
from prep_app.services import appointments as appointment_service
from prep_app.templating import patient_datetime
from prep_app.timeline import prep_timeline

from .patient_forms import open_link
from .saved_answers import submit_ready
from .test_patient_journey import text_of

DENVER = ZoneInfo("America/Denver")


def words(html: str) -> str:
    return text_of(html).replace("\u202f", " ").replace("\u00a0", " ")


def clinic(app, **changes) -> None:
    with app.app_context():
        row = db.session.get(ClinicSettings, 1)
        for key, value in changes.items():
            # The clock is the location's; the country (how times are written) the clinic's.
            setattr(row.main_location if key == "timezone" else row, key, value)
        db.session.commit()


@pytest.mark.parametrize(("country", "zone", "expected"), [
    ("US", "America/Denver", "Thursday, December 3, 2:00 PM"),
    ("GB", "Europe/London", "Thursday 3 December, 14:00"),
])
def test_dates_and_times_follow_the_clinics_locale(app, country, zone, expected):
    clinic(app, country=country, timezone=zone)
    moment = datetime(2026, 12, 3, 14, 0, tzinfo=ZoneInfo(zone))
    with app.test_request_context():
        assert patient_datetime(moment).replace("\u202f", " ") == expected


def session_at(app, patient, local: datetime, **answers) -> None:
    """Move the patient's session to ``local`` (Denver), its link's life with it, then answer,
    submit, and open the link again (on the day the clock now says)."""
    with app.app_context():
        appointment = db.session.get(Appointment, patient.appointment_id)
        appointment.starts_at = appointment_service.local_to_utc(local, appointment.location.zone)
        for link in appointment.links:
            link.expires_at = appointment.starts_at + timedelta(hours=24)
        db.session.commit()
    submit_ready(app, patient.appointment_id, **answers)
    open_link(patient, patient.token)


def timeline_items(patient) -> list[str]:
    page = patient.get("/checklist/done").text
    return [words(item) for item in page.split('<ol class="timeline">')[1]
            .split("</ol>")[0].split("<li")[1:]]


def find(items: list[str], text: str) -> str:
    return next(item for item in items if text in item)


def test_a_730_am_session_says_the_night_before_for_food_after_midnight(
        app, patient, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), tick=False)
    session_at(app, patient, datetime(2026, 12, 3, 7, 30))
    items = timeline_items(patient)
    food = find(items, "Last solid food")
    assert "Thursday, December 3, 1:30 AM" in food
    assert "the night before your session" in food
    assert "the night before" not in find(items, "Last clear liquids")  # 5:30 AM


def test_a_session_tomorrow_seen_late_tonight_shows_what_has_passed(
        app, patient, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False)
    session_at(app, patient, datetime(2026, 12, 3, 9, 0))
    time_machine.move_to(datetime(2026, 12, 2, 23, 30, tzinfo=DENVER), tick=False)
    items = timeline_items(patient)
    alcohol = find(items, "no alcohol")
    assert "Wednesday, December 2, 9:00 AM" in alcohol
    assert "This time has passed" in alcohol
    food = find(items, "Last solid food")
    assert "3:00 AM" in food and "the night before your session" in food
    assert "This time has passed" not in food
    assert sum("This time has passed" in item for item in items) == 1


def test_clocks_going_forward_the_night_before_an_early_session(app, patient, time_machine):
    # 14 March 2027, Denver: at 02:00 the clocks jump to 03:00. Six real hours before 07:30
    # is 00:30 on the clock, two hours before is 05:30.
    time_machine.move_to(datetime(2027, 3, 12, 17, 0, tzinfo=UTC), tick=False)
    session_at(app, patient, datetime(2027, 3, 14, 7, 30))
    items = timeline_items(patient)
    assert "Sunday, March 14, 12:30 AM" in find(items, "Last solid food")
    assert "Sunday, March 14, 5:30 AM" in find(items, "Last clear liquids")
    assert "Saturday, March 13, 6:30 AM" in find(items, "no alcohol")


def test_clocks_going_back_on_the_day_of_the_session(app, patient, time_machine):
    # 1 November 2026, Denver: at 02:00 the clocks go back to 01:00; 6 real hours before a
    # 07:00 session is the second 01:00 of the night.
    time_machine.move_to(datetime(2026, 10, 30, 17, 0, tzinfo=UTC), tick=False)
    session_at(app, patient, datetime(2026, 11, 1, 7, 0))
    items = timeline_items(patient)
    food = find(items, "Last solid food")
    assert "Sunday, November 1, 1:00 AM" in food and "the night before" in food
    assert "Saturday, October 31, 8:00 AM" in find(items, "no alcohol")


def test_the_timeline_gives_the_expected_end_and_the_pick_up_time_for_the_driver(
        app, patient, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), tick=False)
    clinic(app, session_minutes=90)
    session_at(app, patient, datetime(2026, 12, 3, 14, 0), driver_plan="returns",
               driver_return_time="16:30")
    items = timeline_items(patient)
    assert "3:30 PM" in find(items, "Your session should end")
    pick_up = find(items, "Charles Babbage")
    assert "Thursday, December 3, 4:30 PM" in pick_up and "pick you up" in pick_up


def test_a_waiting_driver_is_told_when_the_session_should_end(app, patient, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), tick=False)
    session_at(app, patient, datetime(2026, 12, 3, 14, 0))
    end = find(timeline_items(patient), "Your session should end")
    assert "Thursday, December 3, 3:00 PM" in end
    assert "Tell Charles Babbage" in end


def test_the_timeline_says_where_to_go_and_whom_to_call(app, patient, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), tick=False)
    session_at(app, patient, datetime(2026, 12, 3, 14, 0))
    page = words(patient.get("/checklist/done").text)
    assert "Where to go Cedar City Ketamine Clinic" in page
    assert "(435) 555-0100" in page.split("Where to go")[1]


def test_timeline_moments_know_now_the_night_and_the_end():
    start = datetime(2026, 12, 3, 7, 30, tzinfo=DENVER).astimezone(UTC)
    now = datetime(2026, 12, 2, 23, 0, tzinfo=DENVER)
    moments = {m.key: m for m in prep_timeline(
        start, "America/Denver", 6, 2, 15, session_minutes=60, pick_up=time(9, 0), now=now)}
    assert moments["no_alcohol"].is_past and not moments["no_solid_food"].is_past
    assert moments["no_solid_food"].is_night and not moments["clear_liquids_until"].is_night
    assert f"{moments['session_end'].at:%H:%M}" == "08:30"
    assert f"{moments['pick_up'].at:%d %H:%M}" == "03 09:00"
    late = {m.key: m for m in prep_timeline(start.replace(hour=12), "America/Denver", 6, 2, 15)}
    assert late["no_solid_food"].is_night  # 23:30 the evening before a 05:30 session
