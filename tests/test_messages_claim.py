"""Claiming due messages is a compare-and-set: a repeated tick claims nothing twice, a message
left in "sending" by a dead worker is due again after the timeout, and the dead worker's attempt
can no longer record an outcome over the new one."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Message, MessageStatus, utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import messages

from .conftest import clinic_time

TIMEOUT = timedelta(minutes=5)


def planned(app, email="ada@mail.example", phone=None) -> list[int]:
    with app.app_context():
        patient, _ = appointment_service.find_or_create_patient(
            "Ada Lovelace", date(1990, 1, 31), phone=phone, email=email)
        appointment = appointment_service.create(patient, clinic_time(days=5))
        rows = messages.plan_link(appointment, utcnow())
        db.session.commit()
        return [row.id for row in rows]


def test_booking_plans_the_link_by_each_way_the_patient_can_be_reached(app):
    planned(app, phone="(435) 555-0142")
    with app.app_context():
        rows = db.session.scalars(select(Message)).all()
        assert sorted((str(m.channel), str(m.purpose), str(m.status)) for m in rows) == [
            ("email", "link", "planned"), ("sms", "link", "planned")]


def test_a_repeated_tick_claims_nothing_twice(app):
    (message_id,) = planned(app)
    now = utcnow()
    with app.app_context():
        first = messages.claim(now, TIMEOUT)
        db.session.commit()
        again = messages.claim(now + timedelta(seconds=1), TIMEOUT)
        db.session.commit()
    assert [c.id for c in first] == [message_id] and again == []


def test_a_message_stuck_in_sending_is_due_again_after_the_timeout_and_fenced(app):
    planned(app)
    now = utcnow()
    with app.app_context():
        (dead,) = messages.claim(now, TIMEOUT)
        db.session.commit()
        assert messages.claim(now + TIMEOUT - timedelta(seconds=1), TIMEOUT) == []
        (retry,) = messages.claim(now + TIMEOUT + timedelta(seconds=1), TIMEOUT)
        db.session.commit()
        assert (dead.id, dead.attempt, retry.attempt) == (retry.id, 1, 2)
        # The first worker wakes up late: its outcome is refused, the second one's stands.
        assert messages._finish(dead, now, status=MessageStatus.SENT) is False
        assert messages._finish(retry, now, status=MessageStatus.SENT) is True
        db.session.commit()
        assert db.session.get(Message, retry.id).status == MessageStatus.SENT


def test_nothing_is_sent_for_a_cancelled_appointment(app):
    (message_id,) = planned(app)
    with app.app_context():
        message = db.session.get(Message, message_id)
        appointment_service.cancel(message.appointment)
        db.session.commit()
        assert messages.deliver_due(utcnow(), {}, TIMEOUT) == 1
        message = db.session.get(Message, message_id)
        assert (message.status, message.last_error) == (MessageStatus.CANCELLED,
                                                         "appointment cancelled")
