"""Requests no form of ours sends: a file part in a multipart body, an id too large for the
database. Each gets a calm 4xx page, never a 500 (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import io

import pytest

from .fixtures_staff import sign_in
from .patient_forms import DOB
from .test_access_matrix import csrf_of, routes

TOO_LARGE = 99999999999999999999  # past any integer column, SQLite's and PostgreSQL's


def a_file():
    return (io.BytesIO(b"%PDF-1.4 not a form field"), "notes.pdf", "application/pdf")


@pytest.fixture
def admin(app, make_staff):
    """An admin reaches every staff page, so every id in a staff address can be tried."""
    client = app.test_client()
    make_staff("admin", email="admin-hostile@clinic.test")
    assert sign_in(client, "admin-hostile@clinic.test").status_code == 302
    return client


def id_routes(app):
    return [(rule, method) for rule, method in routes(app)
            if any(name.endswith("_id") for name in rule.arguments)]


def test_every_address_with_an_id_has_routes_to_try(app):
    assert len(id_routes(app)) >= 10


def test_an_id_too_large_for_the_database_is_not_found(app, admin):
    token = csrf_of(admin)
    for rule, method in id_routes(app):
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(TOO_LARGE))
        assert str(TOO_LARGE) in url, url
        response = admin.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (url, method, response.status_code)
        assert "We could not find that page" in response.text


def test_a_file_in_the_sign_in_form_is_refused(client):
    page = client.get("/staff/sign-in").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/staff/sign-in", data={
        "csrf_token": token, "email": a_file(), "password": "a calm and careful clinic day"},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Please go back and try again." in response.text


def test_a_file_in_the_date_of_birth_form_is_refused(client, book):
    _, token = book()
    assert client.get(f"/p/{token}").status_code == 302
    hidden = client.hidden("/checklist/verify")
    response = client.post("/checklist/verify", data={**hidden, "date_of_birth": a_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    ok = client.post("/checklist/verify", data={**hidden, "date_of_birth": DOB})
    assert ok.status_code == 302  # a file part is not counted as a wrong date of birth


def test_a_file_part_anywhere_is_refused_on_every_form(app, admin, book):
    """Whatever its name: no page of ours takes an upload."""
    token = csrf_of(admin)
    posts = [rule for rule, method in routes(app) if method == "POST"]
    assert len(posts) >= 10
    for rule in posts:
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1").replace(f"<{name}>", "prepare")
        response = admin.post(url, data={"csrf_token": token, "attachment": a_file()},
                              content_type="multipart/form-data")
        assert response.status_code == 400, (url, response.status_code)
