"""What every database-outage test checks: a calm 503, and what is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from prep_app.extensions import db
from prep_app.models import Answer, AuditEvent, Submission

SECTION = "/checklist/step/prepare"
ANSWERS = {"support_habits": "y", "intention": "Feel calm and rested", "action": "continue"}


def assert_calm_503(response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    text = response.text
    assert "briefly unavailable" in text and "try again" in text.lower()
    assert "Reference: " + response.headers["X-Request-Id"] in text
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite", "postgres"):
        assert leak not in text
    assert "no-store" in response.headers["Cache-Control"]


def counts(app) -> dict[str, int]:
    with app.app_context():
        counted = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                   for model in (Submission, Answer, AuditEvent)}
        db.session.remove()
        return counted


def stored_answers(app, appointment_id: int) -> dict[str, str]:
    with app.app_context():
        submission = db.session.scalar(
            select(Submission).where(Submission.appointment_id == appointment_id))
        values = {a.item.key: a.value for a in submission.answers} if submission else {}
        db.session.remove()
        return values
