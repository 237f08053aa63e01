"""Fixtures shared by every test.

The suite runs on SQLite by default. ``PREP_TEST_DB=postgresql`` runs it on a throwaway
PostgreSQL started here; ``PREP_REQUIRE_ALL=1`` (set by CI) turns a missing PostgreSQL or
Chromium into a failure instead of a skip.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from prep_app import create_app
from prep_app.extensions import db
from prep_app.services import appointments as appointment_service
from prep_app.services import checklists, links, settings

from . import pg
from .browserlike import BrowserClient
from .fixtures_staff import login_as, make_staff  # noqa: F401  (fixtures)

REQUIRE_ALL = os.environ.get("PREP_REQUIRE_ALL") == "1"
USE_POSTGRES = os.environ.get("PREP_TEST_DB", "sqlite") == "postgresql"


def missing(what: str) -> None:
    """Skip on a developer machine, fail in CI: nothing silently skips there."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required in CI (PREP_REQUIRE_ALL=1) but is not available")
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = pg.find_bin()
    if bindir is None:
        missing("PostgreSQL")
    cluster = pg.Cluster(bindir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    if USE_POSTGRES:
        cluster = request.getfixturevalue("pg_cluster")
        return cluster.create_database("prep_test")
    return None  # a fresh SQLite file per test, below


def base_config(**overrides) -> dict:
    return {
        "PREP_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "t" * 64,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_COST": "test",
        "SERVER_NAME": None,
        **overrides,
    }


@pytest.fixture
def app(database_url, tmp_path):
    url = database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        if database_url:
            db.drop_all()
        db.create_all()
        settings.get()
        checklists.install_default()
        db.session.commit()
    app.test_client_class = BrowserClient
    yield app
    with app.app_context():
        db.session.remove()
        if database_url:
            db.session.execute(text("SELECT 1"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


def clinic_time(days: int = 2, hour: int = 14, minute: int = 0) -> datetime:
    """A session time ``days`` from today, at ``hour`` on the clinic's clock, as UTC."""
    local_day = settings.today() + timedelta(days=days)
    naive = datetime(local_day.year, local_day.month, local_day.day, hour, minute)
    return appointment_service.local_to_utc(naive)


@pytest.fixture
def book(app):
    """Book an appointment and issue a link: returns (appointment id, token)."""

    def _book(name="Ada Lovelace", dob=date(1990, 1, 31), days=2, hour=14, with_link=True):
        with app.test_request_context():
            patient, _ = appointment_service.find_or_create_patient(name, dob)
            appointment = appointment_service.create(patient, clinic_time(days, hour))
            token = links.issue(appointment) if with_link else None
            db.session.commit()
            return appointment.id, token

    return _book


@pytest.fixture
def patient(client, book):
    """A patient who opened their link and confirmed their date of birth."""
    appointment_id, token = book()
    client.get(f"/p/{token}")
    response = client.submit("/checklist/verify", {"date_of_birth": "1990-01-31"})
    assert response.status_code == 302, response.text
    client.appointment_id = appointment_id
    client.token = token
    return client


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
