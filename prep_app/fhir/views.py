"""The read-only FHIR R4 API for the EHR: ``GET /fhir/QuestionnaireResponse?date=YYYY-MM-DD``
(a day's submitted checklists), and the Questionnaire they answer: ``GET /fhir/Questionnaire?
url=<canonical>[&version=N]`` or ``GET /fhir/Questionnaire/<id>``.

An integration sends the API token a clinic admin made for it (``Authorization: Bearer ...``);
no staff session or cookie counts here, and nothing is changed but the token's last use and the
audit row that every use writes. Without a live token: 401. Answers are FHIR JSON, errors too
(an OperationOutcome). Rate limited per client address and overall (``API_RATE_LIMIT``).
"""

from __future__ import annotations

import json
import re
from datetime import date

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from .. import limits
from ..database import writes_on_get
from ..models import utcnow
from ..services import api_tokens, audit, exports

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

FHIR_JSON = "application/fhir+json"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _fhir(resource: dict, status: int = 200, headers=None) -> Response:
    return Response(json.dumps(resource, indent=2, ensure_ascii=False), status=status,
                    mimetype=FHIR_JSON, headers=headers)


def _outcome(status: int, code: str, words: str, headers=None) -> Response:
    return _fhir({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": words}]}, status, headers)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """An error here is FHIR too (a 429 keeps its Retry-After)."""
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    code = {404: "not-found", 405: "not-supported", 429: "throttled"}.get(error.code, "invalid")
    return _outcome(error.code or 400, code, error.description or error.name, headers)


def _day(raw: str) -> date | None:
    if not DAY.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _bearer() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _token():
    """The live API token of this call, or None."""
    return api_tokens.authenticate(_bearer(), now=utcnow())


def _unauthorized() -> Response:
    return _outcome(401, "login", "A valid API token is needed: send it as "
                                  "'Authorization: Bearer <token>'.",
                    [("WWW-Authenticate", 'Bearer realm="prep_app FHIR API"')])


def _self_url() -> str:
    query = request.query_string.decode("ascii", "replace")
    return f"{exports.fhir_base()}/{request.path.removeprefix(bp.url_prefix + '/')}" + (
        f"?{query}" if query else "")


@bp.get("/QuestionnaireResponse")
@limits.api
@writes_on_get
def questionnaire_responses():
    token = _token()
    if token is None:
        return _unauthorized()
    day = _day(request.args.get("date", ""))
    if day is None:
        audit.record("export.fhir_api", record_type="api_token", record_id=token.id,
                     detail="refused: no date=YYYY-MM-DD", actor=token)
        return _outcome(400, "invalid", "Give the clinic day as date=YYYY-MM-DD.")
    records = exports.submitted_on(day)
    bundle = exports.searchset([exports.questionnaire_response(r) for r in records],
                               f"{exports.fhir_base()}/QuestionnaireResponse?"
                               f"date={day.isoformat()}")
    audit.record_view("export.fhir_api", [record.appointment.id for record in records],
                      context=f"QuestionnaireResponse date={day.isoformat()}", actor=token)
    return _fhir(bundle)


@bp.get("/Questionnaire")
@limits.api
@writes_on_get
def questionnaires():
    """The checklist versions a canonical URL names: ``?url=...[&version=N]`` (what a client
    does with a response's ``questionnaire``)."""
    token = _token()
    if token is None:
        return _unauthorized()
    versions = exports.versions_by_canonical(request.args.get("url", ""),
                                             request.args.get("version") or None)
    audit.record("export.fhir_api", record_type="checklist", detail=(
        f"Questionnaire search: versions {', '.join(str(v.number) for v in versions)}"
        if versions else "Questionnaire search: none"), actor=token)
    return _fhir(exports.searchset([exports.questionnaire(v) for v in versions], _self_url()))


@bp.get("/Questionnaire/<resource>")
@limits.api
@writes_on_get
def questionnaire(resource: str):
    """One checklist version's Questionnaire by its id (``<checklist key>-<number>``)."""
    token = _token()
    if token is None:
        return _unauthorized()
    version = exports.version_by_id(resource)
    if version is None:
        return _outcome(404, "not-found", "There is no Questionnaire with that id.")
    audit.record("export.fhir_api", record_type="checklist_version", record_id=version.id,
                 detail="Questionnaire read", actor=token)
    return _fhir(exports.questionnaire(version))
