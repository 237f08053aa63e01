"""What a patient does through the test client (plain forms, JavaScript off) and what is then
stored: shared by every test that needs a patient who opened their link or answered.

The same steps in a real browser are in tests/e2e/patient_steps.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from prep_app import default_checklist
from prep_app.extensions import db
from prep_app.models import Appointment
from prep_app.services import settings, submissions

SECTIONS = ["prepare", "bring", "ride", "dayof", "medicines", "health", "questions"]
SECTION_OF = {item["key"]: item["section"] for item in default_checklist.ITEMS}
DOB = "1990-01-31"  # the `book` fixture's default patient


# --- which day --------------------------------------------------------------------------------

def session_day(client) -> date:
    """The clinic-local day of the `book` fixture's default session (two days ahead, 14:00)."""
    with client.application.app_context():
        return settings.today() + timedelta(days=2)


def appointment_day(app, appointment_id: int) -> date:
    """The clinic-local day of the appointment's session, whenever it was booked."""
    with app.app_context():
        starts_at = db.session.get(Appointment, appointment_id).starts_at
        return settings.to_local(starts_at).date()


# --- what a patient types -------------------------------------------------------------------

def calm_answers_on(day: date, **changes: str) -> dict[str, dict[str, str]]:
    """Answers a well-prepared patient gives for a session on ``day``, section by section, with
    ``changes`` by item key (``medications="yes"``)."""
    typed = {
        "support_habits": "y", "intention": "Rest and listen",
        "headphones": "y", "clothes": "y", "photo_id": "y", "arrive_early": "y",
        "driver_name": "Charles Babbage", "driver_phone": "(435) 555-0142",
        "driver_relationship": "Friend", "driver_plan": "waits", "no_driving": "y",
        "last_solid_food": f"{day}T07:30", "last_clear_liquid": f"{day}T11:30",
        "alcohol_cannabis": "no", "medications": "no", "new_illness": "no",
        "pregnancy": "no", "blood_pressure": "no", "questions": "",
    }
    answers = {section: {} for section in SECTIONS}
    for key, value in typed.items():
        answers[SECTION_OF[key]][key] = value
    for key, value in changes.items():
        answers[SECTION_OF[key]][key] = value
    return answers


def calm_answers(client, **changes: str) -> dict[str, dict[str, str]]:
    """:func:`calm_answers_on` the day of the `book` fixture's default session."""
    return calm_answers_on(session_day(client), **changes)


def save(client, section: str, data: dict, action: str = "continue", back: bool = False):
    url = f"/checklist/step/{section}" + ("?back=review" if back else "")
    return client.submit(url, {**data, "action": action})


def walk(client, answers: dict[str, dict[str, str]]) -> None:
    """Save and continue through the sections given (every one, from calm_answers), in order,
    as a patient does."""
    for section, data in answers.items():
        response = save(client, section, data)
        assert response.status_code == 302, (section, response.text)


def submit(client, name: str = "Ada Lovelace"):
    return client.submit("/checklist/review", {"attested_name": name})


def open_link(client, token: str, dob: str = DOB):
    """A patient opens their link in a browser and confirms their date of birth."""
    assert client.get(f"/p/{token}").status_code == 302
    return client.submit("/checklist/verify", {"date_of_birth": dob})


def patient_browser(app, token: str, dob: str = DOB):
    """A patient's own browser (a new test client) that opened the link and passed the
    date-of-birth check."""
    client = app.test_client()
    response = open_link(client, token, dob)
    assert response.status_code == 302, response.text
    return client


# --- what is stored ---------------------------------------------------------------------------

def stored(client) -> SimpleNamespace:
    """The appointment's submission as the database holds it (plain values)."""
    with client.application.app_context():
        appointment = db.session.get(Appointment, client.appointment_id)
        sub = appointment.submission
        if sub is None:
            return SimpleNamespace(status=None, answers={}, revision=0, revisions=[],
                                   attested_name=None)
        return SimpleNamespace(
            status=sub.status, answers=submissions.answers_of(sub), revision=sub.revision,
            attested_name=sub.attested_name, answers_hash=sub.answers_hash,
            revisions=[SimpleNamespace(number=r.number, answers=dict(r.answers),
                                       answers_hash=r.answers_hash,
                                       attested_name=r.attested_name)
                       for r in sub.revisions])
