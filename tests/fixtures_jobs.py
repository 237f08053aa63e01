"""Fixtures for the job worker and its peers: a real SMTP server, a Twilio-speaking HTTP server,
and the worker's environment on this test's database; and helpers to book a patient who can be
texted and to run one worker tick in the test's own process."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from prep_app import gateways
from prep_app.extensions import db
from prep_app.models import utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import messages

from .fakes.smtp import SmtpServer
from .fakes.twilio import FakeTwilio
from .worker_process import worker_env

PHONE = "+14355550123"
SENDING_TIMEOUT = timedelta(minutes=5)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def jobs(make_app, database_url, tmp_path, smtp):
    """``jobs(**settings)``: the worker's environment, after `flask jobs init` made the queue's
    tables (as a deploy does, once, before any worker starts)."""
    queue_file = tmp_path / "jobs.sqlite3"
    done = make_app(JOBS_SQLITE_PATH=str(queue_file)).test_cli_runner().invoke(
        args=["jobs", "init"])
    assert done.exit_code == 0 and "ready" in done.output, done.output

    def _env(**settings):
        return worker_env(database_url, queue_file, **smtp.settings(), **settings)

    return _env


def book_with_phone(app, phone: str = PHONE, name: str = "Grace Hopper") -> int:
    """An appointment whose patient has a mobile number, its link planned (as booking does)."""
    from .conftest import clinic_time  # conftest imports this module: not at the top

    with app.app_context():
        patient, _ = appointment_service.find_or_create_patient(name, date(1980, 5, 1),
                                                                phone=phone)
        appointment = appointment_service.create(patient, clinic_time(days=5))
        messages.plan_link(appointment, utcnow())
        db.session.commit()
        return appointment.id


def tick(app, now=None) -> int:
    """One worker tick in this process (tests/test_texts_twilio.py also runs the real worker)."""
    with app.app_context():
        try:
            return messages.deliver_due(now or utcnow(), gateways.for_app(app), SENDING_TIMEOUT)
        finally:
            db.session.remove()
