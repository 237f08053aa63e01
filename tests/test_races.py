"""Races against a real gunicorn on loopback: many people at once, nothing lost, nobody sees a
server error, and when two people change the same thing at the same moment exactly one wins and
the other is told.

Each test starts gunicorn (4 sync workers) on a free port of 127.0.0.1, pointed at the database
the ``app`` fixture prepared (SQLite by default, PostgreSQL with PREP_TEST_DB=postgresql), and
stops it at the end. Counts are bounded; every request has a timeout.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bench.harness import (
    SECTIONS,
    Gunicorn,
    HttpBrowser,
    checklist_answers,
    open_link,
    save_section,
    sign_in,
    submit_checklist,
)
from prep_app.extensions import db
from prep_app.models import Appointment, Review, SubmissionRevision, SubmissionStatus
from prep_app.services import settings, submissions

from .conftest import clinic_time
from .fixtures_staff import STAFF_PASSWORD

PATIENTS = 100
SAME_VERSION_SAVES = 20
DECISION_ROUNDS = 5  # submissions on which two clinicians decide at the same moment
WORKERS = 4
RUN_TIMEOUT = 300  # seconds for a whole crowd; each request has its own timeout as well


@pytest.fixture
def server(app, tmp_path):
    env = {"PREP_ENV": "testing", "SECRET_KEY": app.config["SECRET_KEY"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PASSWORD_HASH_COST": "test"}
    with Gunicorn("wsgi:app", env=env, workers=WORKERS, log_path=tmp_path / "gunicorn.log") as g:
        yield g


def run_together(count: int, task) -> list:
    """Run ``task(i)`` in ``count`` threads released at the same moment; return the results."""
    barrier = threading.Barrier(count, timeout=60)

    def go(i):
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(go, i) for i in range(count)]
        return [f.result(timeout=RUN_TIMEOUT) for f in futures]


def session_start_local(app, days=2, hour=14):
    with app.app_context():
        return settings.to_local(clinic_time(days, hour))


def assert_nobody_saw_a_server_error(browsers, server):
    errors = [e for b in browsers for e in b.server_errors()]
    log = server.log_text()
    assert errors == [], "\n".join(
        line for line in log.splitlines() if "site-packages" not in line)[-4000:]
    bodies = " ".join(r.text for b in browsers for r in b.responses)
    assert "database is locked" not in bodies
    assert "database is locked" not in log
    assert "unhandled" not in log and "database unavailable" not in log, log[-2000:]


def test_hundred_patients_submit_at_once_and_every_submission_is_stored_complete(
        app, book, server):
    """Also the SQLite proof: under this load no "database is locked" (no 5xx, no 503)."""
    booked = [book(name=f"Crowd Patient {i:03d}", dob=date(1980, 1, 1) + timedelta(days=i))
              for i in range(PATIENTS)]
    starts = session_start_local(app)

    def journey(i):
        appointment_id, token = booked[i]
        browser = HttpBrowser(server.url)
        open_link(browser, token, (date(1980, 1, 1) + timedelta(days=i)).isoformat())
        answers = checklist_answers(starts, i)
        for section in SECTIONS:
            response = save_section(browser, section, answers[section])
            assert response.status_code == 302, (section, response.status_code)
        response = submit_checklist(browser, f"Crowd Patient {i:03d}")
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].endswith("/checklist/done")
        assert browser.get("/checklist/done").status_code == 200
        return browser

    browsers = run_together(PATIENTS, journey)

    assert_nobody_saw_a_server_error(browsers, server)
    with app.app_context():
        for i, (appointment_id, _token) in enumerate(booked):
            submission = db.session.get(Appointment, appointment_id).submission
            assert submission.status == SubmissionStatus.SUBMITTED
            assert submission.revision == 1
            assert submissions.missing_required(submission) == []
            stored = submissions.current_answers(submission)
            assert stored["driver_name"] == f"Driver Number {i:03d}"
            assert stored["driver_phone"] == f"+1435555{100 + i % 100:04d}"
            assert stored["intention"] == f"Calm focus {i}"
            revisions = db.session.scalars(select(SubmissionRevision).filter_by(
                submission_id=submission.id)).all()
            assert [r.number for r in revisions] == [1]
            assert revisions[0].answers == stored
            assert revisions[0].attested_name == f"Crowd Patient {i:03d}"


@pytest.mark.parametrize("already_started", [True, False], ids=["started", "first-save"])
def test_twenty_saves_at_the_same_version_one_wins_the_rest_are_told(app, book, server,
                                                                      already_started):
    """Twenty windows save one section at once, from a checklist already started or from a
    fresh one (where the very first save also creates the submission)."""
    appointment_id, token = book()
    starts = session_start_local(app)
    first = HttpBrowser(server.url)
    open_link(first, token, "1990-01-31")
    if already_started:
        response = save_section(first, "prepare", checklist_answers(starts)["prepare"])
        assert response.status_code == 302
    # Twenty windows show the same page, at the same version; everyone types something else.
    hidden = first.hidden("/checklist/step/ride")
    cookie = first.cookie_header()
    typed = [checklist_answers(starts, 100 + i)["ride"] for i in range(SAME_VERSION_SAVES)]

    def save(i):
        browser = HttpBrowser(server.url)
        response = browser.post("/checklist/step/ride",
                                {**hidden, **typed[i], "action": "continue"},
                                headers={"Cookie": cookie})
        return browser, response

    results = run_together(SAME_VERSION_SAVES, save)

    assert_nobody_saw_a_server_error([b for b, _ in results], server)
    statuses = sorted(r.status_code for _, r in results)
    assert statuses == [302] + [409] * (SAME_VERSION_SAVES - 1)
    winner = next(i for i, (_, r) in enumerate(results) if r.status_code == 302)
    for i, (_, response) in enumerate(results):
        if i != winner:
            assert "These answers changed somewhere else" in response.text
            assert f'value="{typed[i]["driver_name"]}"' in response.text  # kept, not saved
            assert f'value="{typed[i]["driver_relationship"]}"' in response.text
    with app.app_context():
        stored = submissions.answers_of(db.session.get(Appointment, appointment_id).submission)
    assert stored["driver_name"] == typed[winner]["driver_name"]
    assert stored["driver_relationship"] == typed[winner]["driver_relationship"]
    assert stored["driver_phone"] == f"+1435555{100 + (100 + winner) % 100:04d}"
    if already_started:
        assert stored["support_habits"] == "yes"  # the earlier section is untouched


def submitted_checklist(server, app, book, n: int) -> int:
    """A patient who answered everything and submitted, over HTTP. Returns the appointment id."""
    dob = date(1970, 1, 1) + timedelta(days=n)
    appointment_id, token = book(name=f"Reviewed Patient {n:02d}", dob=dob)
    patient = HttpBrowser(server.url)
    open_link(patient, token, dob.isoformat())
    answers = checklist_answers(session_start_local(app), n)
    for section in SECTIONS:
        assert save_section(patient, section, answers[section]).status_code == 302
    assert submit_checklist(patient, f"Reviewed Patient {n:02d}").status_code == 302
    return appointment_id


def test_two_clinicians_decide_at_once_one_decision_stands_the_other_is_told(
        app, book, make_staff, server):
    clinicians = []
    for name in ("Dr Ada First", "Dr Bo Second"):
        user_id = make_staff("clinician", email=f"{name.split()[1].lower()}@clinic.test",
                             name=name)
        browser = HttpBrowser(server.url)
        assert sign_in(browser, f"{name.split()[1].lower()}@clinic.test",
                       STAFF_PASSWORD).status_code == 302
        clinicians.append((user_id, name, browser))
    choices = [{"decision": "cleared", "note": ""},
               {"decision": "follow_up", "note": "Call about the driver before the session."}]

    for n in range(DECISION_ROUNDS):
        appointment_id = submitted_checklist(server, app, book, n)
        page = f"/review/{appointment_id}"
        # Both open the submission, read the same answers, and decide differently at once.
        hidden = [browser.hidden(page, action=page) for _, _, browser in clinicians]

        def decide(i, page=page, hidden=hidden):
            return clinicians[i][2].post(page, {**hidden[i], **choices[i]})

        responses = run_together(2, decide)

        assert sorted(r.status_code for r in responses) == [302, 409]
        winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
        told = responses[1 - winner].text
        assert "Someone else decided first" in told
        assert clinicians[winner][1] in told  # who decided, and what
        assert "Your decision was not saved" in told
        with app.app_context():
            submission = db.session.get(Appointment, appointment_id).submission
            stored = db.session.scalars(select(Review).filter_by(
                submission_id=submission.id)).all()
            assert [(r.decision.value, r.clinician_id) for r in stored] == [
                (choices[winner]["decision"], clinicians[winner][0])]
    assert_nobody_saw_a_server_error([browser for _, _, browser in clinicians], server)
