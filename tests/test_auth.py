"""Staff sign-in, sessions and passwords, from the staff member's side."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from prep_app import create_app
from prep_app.auth.access import safe_next
from prep_app.extensions import db
from prep_app.models import AuditEvent, ClinicSettings, User, utcnow
from prep_app.services import accounts, passwords
from prep_app.services.sign_in import MAX_FAILED_SIGN_INS, is_locked

from .conftest import base_config
from .fixtures_staff import STAFF_PASSWORD, sign_in, submit_to, token_in

COOKIE = "prep_session"
FUZZ = hypothesis_settings(max_examples=60, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])


def user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return rows


def email_of(app, user_id: int) -> str:
    return user_row(app, user_id).email


def cookie_value(c) -> str:
    return c.get_cookie(COOKIE).value


def session_of(app, c) -> dict:
    return app.session_interface.get_signing_serializer(app).loads(cookie_value(c))


def shift_session(c, **seconds_ago):
    """Pretend the session's timestamps are older than they are."""
    with c.session_transaction() as session:
        for key, seconds in seconds_ago.items():
            session[key] = time.time() - seconds


# --- passwords --------------------------------------------------------------------------


@pytest.mark.parametrize("password, problem", [
    ("short pass", "at least 12"),
    ("password1234", "too easy"),
    ("Password 1234!", "too easy"),
    ("aaaaaaaaaaaaaaaa", "too easy"),
    ("abcdefghijklmnop", "too easy"),
    ("x" * 129, "at most 128"),
    ("tab\there and more", "letters, numbers"),
    # Past the length rule and the short list, zxcvbn still finds them easy (score < 3):
    ("jennifer1985!", "too easy"),
    ("Password2024!", "too easy"),
    ("qwertyuiop1234", "too easy"),
    ("monkeymonkey12", "too easy"),
    ("xxxxxxxxxxxxyz!", "too easy"),
])
def test_weak_or_odd_passwords_are_refused(app_ctx, password, problem):
    assert problem in passwords.password_problem(password)


def test_password_strength_is_judged_quickly_whatever_is_typed(app_ctx):
    """zxcvbn slows down sharply on long random input: 128 characters stay well under a
    second (a form must not become a way to tie up a worker)."""
    import random
    import string

    rng = random.Random(7)
    noise = "".join(rng.choice(string.printable[:94]) for _ in range(128))
    started = time.monotonic()
    assert passwords.password_problem(noise) is None
    assert time.monotonic() - started < 0.5


def test_password_like_the_persons_own_email_is_refused(app_ctx):
    assert "too easy" in passwords.password_problem("maria.lopez.rn", email="maria.lopez.rn@x.org")


def test_good_passwords_are_accepted_spaces_and_any_alphabet(app_ctx):
    for password in ("a calm and careful day", "Żółw idzie powoli 7", "ケタミンの準備をします。ね",
                     ("Żółw idzie powoli przez zielony ogród, " * 4)[:128]):
        assert passwords.password_problem(password) is None, password


def test_passwords_are_stored_as_argon2id(app, make_staff):
    user = user_row(app, make_staff("front_desk"))
    assert user.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in user.password_hash


def test_long_password_is_used_whole_not_truncated(app, client, make_staff):
    long_password = "correct horse battery staple " * 3 + "and the rest"  # 99 characters
    user_id = make_staff("front_desk", password=long_password)
    email = email_of(app, user_id)
    for prefix in (long_password[:64], long_password[:72], long_password[:-1]):
        assert "do not match" in sign_in(client, email, prefix).text
    assert sign_in(client, email, long_password).status_code == 302


def test_a_password_matches_in_either_unicode_form(app, client, make_staff):
    composed = "caf\u00e9 au lait tous les jours"
    user_id = make_staff("front_desk", password=composed)
    decomposed = composed.replace("\u00e9", "e\u0301")
    assert sign_in(client, email_of(app, user_id), decomposed).status_code == 302


# --- sign-in -----------------------------------------------------------------------------


@pytest.mark.parametrize("role, home", [
    ("front_desk", "/board/"), ("clinician", "/review/"), ("admin", "/admin/")])
def test_each_role_lands_on_its_home_after_signing_in(app, client, make_staff, role, home):
    response = sign_in(client, email_of(app, make_staff(role)))
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_email_is_matched_without_regard_to_case_or_spaces(app, client, make_staff):
    make_staff("front_desk", email="Sam.Lee@Clinic.test")
    assert sign_in(client, "  SAM.LEE@clinic.TEST ").status_code == 302


def _answer(response) -> str:
    """The page without its per-request tokens."""
    return re.sub(r'(value|content)="[^"]*"', "", response.get_data(as_text=True))


def test_unknown_email_and_wrong_password_get_the_same_answer(app, client, make_staff):
    email = email_of(app, make_staff("front_desk"))
    wrong = sign_in(client, email, "not the password at all")
    unknown = sign_in(client, "nobody@clinic.test", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert "do not match an active account" in wrong.text
    assert _answer(wrong) == _answer(unknown)
    assert "nobody@clinic.test" not in unknown.text.replace('value="nobody@clinic.test"', "")


def test_deactivated_account_gets_the_same_answer_as_a_wrong_password(app, client, make_staff):
    email = email_of(app, make_staff("clinician", is_active=False))
    wrong = sign_in(client, "nobody@clinic.test", STAFF_PASSWORD)
    refused = sign_in(client, email, STAFF_PASSWORD)
    assert _answer(refused) == _answer(wrong).replace("nobody@clinic.test", email)
    assert client.get("/review/").status_code == 302


def test_failed_sign_ins_are_counted_on_the_account(app, client, make_staff):
    user_id = make_staff("front_desk")
    email = email_of(app, user_id)
    for _ in range(3):
        sign_in(client, email, "a wrong password here")
    assert user_row(app, user_id).failed_sign_ins == 3
    assert sign_in(client, email).status_code == 302
    assert user_row(app, user_id).failed_sign_ins == 0


@pytest.mark.parametrize("right", [True, False])
def test_the_password_hash_is_checked_before_the_write_lock_is_taken(app, make_staff,
                                                                    monkeypatch, db_backend,
                                                                    right):
    """argon2 takes tens of milliseconds: inside SQLite's write lock (or the account's row
    lock on PostgreSQL) every other writer would wait for it, sign-in by sign-in."""
    from argon2 import PasswordHasher
    from sqlalchemy import event

    email = email_of(app, make_staff("front_desk"))
    client = app.test_client()
    hidden = client.hidden("/staff/sign-in")
    events = []
    verify = PasswordHasher.verify

    def verifying(self, *args, **kwargs):
        events.append("argon2")
        return verify(self, *args, **kwargs)

    def seen(conn, cursor, statement, *args):
        events.append(" ".join(statement.split()))

    monkeypatch.setattr(PasswordHasher, "verify", verifying)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.post("/staff/sign-in", data={
            **hidden, "email": email, "password": STAFF_PASSWORD if right else "not it, sorry"})
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == (302 if right else 200)
    assert events.count("argon2") == 1
    hashed = events.index("argon2")
    if db_backend == "sqlite":
        assert "BEGIN IMMEDIATE" in events
        assert hashed < events.index("BEGIN IMMEDIATE"), events
    else:
        locks = [i for i, e in enumerate(events) if e.endswith("FOR UPDATE")]
        assert locks and hashed < locks[0], events
    assert audit_rows(app, "sign_in" if right else "sign_in.failed")


def test_account_locks_after_five_failures_from_any_address(app, make_staff):
    user_id = make_staff("front_desk")
    email = email_of(app, user_id)
    for i in range(MAX_FAILED_SIGN_INS):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"
        assert "do not match" in sign_in(c, email, f"wrong password number {i}").text
    locked_until = user_row(app, user_id).locked_until
    assert locked_until - utcnow() > timedelta(minutes=14)

    fresh = app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    refused = sign_in(fresh, email)  # the right password, from a new address
    assert refused.status_code == 200 and "do not match" in refused.text
    assert fresh.get("/board/").status_code == 302
    assert audit_rows(app, "sign_in.failed")[-1].detail == "account locked"

    with app.app_context():  # the pause is over
        db.session.get(User, user_id).locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(fresh, email).status_code == 302


def test_a_stranger_cannot_keep_a_person_locked_out_of_their_own_browser(app, make_staff):
    """OWASP's device cookies: a browser that signed in before keeps its own allowance, so
    guessing from elsewhere locks out only the browsers the account has never been used in."""
    user_id = make_staff("clinician")
    email = email_of(app, user_id)
    own = app.test_client()  # the clinician's own browser, signed in yesterday
    assert sign_in(own, email).status_code == 302
    assert own.post("/staff/sign-out", data={"csrf_token": token_in(
        own.get("/review/").text)}).status_code == 302
    cookie = own.get_cookie("prep_device", path="/staff/")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"

    attacker = app.test_client()
    for i in range(MAX_FAILED_SIGN_INS + 2):
        assert sign_in(attacker, email, f"a guess at it, number {i}").status_code == 200
    assert sign_in(attacker, email).status_code == 200  # locked: even the right password
    assert is_locked(user_row(app, user_id))

    assert sign_in(own, email).status_code == 302  # the person's browser still gets in
    fresh = app.test_client()
    assert sign_in(fresh, email).status_code == 200  # an unknown browser stays locked out


def test_a_known_browser_has_its_own_limited_allowance(app, make_staff):
    user_id = make_staff("front_desk")
    email, other = email_of(app, user_id), email_of(app, make_staff("front_desk"))
    own = app.test_client()
    assert sign_in(own, email).status_code == 302
    own.post("/staff/sign-out", data={"csrf_token": token_in(own.get("/board/").text)})
    for i in range(MAX_FAILED_SIGN_INS):
        assert sign_in(own, email, f"mistyped password {i}").status_code == 200
    # Its allowance is used up: from now on it counts as an unknown browser, and the account
    # itself was not locked by those tries.
    assert not is_locked(user_row(app, user_id))
    for i in range(MAX_FAILED_SIGN_INS):
        sign_in(app.test_client(), email, f"a stranger's guess {i}")
    assert sign_in(own, email).status_code == 200
    # The cookie names one account: it earns nothing for another.
    for i in range(MAX_FAILED_SIGN_INS):
        sign_in(app.test_client(), other, f"a stranger's guess {i}")
    assert sign_in(own, other).status_code == 200


def test_a_forged_device_cookie_earns_nothing(app, make_staff):
    user_id = make_staff("front_desk")
    email = email_of(app, user_id)
    for i in range(MAX_FAILED_SIGN_INS):
        sign_in(app.test_client(), email, f"a stranger's guess {i}")
    forger = app.test_client()
    forger.set_cookie("prep_device", f'{{"u": {user_id}, "n": "abc"}}')
    assert sign_in(forger, email).status_code == 200


def test_sign_ins_and_failures_are_audited_without_the_email(app, client, make_staff):
    user_id = make_staff("clinician")
    email = email_of(app, user_id)
    sign_in(client, "stranger@elsewhere.test", "some password here")
    sign_in(client, email, "a wrong password here")
    sign_in(client, email)

    unknown, wrong = audit_rows(app, "sign_in.failed")
    assert (unknown.actor_type, unknown.actor_id, unknown.record_id) == ("system", None, None)
    assert unknown.detail == "unknown account"
    assert (wrong.actor_type, wrong.record_type, wrong.record_id) == ("system", "user", user_id)
    assert wrong.detail == "wrong password"
    [success] = audit_rows(app, "sign_in")
    assert (success.actor_type, success.actor_id, success.actor_role) == (
        "staff", user_id, "clinician")
    for row in (unknown, wrong, success):
        assert len(row.request_id) == 16
        assert "@" not in row.detail


def test_signing_in_needs_the_forms_csrf_token(app, client, make_staff):
    email = email_of(app, make_staff("front_desk"))
    response = client.post("/staff/sign-in", data={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert client.get("/board/").status_code == 302


def test_already_signed_in_person_is_sent_home_from_the_sign_in_page(login_as):
    c = login_as("clinician")
    response = c.get("/staff/sign-in")
    assert response.status_code == 302 and response.headers["Location"] == "/review/"


# --- where to go after signing in (next=) ------------------------------------------------


def test_a_page_asked_for_before_signing_in_is_shown_after(app, client, make_staff):
    email = email_of(app, make_staff("front_desk"))
    response = client.get("/board/?date=2026-12-03")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/staff/sign-in?next=")
    page = client.get(login_url)
    assert 'name="next" type="hidden" value="/board/?date=2026-12-03"' in page.text
    answer = sign_in(client, email, next="/board/?date%3D2026-12-03")
    assert answer.headers["Location"] == "/board/?date=2026-12-03"


EVIL_NEXT = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/board/", "http:evil.example", "javascript:alert(1)",
    "JAVASCRIPT:alert(1)", "data:text/html,hi", "%2F%2Fevil.example", "/%2F%2Fevil.example",
    "/%2fevil.example", "/%5Cevil.example", "/%255Cevil.example", "/%252F%252Fevil.example",
    "/\t/evil.example", "/\n/evil.example", " //evil.example", "/%09/evil.example",
    "\uff0f\uff0fevil.example", "/\u3033evil.example", "/board/\\..\\//evil.example",
    "https:/evil.example", "//evil.example/board/", "/.//evil.example", "@evil.example",
    "evil.example", "/staff/sign-in", "/staff/sign-in?next=//evil.example",
]


def is_on_site(location: str | None) -> bool:
    if location is None:
        return True
    resolved = urlsplit(urljoin("http://localhost/staff/sign-in", location))
    return (resolved.netloc == "localhost" and location.startswith("/")
            and not location.startswith("//") and "\\" not in location
            and all(0x20 < ord(ch) < 0x7F for ch in location))


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_next_never_leaves_the_site(app, target):
    with app.test_request_context():
        result = safe_next(target)
    assert result is None or is_on_site(result), result


def test_next_keeps_a_real_page_of_this_site(app):
    with app.test_request_context():
        assert safe_next("/admin/audit?person=3&page=2") == "/admin/audit?person=3&page=2"
        assert safe_next("/board/") == "/board/"
        assert safe_next("/no/such/page") is None
        assert safe_next("/staff/sign-out") is None  # POST only, and not a page to land on


NEXT_STRATEGY = st.one_of(
    st.text(max_size=60),
    st.sampled_from(EVIL_NEXT),
    st.builds(lambda a, b: a + b, st.sampled_from(EVIL_NEXT), st.text(max_size=20)),
    st.builds(lambda a, b: a + b, st.sampled_from(["/", "/board/", "/admin/", "/%", "/%2"]),
              st.text(max_size=30)),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(["", "/", "\\", "%2F", "%5C", "%25"]),
              st.sampled_from(["/", "\\", "%2F", "%5C", "%2f", "%5c", "\t", " "]),
              st.sampled_from(["evil.example", "@evil.example", "javascript:x"])),
)


@hypothesis_settings(FUZZ, max_examples=400)
@given(target=NEXT_STRATEGY)
def test_fuzzed_next_never_leaves_the_site(app, target):
    with app.test_request_context():
        assert is_on_site(safe_next(target))


@hypothesis_settings(FUZZ, max_examples=40)
@given(target=NEXT_STRATEGY)
def test_fuzzed_next_through_the_sign_in_form_never_redirects_off_site(app, make_staff, target):
    c = app.test_client()
    email = email_of(app, make_staff("front_desk"))
    page = c.get("/staff/sign-in").text
    token = token_in(page)
    response = c.post("/staff/sign-in", data={"csrf_token": token, "email": email,
                                              "password": STAFF_PASSWORD, "next": target})
    assert response.status_code == 302
    assert is_on_site(response.headers["Location"])
    again = c.get("/staff/sign-in", query_string={"next": target})  # signed in already
    assert again.status_code == 302 and is_on_site(again.headers["Location"])


# --- sessions ----------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax_and_holds_no_role_or_name(app, client,
                                                                              make_staff):
    user_id = make_staff("admin", email="robin.admin@clinic.test", name="Robin Admin")
    response = sign_in(client, "robin.admin@clinic.test")
    all_cookies = response.headers.getlist("Set-Cookie")
    cookies = [c for c in all_cookies if not c.startswith("prep_device=")]
    assert len(cookies) == 1, "one session cookie only: no remember-me cookie"
    assert cookies[0].startswith(f"{COOKIE}=")
    # The device cookie (a known browser, for the lockout) signs nobody in by itself.
    device = app.test_client()
    device.set_cookie("prep_device", client.get_cookie("prep_device", path="/staff/").value,
                      path="/staff/")
    assert device.get("/admin/").status_code == 302
    assert "robin" not in client.get_cookie("prep_device", path="/staff/").value.lower()
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert "Expires" not in cookies[0]  # gone when the browser closes
    data = session_of(app, client)
    assert data["_user_id"] == f"{user_id}:0"
    text = repr(data).lower()
    assert "admin" not in text and "robin" not in text and "clinic.test" not in text
    assert "remember" not in text


def test_session_cookie_is_secure_outside_development_and_testing(app, make_staff, monkeypatch,
                                                                  tmp_path):
    from prep_app import config

    monkeypatch.setenv("PREP_ENV", "production")
    assert config.from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("PREP_ENV", "development")
    assert config.from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False

    secure_app = create_app(base_config(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SESSION_COOKIE_SECURE=True))
    try:
        email = email_of(app, make_staff("front_desk"))
        c = secure_app.test_client()
        page = c.get("/staff/sign-in", base_url="https://localhost")
        token = token_in(page.text)
        response = c.post("/staff/sign-in", base_url="https://localhost",
                          headers={"Referer": "https://localhost/staff/sign-in"},
                          data={"csrf_token": token, "email": email, "password": STAFF_PASSWORD})
        assert response.status_code == 302
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        with secure_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_sign_out_is_a_post_with_csrf(login_as):
    c = login_as("front_desk")
    assert c.get("/staff/sign-out").status_code == 405
    assert c.post("/staff/sign-out").status_code == 400  # no CSRF token
    assert c.get("/board/").status_code == 200
    response = submit_to(c, "/board/", "/staff/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/sign-in"
    assert c.get("/board/").status_code == 302


def _copy_of(app, c):
    """A second browser holding a copy of ``c``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie_value(c))
    assert thief.get("/board/").status_code == 200
    return thief


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, login_as):
    c = login_as("front_desk")
    thief = _copy_of(app, c)
    submit_to(c, "/board/", "/staff/sign-out")
    response = thief.get("/board/")
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/staff/sign-in")
    assert user_row(app, c.user_id).session_epoch == 1
    [row] = audit_rows(app, "sign_out")
    assert (row.actor_type, row.actor_id) == ("staff", c.user_id)


def test_a_copied_cookie_is_refused_after_deactivation(app, login_as):
    c = login_as("clinician")
    thief = _copy_of(app, c)
    with app.app_context():
        accounts.deactivate(db.session.get(User, c.user_id))
        db.session.commit()
    assert thief.get("/review/").status_code == 302
    assert c.get("/review/").status_code == 302


def test_a_copied_cookie_is_refused_after_a_password_change(app, login_as):
    c = login_as("clinician")
    thief = _copy_of(app, c)
    with app.app_context():
        accounts.set_password(db.session.get(User, c.user_id), "an entirely new passphrase")
        db.session.commit()
    assert thief.get("/review/").status_code == 302


def test_a_cookie_with_a_tampered_id_or_epoch_is_refused(app, login_as):
    c = login_as("admin")
    for forged in (f"{c.user_id}:7", f"{c.user_id}", "x:y", f"{c.user_id + 99}:0"):
        with c.session_transaction() as session:
            session["_user_id"] = forged
        assert c.get("/admin/").status_code == 302


def test_idle_session_ends_after_the_clinics_idle_timeout(app, login_as):
    c = login_as("front_desk")
    shift_session(c, seen_at=14 * 60)
    assert c.get("/board/").status_code == 200  # and this counts as activity
    shift_session(c, seen_at=16 * 60)
    response = c.get("/board/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?expired=1")
    assert "Your session ended" in c.get(response.headers["Location"]).text
    assert c.get("/board/").status_code == 302  # signed out for good, not just once


def test_idle_timeout_follows_the_setting(app, login_as):
    with app.app_context():
        db.session.get(ClinicSettings, 1).idle_timeout_minutes = 30
        db.session.commit()
    c = login_as("front_desk")
    shift_session(c, seen_at=25 * 60)
    assert c.get("/board/").status_code == 200
    shift_session(c, seen_at=31 * 60)
    assert c.get("/board/").status_code == 302


def test_session_ends_after_the_absolute_limit_even_when_active(app, login_as):
    c = login_as("admin")
    shift_session(c, signed_in_at=11.9 * 3600)
    assert c.get("/admin/").status_code == 200
    shift_session(c, signed_in_at=12.1 * 3600, seen_at=1)
    assert c.get("/admin/").status_code == 302


def test_board_auto_refresh_is_not_activity(app, login_as):
    c = login_as("front_desk")
    shift_session(c, seen_at=10 * 60)
    before = session_of(app, c)["seen_at"]
    c.get("/board/", headers={"HX-Request": "true", "HX-Trigger-Name": "auto-refresh"})
    assert session_of(app, c)["seen_at"] == before


def test_staff_pages_carry_the_idle_warning_for_the_script(app, login_as):
    c = login_as("clinician")
    page = c.get("/review/").text
    box = re.search(r'<div id="session-timeout"[^>]*>', page).group(0)
    assert " hidden" in box  # without JavaScript nothing shows; the server still times out
    idle = int(re.search(r'data-idle-seconds="(\d+)"', box).group(1))
    assert 14 * 60 < idle <= 15 * 60
    assert 'data-warn-seconds="60"' in box
    assert "Stay signed in" in page
    assert re.search(r'<script src="/static/session-timeout\.js\?v=[0-9a-f]{12}" defer></script>',
                     page)
    assert "<script>" not in page
    with c.get("/static/session-timeout.js") as script:
        assert script.status_code == 200
        assert b'getElementById("session-timeout")' in script.data


def test_stay_signed_in_counts_as_activity(app, login_as):
    c = login_as("front_desk")
    shift_session(c, seen_at=14.5 * 60)
    response = submit_to(c, "/board/", "/staff/account/keep-alive",
                         {"next": "/board/?date=2026-12-03"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/board/?date=2026-12-03"
    assert time.time() - session_of(app, c)["seen_at"] < 60
    shift_session(c, seen_at=14.5 * 60)
    token = token_in(c.get("/board/").text)
    shift_session(c, seen_at=14.5 * 60)
    fetched = c.post("/staff/account/keep-alive", data={"csrf_token": token},
                     headers={"X-Requested-With": "fetch"})
    assert fetched.status_code == 204
    assert time.time() - session_of(app, c)["seen_at"] < 60


def test_stay_signed_in_cannot_revive_an_ended_session(app, login_as):
    c = login_as("front_desk")
    token = token_in(c.get("/board/").text)
    shift_session(c, seen_at=16 * 60)
    response = c.post("/staff/account/keep-alive", data={"csrf_token": token},
                      headers={"X-Requested-With": "fetch"})
    assert response.status_code == 302
    assert c.get("/board/").status_code == 302


# --- a person's own password -------------------------------------------------------------


def test_changing_your_password_keeps_this_session_and_ends_the_others(app, login_as):
    c = login_as("clinician")
    other_device = _copy_of(app, c)
    response = submit_to(c, "/staff/account/password", "/staff/account/password", {
        "current_password": STAFF_PASSWORD, "new_password": "quiet rooms and warm blankets",
        "confirm_password": "quiet rooms and warm blankets"})
    assert response.status_code == 302
    assert c.get("/review/").status_code == 200
    assert other_device.get("/review/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, c.email, STAFF_PASSWORD).status_code == 200
    assert sign_in(fresh, c.email, "quiet rooms and warm blankets").status_code == 302
    [row] = audit_rows(app, "staff.password_change")
    assert row.actor_id == c.user_id and row.record_id == c.user_id


@pytest.mark.parametrize("data, error", [
    ({"current_password": "not my password", "new_password": "quiet rooms and warm blankets",
      "confirm_password": "quiet rooms and warm blankets"}, "not your current password"),
    ({"current_password": STAFF_PASSWORD, "new_password": "password1234",
      "confirm_password": "password1234"}, "too easy to guess"),
    ({"current_password": STAFF_PASSWORD, "new_password": "quiet rooms and warm blankets",
      "confirm_password": "quiet rooms and warm blanket"}, "not the same"),
    ({"current_password": STAFF_PASSWORD, "new_password": STAFF_PASSWORD,
      "confirm_password": STAFF_PASSWORD}, "different from your current one"),
])
def test_password_change_explains_what_is_wrong_and_keeps_the_old_one(app, login_as, data,
                                                                      error):
    c = login_as("front_desk")
    before = user_row(app, c.user_id).password_hash
    response = submit_to(c, "/staff/account/password", "/staff/account/password", data)
    assert response.status_code == 200
    assert error in response.text
    assert user_row(app, c.user_id).password_hash == before


def test_guessing_the_current_password_locks_and_signs_out(app, login_as):
    c = login_as("front_desk")
    for i in range(MAX_FAILED_SIGN_INS):
        response = submit_to(c, "/staff/account/password", "/staff/account/password", {
            "current_password": f"guess number {i} here", "new_password": "x" * 20 + "yz",
            "confirm_password": "x" * 20 + "yz"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/sign-in"
    assert c.get("/board/").status_code == 302
    assert is_locked(user_row(app, c.user_id))


# --- bad input ---------------------------------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@FUZZ
@given(email=ANY_TEXT, password=ANY_TEXT, next_=ANY_TEXT)
def test_fuzzed_sign_in_form_never_fails(app, email, password, next_):
    c = app.test_client()
    token = token_in(c.get("/staff/sign-in").text)
    response = c.post("/staff/sign-in", data={"csrf_token": token, "email": email,
                                              "password": password, "next": next_})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert is_on_site(response.headers["Location"])


@FUZZ
@given(current=ANY_TEXT, new=ANY_TEXT, confirm=ANY_TEXT, same=st.booleans())
def test_fuzzed_password_change_form_never_fails(app, login_as, current, new, confirm, same):
    c = login_as("front_desk", c=app.test_client())
    response = submit_to(c, "/staff/account/password", "/staff/account/password", {
        "current_password": current, "new_password": new,
        "confirm_password": new if same else confirm})
    assert response.status_code in (200, 302), response.status_code


@FUZZ
@given(target=NEXT_STRATEGY)
def test_fuzzed_stay_signed_in_never_redirects_off_site(app, login_as, target):
    c = login_as("front_desk", c=app.test_client())
    response = submit_to(c, "/board/", "/staff/account/keep-alive", {"next": target})
    assert response.status_code == 302 and is_on_site(response.headers["Location"])
