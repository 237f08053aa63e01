"""Every endpoint, every kind of visitor: who gets in, who is sent to sign in, who is refused.

The table is checked against ``app.url_map``: a new route without an entry here fails
``test_every_endpoint_is_in_the_matrix``. Unsafe methods are sent with a valid CSRF token, so
the answer shows the role check and not the CSRF check.
"""

from __future__ import annotations

import re

import pytest

from prep_app.extensions import db
from prep_app.services import submissions

from .fixtures_staff import sign_in
from .patient_forms import calm_answers, open_link, submit, walk

VISITORS = ("anonymous", "patient", "front_desk", "clinician", "admin")

OPEN = dict.fromkeys(VISITORS, "ok")
PATIENT = {**dict.fromkeys(VISITORS, "no_link"), "patient": "ok"}
STAFF = {"anonymous": "sign_in", "patient": "sign_in", "front_desk": "ok", "clinician": "ok",
         "admin": "ok"}
CLINICAL = {**STAFF, "front_desk": "forbidden"}
ADMIN = {**CLINICAL, "clinician": "forbidden"}
DESK_AND_ADMIN = {**STAFF, "clinician": "forbidden"}
# An integration's API token, never a session: everyone here is refused (tests/test_fhir_api.py).
API_TOKEN = dict.fromkeys(VISITORS, "unauthorized")
SIGNED_BY_PROVIDER = dict.fromkeys(VISITORS, "forbidden")  # webhooks: only with a signature
# The driver's pages: only a driver's own link opens them (tests/test_driver.py), through the
# patients' door (patient.open_link); nobody else, patient or staff, gets in.
DRIVER = dict.fromkeys(VISITORS, "no_link")

MATRIX = {
    "static": OPEN,
    "main.index": OPEN,
    "main.health": OPEN,
    "main.stylesheet": OPEN,
    "main.favicon": OPEN,
    "main.manifest": OPEN,
    "auth.login": OPEN,
    "auth.logout": dict.fromkeys(VISITORS, "sign_in"),  # always ends on the sign-in page
    "auth.account.keep_alive": STAFF,
    "auth.account.password": STAFF,
    "patient.open_link": OPEN,  # the door itself: a live token lets anyone in
    "patient.verify": PATIENT,
    "patient.start": PATIENT,
    "patient.step": PATIENT,
    "patient.review": PATIENT,
    "patient.done": PATIENT,
    "patient.leave": PATIENT,
    "patient.language": OPEN,  # it only sets the language, so the link-problem page has it too
    "patient.morning": PATIENT,  # off by default: back to the overview (test_morning_check.py)
    "driver.ride": DRIVER,
    "driver.coming": DRIVER,
    "driver.not_coming": DRIVER,
    "frontdesk.board": STAFF,
    "frontdesk.board_print": STAFF,
    "frontdesk.new_appointment": STAFF,
    "frontdesk.outbox": STAFF,  # development and testing only: a 404 in production
    "frontdesk.appointment": STAFF,
    "frontdesk.answers": STAFF,
    "frontdesk.edit_contact": STAFF,
    "frontdesk.reschedule": STAFF,
    "frontdesk.cancel": STAFF,
    "frontdesk.desk_note": STAFF,
    "frontdesk.check_in": STAFF,
    "frontdesk.issue_link": STAFF,
    "frontdesk.revoke_link": STAFF,
    "frontdesk.send_link": STAFF,
    "frontdesk.resend_message": STAFF,
    "frontdesk.no_show": STAFF,
    "frontdesk.left": STAFF,
    "schedule.upload": DESK_AND_ADMIN,
    "schedule.confirm": DESK_AND_ADMIN,
    "schedule.template": DESK_AND_ADMIN,
    "clinician.queue": CLINICAL,
    "clinician.submission": CLINICAL,
    "clinician.export_pdf": CLINICAL,
    "clinician.export_fhir": CLINICAL,
    "clinician.export_day": CLINICAL,
    "admin.index": ADMIN,
    "admin.staff_list": ADMIN,
    "admin.staff_add": ADMIN,
    "admin.staff_detail": ADMIN,
    "admin.staff_role": ADMIN,
    "admin.staff_deactivate": ADMIN,
    "admin.staff_reactivate": ADMIN,
    "admin.staff_password": ADMIN,
    "admin.clinic_settings": ADMIN,
    "admin.locations_list": ADMIN,
    "admin.location_add": ADMIN,
    "admin.location_edit": ADMIN,
    "admin.import_mappings": ADMIN,
    "admin.import_mapping": ADMIN,
    "admin.import_mapping_delete": ADMIN,
    "admin.tokens": ADMIN,
    "admin.token_revoke": ADMIN,
    "fhir.questionnaire_responses": API_TOKEN,
    "fhir.questionnaires": API_TOKEN,
    "fhir.questionnaire": API_TOKEN,
    "admin.audit_log": ADMIN,
    "admin.audit_export": ADMIN,
    "hooks.twilio_status": SIGNED_BY_PROVIDER,
    "hooks.twilio_inbound": SIGNED_BY_PROVIDER,
}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule, _ in routes(app)}
    assert endpoints - MATRIX.keys() == set(), "add these endpoints to the access matrix"
    assert MATRIX.keys() - endpoints == set(), "these endpoints no longer exist"


def outcome(response) -> str:
    response.get_data()  # read a streamed answer (the CSV export) to its end
    response.close()
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/staff/sign-in" in location:
        return "sign_in"
    if response.status_code == 401:
        return "unauthorized"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404 and "This link is not working" in response.text:
        return "no_link"
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code == 404:
        return "not_found"
    return "ok"


@pytest.fixture
def world(app, client, book, make_staff):
    """A submitted checklist for one appointment, another member of staff, and a link."""
    appointment_id, token = book()
    open_link(client, token)
    walk(client, calm_answers(client))
    assert submit(client).status_code == 302
    other_staff = make_staff("front_desk")
    return {"appointment_id": appointment_id, "token": token, "user_id": other_staff,
            "section": "prepare", "filename": "app.css", "mapping_id": 1, "token_id": 1,
            "message_id": 1, "resource": "session-prep-1", "location_id": 1}


def visitor(kind: str, app, book, make_staff, world):
    client = app.test_client()
    if kind == "patient":
        _, token = book(name="Grace Hopper", days=3)
        open_link(client, token, dob="1990-01-31")
    elif kind != "anonymous":
        user_id = make_staff(kind, email=f"{kind}-matrix@clinic.test")
        response = sign_in(client, f"{kind}-matrix@clinic.test")
        assert response.status_code == 302, response.text
        client.user_id = user_id
    return client


def csrf_of(client) -> str:
    """The CSRF token of this visitor's session (every page carries it in a meta tag)."""
    html = client.get("/", follow_redirects=True).text
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def url_of(rule, world) -> str:
    values = {name: world[name] for name in rule.arguments}
    with_values = rule.rule
    for name, value in values.items():
        with_values = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), with_values)
    return with_values


@pytest.mark.parametrize("kind", VISITORS)
def test_each_visitor_gets_what_the_matrix_says(app, book, make_staff, world, kind):
    client = visitor(kind, app, book, make_staff, world)
    token = csrf_of(client)
    seen = {}
    for rule, method in routes(app):
        if rule.endpoint in VISIT_CHANGERS:
            continue  # they start or end a visit: checked on their own below
        url = url_of(rule, world)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
        seen[(rule.endpoint, method)] = outcome(response)
        expected = MATRIX[rule.endpoint][kind]
        if expected == "ok" and seen[(rule.endpoint, method)] == "not_found":
            seen[(rule.endpoint, method)] = "ok"  # let in, nothing there for this visitor
    wrong = {key: got for key, got in seen.items() if got != MATRIX[key[0]][kind]}
    assert wrong == {}, f"{kind}: {wrong}"


VISIT_CHANGERS = ("auth.logout", "patient.leave", "patient.open_link")


@pytest.mark.parametrize("kind", VISITORS)
@pytest.mark.parametrize("endpoint", VISIT_CHANGERS)
def test_opening_a_link_leaving_and_signing_out_follow_the_matrix(app, book, make_staff, world,
                                                                  kind, endpoint):
    client = visitor(kind, app, book, make_staff, world)
    if endpoint == "patient.open_link":
        response = client.get(f"/p/{world['token']}")
        assert response.headers["Location"].endswith("/checklist/")
    else:
        url = {"auth.logout": "/staff/sign-out", "patient.leave": "/checklist/leave"}[endpoint]
        response = client.post(url, data={"csrf_token": csrf_of(client)})
    assert outcome(response) == MATRIX[endpoint][kind]


def test_a_patient_link_reaches_its_own_appointment_only(app, client, book):
    """The patient's session is bound to one appointment: nothing in a form or the address
    reaches another (staff pages need a staff sign-in)."""
    first_id, first_token = book(name="Ada Lovelace")
    second_id, _ = book(name="Grace Hopper", days=3)
    open_link(client, first_token)
    assert client.get(f"/board/a/{second_id}").status_code == 302
    assert client.get(f"/review/{second_id}").status_code == 302
    walk(client, calm_answers(client))
    with app.app_context():
        from prep_app.models import Appointment

        second = db.session.get(Appointment, second_id)
        first = db.session.get(Appointment, first_id)
        assert second.submission is None
        assert submissions.answers_of(first.submission)["driver_name"] == "Charles Babbage"
