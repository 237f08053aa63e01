"""Fixtures shared by every test.

The suite runs on SQLite by default. ``PREP_TEST_DB=postgresql`` runs it on a throwaway
PostgreSQL started here; ``PREP_REQUIRE_ALL=1`` (set by CI) turns a missing PostgreSQL or
Chromium into a failure instead of a skip.

Each test gets a database of its own, with the schema, the clinic's settings and the default
checklist, made quickly: the schema is created and seeded once per run; on SQLite each test gets
a copy of that file, on PostgreSQL the tables are put back to the seeded rows (about 20 ms, where
drop_all + create_all + seeding took about 100 ms).
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from prep_app import create_app
from prep_app.extensions import db
from prep_app.services import appointments as appointment_service
from prep_app.services import checklists, links, settings

from . import pg
from .browserlike import BrowserClient
from .fixtures_jobs import fake_twilio, jobs, smtp  # noqa: F401  (fixtures)
from .fixtures_staff import login_as, make_staff  # noqa: F401  (fixtures)

REQUIRE_ALL = os.environ.get("PREP_REQUIRE_ALL") == "1"
DB_BACKEND = os.environ.get("PREP_TEST_DB", "sqlite").strip().lower() or "sqlite"
if DB_BACKEND not in {"sqlite", "postgresql"}:
    raise pytest.UsageError("PREP_TEST_DB must be sqlite or postgresql")
USE_POSTGRES = DB_BACKEND == "postgresql"


def pytest_configure(config):
    # Anything that builds an app from the environment in these tests (wsgi.py, a gunicorn
    # child) is in testing mode, whatever the shell says.
    os.environ["PREP_ENV"] = "testing"


def missing(what: str) -> None:
    """Skip on a developer machine, fail in CI: nothing silently skips there."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required in CI (PREP_REQUIRE_ALL=1) but is not available")
    pytest.skip(f"{what} is not available on this machine")


def base_config(**overrides) -> dict:
    return {
        "PREP_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "t" * 64,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_COST": "test",
        "SERVER_NAME": None,
        "RATE_LIMITING": False,  # tests/test_rate_limits.py turns them on
        **overrides,
    }


def seed() -> None:
    """What every fresh database holds: the clinic's settings and the default checklist."""
    settings.get()
    checklists.install_default()
    db.session.commit()


def dispose(app) -> None:
    """Close every connection the app opened (psycopg warns about any left open)."""
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


# --- the database server ------------------------------------------------------------------


def start_cluster(*, durable: bool = False) -> pg.Cluster:
    """A throwaway PostgreSQL, or a skip (a failure in CI) where there is none."""
    bindir = pg.find_bin()
    if bindir is None:
        missing("PostgreSQL (initdb, pg_ctl)")
    return pg.Cluster(bindir, durable=durable).start()


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def db_backend() -> str:
    """"sqlite" or "postgresql": what this run's tests use (PREP_TEST_DB)."""
    return DB_BACKEND


@pytest.fixture
def empty_database_url(request, tmp_path):
    """An empty database (no tables) of this run's kind, dropped afterwards."""
    if not USE_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"empty_{uuid.uuid4().hex[:12]}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.fixture(scope="session")
def prepare_database():
    """``prepare(url)``: create the schema in an empty database and seed it."""

    def prepare(url: str) -> None:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        try:
            with app.app_context():
                db.create_all()
                seed()
        finally:
            dispose(app)

    return prepare


class _SqliteTemplate:
    """One seeded SQLite file per run; each test gets a copy (a millisecond, not a schema)."""

    def __init__(self, folder, prepare):
        self.path = folder / "template.sqlite3"
        prepare(f"sqlite:///{self.path}")
        # Every connection is closed, so the WAL has been folded into the file: copy just it.
        assert not self.path.with_name(self.path.name + "-wal").exists()

    def fresh(self, tmp_path) -> str:
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


class _PostgresTemplate:
    """One database per run with the schema and the seed. Each test puts it back as it was
    seeded, in one transaction on one connection: empty every table, insert the seeded rows
    kept in memory, and set every sequence back (ids start where they started).

    DELETE, not TRUNCATE: on tables this small it is three times faster (TRUNCATE makes new
    files for every table and index)."""

    def __init__(self, cluster: pg.Cluster, prepare):
        self.url = cluster.create_database(f"prep_test_{uuid.uuid4().hex[:8]}")
        prepare(self.url)
        self.engine = create_engine(self.url, poolclass=NullPool)
        self.tables = db.metadata.sorted_tables
        with self.engine.connect() as conn:
            self.rows = {t: [dict(r) for r in conn.execute(t.select()).mappings()]
                         for t in self.tables}
            self.sequences = conn.execute(text(
                "SELECT format('%I.%I', schemaname, sequencename), "
                "coalesce(last_value, start_value), last_value IS NOT NULL "
                "FROM pg_sequences")).all()

    def fresh(self, tmp_path) -> str:
        with self.engine.begin() as conn:
            # A connection left behind (a server thread, a leaked app) must not hold locks.
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"))
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            # The audit table refuses DELETE by trigger; the reset (a superuser) skips triggers.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(self.tables):
                conn.execute(table.delete())
            for table in self.tables:
                if self.rows[table]:
                    conn.execute(table.insert(), self.rows[table])
            for name, value, is_called in self.sequences:
                conn.execute(text("SELECT setval(CAST(:name AS regclass), :value, :called)"),
                             {"name": name, "value": value, "called": is_called})
        return self.url

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def _database_template(request, tmp_path_factory, prepare_database):
    if USE_POSTGRES:
        template = _PostgresTemplate(request.getfixturevalue("pg_cluster"), prepare_database)
        yield template
        template.close()
    else:
        yield _SqliteTemplate(tmp_path_factory.mktemp("db-template"), prepare_database)


@pytest.fixture
def database_url(_database_template, tmp_path) -> str:
    """This test's own database: the schema, the clinic's settings and the default checklist."""
    return _database_template.fresh(tmp_path)


# --- the app ------------------------------------------------------------------------------


@pytest.fixture
def make_app(database_url):
    """``make_app(**config)``: an app on this test's database with extra settings
    (TRUSTED_HOSTS, PROXY_FIX_HOPS...). Every app made is closed after the test."""
    made = []

    def _make(**overrides):
        config = base_config(SQLALCHEMY_DATABASE_URI=database_url)
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = BrowserClient
        made.append(app)
        return app

    yield _make
    for app in made:
        dispose(app)


@pytest.fixture
def app(make_app):
    return make_app()


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
    return appointment_service.local_to_utc(naive, settings.zone())


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

