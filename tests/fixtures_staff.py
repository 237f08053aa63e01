"""Staff fixtures: ``login_as(role)`` signs a test client in as a member of staff.

(Placeholder until staff sign-in exists: it writes the session directly. The staff sign-in
work replaces it with a real sign-in through the form.)"""

from __future__ import annotations

import time

import pytest

from prep_app.extensions import db
from prep_app.models import Role, User


@pytest.fixture
def make_staff(app):
    def _make(role: str = "front_desk", email: str | None = None, name: str | None = None):
        with app.app_context():
            user = User(email=email or f"{role}-{time.monotonic_ns()}@clinic.test",
                        name=name or role.replace("_", " ").title(), role=Role(role),
                        password_hash="!")
            db.session.add(user)
            db.session.commit()
            return user.id

    return _make


@pytest.fixture
def login_as(client, make_staff, app):
    def _login(role: str = "front_desk", c=None):
        c = c or client
        user_id = make_staff(role)
        with c.session_transaction() as session:
            session["_user_id"] = f"{user_id}:0"
            session["_fresh"] = True
            session["seen_at"] = session["signed_in_at"] = time.time()
        c.user_id = user_id
        return c

    return _login
