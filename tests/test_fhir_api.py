"""The read-only FHIR API, as the EHR's interface engine uses it: a clinic admin makes a token
(shown once, stored hashed), the engine reads a day's QuestionnaireResponses as a FHIR R4
searchset Bundle with it, every use is audited, and a revoked or missing token gets a 401.
"""

from __future__ import annotations

import re
import secrets

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import ApiToken, Appointment, AuditEvent
from prep_app.services import links, settings, submissions

from .fixtures_staff import submit_to
from .test_exports import exported, schema_errors
from .test_exports import submitted as submitted  # the fixture

TOKENS = "/admin/api-tokens"


def make_token(admin, name: str = "Epic interface engine") -> str:
    response = submit_to(admin, TOKENS, TOKENS, {"name": name})
    assert response.status_code == 200, response.text
    return re.search(r'<output class="secret" id="api-token">([^<]+)</output>',
                     response.text).group(1)


def the_day(app, appointment_id: int) -> str:
    with app.app_context():
        return settings.to_local(db.session.get(Appointment, appointment_id).starts_at
                                 ).date().isoformat()


def read(app, token: str | None, day: str, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return app.test_client().get(f"/fhir/QuestionnaireResponse?date={day}", headers=headers)


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).filter_by(action=action)
                                        .order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found


def test_the_ehr_reads_the_days_responses_as_a_valid_searchset_bundle(app, login_as, submitted,
                                                                      book):
    book(name="Grace Hopper", days=2, hour=16)  # the same day, nothing submitted: not listed
    token = make_token(login_as("admin"))
    day = the_day(app, submitted)
    response = read(app, token, day)
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    bundle = response.get_json()
    assert schema_errors(bundle) == []
    assert (bundle["type"], bundle["total"]) == ("searchset", 1)
    (entry,) = bundle["entry"]
    _, direct, _, _ = exported(app, submitted)
    assert entry["resource"] == direct  # the same resource the chart export writes
    assert entry["search"] == {"mode": "match"}
    assert entry["fullUrl"].endswith(f"/fhir/QuestionnaireResponse/{direct['id']}")
    assert schema_errors({**bundle, "type": "search-set"}) != []  # the check can fail
    (use,) = audit_rows(app, "export.fhir_api")
    with app.app_context():
        api_token = db.session.scalar(select(ApiToken))
        assert api_token.last_used_at is not None
    assert (use.actor_type, use.actor_id, use.actor_role) == ("api_token", api_token.id,
                                                              "integration")
    assert use.detail == f"QuestionnaireResponse date={day}: appointments {submitted}"


def test_another_day_gives_an_empty_bundle_and_is_audited_too(app, login_as, submitted):
    token = make_token(login_as("admin"))
    response = read(app, token, "2031-01-01")
    assert response.status_code == 200
    bundle = response.get_json()
    assert (bundle["total"], bundle["entry"]) == (0, [])
    assert schema_errors(bundle) == []
    (use,) = audit_rows(app, "export.fhir_api")
    assert use.detail == "QuestionnaireResponse date=2031-01-01: no appointments"


def test_the_token_is_shown_once_and_stored_only_as_a_hash(app, login_as):
    admin = login_as("admin")
    token = make_token(admin, "Osmind")
    assert token.startswith("prep_") and len(token) >= 40
    page = admin.get(TOKENS).text
    assert "Osmind" in page and token not in page
    with app.app_context():
        (stored,) = db.session.scalars(select(ApiToken)).all()
        assert stored.token_hash == links.hash_token(token)
        assert (stored.name, stored.created_by_id) == ("Osmind", admin.user_id)
    (made,) = audit_rows(app, "api_token.create")
    assert made.actor_id == admin.user_id and token not in made.detail


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Basic cHJlcDpwcmVw", "Bearer prep_not-a-real-token",
    "Bearer " + "x" * 5000, "Bearer prep_\x00",
])
def test_without_a_live_token_the_api_says_401_and_shows_nothing(app, submitted, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = app.test_client().get(
        f"/fhir/QuestionnaireResponse?date={the_day(app, submitted)}", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome" and schema_errors(outcome) == []
    assert "Ada" not in response.text
    assert audit_rows(app, "export.fhir_api") == []


def test_a_staff_session_is_not_a_token(app, login_as, submitted):
    clinician = login_as("clinician")
    assert clinician.get(f"/review/{submitted}/questionnaire-response.json").status_code == 200
    response = clinician.get(f"/fhir/QuestionnaireResponse?date={the_day(app, submitted)}")
    assert response.status_code == 401


def test_a_revoked_token_stops_working_and_its_tries_are_audited(app, login_as, submitted):
    admin = login_as("admin")
    token = make_token(admin)
    day = the_day(app, submitted)
    assert read(app, token, day).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    page = f"{TOKENS}/{token_id}/revoke"
    assert submit_to(admin, TOKENS, page).status_code == 302
    assert "Token Epic interface engine revoked" in admin.get(TOKENS).text
    refused = read(app, token, day)
    assert refused.status_code == 401 and "Ada" not in refused.text
    (revoked,) = audit_rows(app, "api_token.revoke")
    assert revoked.actor_id == admin.user_id
    (tried,) = audit_rows(app, "api_token.refused")
    assert (tried.actor_type, tried.actor_id) == ("api_token", token_id)
    assert len(audit_rows(app, "export.fhir_api")) == 1  # the use before the revocation
    other = make_token(admin, "Another system")  # the other tokens keep working
    assert read(app, other, day).status_code == 200


@pytest.mark.parametrize("day", ["", "tomorrow", "2026-13-01", "20261203", "2026-12-03T10:00",
                                 "2026-02-30", "\x00"])
def test_a_bad_date_is_a_clear_fhir_error(app, login_as, day):
    token = make_token(login_as("admin"))
    response = read(app, token, day)
    assert response.status_code == 400
    assert "date=YYYY-MM-DD" in response.get_json()["issue"][0]["diagnostics"]
    (use,) = audit_rows(app, "export.fhir_api")
    assert use.detail == "refused: no date=YYYY-MM-DD"


def test_the_api_is_read_only(app, login_as):
    token = make_token(login_as("admin"))
    response = app.test_client().post("/fhir/QuestionnaireResponse",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405


def test_a_burst_of_calls_gets_a_fhir_429_with_retry_after(make_app, make_staff):
    app = make_app(RATE_LIMITING=True, API_RATE_LIMIT="3/minute")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/fhir/QuestionnaireResponse?date=2031-01-01").status_code == 401
    response = client.get("/fhir/QuestionnaireResponse?date=2031-01-01")
    assert response.status_code == 429
    assert response.get_json()["issue"][0]["code"] == "throttled"
    assert 0 < int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_token_needs_a_name(app, login_as, name):
    admin = login_as("admin")
    response = submit_to(admin, TOKENS, TOKENS, {"name": name})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_only_admins_make_and_revoke_tokens(app, client, login_as):
    login_as("clinician")
    assert client.get(TOKENS).status_code == 403
    login_as("admin")
    assert 'href="/admin/api-tokens"' in client.get("/admin/").text


def get(app, token: str | None, path: str, **params):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return app.test_client().get(path, query_string=params, headers=headers)


def test_the_ehr_resolves_each_responses_questionnaire(app, login_as, submitted):
    token = make_token(login_as("admin"))
    bundle = read(app, token, the_day(app, submitted)).get_json()
    canonical = bundle["entry"][0]["resource"]["questionnaire"]  # url|version
    url, version = canonical.split("|")
    questionnaire, _, _, _ = exported(app, submitted)
    for params in ({"url": canonical}, {"url": url, "version": version}):
        found = get(app, token, "/fhir/Questionnaire", **params)
        assert found.status_code == 200, found.text
        result = found.get_json()
        assert schema_errors(result) == []
        assert [e["resource"] for e in result["entry"]] == [questionnaire]
    every = get(app, token, "/fhir/Questionnaire", url=url).get_json()
    assert every["total"] == 1  # one version published so far
    by_id = get(app, token, f"/fhir/Questionnaire/{questionnaire['id']}")
    assert by_id.status_code == 200 and by_id.get_json() == questionnaire
    assert len(audit_rows(app, "export.fhir_api")) == 5  # the response search and four reads


@pytest.mark.parametrize("params", [{}, {"url": "http://elsewhere.example/fhir/Questionnaire/x"},
                                    {"url": "x", "version": "1"},
                                    {"url": "http://127.0.0.1:5000/fhir/Questionnaire/",
                                     "version": "99999999999"}])
def test_a_questionnaire_search_that_names_nothing_is_an_empty_bundle(app, login_as, params):
    token = make_token(login_as("admin"))
    response = get(app, token, "/fhir/Questionnaire", **params)
    assert response.status_code == 200
    assert response.get_json()["total"] == 0 and schema_errors(response.get_json()) == []


@pytest.mark.parametrize("resource_id", ["nothing", "session-prep-9", "session-prep-x", "-1",
                                         "a" * 300])
def test_an_unknown_questionnaire_is_a_fhir_404(app, login_as, resource_id):
    token = make_token(login_as("admin"))
    response = get(app, token, f"/fhir/Questionnaire/{resource_id}")
    assert response.status_code == 404
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_the_questionnaire_needs_a_token_too(app, submitted):
    for url in ("/fhir/Questionnaire", "/fhir/Questionnaire/session-prep-1"):
        assert get(app, None, url).status_code == 401
        assert get(app, "prep_wrong", url).status_code == 401


def test_a_busy_day_costs_the_same_queries_as_a_quiet_one(app, login_as, book):
    """The budget: 12 statements for a day's Bundle (token, settings, the day, the latest
    revisions, the decisions, the checklist, the audit row ...), whatever the number of
    sessions."""
    from .saved_answers import ready_answers, save_answers
    from .test_board import QueryCounter

    token = make_token(login_as("admin"))
    counts = {}
    for n in range(6):
        appointment_id, _ = book(name=f"Pat Number{n}", hour=9 + n)
        with app.test_request_context(method="POST"):
            appointment = db.session.get(Appointment, appointment_id)
            submission = save_answers(appointment, ready_answers(appointment.starts_at))
            submissions.submit(submission, "Pat", secrets.token_urlsafe(24), None)
            db.session.commit()
        day = the_day(app, appointment_id)
        with QueryCounter(app) as counter:
            response = read(app, token, day)
        assert response.get_json()["total"] == n + 1
        counts[n + 1] = len(counter.queries)
    assert counts[1] == counts[6] <= 12, counts


FUZZ = hypothesis_settings(max_examples=30, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["name", "other"]), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)))
def test_no_token_form_gives_a_500(app, client, login_as, fields):
    if not hasattr(client, "user_id"):
        login_as("admin")
    response = submit_to(client, TOKENS, TOKENS, fields)
    assert response.status_code in (200, 422), response.status_code
    if response.status_code == 200:  # made: the token works
        secret = re.search(r'id="api-token">([^<]+)<', response.text).group(1)
        assert read(app, secret, "2031-01-01").status_code == 200
