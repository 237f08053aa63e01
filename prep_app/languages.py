"""The patient's language: which one a page, a text or an email is written in.

Patient pages and messages come in English or Spanish; staff pages stay in English. A patient
picks a language with the link on every patient page: it is kept in the browser's session and on
the patient's record (``patients.language``, which the desk or the schedule import also sets).
Without a choice, the record's language, then the browser's ``Accept-Language``. The driver's
page (their text comes in the patient's language) follows the patient's record too.
"""

from __future__ import annotations

import re

from flask import g, has_request_context, request, session

DEFAULT = "en"
# Each language the patient pages are written in, by its own name (what the switch shows).
NAMES = {"en": "English", "es": "Español"}
SESSION_KEY = "patient_language"
# The patient's part of the site: its pages and the error pages met inside it, and the front
# page (where a patient without their link lands).
PATIENT_PATHS = ("/checklist", "/p/")
# Where the language switch may lead back to: the front page or a page of the checklist (never
# /p/<token>: the token is a secret, and never another site).
BACK_TO = re.compile(r"/|/checklist/[a-z0-9_/-]*")


def back_path(path: str | None) -> str | None:
    """``path`` if the language switch may lead back to it, else None."""
    return path if path and BACK_TO.fullmatch(path) else None


def supported(code: str | None) -> str | None:
    """The language a code like "es", "es-MX" or "ES_us" names, if the pages have it."""
    language = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return language if language in NAMES else None


def of_patient(patient) -> str:
    """The language a patient's texts and emails are written in."""
    return supported(patient.language if patient is not None else None) or DEFAULT


def is_patient_request() -> bool:
    return (request.blueprint == "patient" or request.endpoint == "main.index"
            or request.path.startswith(PATIENT_PATHS))


def select_locale() -> str:
    """Flask-Babel's locale selector: the patient's language on patient pages (and the
    driver's), else English."""
    if not has_request_context():
        return DEFAULT
    if request.blueprint == "driver":
        link = g.get("driver_link")
        chosen = supported(link.appointment.patient.language) if link is not None else None
    elif is_patient_request():
        appointment = g.get("appointment")
        chosen = (supported(session.get(SESSION_KEY))
                  or supported(appointment.patient.language if appointment is not None
                               else None))
    else:
        return DEFAULT
    return chosen or request.accept_languages.best_match(list(NAMES), DEFAULT)
