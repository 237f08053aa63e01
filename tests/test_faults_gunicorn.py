"""PostgreSQL stops in the middle of a run served by gunicorn, then comes back.

A server that stops is PostgreSQL's case, so this module always uses a PostgreSQL of its own
(in the SQLite pass of the suite too): stopping it disturbs no other test.
"""

from __future__ import annotations

import uuid

import pytest

from bench.harness import Gunicorn, HttpBrowser, open_link

from .conftest import start_cluster
from .outage_checks import ANSWERS, SECTION, assert_calm_503, counts, stored_answers


@pytest.fixture(scope="module")
def stopping_postgres():
    cluster = start_cluster(durable=True)  # what was committed survives the stop
    yield cluster
    cluster.stop()


@pytest.fixture
def app(make_app, prepare_database, stopping_postgres, request):
    name = f"gunicorn_{uuid.uuid4().hex[:12]}"
    url = stopping_postgres.create_database(name)
    request.addfinalizer(lambda: stopping_postgres.drop_database(name))
    prepare_database(url)
    return make_app(SQLALCHEMY_DATABASE_URI=url)


def test_under_gunicorn_the_database_stops_mid_run_and_the_app_carries_on(
        app, book, stopping_postgres, tmp_path):
    appointment_id, token = book()
    env = {"PREP_ENV": "testing", "SECRET_KEY": app.config["SECRET_KEY"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PASSWORD_HASH_COST": "test"}
    with Gunicorn("wsgi:app", env=env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        patient = HttpBrowser(server.url)
        open_link(patient, token, "1990-01-31")
        hidden = patient.hidden(SECTION)
        before = counts(app)
        master = server.process.pid

        stopping_postgres.pause()  # PostgreSQL stops, as in a crash or a failover
        try:
            for _ in range(3):
                assert_calm_503(patient.get("/checklist/"))
                assert_calm_503(patient.post(SECTION, data={**hidden, **ANSWERS}))
            assert_calm_503(HttpBrowser(server.url).get("/healthz"))
        finally:
            stopping_postgres.resume()

        assert counts(app) == before  # nothing half-written while it was away
        # The same gunicorn (no restart) serves again, and the save goes through.
        assert patient.get("/checklist/").status_code == 200
        response = patient.submit(SECTION, ANSWERS)
        assert response.status_code == 302, response.text
        assert server.process.pid == master and server.process.poll() is None
        assert stored_answers(app, appointment_id)["intention"] == "Feel calm and rested"
        assert patient.server_errors() == [
            f"{method} {path}: 503" for method, path in
            [("GET", "/checklist/"), ("POST", SECTION)] * 3]
