"""No clinical detail in any message: every message template (each purpose, each channel, each
language) is composed by the worker's own ``messages.compose`` for a patient with a distinctive
last name and date of birth, and the subject and body must carry neither, nor any clinical word.
The checker is itself tested on bad texts, so this cannot pass by checking nothing.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from prep_app import languages
from prep_app.extensions import db
from prep_app.models import (
    Appointment,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageRecipient,
    Patient,
)
from prep_app.services import appointments as appointment_service
from prep_app.services import messages, settings

TEMPLATES = Path(__file__).resolve().parent.parent / "prep_app" / "templates" / "messages"
FIRST, LAST = "Marisol", "Quintanilla"
BIRTH = date(1984, 7, 23)
# Words a message must never carry (English and Spanish): the kind of session, the drug,
# fasting and medicine advice.
CLINICAL = ("ketamin", "esketamin", "spravato", "infusion", "infusión", "dose", "dosis", "mg",
            "fast", "ayuno", "ayunas", "medic", "medicamento", "benzodiazep", "xanax",
            "clonazepam", "alcohol", "cannabis", "marijuana", "depress", "psychiatr",
            "psiquiatr", "therapy", "terapia", "treatment", "tratamiento", "diagnos", "pregnan",
            "embaraz")


def birth_forms(born: date) -> list[str]:
    """The ways a date of birth could be written in a message."""
    return [born.isoformat(), f"{born.month}/{born.day}/{born.year}",
            f"{born.day}/{born.month}/{born.year}", f"{born.month:02d}/{born.day:02d}/{born.year}",
            f"{born.day:02d}/{born.month:02d}/{born.year}", str(born.year)]


def phi_found(text: str) -> list[str]:
    """What in ``text`` a message must not say: the last name, the date of birth, a clinical
    word (whole word starts, so "fast" finds "fasting" but "breakfast" is not a word start)."""
    found = [LAST] if LAST.lower() in text.lower() else []
    found += [form for form in birth_forms(BIRTH) if form in text]
    found += [word for word in CLINICAL
              if re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE)]
    return found


def templates() -> list[tuple[MessagePurpose, MessageChannel]]:
    return [(purpose, channel) for purpose in MessagePurpose for channel in MessageChannel
            if (TEMPLATES / f"{purpose}_{channel}.txt").exists()]


def test_every_message_template_is_checked():
    """Each template file is some purpose's and channel's, so none escapes the check below."""
    names = {f"{purpose}_{channel}.txt" for purpose, channel in templates()}
    assert names == {path.name for path in TEMPLATES.glob("*.txt")}
    assert len(names) >= 5


@pytest.mark.parametrize("bad", [
    f"Hi {FIRST} {LAST}, see you Tuesday",
    "Born 7/23/1984: your visit",
    "Your ketamine visit is Tuesday",
    "Remember fasting from midnight",
    "Tu infusión es el martes",
    "Bring your medicine list",
])
def test_the_check_finds_what_a_message_must_not_say(bad):
    assert phi_found(bad)


def test_the_check_leaves_a_plain_message_alone():
    assert phi_found(f"{FIRST}: visit Tue 3 Dec 14:00 https://x.example/p/abc Call (435) "
                     "555-0100. Reply STOP to opt out. Breakfast is fine.") == []


@pytest.mark.parametrize("language", sorted(languages.NAMES))
@pytest.mark.parametrize("recipient", list(MessageRecipient))
def test_no_message_carries_a_last_name_a_date_of_birth_or_a_clinical_word(
        app, language, recipient):
    with app.app_context():
        place = settings.get().main_location
        place.address = "1200 Sunset Blvd, Cedar City, UT 84720"
        starts_at = appointment_service.local_to_utc(datetime(2026, 12, 3, 14, 0), place.zone)
        patient = Patient(full_name=f"{FIRST} {LAST}", name_key=f"{FIRST} {LAST}".lower(),
                          date_of_birth=BIRTH, language=language)
        appointment = Appointment(starts_at=starts_at, patient=patient, location=place)
        composed = []
        for purpose, channel in templates():
            message = Message(appointment=appointment, purpose=purpose, channel=channel,
                              recipient=recipient)
            subject, body = messages.compose(message, "https://prep.example.org/p/token")
            assert body.strip() and "https://prep.example.org/p/token" in body
            assert phi_found(subject + "\n" + body) == [], f"{purpose} {channel}: {body}"
            composed.append(body)
        db.session.rollback()
    assert len(composed) == len(templates())
