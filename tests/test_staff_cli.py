"""``flask staff ...`` from the command line, as the person setting up the clinic uses it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from prep_app.cli import staff as staff_cli
from prep_app.extensions import db
from prep_app.models import AuditEvent, Role, User
from prep_app.services.sign_in import MAX_FAILED_SIGN_INS, register_failure

from .fixtures_staff import STAFF_PASSWORD, sign_in

GOOD = "plenty of calm green tea"


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(User.id))),
                db.session.scalar(select(func.count(AuditEvent.id))))


def account(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def add(runner, *args, input=GOOD + "\n"):
    return runner.invoke(args=["staff", "add", *args], input=input)


def test_add_reads_the_password_from_a_pipe_and_the_person_can_sign_in(app, runner, client):
    result = add(runner, "--email", "Nina.Park@Clinic.test", "--name", "Nina Park",
                 "--role", "clinician")
    assert result.exit_code == 0, result.output
    assert "Added nina.park@clinic.test as Clinician" in result.output
    assert GOOD not in result.output
    user = account(app, "nina.park@clinic.test")
    assert (user.name, user.role, user.is_active_account) == ("Nina Park", Role.CLINICIAN, True)
    assert user.password_hash.startswith("$argon2id$")
    response = sign_in(client, "nina.park@clinic.test", GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/review/"
    with app.app_context():
        row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.create"))
        assert (row.actor_type, row.record_id) == ("system", user.id)
        assert "command line" in row.detail


def test_add_keeps_a_password_with_spaces_at_its_ends(app, runner, client):
    result = add(runner, "--email", "a@clinic.test", "--name", "A", "--role", "admin",
                 input="  spaced out passphrase  \r\n")
    assert result.exit_code == 0, result.output
    assert sign_in(client, "a@clinic.test", "spaced out passphrase").status_code == 200
    assert sign_in(client, "a@clinic.test", "  spaced out passphrase  ").status_code == 302


def test_add_prompts_twice_on_a_terminal(app, runner, monkeypatch):
    monkeypatch.setattr(staff_cli, "stdin_is_terminal", lambda: True)
    result = add(runner, "--email", "t@clinic.test", "--name", "Terry", "--role", "front_desk",
                 input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "Password (at least 12 characters):" in result.output
    assert "Password again:" in result.output
    assert GOOD not in result.output  # hidden as it is typed
    assert account(app, "t@clinic.test") is not None


def test_add_on_a_terminal_with_two_different_passwords_writes_nothing(app, runner,
                                                                      monkeypatch):
    monkeypatch.setattr(staff_cli, "stdin_is_terminal", lambda: True)
    before = counts(app)
    result = add(runner, "--email", "t@clinic.test", "--name", "Terry", "--role", "front_desk",
                 input=f"{GOOD}\nsomething else entirely\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert counts(app) == before


@pytest.mark.parametrize("args, stdin, message", [
    (["--email", "x@clinic.test", "--name", "X", "--role", "front_desk"], "short\n",
     "at least 12 characters"),
    (["--email", "x@clinic.test", "--name", "X", "--role", "front_desk"], "password1234\n",
     "too easy to guess"),
    (["--email", "x@clinic.test", "--name", "X", "--role", "front_desk"], "\n",
     "No password was given"),
    (["--email", "x@clinic.test", "--name", "X", "--role", "front_desk"], "",
     "No password was given"),
    (["--email", "not-an-email", "--name", "X", "--role", "front_desk"], GOOD + "\n",
     "does not look right"),
    (["--email", "x@clinic.test", "--name", "   ", "--role", "front_desk"], GOOD + "\n",
     "Enter the person's name"),
    (["--email", "x@clinic.test", "--name", "X", "--role", "doctor"], GOOD + "\n",
     "Invalid value for '--role'"),
    (["--email", "x@clinic.test", "--name", "X"], GOOD + "\n", "Missing option '--role'"),
])
def test_add_with_bad_input_says_why_and_writes_nothing(app, runner, args, stdin, message):
    before = counts(app)
    result = add(runner, *args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert counts(app) == before


def test_add_refuses_an_email_already_used(app, runner, make_staff):
    make_staff("admin", email="taken@clinic.test")
    before = counts(app)
    result = add(runner, "--email", "TAKEN@clinic.test", "--name", "Other", "--role",
                 "front_desk")
    assert result.exit_code == 1
    assert "already an account with that email" in result.output
    assert counts(app) == before


def test_deactivate_ends_sessions_and_sign_in(app, runner, login_as):
    c = login_as("front_desk")
    result = runner.invoke(args=["staff", "deactivate", c.email.upper()])
    assert result.exit_code == 0, result.output
    assert "Deactivated" in result.output
    assert c.get("/board/").status_code == 302
    assert sign_in(app.test_client(), c.email).status_code == 200
    assert account(app, c.email).is_active_account is False
    again = runner.invoke(args=["staff", "deactivate", c.email])
    assert again.exit_code == 0 and "already deactivated" in again.output


def test_deactivate_an_unknown_email_fails_clearly(app, runner):
    before = counts(app)
    result = runner.invoke(args=["staff", "deactivate", "ghost@clinic.test"])
    assert result.exit_code == 1
    assert "There is no staff account with the email ghost@clinic.test" in result.output
    assert counts(app) == before


def test_set_password_replaces_it_unlocks_and_ends_sessions(app, runner, login_as):
    c = login_as("clinician")
    with app.app_context():
        user = db.session.get(User, c.user_id)
        for _ in range(MAX_FAILED_SIGN_INS):
            register_failure(user)
        db.session.commit()
    result = runner.invoke(args=["staff", "set-password", c.email], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert c.get("/review/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, c.email, STAFF_PASSWORD).status_code == 200
    assert sign_in(fresh, c.email, GOOD).status_code == 302


@pytest.mark.parametrize("email, stdin, message", [
    ("ghost@clinic.test", GOOD + "\n", "There is no staff account"),
    (None, "too short\n", "at least 12 characters"),
    (None, "", "No password was given"),
])
def test_set_password_with_bad_input_changes_nothing(app, runner, make_staff, email, stdin,
                                                     message):
    user_id = make_staff("admin", email="keeper@clinic.test")
    before_hash = account(app, "keeper@clinic.test").password_hash
    before = counts(app)
    result = runner.invoke(args=["staff", "set-password", email or "keeper@clinic.test"],
                           input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert counts(app) == before
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.password_hash, user.session_epoch) == (before_hash, 0)


def test_list_shows_accounts_and_their_state(app, runner, make_staff):
    make_staff("admin", email="on@clinic.test", name="On Duty")
    make_staff("front_desk", email="off@clinic.test", name="Off Duty", is_active=False)
    result = runner.invoke(args=["staff", "list"])
    assert result.exit_code == 0
    assert "on@clinic.test  On Duty  [Clinic admin, active]" in result.output
    assert "off@clinic.test  Off Duty  [Front desk, deactivated]" in result.output


def test_demo_load_prints_a_working_sign_in_for_each_role(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    found = re.findall(r"^  (Front desk|Clinician|Clinic admin) +(\S+@\S+) +(\S+)$",
                       result.output, flags=re.M)
    assert [label for label, _, _ in found] == ["Front desk", "Clinician", "Clinic admin"]
    homes = {"Front desk": "/board/", "Clinician": "/review/", "Clinic admin": "/admin/"}
    for label, email, password in found:
        response = sign_in(app.test_client(), email, password)
        assert response.headers.get("Location") == homes[label], label
    again = runner.invoke(args=["demo", "load"])  # new passwords; the old ones stop working
    assert again.exit_code == 0
    assert sign_in(app.test_client(), found[0][1], found[0][2]).status_code == 200
