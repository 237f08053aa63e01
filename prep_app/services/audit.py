"""The audit trail (HIPAA 164.312(b)): one row per view of answers, change, decision, export,
link and sign-in, added to the same transaction as the change it records.

The actor is passed in: a member of staff (a ``User``), a patient by their link (a
``PatientLink``), a driver by theirs (a ``DriverLink``), an integration (an ``ApiToken``), or
None for the system (a command, the job worker). The web request a unit of work belongs to is
named once, by the request layer, with :func:`set_request_id`; rows written outside a request
carry none.
"""

from __future__ import annotations

from ..extensions import db
from ..models import ApiToken, AuditEvent, DriverLink, PatientLink

_REQUEST_ID = "audit_request_id"


def set_request_id(request_id: str | None) -> None:
    """Name the request whose rows this unit of work writes (None: no request any more)."""
    if request_id is None:
        db.session.info.pop(_REQUEST_ID, None)
    else:
        db.session.info[_REQUEST_ID] = request_id


def record(action: str, *, record_type: str = "", record_id: int | None = None,
           patient_id: int | None = None, detail: str = "", actor=None) -> AuditEvent:
    """Add an audit row for ``actor`` (a staff member, a patient link, a token, or the system).

    ``detail`` is for staff-facing, non-clinical words only ("section ride saved"): never
    answers, names or phone numbers.
    """
    actor_type, actor_id, role = _actor(actor)
    event = AuditEvent(
        actor_type=actor_type, actor_id=actor_id, actor_role=role, action=action,
        record_type=record_type, record_id=record_id, patient_id=patient_id,
        request_id=db.session.info.get(_REQUEST_ID, ""),
        detail=detail[:DETAIL_LENGTH],
    )
    db.session.add(event)
    return event


DETAIL_LENGTH = 300


def record_view(action: str, appointment_ids, context: str = "", actor=None) -> None:
    """Who looked at a page listing appointments (drivers, phones, flags) and which ones: one
    row, its detail "<context>: appointments 3, 7-12" (ids only, never names). A list too long
    for one row's detail goes on in further rows."""
    lead = f"{context}: " if context else ""
    parts = _ranges(sorted(set(appointment_ids)))
    if not parts:
        record(action, record_type="appointment", detail=lead + "no appointments", actor=actor)
        return
    rows, current = [], []
    for part in parts:
        if current and len(lead + "appointments " + ", ".join([*current, part])) > DETAIL_LENGTH:
            rows.append(current)
            current = []
        current.append(part)
    for chunk in [*rows, current]:
        record(action, record_type="appointment", detail=lead + "appointments " + ", ".join(chunk),
               actor=actor)


def _ranges(ids: list[int]) -> list[str]:
    """[3, 7, 8, 9] -> ["3", "7-9"]."""
    parts: list[str] = []
    start = previous = None
    for number in [*ids, None]:
        if start is not None and (number is None or number != previous + 1):
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if number is not None:
            start = number if start is None else start
            previous = number
    return parts


def _actor(actor) -> tuple[str, int | None, str]:
    if actor is None:
        return "system", None, ""
    if isinstance(actor, ApiToken):  # an integration reading the FHIR API
        return "api_token", actor.id, "integration"
    if isinstance(actor, PatientLink):
        return "patient_link", actor.id, "patient"
    if isinstance(actor, DriverLink):
        return "driver_link", actor.id, "driver"
    return "staff", actor.id, str(actor.role)
