"""The job worker, as the real command in a child process, on this run's database (SQLite or
PostgreSQL): it sends what is due through a real SMTP server on loopback, exactly once, even
with two workers at once or a worker killed in the middle of a send."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import AuditEvent, Message, utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import messages

from .conftest import clinic_time
from .worker_process import Worker, wait_until


def book_with_email(app, n: int = 1) -> list[int]:
    """``n`` appointments whose patients have an email address, each with its link planned (as
    the desk's booking does, in the same transaction)."""
    ids = []
    with app.app_context():
        for i in range(n):
            patient, _ = appointment_service.find_or_create_patient(
                f"Grace Hopper{i}", date(1980, 5, 1 + i % 28), email=f"grace{i}@mail.example")
            appointment = appointment_service.create(patient, clinic_time(days=5))
            messages.plan_link(appointment, utcnow())
            ids.append(appointment.id)
        db.session.commit()
    return ids


def statuses(app) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(select(Message.status, Message.attempts)
                                  .order_by(Message.id)).all()
        db.session.remove()
        return [(str(status), attempts) for status, attempts in rows]


def test_a_booked_link_reaches_the_patients_inbox_through_a_real_worker(
        app, client, jobs, smtp, tmp_path):
    book_with_email(app)
    with Worker(jobs(), tmp_path / "worker.log"):
        (email,) = smtp.inbox.wait_for(1)
        wait_until(lambda: statuses(app) == [("sent", 1)], what="the message marked sent")
    assert email["To"] == "grace0@mail.example"
    assert email["Subject"] == "Your checklist before your visit"
    body = email.get_content()
    url = next(word for word in body.split() if "/p/" in word)
    # The link in the email opens the patient's checklist.
    response = client.get(url[url.index("/p/"):])
    assert response.status_code == 302 and "/p/" not in response.headers["Location"]
    with app.app_context():
        message = db.session.scalar(select(Message))
        assert message.to_address == "grace0@mail.example" and message.provider_id
        sent = db.session.scalar(select(AuditEvent).filter_by(action="message.send"))
        assert (sent.actor_type, sent.record_id) == ("system", message.id)
    # The token is in the email only: not in the worker's log.
    token = url.rsplit("/", 1)[1]
    assert token not in (tmp_path / "worker.log").read_text()


def test_two_workers_never_send_the_same_message_twice(app, jobs, smtp, tmp_path):
    book_with_email(app, 12)
    env = jobs()
    with Worker(env, tmp_path / "w1.log", threads=3), Worker(env, tmp_path / "w2.log", threads=3):
        wait_until(lambda: statuses(app) == [("sent", 1)] * 12,
                   what=f"all twelve sent: {statuses(app)}")
    received = sorted(str(m["To"]) for m in smtp.inbox.messages)
    assert received == sorted(f"grace{i}@mail.example" for i in range(12))


def test_a_worker_killed_mid_send_loses_and_duplicates_nothing(app, jobs, smtp, tmp_path):
    book_with_email(app)
    env = jobs(MESSAGE_SENDING_TIMEOUT_SECONDS="3", SMTP_TIMEOUT_SECONDS="2")
    smtp.inbox.stall_next()
    first = Worker(env, tmp_path / "w1.log")
    with first:
        assert smtp.inbox.stalled.wait(30), "the first worker never reached the server"
        first.kill()  # SIGKILL: no clean-up, the row stays "sending"
    smtp.inbox.release()
    assert statuses(app) == [("sending", 1)]
    assert smtp.inbox.messages == []
    with Worker(env, tmp_path / "w2.log"):
        wait_until(lambda: statuses(app) == [("sent", 2)], what="the message picked up again")
    assert len(smtp.inbox.messages) == 1
