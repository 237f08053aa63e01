"""The database goes away: people get a calm 503 with Retry-After, nothing is half-written, and
the app carries on when the database is back, without a restart.

On PostgreSQL the server really stops (a cluster of its own, stopped abruptly as in a crash or a
failover, then started again). On SQLite, the folder holding the file goes away (as an unmounted
disk would), and a failing commit is the driver's "disk I/O error".
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from prep_app.extensions import db
from prep_app.models import Appointment, User

from .browserlike import forms_of
from .conftest import USE_POSTGRES, start_cluster
from .fixtures_staff import STAFF_PASSWORD
from .outage_checks import ANSWERS, SECTION, assert_calm_503, counts, stored_answers


class SqliteOutage:
    def __init__(self, app, url: str):
        self.app = app
        self.folder = Path(make_url(url).database).parent
        self.away = self.folder.with_name(self.folder.name + "-away")

    def down(self) -> None:
        self.folder.rename(self.away)
        # An open SQLite connection keeps its file; a server that went away would not.
        with self.app.app_context():
            db.engine.dispose()

    def up(self) -> None:
        self.away.rename(self.folder)

    def failing_commit(self, original):
        def do_commit(dbapi_connection):
            self.down()
            raise sqlite3.OperationalError("disk I/O error")

        return do_commit


class PostgresOutage:
    def __init__(self, app, cluster):
        self.app, self.cluster = app, cluster

    def down(self) -> None:
        self.cluster.pause()

    def up(self) -> None:
        self.cluster.resume()

    def failing_commit(self, original):
        def do_commit(dbapi_connection):
            self.down()  # the server is gone between the last write and COMMIT
            return original(dbapi_connection)

        return do_commit


@pytest.fixture(scope="module")
def fault_cluster():
    """A PostgreSQL of these tests' own: stopping it disturbs no other test."""
    if not USE_POSTGRES:
        yield None
        return
    cluster = start_cluster(durable=True)  # what was committed survives the stop
    yield cluster
    cluster.stop()


@pytest.fixture
def fault_database_url(fault_cluster, database_url, prepare_database, tmp_path, request):
    if fault_cluster is None:
        folder = tmp_path / "disk"
        folder.mkdir()
        target = folder / "prep.sqlite3"
        shutil.copyfile(make_url(database_url).database, target)
        return f"sqlite:///{target}"
    name = f"faults_{uuid.uuid4().hex[:12]}"
    url = fault_cluster.create_database(name)
    request.addfinalizer(lambda: fault_cluster.drop_database(name))
    prepare_database(url)
    return url


@pytest.fixture
def app(make_app, fault_database_url):
    """Every fixture of this module (client, patient, book...) uses the fragile database."""
    return make_app(SQLALCHEMY_DATABASE_URI=fault_database_url)


@pytest.fixture
def outage(app, fault_cluster, monkeypatch):
    kind = (PostgresOutage(app, fault_cluster) if fault_cluster
            else SqliteOutage(app, app.config["SQLALCHEMY_DATABASE_URI"]))
    state = {"down": False}

    class Outage:
        def down(self):
            kind.down()
            state["down"] = True

        def up(self):
            kind.up()
            state["down"] = False

        @contextmanager
        def during_next_commit(self):
            """The database goes away as the next transaction commits."""
            with app.app_context():
                dialect = db.engine.dialect
            original = dialect.do_commit

            def once(dbapi_connection):
                monkeypatch.setattr(dialect, "do_commit", original)
                state["down"] = True
                return kind.failing_commit(original)(dbapi_connection)

            monkeypatch.setattr(dialect, "do_commit", once)
            yield

    yield Outage()
    if state["down"]:
        kind.up()


def test_pages_answer_503_with_retry_after_while_the_database_is_away(app, patient, login_as,
                                                                      outage, caplog):
    desk = login_as("front_desk", app.test_client())
    hidden = patient.hidden(SECTION)

    outage.down()
    assert_calm_503(patient.get("/checklist/"))
    assert_calm_503(patient.post(SECTION, data={**hidden, **ANSWERS}))
    assert_calm_503(desk.get("/board/"))
    assert_calm_503(app.test_client().get("/healthz"))
    assert "database unavailable" in caplog.text
    assert app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1] not in caplog.text


def test_nothing_is_half_written_when_the_database_goes_away_during_a_save(app, patient,
                                                                           outage):
    hidden = patient.hidden(SECTION)
    before = counts(app)

    with outage.during_next_commit():
        assert_calm_503(patient.post(SECTION, data={**hidden, **ANSWERS}))
    outage.up()

    assert counts(app) == before  # no answer, no submission, no audit row
    assert "intention" not in stored_answers(app, patient.appointment_id)

    # Back again: the same person saves the same page, and it is all there.
    response = patient.submit(SECTION, ANSWERS)
    assert response.status_code == 302, response.text
    assert stored_answers(app, patient.appointment_id)["intention"] == "Feel calm and rested"
    after = counts(app)
    assert after["answers"] > before["answers"] and after["audit_events"] > before["audit_events"]


def test_the_app_recovers_when_the_database_returns_without_a_restart(app, patient, outage):
    assert patient.get("/checklist/").status_code == 200
    outage.down()
    assert_calm_503(patient.get("/checklist/"))
    outage.up()
    response = patient.get("/checklist/")
    assert response.status_code == 200 and "Getting ready" in response.text
    assert patient.submit(SECTION, ANSWERS).status_code == 302


def test_connections_that_died_while_nobody_asked_are_replaced_unseen(app, patient, outage):
    """A pooled connection from before a database restart is checked before use
    (pool_pre_ping), so the first person after the restart sees the page, not an error."""
    assert patient.get("/checklist/").status_code == 200  # the pool holds a live connection
    outage.down()
    outage.up()
    response = patient.get("/checklist/")
    assert response.status_code == 200, response.text



def _form(c, page: str, action: str) -> dict:
    """The hidden fields of ``page``'s form posting to ``action`` (read before any outage)."""
    return next(f for f in forms_of(c.get(page).text) if f["action"] == action)["hidden"]


def test_a_change_whose_commit_fails_is_neither_stored_nor_announced(app, login_as, book,
                                                                     outage):
    """The request commits after the view returned, and the view had already said "saved":
    when the commit fails, the person is not told it worked, and nothing of it is stored."""
    desk = login_as("front_desk", app.test_client())
    appointment_id, _ = book()
    page = f"/board/a/{appointment_id}"
    hidden = _form(desk, page, f"{page}/contact")
    before = counts(app)

    with outage.during_next_commit():
        failed = desk.post(f"{page}/contact",
                           data={**hidden, "phone": "435-555-0199", "email": "new@example.org"})
    outage.up()

    assert_calm_503(failed)
    assert "Contact details saved" not in failed.text
    assert counts(app) == before
    with app.app_context():
        patient = db.session.get(Appointment, appointment_id).patient
        assert (patient.phone, patient.email) == (None, None)
    shown = desk.get(page).text
    assert "Contact details saved" not in shown and "(435) 555-0199" not in shown


def test_a_sign_in_whose_commit_fails_leaves_the_browser_signed_out(app, make_staff, outage):
    """Signing in is stored (its audit row, the failure count reset) before the browser gets a
    session: a sign-in that could not be stored signs nobody in."""
    user_id = make_staff("front_desk")
    with app.app_context():
        email = db.session.get(User, user_id).email
    browser = app.test_client()
    hidden = _form(browser, "/staff/sign-in", "/staff/sign-in")

    with outage.during_next_commit():
        failed = browser.post("/staff/sign-in",
                              data={**hidden, "email": email, "password": STAFF_PASSWORD})
    outage.up()

    assert_calm_503(failed)
    board = browser.get("/board/")
    assert board.status_code == 302 and "/staff/sign-in" in board.headers["Location"]


def test_a_spanish_patient_gets_the_503_page_in_spanish(app, patient, outage):
    patient.get("/checklist/language?to=es")
    outage.down()
    response = patient.get("/checklist/")
    assert response.status_code == 503 and '<html lang="es">' in response.text
    assert "Nuestro sistema no está disponible por un momento" in response.text
