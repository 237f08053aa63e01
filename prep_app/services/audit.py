"""The audit trail (HIPAA 164.312(b)): one row per view of answers, change, decision, export,
link and sign-in, added to the same transaction as the change it records."""

from __future__ import annotations

from flask import g, has_request_context

from ..extensions import db
from ..models import ApiToken, AuditEvent


def record(action: str, *, record_type: str = "", record_id: int | None = None,
           patient_id: int | None = None, detail: str = "", actor=None) -> AuditEvent:
    """Add an audit row for the current actor (a staff member, a patient link, or the system).

    ``detail`` is for staff-facing, non-clinical words only ("section ride saved"): never
    answers, names or phone numbers.
    """
    actor_type, actor_id, role = _actor(actor)
    event = AuditEvent(
        actor_type=actor_type, actor_id=actor_id, actor_role=role, action=action,
        record_type=record_type, record_id=record_id, patient_id=patient_id,
        request_id=g.get("request_id", "") if has_request_context() else "",
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
    if isinstance(actor, ApiToken):  # an integration reading the FHIR API
        return "api_token", actor.id, "integration"
    if actor is not None:
        return "staff", actor.id, str(actor.role)
    if has_request_context():
        from flask_login import current_user

        link = g.get("patient_link")
        if current_user and current_user.is_authenticated:
            return "staff", current_user.id, str(current_user.role)
        if link is not None:
            return "patient_link", link.id, "patient"
    return "system", None, ""
