"""Staff fixtures.

``make_staff(role, email, name)`` adds an account (password ``STAFF_PASSWORD``) and returns its id.
``login_as(role, c=None)`` makes an account and signs ``c`` (default: the ``client`` fixture) in
through the real sign-in form, as a person would; the client gets ``.user_id`` and ``.email``.
"""

from __future__ import annotations

import itertools
import re

import pytest

from prep_app.extensions import db
from prep_app.models import Role, User
from prep_app.services import accounts, passwords

from .browserlike import forms_of

STAFF_PASSWORD = "a calm and careful clinic day"
_numbers = itertools.count(1)


def sign_in(c, email: str, password: str = STAFF_PASSWORD, next: str | None = None):
    """Post the sign-in form the way a browser does (its CSRF token and hidden fields)."""
    page = "/staff/sign-in" + (f"?next={next}" if next is not None else "")
    return c.submit("/staff/sign-in", {"email": email, "password": password}, page=page)


def token_in(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def submit_to(c, page: str, action: str, data: dict | None = None, **kwargs):
    """GET ``page``, take the hidden fields of its form that posts to ``action`` (staff pages
    have other forms too: sign out, stay signed in), add ``data`` and post it."""
    html = c.get(page).get_data(as_text=True)
    found = [f for f in forms_of(html) if f["action"] == action]
    assert found, f"no form posting to {action} on {page}"
    return c.post(action, data={**found[0]["hidden"], **(data or {})}, **kwargs)


@pytest.fixture
def make_staff(app):
    def _make(role: str = "front_desk", email: str | None = None, name: str | None = None,
              password: str = STAFF_PASSWORD, is_active: bool = True) -> int:
        email = accounts.normalise_email(email or f"{role}-{next(_numbers)}@clinic.test")
        with app.app_context():
            user = User(email=email,
                        name=name or role.replace("_", " ").title(), role=Role(role),
                        password_hash=passwords.hash_password(password),
                        is_active_account=is_active, failed_sign_ins=0, session_epoch=0)
            db.session.add(user)
            db.session.commit()
            return user.id

    return _make


@pytest.fixture
def login_as(client, make_staff, app):
    def _login(role: str = "front_desk", c=None):
        c = c or client
        user_id = make_staff(role)
        with app.app_context():
            email = db.session.get(User, user_id).email
        with c.session_transaction() as session:
            if "_user_id" in session:  # signed in already: start again as the new person
                session.clear()
        response = sign_in(c, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        c.user_id, c.email = user_id, email
        return c

    return _login
