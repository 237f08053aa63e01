"""What a stranger can reach is rate limited, per client and overall: signing in, opening a
link and the date-of-birth check. A burst gets the calm 429 page with Retry-After.

The rest of the suite runs with the limits off (``RATE_LIMITING`` in tests/conftest.py); these
tests turn them on, with small limits so a burst is a few requests.
"""

from __future__ import annotations

import secrets

import pytest

from prep_app.extensions import db
from prep_app.models import PatientLink

from .fixtures_staff import STAFF_PASSWORD, sign_in


@pytest.fixture
def limited(make_app):
    def _make(**limits):
        return make_app(RATE_LIMITING=True, **limits)

    return _make


def from_address(client, address: str):
    """A client whose requests come from ``address`` (as a proxy would report it)."""
    client.environ_base["REMOTE_ADDR"] = address
    return client


def assert_calm_429(response):
    assert response.status_code == 429
    assert "Too many tries" in response.text
    assert "Reference:" in response.text and "Traceback" not in response.text
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_a_burst_of_sign_ins_from_one_client_gets_429_with_retry_after(limited, make_staff):
    app = limited(SIGN_IN_RATE_LIMIT="3/minute")
    make_staff("front_desk", email="desk@clinic.test")
    client = from_address(app.test_client(), "203.0.113.7")
    for _ in range(3):
        assert sign_in(client, "desk@clinic.test", "not the password at all").status_code == 200
    assert_calm_429(sign_in(client, "desk@clinic.test", STAFF_PASSWORD))
    # Showing the sign-in page is not an attempt; another client still signs in.
    assert client.get("/staff/sign-in").status_code == 200
    other = from_address(app.test_client(), "198.51.100.20")
    assert sign_in(other, "desk@clinic.test").status_code == 302


def test_sign_ins_are_limited_overall_whatever_the_address(limited, make_staff):
    app = limited(SIGN_IN_RATE_LIMIT="100/minute", OVERALL_RATE_LIMIT="4/minute")
    make_staff("front_desk", email="desk@clinic.test")
    answers = [sign_in(from_address(app.test_client(), f"198.51.100.{n}"), "desk@clinic.test",
                       "a wrong guess of a password").status_code for n in range(1, 6)]
    assert answers == [200, 200, 200, 200, 429]


def test_guessing_link_tokens_gets_429_and_no_token_reaches_the_log(limited, book, caplog):
    caplog.set_level("DEBUG")
    app = limited(PATIENT_RATE_LIMIT="5/minute")
    _, token = book()
    client = from_address(app.test_client(), "203.0.113.9")
    guesses = [secrets.token_urlsafe(32) for _ in range(6)]
    answers = [client.get(f"/p/{guess}").status_code for guess in guesses[:5]]
    assert answers == [404] * 5
    assert_calm_429(client.get(f"/p/{guesses[5]}"))
    assert_calm_429(client.get(f"/p/{token}"))  # even a real one, until the minute is over
    assert from_address(app.test_client(), "192.0.2.1").get(f"/p/{token}").status_code == 302
    for guess in [*guesses, token]:
        assert guess not in caplog.text


def test_link_opening_is_limited_overall(limited, book):
    app = limited(PATIENT_RATE_LIMIT="100/minute", OVERALL_RATE_LIMIT="3/minute")
    answers = [from_address(app.test_client(), f"192.0.2.{n}").get(
        f"/p/{secrets.token_urlsafe(32)}").status_code for n in range(1, 5)]
    assert answers == [404, 404, 404, 429]


def test_a_burst_of_dates_of_birth_gets_429_before_it_is_counted(limited, book):
    app = limited(PATIENT_RATE_LIMIT="4/minute")
    _, token = book()
    client = from_address(app.test_client(), "203.0.113.11")
    assert client.get(f"/p/{token}").status_code == 302  # one of the four
    hidden = client.hidden("/checklist/verify")
    answers = [client.post("/checklist/verify", data={**hidden, "date_of_birth": day}).status_code
               for day in ("1990-01-01", "1990-01-02", "1990-01-03")]
    assert answers == [422, 422, 422]
    assert_calm_429(client.post("/checklist/verify",
                                data={**hidden, "date_of_birth": "1990-01-04"}))
    with app.app_context():
        assert db.session.scalar(db.select(PatientLink.failed_dob_attempts)) == 3
    # Reading the page is not a guess.
    assert client.get("/checklist/verify").status_code == 200


def test_the_limits_storage_is_a_setting(limited):
    app = limited()
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
