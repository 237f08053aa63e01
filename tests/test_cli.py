"""The command line, as the clinic uses it before the staff screens: book, link, list, set up.

Each error says what is wrong in plain words, exits non-zero without a traceback, and leaves
the database exactly as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from prep_app import create_app, default_checklist
from prep_app.extensions import db
from prep_app.models import (
    Appointment,
    AuditEvent,
    ChecklistItem,
    ChecklistVersion,
    ClinicSettings,
    Patient,
    PatientLink,
    User,
)
from prep_app.services import appointments as appointment_service
from prep_app.services import links, settings

from .conftest import base_config, dispose
from .saved_answers import submit_ready

TABLES = (Patient, Appointment, PatientLink, AuditEvent, ChecklistVersion, ChecklistItem,
          User)


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                for m in TABLES}


def future_day(app, days: int = 9) -> date:
    with app.app_context():
        return settings.today() + timedelta(days=days)


def written(day: date, at: str = "14:00", zone: str = "America/Denver") -> str:
    return f"{day:%A} {day.day} {day:%B %Y}, {at} ({zone})"


def add(runner, *extra, name="Ada Lovelace", dob="1990-01-31", at=None):
    args = ["appointments", "add", "--patient", name, "--dob", dob]
    if at is not None:
        args += ["--at", at]
    return runner.invoke(args=[*args, *extra])


def token_of(url: str) -> str:
    path = urlsplit(url).path
    assert path.startswith("/p/"), url
    return path.removeprefix("/p/")


def assert_refused(result, message: str) -> None:
    """A clear message, a non-zero exit, and no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.output
    assert "Traceback" not in result.output


# Booking --------------------------------------------------------------------------------------

def test_front_desk_books_a_new_patient_and_gets_their_link(app, runner, client):
    day = future_day(app)
    result = add(runner, at=f"{day} 14:00")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == f"Appointment #1: {written(day)}."
    assert lines[1] == "New patient #1."
    url = lines[-1]
    assert url.startswith("http://127.0.0.1:5000/p/")
    with app.app_context():
        patient = db.session.scalars(select(Patient)).one()
        assert (patient.full_name, patient.date_of_birth) == ("Ada Lovelace", date(1990, 1, 31))
        assert (patient.phone, patient.email) == (None, None)
        appointment = db.session.scalars(select(Appointment)).one()
        assert appointment.patient_id == patient.id
        local = datetime.combine(day, time(14, 0), tzinfo=settings.zone())
        assert appointment.starts_at == local.astimezone(UTC)
        assert appointment.starts_at.tzinfo == UTC
        link = db.session.scalars(select(PatientLink)).one()
        assert link.token_hash == links.hash_token(token_of(url))  # only the hash is stored
        assert token_of(url) not in link.token_hash
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["patient.create", "appointment.create", "link.issue"]
    response = client.get(urlsplit(url).path)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/checklist/"


def test_a_second_booking_for_the_same_person_reuses_the_patient(app, runner):
    day = future_day(app)
    first = add(runner, at=f"{day} 09:00")
    second = add(runner, name="  ada   LOVELACE ", at=f"{day + timedelta(days=7)} 09:30")
    assert second.exit_code == 0, second.output
    assert "Existing patient #1." in second.output.splitlines()
    assert counts(app)["patients"] == 1
    assert counts(app)["appointments"] == 2
    assert token_of(first.output.splitlines()[-1]) != token_of(second.output.splitlines()[-1])
    with app.app_context():
        assert db.session.scalars(select(Patient.full_name)).one() == "Ada Lovelace"
    # Same name, another date of birth: another person.
    other = add(runner, dob="1991-01-31", at=f"{day} 10:00")
    assert "New patient #2." in other.output.splitlines()


def test_phone_and_email_are_checked_and_stored_normalised(app, runner):
    day = future_day(app)
    result = add(runner, "--phone", "(435) 555-0100", "--email", "  ada@example.org ",
                 at=f"{day} 14:00")
    assert result.exit_code == 0, result.output
    with app.app_context():
        patient = db.session.scalars(select(Patient)).one()
        assert (patient.phone, patient.email) == ("+14355550100", "ada@example.org")


def test_the_time_is_read_on_the_clinics_clock(app, runner):
    with app.app_context():
        settings.get().main_location.timezone = "Asia/Kolkata"
        db.session.commit()
    day = future_day(app)
    result = add(runner, at=f"{day}T14:00")
    assert result.exit_code == 0, result.output
    assert f"Appointment #1: {written(day, zone='Asia/Kolkata')}." in result.output
    with app.app_context():
        starts_at = db.session.scalars(select(Appointment.starts_at)).one()
        assert starts_at == datetime.combine(day, time(8, 30), tzinfo=UTC)


def test_the_link_is_the_last_line_even_for_an_existing_patient(app, runner):
    day = future_day(app)
    add(runner, at=f"{day} 09:00")
    result = add(runner, "--phone", "435 555 0199", at=f"{day} 11:00")
    url = result.output.rstrip("\n").splitlines()[-1]
    assert url.startswith("http://127.0.0.1:5000/p/") and " " not in url


# Booking errors: nothing written --------------------------------------------------------------

@pytest.mark.parametrize(("extra", "fields", "message"), [
    ((), {"dob": "1990-02-30"}, "is not a date: use YYYY-MM-DD"),
    ((), {"dob": "31/01/1990"}, "is not a date: use YYYY-MM-DD"),
    ((), {"dob": "2099-01-01"}, "That date of birth does not look right."),
    ((), {"name": "  \x00 "}, "Enter the patient's full name."),
    ((), {"name": "A" * 121}, "Please keep this under 120 characters."),
    ((), {"at": "{day}"}, "Use the form YYYY-MM-DD HH:MM"),
    ((), {"at": "tomorrow at 2pm"}, "Use the form YYYY-MM-DD HH:MM"),
    ((), {"at": "{day} 25:00"}, "Use the form YYYY-MM-DD HH:MM"),
    ((), {"at": "{day} 14:00+02:00"}, "Use the form YYYY-MM-DD HH:MM"),
    ((), {"at": "9999-12-31 23:30"}, "Use the form YYYY-MM-DD HH:MM"),
    ((), {"at": "{past} 14:00"}, "That time has already passed."),
    ((), {"at": "2036-01-01 14:00"}, "That time is too far ahead."),
    ((), {"at": "2027-03-14 02:30"}, "02:30 does not happen on 2027-03-14"),
    (("--phone", "12345"), {}, "That phone number does not look right."),
    (("--phone", "+1 435 555"), {}, "That phone number does not look right."),
    (("--email", "ada.example.org"), {}, "That email address does not look right."),
])
def test_a_booking_with_bad_input_writes_nothing(app, runner, extra, fields, message):
    day, past = future_day(app), future_day(app, days=-1)
    fields = {"at": f"{day} 14:00", **fields}
    fields["at"] = fields["at"].format(day=day, past=past)
    before = counts(app)
    result = add(runner, *extra, **fields)
    assert_refused(result, message)
    assert counts(app) == before


def test_a_booking_in_the_past_for_a_known_patient_changes_nothing(app, runner):
    add(runner, "--phone", "(435) 555-0100", at=f"{future_day(app)} 14:00")
    before = counts(app)
    result = add(runner, "--phone", "(435) 555-0111", at=f"{future_day(app, -3)} 14:00")
    assert_refused(result, "That time has already passed.")
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(Patient.phone)).one() == "+14355550100"


def test_missing_options_are_named(runner):
    result = runner.invoke(args=["appointments", "add", "--patient", "Ada Lovelace"])
    assert result.exit_code == 2
    assert "Missing option '--dob'" in result.output


# A fresh link ---------------------------------------------------------------------------------

def test_a_fresh_link_replaces_the_old_one(app, runner, client):
    day = future_day(app)
    old_url = add(runner, at=f"{day} 14:00").output.splitlines()[-1]
    result = runner.invoke(args=["appointments", "link", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Appointment #1: {written(day)}."
    new_url = result.output.splitlines()[-1]
    assert token_of(new_url) != token_of(old_url)
    unknown = client.get("/p/" + "x" * 43)
    old = client.get(urlsplit(old_url).path)
    assert old.status_code == unknown.status_code == 404
    assert old.get_data() == unknown.get_data()  # one and the same page
    assert "call" in old.get_data(as_text=True).lower()
    fresh = client.get(urlsplit(new_url).path)
    assert fresh.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(PatientLink).order_by(PatientLink.id)).all()
        assert [row.revoked_at is not None for row in rows] == [True, False]


def test_a_link_for_an_unknown_appointment_is_refused(app, runner):
    add(runner, at=f"{future_day(app)} 14:00")
    before = counts(app)
    assert_refused(runner.invoke(args=["appointments", "link", "99"]),
                   "There is no appointment #99.")
    assert counts(app) == before
    result = runner.invoke(args=["appointments", "link", "first"])
    assert result.exit_code == 2 and "'first' is not a valid integer" in result.output


def test_a_link_for_a_cancelled_appointment_is_refused(app, runner):
    add(runner, at=f"{future_day(app)} 14:00")
    with app.app_context():
        appointment_service.cancel(db.session.get(Appointment, 1))
        db.session.commit()
    before = counts(app)
    result = runner.invoke(args=["appointments", "link", "1"])
    assert_refused(result, "No link for appointment #1")
    assert "This appointment is cancelled." in result.output
    assert counts(app) == before


def test_a_link_for_a_session_long_over_is_refused(app, runner):
    add(runner, at=f"{future_day(app)} 14:00")
    with app.app_context():
        db.session.get(Appointment, 1).starts_at = datetime.now(UTC) - timedelta(days=3)
        db.session.commit()
    before = counts(app)
    assert_refused(runner.invoke(args=["appointments", "link", "1"]), "is over")
    assert counts(app) == before


# One day's list -------------------------------------------------------------------------------

def test_the_day_list_shows_each_status_and_its_reasons(app, runner):
    day, other_day = future_day(app), future_day(app, 10)
    add(runner, name="Late Evening", dob="1970-01-01", at=f"{day} 23:30")
    add(runner, name="Ada Lovelace", at=f"{day} 09:00")
    add(runner, name="Grace Hopper", dob="1985-12-09", at=f"{day} 11:15")
    add(runner, name="Alan Turing", dob="1992-06-23", at=f"{day} 13:00")
    add(runner, name="Next Day", dob="1960-06-06", at=f"{other_day} 00:30")
    submit_ready(app, 2)
    with app.app_context():
        appointment_service.cancel(db.session.get(Appointment, 4))
        db.session.commit()
    result = runner.invoke(args=["appointments", "list", "--date", str(day)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{day:%A} {day.day} {day:%B %Y} (America/Denver): 4 appointments",
        "#2  09:00  Ada Lovelace  [Awaiting review]",
        "      - Submitted; waiting for a clinician",
        "#3  11:15  Grace Hopper  [Not started]",
        "      - Link shown or printed, not sent; not opened yet",
        "#4  13:00  Alan Turing  [Cancelled]",
        "      - Appointment cancelled",
        "#1  23:30  Late Evening  [Not started]",
        "      - Link shown or printed, not sent; not opened yet",
    ]


def test_the_day_list_shows_checked_in_beside_an_open_flag(app, runner):
    day = future_day(app)
    add(runner, name="Ada Lovelace", at=f"{day} 09:00")
    submit_ready(app, 1, new_illness="yes")
    with app.app_context():
        appointment = db.session.get(Appointment, 1)
        appointment_service.check_in(appointment, is_driver_confirmed=True,
                                     clinician_knows=True, now=appointment.starts_at)
        arrived = settings.to_local(appointment.checked_in_at)
        db.session.commit()
    result = runner.invoke(args=["appointments", "list", "--date", str(day)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "#1  09:00  Ada Lovelace  [Needs attention] [Checked in]",
        f"      - Arrived at {arrived:%H:%M}; driver confirmed in person",
        "      - New illness reported",
    ]


def test_an_empty_day_says_so(app, runner):
    day = future_day(app)
    result = runner.invoke(args=["appointments", "list", "--date", str(day)])
    assert result.exit_code == 0
    assert result.output == f"{day:%A} {day.day} {day:%B %Y} (America/Denver): 0 appointments\n"


def test_the_list_defaults_to_the_clinics_today(app, runner):
    result = runner.invoke(args=["appointments", "list"])
    today = future_day(app, 0)
    assert result.output.startswith(f"{today:%A} {today.day} {today:%B %Y} (America/Denver)")


def test_a_bad_list_date_is_refused(runner):
    result = runner.invoke(args=["appointments", "list", "--date", "3 December"])
    assert result.exit_code == 2
    assert "'3 December' is not a date: use YYYY-MM-DD" in result.output


# Setting up -----------------------------------------------------------------------------------

@pytest.fixture
def empty_app(empty_database_url):
    """An app on a database with the tables and nothing in them."""
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        db.create_all()
    yield app
    dispose(app)


def test_installing_the_checklist_twice_installs_it_once(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["checklist", "install"])
    assert first.exit_code == 0, first.output
    items = len(default_checklist.ITEMS)
    assert first.output == f"Checklist version 1 ({items} items) installed.\n"
    after_first = counts(empty_app)
    second = runner.invoke(args=["checklist", "install"])
    assert second.output == (f"Checklist version 1 ({items} items) is already installed; "
                             "nothing changed.\n")
    assert counts(empty_app) == after_first
    assert (after_first["checklist_versions"], after_first["checklist_items"]) == (1, items)
    with empty_app.app_context():
        assert db.session.get(ClinicSettings, 1) is not None


def test_demo_data_refuses_a_production_database(empty_database_url):
    """Demo staff with printed passwords and made-up patients never reach a real clinic."""
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=empty_database_url,
                                 PREP_ENV="production", PASSWORD_HASH_COST="normal",
                                 TESTING=False, TRUSTED_HOSTS=["prep.clinic.example"]))
    try:
        with app.app_context():
            db.create_all()
        before = counts(app)
        done = app.test_cli_runner().invoke(args=["demo", "load"])
        assert done.exit_code != 0
        assert "production" in done.output and "PREP_ENV=development" in done.output
        assert "demo.example" not in done.output
        assert counts(app) == before
    finally:
        dispose(app)


def test_demo_data_loads_into_an_empty_database_once(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    loaded = counts(empty_app)
    assert (loaded["patients"], loaded["appointments"], loaded["checklist_versions"]) == (4, 4, 1)
    url = first.output.splitlines()[-1].strip()
    response = empty_app.test_client().get(urlsplit(url).path)
    assert response.status_code == 302
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "no demo data was added" in second.output
    # Nothing is added again but a fresh link to try (the old one is kept only as a hash) and
    # audit rows (the demo staff get fresh passwords).
    again = counts(empty_app)
    assert again["patient_links"] == loaded["patient_links"] + 1
    ignore = {"audit_events": 0, "patient_links": 0}
    assert {**again, **ignore} == {**loaded, **ignore}
    fresh = second.output.splitlines()[-1].strip()
    assert fresh != url
    assert empty_app.test_client().get(urlsplit(fresh).path).status_code == 302
    assert empty_app.test_client().get(urlsplit(url).path).status_code == 404  # replaced
    listed = runner.invoke(args=["appointments", "list", "--date",
                                 str(future_day(empty_app, 1))])
    assert "4 appointments" in listed.output
    assert "[Not sent]" in listed.output and "[In progress]" in listed.output


def test_a_command_on_a_database_without_tables_explains_itself(empty_database_url):
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=empty_database_url))
    try:
        result = app.test_cli_runner().invoke(
            args=["appointments", "add", "--patient", "Ada Lovelace", "--dob", "1990-01-31",
                  "--at", "2030-01-01 10:00"])
        assert_refused(result, "flask --app prep_app db upgrade")
    finally:
        dispose(app)


# The real command -----------------------------------------------------------------------------

def flask_command(app, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREP_ENV": "testing", "SECRET_KEY": "c" * 64,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PUBLIC_BASE_URL": ""}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "prep_app", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_the_real_flask_command_books_and_refuses_without_a_traceback(app, client):
    day = future_day(app)
    booked = flask_command(app, "appointments", "add", "--patient", "Ada Lovelace",
                           "--dob", "1990-01-31", "--at", f"{day} 14:00")
    assert booked.returncode == 0, booked.stderr
    assert client.get(urlsplit(booked.stdout.splitlines()[-1]).path).status_code == 302
    before = counts(app)
    for args, message in [
        (("appointments", "link", "42"), "There is no appointment #42."),
        (("appointments", "add", "--patient", "Ada Lovelace", "--dob", "1990-01-31",
          "--at", "3 December, 2pm"), "Use the form YYYY-MM-DD HH:MM"),
    ]:
        refused = flask_command(app, *args)
        assert refused.returncode != 0
        assert message in refused.stderr
        assert "Traceback" not in refused.stderr + refused.stdout
    assert counts(app) == before
