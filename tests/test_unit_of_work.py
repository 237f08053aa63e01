"""One unit of work per request: the request commits once, after the view returned; any error
rolls everything back; one handler answers input that cannot be used.

What a failing commit does to a person (nothing stored, nothing announced, nobody signed in) is
in ``test_faults.py``; real races between requests are in ``test_races.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import func, select

import prep_app
from prep_app.extensions import db
from prep_app.models import AuditEvent
from prep_app.services import audit
from prep_app.services.errors import InputError

PACKAGE = Path(prep_app.__file__).parent
# The unit of work of a request, and of a command (the CLI calls its commit and rollback).
# The message worker (no request) still ends its own transactions around each send: moving it
# onto one helper is left to its owner.
ENDS_TRANSACTIONS = {"database.py", "messages.py"}


def test_only_the_unit_of_work_commits_or_rolls_back():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ENDS_TRANSACTIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback")
                    and ast.unparse(node.func.value).endswith("session")):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def audit_rows(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == action))


def test_a_view_that_returns_is_committed_and_one_that_raises_is_rolled_back(make_app):
    app = make_app()

    def writes():
        audit.record("test.kept")
        return "kept"

    def writes_then_refuses():
        audit.record("test.dropped")
        raise InputError("That day is full. Please choose another.", field="day")

    app.add_url_rule("/test/kept", "test_kept", writes, methods=["POST"])
    app.add_url_rule("/test/refused", "test_refused", writes_then_refuses, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()

    assert client.post("/test/kept").status_code == 200
    refused = client.post("/test/refused")

    assert audit_rows(app, "test.kept") == 1
    assert audit_rows(app, "test.dropped") == 0
    # No page was named for it: the error page, with the service's words and its status.
    assert refused.status_code == 422
    assert "That day is full. Please choose another." in refused.text
    assert "Traceback" not in refused.text
