"""A patient's answers saved and submitted through the services, without the pages: for tests
about what comes after (readiness, the timeline, the command line)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from prep_app.extensions import db
from prep_app.models import Appointment, utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import locations, settings, submissions


def ready_answers(starts_at: datetime, **changes) -> dict[str, str]:
    """A complete, quiet set of answers for a session (fasting kept, on the clinic's clock)."""
    local = settings.to_local(starts_at).replace(tzinfo=None)
    return {
        "support_habits": "yes", "headphones": "yes", "clothes": "yes", "photo_id": "yes",
        "arrive_early": "yes", "driver_name": "Charles Babbage",
        "driver_phone": "+14355550123", "driver_relationship": "friend",
        "driver_plan": "waits", "no_driving": "yes",
        "last_solid_food": f"{local - timedelta(hours=7):%Y-%m-%dT%H:%M}",
        "last_clear_liquid": f"{local - timedelta(hours=3):%Y-%m-%dT%H:%M}",
        "alcohol_cannabis": "no", "medications": "no", "new_illness": "no", "pregnancy": "no",
        "blood_pressure": "no", **changes,
    }


def save_answers(appointment: Appointment, answers: dict[str, str]):
    submission = submissions.get_or_start(appointment)
    for section in {item.section for item in submission.checklist_version.items}:
        submissions.save_section(submission, section, answers, None)
    return submission


def submit_ready(app, appointment_id: int, **changes) -> date:
    """The patient answers everything and submits. Returns the session's clinic-local day."""
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        submission = save_answers(appointment, ready_answers(appointment.starts_at, **changes))
        submissions.submit(submission, appointment.patient.full_name,
                           secrets.token_urlsafe(24), None)
        db.session.commit()
        return settings.to_local(appointment.starts_at).date()


def book_now(app, name="Walk In Wendy", dob=date(1960, 2, 2)) -> int:
    """An appointment starting right now (the booking form refuses past times, arrivals are not)."""
    with app.test_request_context():
        patient, _ = appointment_service.find_or_create_patient(name, dob)
        appointment = Appointment(patient=patient, starts_at=utcnow(),
                                  location=locations.for_booking())
        db.session.add(appointment)
        db.session.commit()
        return appointment.id
