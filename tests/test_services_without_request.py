"""The services the command line and the job worker call work with an app and a database only:
no web request, no signed-in user. The actor and the clock are what they are given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import has_request_context
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import AuditEvent, Message, MessageStatus, PatientLink
from prep_app.services import appointments, links, messages

from .conftest import clinic_time

# 16:00 UTC: 09:00 in Denver (the test clinic's zone), so a session at 11:00 is today's.
MORNING = datetime(2031, 3, 4, 16, 0, tzinfo=UTC)


@pytest.fixture
def no_request(make_app, time_machine):
    """An app context only, at a fixed moment (a weekday morning on the clinic's clock)."""
    time_machine.move_to(MORNING, tick=False)
    app = make_app(PUBLIC_BASE_URL="https://prep.clinic.example")
    with app.app_context():
        assert not has_request_context()
        yield app


def book(starts_at: datetime, **contact):
    patient, _ = appointments.find_or_create_patient("Ada Lovelace", date(1990, 1, 31),
                                                     **contact)
    return appointments.create(patient, starts_at)


def test_booking_and_a_link_without_a_request_name_the_system_and_the_public_address(
        no_request):
    appointment = book(clinic_time(days=3))
    token = links.issue(appointment)
    db.session.commit()

    url = links.public_url(token, "https://prep.clinic.example")
    assert url == f"https://prep.clinic.example/p/{token}"
    link = links.find_usable(token=token)
    assert link is not None and link.appointment_id == appointment.id
    assert link.created_by_id is None
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.action for r in rows] == ["patient.create", "appointment.create", "link.issue"]
    assert {(r.actor_type, r.actor_id, r.request_id) for r in rows} == {("system", None, "")}


def test_check_in_and_cancel_without_a_request(no_request):
    today = book(clinic_time(days=0, hour=11))
    other = book(clinic_time(days=1, hour=11))
    db.session.commit()

    appointments.check_in(today, is_driver_confirmed=True, clinician_knows=True)
    appointments.cancel(other)
    db.session.commit()

    assert today.checked_in_at == MORNING and today.checked_in_by_id is None
    assert other.is_cancelled and other.cancelled_at == MORNING
    checked_in = db.session.scalar(select(AuditEvent).filter_by(action="appointment.check_in"))
    assert (checked_in.actor_type, checked_in.request_id) == ("system", "")


def test_planning_and_sending_a_link_message_without_a_request(no_request):
    appointment = book(clinic_time(days=2), phone="+14355550123")
    planned = messages.plan_link(appointment, MORNING)
    db.session.commit()
    assert [(m.channel, m.due_at) for m in planned] == [("sms", MORNING)]

    sent = []

    class Gateway:
        def send(self, outgoing):
            sent.append(outgoing)
            return "provider-1"

    assert messages.deliver_due(MORNING, {"sms": Gateway()}, timedelta(minutes=5)) == 1

    message = db.session.scalar(select(Message))
    assert (message.status, message.sent_at) == (MessageStatus.SENT, MORNING)
    assert sent[0].to == "+14355550123"
    assert "https://prep.clinic.example/p/" in sent[0].body
    token = sent[0].body.split("https://prep.clinic.example/p/")[1].split()[0]
    assert links.find_usable(token=token).appointment_id == appointment.id
    assert db.session.scalar(select(PatientLink).filter_by(appointment_id=appointment.id))
