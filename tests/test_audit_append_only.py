"""The audit log is append-only: the app has no path to change it, and the database refuses."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from prep_app.extensions import db
from prep_app.models import AuditEvent, AuditLogIsAppendOnly
from prep_app.services import audit


@pytest.fixture
def one_event(app_ctx):
    event = audit.record("test.event", detail="kept")
    db.session.commit()
    return event.id


def test_the_app_refuses_to_change_or_delete_an_audit_row(one_event):
    event = db.session.get(AuditEvent, one_event)
    event.detail = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, one_event))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET detail = 'rewritten'",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_raw_sql_that_changes_the_audit_log(one_event, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.get(AuditEvent, one_event).detail == "kept"
