"""The clinic admin area: staff accounts, clinic settings and the audit log."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from prep_app.extensions import db
from prep_app.models import AuditEvent, ClinicSettings, Patient, Role, User
from prep_app.services import audit, settings
from prep_app.services.sign_in import MAX_FAILED_SIGN_INS, register_failure

from .fixtures_staff import STAFF_PASSWORD, sign_in, submit_to, token_in

FUZZ = hypothesis_settings(max_examples=40, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)

GOOD_SETTINGS = {
    "name": "Cedar City Ketamine Clinic", "country": "US", "arrive_early_minutes": "15",
    "link_grace_hours": "24", "is_dob_check_on": "y",
    "idle_timeout_minutes": "15", "morning_check_hour": "7",
}

ADMIN_PAGES = ["/admin/", "/admin/staff", "/admin/staff/1", "/admin/settings",
               "/admin/locations", "/admin/locations/1", "/admin/audit"]
ADMIN_POSTS = ["/admin/staff", "/admin/staff/1/role", "/admin/staff/1/deactivate",
               "/admin/staff/1/reactivate", "/admin/staff/1/password", "/admin/settings",
               "/admin/locations", "/admin/locations/1", "/admin/audit", "/admin/audit/export"]


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                        .order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found


def person(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def shown_password(response) -> str:
    return re.search(r'<output class="secret" id="temporary-password">([^<]+)</output>',
                     response.text).group(1)


# --- who may come in ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_only_admins_reach_the_admin_area(app, login_as, make_staff, role):
    make_staff("admin")
    c = login_as(role)
    token = token_in(c.get("/board/").text)
    for url in ADMIN_PAGES:
        assert c.get(url).status_code == 403, url
    for url in ADMIN_POSTS:
        assert c.post(url, data={"csrf_token": token, "role": "admin"}).status_code == 403, url
    assert person(app, c.user_id).role == Role(role)
    assert not rows(app, "staff.role_change") and not rows(app, "settings.update")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/sign-in?next=")


def test_admin_nav_shows_admin_link_to_admins_only(login_as, app):
    assert 'href="/admin/"' in login_as("admin").get("/board/").text
    other = login_as("clinician", c=app.test_client())
    assert 'href="/admin/"' not in other.get("/board/").text


# --- staff accounts ----------------------------------------------------------------------


def test_admin_adds_a_person_who_can_sign_in_with_the_password_shown_once(app, admin):
    response = submit_to(admin, "/admin/staff", "/admin/staff", {
        "name": "Jo Rivera", "email": "Jo.Rivera@Clinic.test", "role": "clinician"})
    assert response.status_code == 200
    password = shown_password(response)
    assert len(password) >= 12
    assert password not in str(response.headers)  # not in a cookie (flash) or an address
    new = app.test_client()
    assert sign_in(new, "jo.rivera@clinic.test", password).headers["Location"] == "/review/"
    [row] = rows(app, "staff.create")
    assert (row.actor_type, row.actor_id, row.actor_role) == ("staff", admin.user_id, "admin")
    assert password not in row.detail
    listing = admin.get("/admin/staff").text
    assert "Jo Rivera" in listing and "jo.rivera@clinic.test" in listing
    assert password not in listing


@pytest.mark.parametrize("data, message", [
    ({"name": "", "email": "a@clinic.test", "role": "clinician"}, "Enter the person"),
    ({"name": "A", "email": "nope", "role": "clinician"}, "does not look right"),
    # What a loose pattern let through and email-validator refuses:
    ({"name": "A", "email": "jo..rivera@clinic.org", "role": "clinician"}, "does not look right"),
    ({"name": "A", "email": "jo@clinic_west.org", "role": "clinician"}, "does not look right"),
    ({"name": "A", "email": ".jo@clinic.org", "role": "clinician"}, "does not look right"),
    ({"name": "A", "email": "jo@-clinic.org", "role": "clinician"}, "does not look right"),
    ({"name": "A", "email": "a@clinic.test", "role": "surgeon"}, "Not a valid choice"),
    ({"name": "A" * 121, "email": "a@clinic.test", "role": "clinician"}, "120"),
])
def test_adding_with_bad_input_explains_and_writes_nothing(app, admin, data, message):
    before = user_count(app)
    response = submit_to(admin, "/admin/staff", "/admin/staff", data)
    assert response.status_code == 422
    assert message in response.text
    assert user_count(app) == before
    assert not rows(app, "staff.create")


def test_adding_an_email_already_used_is_refused(app, admin, make_staff):
    make_staff("front_desk", email="taken@clinic.test")
    before = user_count(app)
    response = submit_to(admin, "/admin/staff", "/admin/staff", {
        "name": "Someone", "email": "TAKEN@clinic.test", "role": "admin"})
    assert response.status_code == 422
    assert "already an account with that email" in response.text
    assert user_count(app) == before


def test_admin_changes_a_role(app, admin, make_staff):
    user_id = make_staff("front_desk")
    page = f"/admin/staff/{user_id}"
    response = submit_to(admin, page, f"{page}/role", {"role": "clinician"})
    assert response.status_code == 302
    assert person(app, user_id).role == Role.CLINICIAN
    [row] = rows(app, "staff.role_change")
    assert (row.actor_id, row.record_id, row.detail) == (
        admin.user_id, user_id, "front_desk to clinician")
    assert "Role changed to Clinician" in admin.get(page).text


def test_admin_cannot_change_their_own_role_or_deactivate_themselves(app, admin):
    page = f"/admin/staff/{admin.user_id}"
    assert "This is your own account" in admin.get(page).text
    token = token_in(admin.get(page).text)
    admin.post(f"{page}/role", data={"csrf_token": token, "role": "front_desk"})
    admin.post(f"{page}/deactivate", data={"csrf_token": token})
    me = person(app, admin.user_id)
    assert (me.role, me.is_active_account) == (Role.ADMIN, True)
    assert "Ask another admin" in admin.get(page).text
    assert not rows(app, "staff.deactivate")


def test_deactivating_ends_the_persons_sessions_and_sign_in(app, admin, login_as):
    colleague = login_as("front_desk", c=app.test_client())
    page = f"/admin/staff/{colleague.user_id}"
    response = submit_to(admin, page, f"{page}/deactivate")
    assert response.status_code == 302
    assert colleague.get("/board/").status_code == 302
    assert sign_in(app.test_client(), colleague.email).status_code == 200
    [row] = rows(app, "staff.deactivate")
    assert (row.actor_id, row.record_id) == (admin.user_id, colleague.user_id)
    assert "Deactivated" in admin.get("/admin/staff").text

    submit_to(admin, page, f"{page}/reactivate")
    assert sign_in(app.test_client(), colleague.email).status_code == 302
    assert len(rows(app, "staff.reactivate")) == 1


def test_resetting_a_password_gives_a_new_one_unlocks_and_ends_sessions(app, admin, login_as):
    colleague = login_as("clinician", c=app.test_client())
    with app.app_context():
        user = db.session.get(User, colleague.user_id)
        for _ in range(MAX_FAILED_SIGN_INS):
            register_failure(user)
        db.session.commit()
    page = f"/admin/staff/{colleague.user_id}"
    assert "Paused after wrong passwords" in admin.get(page).text
    response = submit_to(admin, page, f"{page}/password")
    password = shown_password(response)
    assert colleague.get("/review/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, colleague.email, STAFF_PASSWORD).status_code == 200
    assert sign_in(fresh, colleague.email, password).status_code == 302
    [row] = rows(app, "staff.password_reset")
    assert (row.actor_id, row.record_id) == (admin.user_id, colleague.user_id)


def test_unknown_staff_member_is_not_found(admin):
    assert admin.get("/admin/staff/999").status_code == 404


# --- clinic settings ---------------------------------------------------------------------


def saved(app) -> ClinicSettings:
    with app.app_context():
        row = db.session.get(ClinicSettings, 1)
        db.session.expunge(row)
        return row


def test_admin_saves_the_clinic_settings(app, admin):
    response = submit_to(admin, "/admin/settings", "/admin/settings", {
        **GOOD_SETTINGS, "name": "Harbor Light Clinic", "country": "GB",
        "arrive_early_minutes": "10", "link_grace_hours": "48", "is_dob_check_on": "",
        "idle_timeout_minutes": "20"})
    assert response.status_code == 302, response.text
    row = saved(app)
    assert (row.name, row.country) == ("Harbor Light Clinic", "GB")
    assert (row.arrive_early_minutes, row.link_grace_hours, row.is_dob_check_on,
            row.idle_timeout_minutes) == (10, 48, False, 20)
    [audit_row] = rows(app, "settings.update")
    assert audit_row.actor_id == admin.user_id
    assert "country" in audit_row.detail and "idle_timeout_minutes" in audit_row.detail
    page = admin.get("/admin/settings").text
    assert "Settings saved." in page
    assert 'data-idle-seconds="1199"' in page or 'data-idle-seconds="1200"' in page


@pytest.mark.parametrize("changes, field, message", [
    ({"country": "XX"}, "country", "Not a valid choice"),
    ({"idle_timeout_minutes": "600"}, "idle_timeout_minutes", "from 5 to 60"),
    ({"link_grace_hours": "six"}, "link_grace_hours", "whole number"),
    ({"name": "  \x00 "}, "name", "Enter the clinic"),
])
def test_bad_settings_are_explained_next_to_the_field_and_nothing_is_saved(app, admin, changes,
                                                                         field, message):
    before = saved(app)
    response = submit_to(admin, "/admin/settings", "/admin/settings",
                         {**GOOD_SETTINGS, **changes})
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.text)
    assert error and message in error.group(1), response.text
    after = saved(app)
    assert (after.version, after.name, after.country) == (
        before.version, before.name, before.country)
    assert not rows(app, "settings.update")


def test_a_stale_settings_save_shows_a_conflict_and_keeps_what_was_typed(app, admin, login_as):
    other_admin = login_as("admin", c=app.test_client())
    stale_page = admin.get("/admin/settings").text
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"',
                        stale_page).group(1)
    submit_to(other_admin, "/admin/settings", "/admin/settings",
              {**GOOD_SETTINGS, "link_grace_hours": "8"})

    token = token_in(stale_page)
    mine = {**GOOD_SETTINGS, "name": "My Typed Clinic Name", "arrive_early_minutes": "30"}
    response = admin.post("/admin/settings",
                          data={**mine, "csrf_token": token, "version": version})
    assert response.status_code == 409
    assert "Someone else saved these settings" in response.text
    assert 'value="My Typed Clinic Name"' in response.text
    assert 'value="30"' in response.text
    assert re.search(r"<th scope=\"row\">Patient links keep[^<]*</th><td>8</td><td>24</td>",
                     response.text)
    row = saved(app)
    assert (row.name, row.link_grace_hours, row.arrive_early_minutes) == (
        "Cedar City Ketamine Clinic", 8, 15)

    # Saving the conflict page again is a deliberate choice: it goes through.
    new_version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"',
                            response.text).group(1)
    again = admin.post("/admin/settings",
                       data={**mine, "csrf_token": token, "version": new_version})
    assert again.status_code == 302
    row = saved(app)
    assert (row.name, row.link_grace_hours, row.arrive_early_minutes) == (
        "My Typed Clinic Name", 24, 30)


def test_a_tampered_version_is_a_conflict_not_an_overwrite(app, admin):
    response = submit_to(admin, "/admin/settings", "/admin/settings",
                         {**GOOD_SETTINGS, "name": "Tampered", "version": "abc"})
    assert response.status_code == 409
    assert saved(app).name == "Cedar City Ketamine Clinic"


# --- the audit log -----------------------------------------------------------------------


@pytest.fixture
def history(app, make_staff):
    """Some audit rows: two staff, two patients, over three days."""
    ana = make_staff("front_desk", name="Ana Front")
    ben = make_staff("clinician", name="Ben Clinician")
    with app.test_request_context():
        ada = Patient(full_name="Ada Lovelace", name_key="ada lovelace",
                      date_of_birth=date(1990, 1, 31))
        alan = Patient(full_name="Alan Turing", name_key="alan turing",
                       date_of_birth=date(1992, 6, 23))
        db.session.add_all([ada, alan])
        db.session.flush()
        zone = settings.zone()
        day = datetime(2026, 3, 10, 12, 0, tzinfo=zone)
        for offset, actor_id, patient, action in [
                (0, ana, ada, "appointment.create"), (0, ben, ada, "submission.view"),
                (1, ana, alan, "appointment.create"), (2, ben, alan, "review.decide")]:
            actor = db.session.get(User, actor_id)
            event = audit.record(action, record_type="appointment", record_id=patient.id,
                                 patient_id=patient.id, actor=actor)
            event.at = (day + timedelta(days=offset)).astimezone(UTC)
        db.session.commit()
        return {"ana": ana, "ben": ben, "ada": ada.id, "alan": alan.id}


def listed_actions(response) -> list[str]:
    return re.findall(r"<td><code>([a-z_.]+)</code></td>", response.text)


def test_audit_log_filters_by_person(history, admin):
    response = admin.get(f"/admin/audit?person={history['ben']}")
    assert response.status_code == 200
    assert listed_actions(response) == ["review.decide", "submission.view"]
    assert "Ben Clinician" in response.text


def test_audit_log_filters_by_patient_number(history, admin):
    response = admin.get(f"/admin/audit?patient={history['alan']}")
    assert listed_actions(response) == ["review.decide", "appointment.create"]
    assert "Events for Alan Turing" in response.text


def test_audit_log_filters_by_clinic_dates(history, admin):
    response = admin.get("/admin/audit?date_from=2026-03-11&date_to=2026-03-11")
    assert listed_actions(response) == ["appointment.create"]
    both = admin.get("/admin/audit?date_from=2026-03-10&date_to=2026-03-11"
                     f"&person={history['ana']}")
    assert listed_actions(both) == ["appointment.create", "appointment.create"]


def test_audit_log_finds_a_patient_by_name_without_putting_it_in_an_address(history, admin):
    response = submit_to(admin, "/admin/audit", "/admin/audit", {"name": "  TURING "})
    assert response.status_code == 200
    link = f'href="/admin/audit?patient={history["alan"]}"'
    assert link in response.text and "Alan Turing" in response.text
    assert "Ada Lovelace</a>, born" not in response.text
    for url in re.findall(r'(?:href|action)="([^"]*)"', response.text):
        assert "turing" not in url.lower() and "lovelace" not in url.lower()
    assert "No patient has a name like that" in submit_to(
        admin, "/admin/audit", "/admin/audit", {"name": "Nobody"}).text


def test_audit_log_is_paginated(app, admin):
    with app.test_request_context():
        for i in range(60):
            audit.record("test.event", detail=f"event {i}")
        db.session.commit()
    first = admin.get("/admin/audit")
    assert len(listed_actions(first)) == 50
    assert 'href="/admin/audit?page=2"' in first.text
    second = admin.get("/admin/audit?page=2")
    total = len(listed_actions(second))
    assert total >= 10 and "event 0<" in second.text and "event 59<" not in second.text
    assert 'href="/admin/audit?page=1"' in second.text


def test_audit_log_export_is_a_csv_and_is_itself_audited(history, admin, app):
    response = submit_to(admin, f"/admin/audit?patient={history['ada']}",
                         f"/admin/audit/export?patient={history['ada']}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in table] == ["submission.view", "appointment.create"]
    assert {r["patient_id"] for r in table} == {str(history["ada"])}
    assert table[1]["actor_name"] == "Ana Front"
    assert table[1]["at_clinic_time"].startswith("2026-03-10T12:00")
    [row] = rows(app, "audit.export")
    assert row.actor_id == admin.user_id and row.patient_id == history["ada"]
    assert row.detail == f"CSV, 2 rows; filters: patient={history['ada']}"
    assert "Ada" not in row.detail


def test_export_defuses_spreadsheet_formulas(app, admin):
    with app.test_request_context():
        audit.record("test.event", detail="=HYPERLINK(\"http://evil.example\")")
        db.session.commit()
    response = submit_to(admin, "/admin/audit", "/admin/audit/export")
    details = [r["detail"] for r in csv.DictReader(io.StringIO(response.text))]
    assert "'=HYPERLINK(\"http://evil.example\")" in details


def test_export_of_many_rows_streams_them_all(app, admin):
    with app.test_request_context():
        for i in range(2100):
            audit.record("test.event", detail=f"event {i}")
        db.session.commit()
    response = submit_to(admin, "/admin/audit", "/admin/audit/export")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len({r["id"] for r in table}) == len(table) > 2100


@pytest.mark.parametrize("query", [
    "person=abc", "person=99999999999999", "patient=x1", "date_from=2026-13-01",
    "date_from=2026-03-12&date_to=2026-03-10", "date_to=0001-01-01", "page=-3",
])
def test_bad_audit_filters_are_explained_not_an_error(admin, query):
    response = admin.get(f"/admin/audit?{query}")
    assert response.status_code in (200, 422)
    if "page" not in query:
        assert "Please check these answers" in response.text


# --- bad input: every admin form ---------------------------------------------------------


@FUZZ
@given(name=ANY_TEXT, email=ANY_TEXT, role=ANY_TEXT)
def test_fuzzed_add_staff_form_never_fails(app, admin, name, email, role):
    response = submit_to(admin, "/admin/staff", "/admin/staff",
                         {"name": name, "email": email, "role": role})
    assert response.status_code in (200, 422)


@FUZZ
@given(role=ANY_TEXT)
def test_fuzzed_role_form_never_fails(app, admin, make_staff, role):
    user_id = make_staff("front_desk")
    page = f"/admin/staff/{user_id}"
    assert submit_to(admin, page, f"{page}/role", {"role": role}).status_code in (302, 422)


@FUZZ
@given(values=st.fixed_dictionaries({key: ANY_TEXT for key in GOOD_SETTINGS}),
       keep=st.sets(st.sampled_from(sorted(GOOD_SETTINGS))),
       version=st.one_of(st.none(), ANY_TEXT))
def test_fuzzed_settings_form_never_fails(app, admin, values, keep, version):
    data = {key: GOOD_SETTINGS[key] if key in keep else value for key, value in values.items()}
    if version is not None:
        data["version"] = version
    response = submit_to(admin, "/admin/settings", "/admin/settings", data)
    assert response.status_code in (302, 409, 422)


GOOD_LOCATION = {"name": "Moab", "address": "12 Main St\nMoab, UT 84532",
                 "phone": "(435) 555-0177", "timezone": "America/Denver",
                 "solid_fast_hours": "6", "clear_fast_hours": "2"}


@FUZZ
@given(values=st.fixed_dictionaries({key: ANY_TEXT for key in GOOD_LOCATION}),
       keep=st.sets(st.sampled_from(sorted(GOOD_LOCATION))),
       version=st.one_of(st.none(), ANY_TEXT), new=st.booleans())
def test_fuzzed_location_forms_never_fail(app, admin, values, keep, version, new):
    data = {key: GOOD_LOCATION[key] if key in keep else value for key, value in values.items()}
    if version is not None:
        data["version"] = version
    url = "/admin/locations" if new else "/admin/locations/1"
    response = submit_to(admin, url, url, data)
    assert response.status_code in (302, 409, 422)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["person", "patient", "date_from", "date_to",
                                                "page", "other"]), ANY_TEXT))
def test_fuzzed_audit_filters_never_fail(app, admin, params):
    assert admin.get("/admin/audit", query_string=params).status_code in (200, 422)
    response = submit_to(admin, "/admin/audit", "/admin/audit/export", query_string=params)
    assert response.status_code in (200, 302)


@FUZZ
@given(name=ANY_TEXT)
def test_fuzzed_patient_search_never_fails(app, admin, name):
    response = submit_to(admin, "/admin/audit", "/admin/audit", {"name": name})
    assert response.status_code in (200, 422)


@FUZZ
@given(action=st.sampled_from(["deactivate", "reactivate", "password"]),
       junk=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3))
def test_fuzzed_account_buttons_never_fail(app, admin, make_staff, action, junk):
    user_id = make_staff("clinician")
    page = f"/admin/staff/{user_id}"
    html = admin.get(page).text
    token = token_in(html)
    response = admin.post(f"{page}/{action}", data={**junk, "csrf_token": token})
    assert response.status_code in (200, 302)


def test_a_change_is_not_kept_when_its_audit_row_cannot_be_written(app, admin, make_staff,
                                                                  monkeypatch):
    user_id = make_staff("front_desk")
    page = f"/admin/staff/{user_id}"
    token = token_in(admin.get(page).text)

    def broken(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(audit, "record", broken)
    response = admin.post(f"{page}/role", data={"csrf_token": token, "role": "admin"})
    assert response.status_code == 500
    assert person(app, user_id).role == Role.FRONT_DESK


# --- valid HTML (the Nu Html Checker's findings) ------------------------------------------


def test_a_required_role_list_starts_with_an_empty_choice(admin, make_staff):
    # A required <select> must start with a placeholder: else "required" can never fail.
    for url in ("/admin/staff", f"/admin/staff/{make_staff('front_desk')}"):
        html = admin.get(url).text
        selects = re.findall(r"<select[^>]*\brequired\b[^>]*>\s*<option([^>]*)>", html)
        assert selects, url
        assert all('value=""' in first for first in selects), (url, selects)
    response = submit_to(admin, "/admin/staff", "/admin/staff",
                         {"name": "Rosalind Franklin", "email": "rf@example.org", "role": ""})
    assert response.status_code == 422 and "Choose a role." in response.text


def test_audit_times_are_valid_html_dates(app, admin):
    html = admin.get("/admin/audit").text
    stamps = re.findall(r'<time datetime="([^"]+)"', html)
    assert stamps
    # HTML allows at most three digits after the seconds; Python's isoformat() gives six.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", s) for s in stamps), stamps
