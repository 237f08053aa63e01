"""Each rule the desk, the command line and the job worker share, at its edges: whether an
appointment can be changed, given a link, checked in or cancelled; a link's state; whether an
answer counts as given. And the desk, the command line and the worker agree on each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Message, MessageStatus
from prep_app.readiness import LinkState, is_answered, link_state
from prep_app.services import appointments, links, locations, messages, rules
from prep_app.services.rules import Refusal

# A Wednesday morning in Denver (UTC-7 in March): 09:00 local.
NOW = datetime(2031, 3, 5, 16, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        yield app


def on_clock(local: str) -> datetime:
    """``local`` ("2031-03-05 14:00") on the clock of the clinic's (only) location, as UTC."""
    return appointments.parse_local(local, locations.for_booking().zone)


def booked(local: str, **contact):
    """An appointment at ``local`` ("2031-03-05 14:00" on the clinic's clock)."""
    patient, _ = appointments.find_or_create_patient("Ada Lovelace", date(1990, 1, 31),
                                                     **contact)
    appointment = appointments.create(patient, on_clock(local))
    db.session.commit()
    return appointment


# Whether it can be changed ------------------------------------------------------------------


def test_an_open_appointment_can_be_changed_a_cancelled_or_checked_in_one_cannot(clinic):
    appointment = booked("2031-03-05 14:00")
    assert rules.change_refusal(appointment) is None

    appointments.check_in(appointment, is_driver_confirmed=True, clinician_knows=True)
    assert rules.change_refusal(appointment) is Refusal.CHECKED_IN
    with pytest.raises(rules.Refused, match="already checked in"):
        appointments.reschedule(appointment, NOW + timedelta(days=2), "patient asked")

    appointments.cancel(appointment)  # a patient who went home may still be cancelled
    assert rules.change_refusal(appointment) is Refusal.CANCELLED  # cancelled comes first
    assert rules.cancel_refusal(appointment) is Refusal.CANCELLED_ALREADY
    with pytest.raises(rules.Refused, match="cancelled already"):
        appointments.cancel(appointment)


# Whether it can be given a link -------------------------------------------------------------


def test_a_link_can_be_given_until_the_moment_it_would_expire(clinic):
    appointment = booked("2031-03-05 14:00")
    expires = links.expiry_for(appointment)  # the session's end and the grace hours
    assert expires == appointment.starts_at + timedelta(minutes=60, hours=24)

    assert rules.link_refusal(appointment, expires - timedelta(seconds=1)) is None
    assert rules.link_refusal(appointment, expires) is Refusal.OVER
    appointment.checked_in_at = NOW
    assert rules.link_refusal(appointment, NOW) is Refusal.CHECKED_IN
    appointment.is_cancelled = True
    assert rules.link_refusal(appointment, expires) is Refusal.CANCELLED


# Whether the patient can be checked in ------------------------------------------------------


@pytest.mark.parametrize(("local_now", "refusal"), [
    ("2031-03-04 23:59", Refusal.NOT_SESSION_DAY),  # the evening before, on the clinic's clock
    ("2031-03-05 00:00", None),
    ("2031-03-05 21:00", None),  # after the session, the same day
    ("2031-03-06 00:00", Refusal.NOT_SESSION_DAY),
])
def test_check_in_is_on_the_session_day_on_the_clinics_clock(clinic, local_now, refusal):
    appointment = booked("2031-03-05 14:00")
    assert rules.check_in_refusal(appointment, on_clock(local_now)) is refusal


def test_check_in_is_refused_twice_and_after_cancelling(clinic):
    appointment = booked("2031-03-05 14:00")
    appointments.check_in(appointment, is_driver_confirmed=True, clinician_knows=True)
    assert rules.check_in_refusal(appointment, NOW) is Refusal.CHECKED_IN
    with pytest.raises(rules.Refused, match="already checked in"):
        appointments.check_in(appointment, is_driver_confirmed=True, clinician_knows=True)
    other = booked("2031-03-05 15:00")
    appointments.cancel(other)
    with pytest.raises(rules.Refused, match="cancelled"):
        appointments.check_in(other, is_driver_confirmed=True, clinician_knows=True)


def test_tomorrows_patient_is_not_checked_in_today(clinic):
    appointment = booked("2031-03-06 14:00")
    with pytest.raises(rules.Refused, match="on the day of their session"):
        appointments.check_in(appointment, is_driver_confirmed=True, clinician_knows=True)
    assert appointment.checked_in_at is None


# A link's state and an answer --------------------------------------------------------------


def test_a_links_state_at_its_edges():
    assert link_state(None, False, NOW) is LinkState.NONE
    assert link_state(NOW + timedelta(seconds=1), False, NOW) is LinkState.ACTIVE
    assert link_state(NOW, False, NOW) is LinkState.EXPIRED  # expiry is the first moment gone
    assert link_state(NOW - timedelta(days=1), True, NOW) is LinkState.REVOKED  # revoked wins


@pytest.mark.parametrize(("kind", "value", "answered"), [
    ("confirm", "yes", True), ("confirm", " yes ", True), ("confirm", "no", False),
    ("confirm", "", False), ("text", "Grace", True), ("text", "   ", False),
    ("text", None, False), ("yes_no", "no", True), ("datetime", "2031-03-05T07:30", True),
])
def test_whether_an_answer_counts_as_given(kind, value, answered):
    assert is_answered(kind, value) is answered


# The desk, the command line and the worker agree ------------------------------------------


def test_an_appointment_that_is_over_gets_no_link_from_the_desk_the_command_line_or_a_text(
        app, login_as, runner, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        appointment = booked("2031-03-05 14:00", phone="+14355550123")
        appointment_id = appointment.id
        messages.plan_link(appointment, NOW)
        db.session.commit()
    over = NOW + timedelta(days=2)
    time_machine.move_to(over, tick=False)
    desk = login_as("front_desk")
    page = desk.get(f"/board/a/{appointment_id}").text
    assert "Create the link" not in page and "Send a link by text or email" not in page

    refused = desk.post(f"/board/a/{appointment_id}/link",
                        data=desk.hidden(f"/board/a/{appointment_id}"))
    assert refused.status_code == 400 and "This appointment is over" in refused.text

    result = runner.invoke(args=["appointments", "link", str(appointment_id)])
    assert result.exit_code != 0 and "This appointment is over" in result.output

    with app.app_context():
        assert messages.deliver_due(over, {"sms": None}, timedelta(minutes=5)) == 1
        message = db.session.scalar(select(Message))
        assert (message.status, message.last_error) == (MessageStatus.SUPPRESSED,
                                                        "appointment is over")
