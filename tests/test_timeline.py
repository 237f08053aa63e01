"""The patient's personal prep timeline: when to stop eating, drinking, when to arrive.

Every moment is a real number of hours before the session (worked out in UTC) and is shown on
the clinic's clock, so a daylight-saving change in between moves the clock time, not the fast.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from prep_app.extensions import db
from prep_app.models import ClinicSettings
from prep_app.timeline import prep_timeline

from .saved_answers import submit_ready

DENVER = ZoneInfo("America/Denver")


def clock(moments) -> dict[str, str]:
    """The timeline as the patient reads it: each moment on the clinic's wall clock."""
    return {m.key: f"{m.at:%a %d %b %H:%M}" for m in moments}


def denver(*args) -> list:
    start = datetime(*args, tzinfo=DENVER).astimezone(UTC)
    return prep_timeline(start, "America/Denver", solid_fast_hours=6, clear_fast_hours=2,
                         arrive_early_minutes=15)


def test_an_afternoon_session():
    moments = denver(2026, 12, 3, 14, 0)
    assert [m.key for m in moments] == ["no_alcohol", "no_solid_food", "clear_liquids_until",
                                        "arrive", "session", "no_driving"]
    assert clock(moments) == {
        "no_alcohol": "Wed 02 Dec 14:00",
        "no_solid_food": "Thu 03 Dec 08:00",
        "clear_liquids_until": "Thu 03 Dec 12:00",
        "arrive": "Thu 03 Dec 13:45",
        "session": "Thu 03 Dec 14:00",
        "no_driving": "Fri 04 Dec 08:00",
    }
    assert all(m.at.tzinfo is not None and m.at.utcoffset() == timedelta(hours=-7)
               for m in moments)


def test_an_early_session_moves_the_fast_to_the_night_before():
    assert clock(denver(2026, 12, 3, 7, 30))["no_solid_food"] == "Thu 03 Dec 01:30"
    assert clock(denver(2026, 12, 3, 5, 0))["no_solid_food"] == "Wed 02 Dec 23:00"


def test_clocks_going_forward_overnight():
    # 8 March 2026, Denver: at 02:00 the clocks jump to 03:00. Six real hours before an
    # 08:00 session is 01:00 on the clock, and 24 real hours before is 07:00 the day before.
    assert clock(denver(2026, 3, 8, 8, 0)) == {
        "no_alcohol": "Sat 07 Mar 07:00",
        "no_solid_food": "Sun 08 Mar 01:00",
        "clear_liquids_until": "Sun 08 Mar 06:00",
        "arrive": "Sun 08 Mar 07:45",
        "session": "Sun 08 Mar 08:00",
        "no_driving": "Mon 09 Mar 08:00",
    }


def test_clocks_going_back_overnight():
    # 1 November 2026, Denver: at 02:00 the clocks go back to 01:00. Six real hours before a
    # 07:00 session is the second 01:00 of the night (standard time, UTC-7).
    moments = {m.key: m.at for m in denver(2026, 11, 1, 7, 0)}
    assert f"{moments['no_solid_food']:%d %b %H:%M}" == "01 Nov 01:00"
    assert moments["no_solid_food"].utcoffset() == timedelta(hours=-7)
    assert moments["no_solid_food"].astimezone(UTC) == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert f"{moments['no_alcohol']:%d %b %H:%M}" == "31 Oct 08:00"
    assert moments["no_alcohol"].utcoffset() == timedelta(hours=-6)


def test_no_driving_until_the_next_morning_on_the_clinics_calendar():
    # A late session still means the next calendar morning, not 24 h later.
    assert clock(denver(2026, 12, 3, 19, 30))["no_driving"] == "Fri 04 Dec 08:00"
    # The morning after a change of clocks is 08:00 on the new clock.
    after_change = {m.key: m.at for m in denver(2026, 10, 31, 15, 0)}["no_driving"]
    assert (f"{after_change:%d %b %H:%M}", after_change.utcoffset()) == (
        "01 Nov 08:00", timedelta(hours=-7))


def test_the_clinics_fasting_settings_change_the_timeline():
    start = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)  # 14:00 in Denver
    six = clock(prep_timeline(start, "America/Denver", 6, 2, 15))
    four = clock(prep_timeline(start, "America/Denver", 4, 1, 10))
    assert (six["no_solid_food"], six["clear_liquids_until"], six["arrive"]) == (
        "Thu 03 Dec 08:00", "Thu 03 Dec 12:00", "Thu 03 Dec 13:45")
    assert (four["no_solid_food"], four["clear_liquids_until"], four["arrive"]) == (
        "Thu 03 Dec 10:00", "Thu 03 Dec 13:00", "Thu 03 Dec 13:50")
    assert four["no_alcohol"] == six["no_alcohol"] == "Wed 02 Dec 14:00"


def test_moments_stay_in_time_order_whatever_the_settings():
    # An unusual clinic: arrive 3 h early, clear liquids until 1 h before.
    start = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
    keys = [m.key for m in prep_timeline(start, "America/Denver", 4, 1, 180)]
    assert keys == ["no_alcohol", "no_solid_food", "arrive", "clear_liquids_until", "session",
                    "no_driving"]


def test_auckland_clinic_on_its_own_clock():
    # 27 September 2026, Auckland: at 02:00 the clocks jump to 03:00 (UTC+12 to UTC+13).
    start = datetime(2026, 9, 27, 7, 0, tzinfo=ZoneInfo("Pacific/Auckland")).astimezone(UTC)
    moments = clock(prep_timeline(start, "Pacific/Auckland", 6, 2, 15))
    assert moments["session"] == "Sun 27 Sep 07:00"
    assert moments["no_solid_food"] == "Sun 27 Sep 00:00"
    assert moments["clear_liquids_until"] == "Sun 27 Sep 05:00"
    assert moments["no_alcohol"] == "Sat 26 Sep 06:00"


def test_kolkata_clinic_with_a_half_hour_offset():
    start = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)  # 10:00 in Kolkata
    assert clock(prep_timeline(start, "Asia/Kolkata", 6, 2, 15)) == {
        "no_alcohol": "Wed 02 Dec 10:00",
        "no_solid_food": "Thu 03 Dec 04:00",
        "clear_liquids_until": "Thu 03 Dec 08:00",
        "arrive": "Thu 03 Dec 09:45",
        "session": "Thu 03 Dec 10:00",
        "no_driving": "Fri 04 Dec 08:00",
    }


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),
                          timezones=st.just(UTC)),
       zone=st.sampled_from(["America/Denver", "Pacific/Auckland", "Asia/Kolkata",
                             "Europe/London", "America/St_Johns"]),
       solid=st.integers(1, 12), clear=st.integers(0, 6), arrive=st.integers(0, 90))
def test_every_moment_is_real_hours_before_the_session(start, zone, solid, clear, arrive):
    local = {m.key: m.at for m in prep_timeline(start, zone, solid, clear, arrive)}
    assert all(str(at.tzinfo) == zone for at in local.values())
    # Compare in UTC: Python compares and subtracts two times of one zone as wall clocks, and
    # never calls an ambiguous (fold) local time equal to a time in another zone (PEP 495).
    moments = {key: at.astimezone(UTC) for key, at in local.items()}
    session = moments["session"]
    assert session == start
    assert session - moments["no_alcohol"] == timedelta(hours=24)
    assert session - moments["no_solid_food"] == timedelta(hours=solid)
    assert session - moments["clear_liquids_until"] == timedelta(hours=clear)
    assert session - moments["arrive"] == timedelta(minutes=arrive)
    session = local["session"]
    morning = local["no_driving"]
    assert morning.date() == session.date() + timedelta(days=1)
    assert (morning.hour, morning.minute) == (8, 0)


def test_the_patients_timeline_follows_a_change_of_fasting_hours(app, patient):
    day = submit_ready(app, patient.appointment_id)
    solid_food = "Last solid food. After this, clear liquids only."

    def shown_at(text: str) -> str:
        page = patient.get("/checklist/done").get_data(as_text=True)
        before = page.split(text)[0]
        return before.rsplit("<time", 1)[1].split(">", 1)[1].split("</time>")[0]

    assert shown_at(solid_food) == f"{written(day)}, 8:00\u202fAM"  # a US clinic (CLDR)
    with app.app_context():
        db.session.get(ClinicSettings, 1).main_location.solid_fast_hours = 4
        db.session.commit()
    assert shown_at(solid_food) == f"{written(day)}, 10:00\u202fAM"


def written(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"
