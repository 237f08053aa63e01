"""The patient's personal link: random, stored only hashed, expiring, revocable, traded for a
session on first use; and the date-of-birth check that may come after it."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, PatientLink, utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import links, settings

from .browserlike import element
from .patient_forms import DOB, appointment_day, calm_answers, open_link, save, stored

CLINIC_PHONE = "(435) 555-0100"  # the default setting
CLINIC_TEL = "tel:+14355550100"  # what a phone dials: E.164, never the number as typed


def link_of(app, appointment_id: int) -> PatientLink:
    """The appointment's newest link as stored (detached, plain values)."""
    with app.app_context():
        link = db.session.scalars(select(PatientLink).filter_by(appointment_id=appointment_id)
                                  .order_by(PatientLink.id.desc())).first()
        db.session.expunge(link)
        return link


def change_link(app, appointment_id: int, **values) -> None:
    with app.app_context():
        link = db.session.scalars(select(PatientLink).filter_by(appointment_id=appointment_id)
                                  .order_by(PatientLink.id.desc())).first()
        for name, value in values.items():
            setattr(link, name, value)
        db.session.commit()


def change_clinic(app, **values) -> None:
    with app.app_context():
        clinic = settings.get()
        for name, value in values.items():
            setattr(clinic, name, value)
        db.session.commit()


def same_page(html: str) -> str:
    """A page without what differs on every response: the CSRF token and a typed date."""
    html = re.sub(r'(name="csrf-token" content=)"[^"]*"', r'\1""', html)
    html = re.sub(r'(id="csrf_token" name="csrf_token" type="hidden" value=)"[^"]*"', r'\1""',
                  html)
    return re.sub(r'(type="date" value=)"[^"]*"', r'\1""', html)


def page_csrf(html: str) -> str:
    """The CSRF token every page carries in its head (for a page without a form)."""
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def every_stored_value(app) -> list[str]:
    with app.app_context():
        values = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                values.extend(repr(value) for value in row)
        return values


# --- the link itself --------------------------------------------------------------------------

def test_a_link_carries_at_least_128_random_bits_and_only_its_hash_is_stored(app, client, book):
    appointment_id, token = book()
    _, other = book(name="Grace Hopper", dob=date(1985, 12, 9))
    assert token != other
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    assert link_of(app, appointment_id).token_hash == hashlib.sha256(token.encode()).hexdigest()

    open_link(client, token)  # the journey leaves audit rows, a first use, answers
    save(client, "ride", calm_answers(client)["ride"])

    assert not any(token in value for value in every_stored_value(app))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///"))
        for path in (database, Path(f"{database}-wal")):
            if path.exists():
                assert token.encode() not in path.read_bytes()


def test_the_first_visit_trades_the_token_for_a_session_and_drops_it_from_the_address(
        app, client, book):
    appointment_id, token = book()
    response = client.get(f"/p/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/checklist/"
    with client.session_transaction() as session:
        assert token not in repr(dict(session))
    assert client.get("/checklist/").headers["Location"] == "/checklist/verify"
    page = client.get("/checklist/verify")
    assert page.status_code == 200 and token not in page.text

    link = link_of(app, appointment_id)
    assert link.first_used_at is not None
    with app.app_context():
        opened = db.session.scalars(select(AuditEvent).filter_by(action="link.open")).all()
        assert [(e.actor_type, e.actor_id, e.record_id) for e in opened] == [
            ("patient_link", link.id, appointment_id)]

    stranger = app.test_client()  # no link opened in this browser
    assert stranger.get("/checklist/").status_code == 404


def test_a_link_works_through_the_grace_period_after_the_session_and_then_expires(app, book):
    change_clinic(app, link_grace_hours=3, session_minutes=90)
    appointment_id, token = book()
    with app.app_context():
        starts_at = db.session.get(Appointment, appointment_id).starts_at
    assert link_of(app, appointment_id).expires_at == starts_at + timedelta(minutes=90, hours=3)

    def session_started(ago: timedelta) -> int:
        with app.app_context():
            appointment = db.session.get(Appointment, appointment_id)
            appointment.starts_at = utcnow() - ago
            appointment.links[-1].expires_at = links.expiry_for(appointment)
            db.session.commit()
        return app.test_client().get(f"/p/{token}").status_code

    assert session_started(timedelta(hours=4)) == 302  # ended 2.5 h ago: within the 3 h
    assert session_started(timedelta(hours=5)) == 404  # ended 3.5 h ago: expired


def test_unknown_expired_revoked_and_cancelled_links_all_show_one_friendly_page(app, book):
    expired_id, expired = book(days=3)
    change_link(app, expired_id, expires_at=utcnow() - timedelta(minutes=1))
    revoked_id, revoked = book(days=4)
    cancelled_id, cancelled = book(days=5)
    with app.test_request_context():
        links.revoke_all(db.session.get(Appointment, revoked_id))
        appointment_service.cancel(db.session.get(Appointment, cancelled_id))
        db.session.commit()
    unknown = base64.urlsafe_b64encode(b"\x00" * 32).decode().rstrip("=")

    pages = {}
    for name, token in [("unknown", unknown), ("expired", expired), ("revoked", revoked),
                        ("cancelled", cancelled), ("garbage", "x"), ("long", "a" * 500)]:
        response = app.test_client().get(f"/p/{token}")
        pages[name] = (response.status_code, same_page(response.text))
    assert len(set(pages.values())) == 1, pages.keys()
    status, html = pages["unknown"]
    assert status == 404
    assert "This link is not working" in html
    assert f"Please call us at {CLINIC_PHONE}" in html
    assert f'href="{CLINIC_TEL}"' in html


def test_a_revoked_link_also_ends_a_session_that_was_already_open(patient, app):
    with app.test_request_context():
        links.revoke_all(db.session.get(Appointment, patient.appointment_id))
        db.session.commit()
    response = patient.get("/checklist/step/ride")
    assert response.status_code == 404
    assert "This link is not working" in response.text
    response = patient.post("/checklist/step/ride", data={"driver_name": "Mary Somerville"})
    assert response.status_code in (400, 404)
    assert stored(patient).answers == {}


def test_reissuing_a_link_kills_the_old_one_and_its_open_sessions(patient, app):
    with app.test_request_context():
        new_token = links.issue(db.session.get(Appointment, patient.appointment_id))
        db.session.commit()
    assert patient.get("/checklist/").status_code == 404
    assert app.test_client().get(f"/p/{patient.token}").status_code == 404
    fresh = app.test_client()
    assert open_link(fresh, new_token).status_code == 302
    assert fresh.get("/checklist/").status_code == 200
    with app.app_context():
        live = db.session.scalars(select(PatientLink).filter_by(
            appointment_id=patient.appointment_id, revoked_at=None)).all()
        assert [link.token_hash for link in live] == [links.hash_token(new_token)]


def test_a_patient_session_reaches_only_its_own_appointment(patient, app, book):
    other_id, other_token = book(name="Grace Hopper", dob=date(1985, 12, 9), days=3)
    grace = app.test_client()
    open_link(grace, other_token, dob="1985-12-09")
    grace.appointment_id = other_id
    save(grace, "ride", {**calm_answers(grace)["ride"], "driver_name": "Grace's driver"})
    with app.app_context():
        other = db.session.get(Appointment, other_id)
        ids = {"appointment_id": other_id, "submission_id": other.submission.id,
               "patient_id": other.patient_id, "link_id": other.links[-1].id}

    ride = {**calm_answers(patient)["ride"], "driver_name": "Ada's driver", **ids}
    assert save(patient, "ride", ride).status_code == 302
    assert stored(patient).answers["driver_name"] == "Ada's driver"
    assert stored(grace).answers["driver_name"] == "Grace's driver"
    review = patient.get("/checklist/review", query_string=ids)
    assert "Ada&#39;s driver" in review.text and "Grace" not in review.text

    # Opening the other patient's link in the same browser asks for that patient's birthday.
    patient.get(f"/p/{other_token}")
    assert patient.get("/checklist/review").headers["Location"] == "/checklist/verify"
    wrong = patient.submit("/checklist/verify", {"date_of_birth": DOB})
    assert wrong.status_code == 422
    assert patient.get("/checklist/review").status_code == 302


# --- the date of birth ------------------------------------------------------------------------

def test_the_date_of_birth_comes_first_and_nothing_is_saved_before_it(app, client, book):
    client.appointment_id, token = book()
    client.get(f"/p/{token}")
    for path in ("/checklist/", "/checklist/step/ride", "/checklist/review", "/checklist/done"):
        assert client.get(path).headers["Location"] == "/checklist/verify"
    csrf = client.hidden("/checklist/verify")["csrf_token"]
    response = client.post("/checklist/step/ride", data={"csrf_token": csrf, "version": "0",
                                                         "driver_name": "Mary Somerville"})
    assert response.headers["Location"] == "/checklist/verify"
    assert stored(client).answers == {}
    page = client.get("/checklist/verify")
    assert element(page.text, "date_of_birth")[1]["type"] == "date"
    assert 'for="date_of_birth"' in page.text


@pytest.mark.parametrize("dob_check", [True, False])
def test_a_patient_who_opens_their_own_link_again_is_not_asked_twice(app, client, book,
                                                                     dob_check):
    change_clinic(app, is_dob_check_on=dob_check)
    _, token = book()
    if dob_check:
        open_link(client, token)
    else:
        client.get(f"/p/{token}")
    client.get(f"/p/{token}")
    assert client.get("/checklist/").status_code == 200


def test_the_date_of_birth_check_is_skipped_when_the_clinic_turns_it_off(app, client, book):
    change_clinic(app, is_dob_check_on=False)
    client.appointment_id, token = book()
    assert client.get(f"/p/{token}").headers["Location"] == "/checklist/"
    assert client.get("/checklist/").status_code == 200
    assert client.get("/checklist/verify").headers["Location"] == "/checklist/"
    assert save(client, "ride", calm_answers(client)["ride"]).status_code == 302
    assert stored(client).answers["driver_name"] == "Charles Babbage"


def test_wrong_dates_of_birth_say_nothing_about_which_part_was_wrong(app, client, book):
    _, token = book()  # born 1990-01-31
    client.get(f"/p/{token}")
    pages = set()
    for wrong in ("1990-01-30", "1990-02-28", "1991-01-31", "1975-06-15"):
        response = client.submit("/checklist/verify", {"date_of_birth": wrong})
        assert response.status_code == 422
        assert "That does not match our records" in response.text
        pages.add(same_page(response.text))
    assert len(pages) == 1


def test_five_wrong_dates_of_birth_pause_the_link_even_in_a_new_browser(app, client, book):
    appointment_id, token = book()
    client.get(f"/p/{token}")
    for tries in range(1, 5):
        assert client.submit("/checklist/verify", {"date_of_birth": "1990-01-30"}
                             ).status_code == 422
        assert link_of(app, appointment_id).failed_dob_attempts == tries
    fifth = client.submit("/checklist/verify", {"date_of_birth": "1990-01-30"})
    assert fifth.status_code == 429
    assert "paused this for a few minutes" in fifth.text and CLINIC_PHONE in fifth.text
    paused_until = link_of(app, appointment_id).dob_locked_until
    assert utcnow() + timedelta(minutes=10) < paused_until <= utcnow() + timedelta(minutes=15)

    other_browser = app.test_client()
    other_browser.get(f"/p/{token}")
    paused = other_browser.get("/checklist/verify")
    assert paused.status_code == 429
    assert 'name="date_of_birth"' not in paused.text
    response = other_browser.post("/checklist/verify", data={
        "csrf_token": page_csrf(paused.text), "date_of_birth": DOB})
    assert response.status_code == 429  # even the right answer waits for the pause
    assert other_browser.get("/checklist/").headers["Location"] == "/checklist/verify"

    change_link(app, appointment_id, dob_locked_until=utcnow() - timedelta(seconds=1))
    assert other_browser.submit("/checklist/verify", {"date_of_birth": DOB}).status_code == 302
    assert other_browser.get("/checklist/").status_code == 200
    assert link_of(app, appointment_id).failed_dob_attempts == 0
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.startswith("link.verify"))).all()
    assert actions == ["link.verify_failed"] * 5 + ["link.verify"]


def wrong_dob(client):
    return client.submit("/checklist/verify", {"date_of_birth": "1990-01-30"})


def test_ten_wrong_dates_of_birth_lock_the_link_until_the_desk_sends_a_new_one(
        app, client, book, login_as):
    """Pauses alone would let a patient guesser go on forever, five tries a quarter hour."""
    appointment_id, token = book()
    patient = app.test_client()  # the patient confirmed their date of birth earlier
    open_link(patient, token)
    client.get(f"/p/{token}")
    for _ in range(5):
        wrong_dob(client)
    assert link_of(app, appointment_id).dob_locked_until is not None  # the pause, as before
    change_link(app, appointment_id, dob_locked_until=utcnow() - timedelta(seconds=1))
    answers = [wrong_dob(client) for _ in range(4)]
    assert [a.status_code for a in answers] == [422] * 4
    assert "more times" not in answers[0].text  # six left: nothing said yet
    assert "You can try 3 more times" in answers[1].text
    assert "You can try 2 more times" in answers[2].text
    assert "This is your last try" in answers[3].text
    assert "call us" in answers[3].text and CLINIC_PHONE in answers[3].text

    tenth = wrong_dob(client)
    assert tenth.status_code == 403
    assert "This link is locked" in tenth.text and CLINIC_PHONE in tenth.text
    assert 'name="date_of_birth"' not in tenth.text
    assert link_of(app, appointment_id).dob_failures_total == 10
    # No more tries at all: not the right date, not after a pause, not in another browser, and
    # not for the patient's own browser that was let in before.
    change_link(app, appointment_id, dob_locked_until=None)
    right = client.post("/checklist/verify", data={"csrf_token": page_csrf(tenth.text),
                                                   "date_of_birth": DOB})
    assert right.status_code == 403
    assert link_of(app, appointment_id).dob_failures_total == 10
    fresh = app.test_client()
    assert fresh.get(f"/p/{token}").status_code == 302
    assert fresh.get("/checklist/verify").status_code == 403
    assert patient.get("/checklist/").headers["Location"] == "/checklist/verify"
    assert patient.get("/checklist/verify").status_code == 403

    desk = login_as("front_desk", app.test_client())
    board = desk.get(f"/board/?date={appointment_day(app, appointment_id)}").text
    assert "Link locked after wrong dates of birth; send a new one" in board
    with app.test_request_context():
        new_token = links.issue(db.session.get(Appointment, appointment_id))
        db.session.commit()
    assert open_link(app.test_client(), new_token).status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.startswith("link.verify"))).all()
    assert actions.count("link.verify_failed") == 10
    assert actions.count("link.verify_locked") == 1


def test_the_pause_is_read_under_a_row_lock(app, client, book, db_backend):
    """Two guesses sent at once cannot both slip past the pause: the link's row is locked
    (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write lock taken at BEGIN IMMEDIATE)."""
    from sqlalchemy import event

    _, token = book()
    client.get(f"/p/{token}")
    hidden = client.hidden("/checklist/verify")
    statements = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        client.post("/checklist/verify", data={**hidden, "date_of_birth": "1990-01-30"})
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.startswith("SELECT") and "dob_locked_until" in s
             and "FROM patient_links" in s]
    if db_backend == "postgresql":
        locked = [s for s in reads if s.endswith("FOR UPDATE")]
        assert locked, statements
        first_update = next(i for i, s in enumerate(statements) if s.startswith("UPDATE"))
        assert statements.index(locked[0]) < first_update
    else:
        assert statements[0] == "BEGIN IMMEDIATE"


def test_forget_me_on_a_shared_device_needs_the_link_again(patient, app):
    save(patient, "ride", calm_answers(patient)["ride"])
    response = patient.submit("/checklist/leave", page="/checklist/")
    assert response.status_code == 200
    assert "Your answers are saved" in response.text
    assert patient.get("/checklist/step/ride").status_code == 404
    assert stored(patient).answers["driver_name"] == "Charles Babbage"
    open_link(patient, patient.token)
    assert "Charles Babbage" in patient.get("/checklist/step/ride").text
