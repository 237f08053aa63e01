"""Every text fits in one SMS: 160 characters of the GSM-7 alphabet (one character outside it
and the whole text is sent as UCS-2, 70 characters a part). Each text template is rendered with
long but realistic values: the longest sender name the setting allows, a long public address with
a real text token, the longest weekday-day-month-time, a phone number with its country code.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from jinja2 import StrictUndefined

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
from prep_app.services import links, messages, settings

TEMPLATES = Path(__file__).resolve().parent.parent / "prep_app" / "templates" / "messages"
SMS_LIMIT = 160
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # two septets each

# A value for every name a text template uses; a template using a name not here fails (add a
# long realistic value for it).
LONG = {
    "sender": "Red Rock Family Health Clinics",  # 30: all MESSAGE_SENDER_NAME keeps
    "url": "https://prep.cedarcityclinic.org/p/" + secrets.token_urlsafe(links.TEXT_TOKEN_BYTES),
    "short_when": "Wed 30 Sep 10:45",  # the longest in Spanish: "mié 30 sept 10:45"
    "short_day": "Wed 30 Sep",  # the driver's text
    "short_time": "10:45",  # the morning-of check's
    "long_when": "Wednesday 30 September 2026 at 10:45",
    "phone": "+1 (435) 555-0100",
}


def septets(text: str) -> int:
    """The text's length in GSM-7 septets; fails on a character GSM-7 does not have."""
    outside = sorted({ch for ch in text if ch not in GSM7_BASIC | GSM7_EXTENDED})
    assert outside == [], f"not in the GSM-7 alphabet (the text would go as UCS-2): {outside}"
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def text_templates() -> list[str]:
    return sorted(path.name for path in TEMPLATES.glob("*_sms.txt"))


def test_there_are_text_templates():
    assert "link_sms.txt" in text_templates()


@pytest.mark.parametrize("language", list(languages.NAMES))
@pytest.mark.parametrize("name", text_templates())
def test_each_text_fits_in_one_sms_with_long_realistic_values(app, name, language):
    strict = app.jinja_env.overlay(undefined=StrictUndefined)
    when = {"es": "mié 30 sept 10:45"}.get(language, LONG["short_when"])
    with app.app_context(), force_locale(language):
        body = strict.get_template(f"messages/{name}").render(
            **{**LONG, "short_when": when}).strip()
    assert septets(body) <= SMS_LIMIT, f"{name}: {septets(body)} characters: {body}"
    assert "STOP" in body and LONG["url"] in body and LONG["phone"] in body


def test_a_text_link_carries_at_least_128_bits():
    assert links.TEXT_TOKEN_BYTES * 8 >= 128
    assert len(secrets.token_urlsafe(links.TEXT_TOKEN_BYTES)) == 22


def test_the_gsm7_count_knows_the_characters_that_take_two():
    assert septets("Reply STOP") == 10 and septets("[€]") == 6
    with pytest.raises(AssertionError, match="UCS-2"):
        septets("Clínica")


def test_each_text_the_worker_composes_fits_in_one_sms(make_app):
    assert composed_texts(make_app, "en")


def composed_texts(make_app, language: str) -> list[str]:
    """The same through the worker's own composing (its date format, the clinic's phone, a
    real text link), for a session on the longest weekday-month-time there is, for a patient
    of ``language`` (tests/test_spanish.py has it in Spanish): each text, checked."""
    app = make_app(MESSAGE_SENDER_NAME=LONG["sender"])
    base = LONG["url"].split("/p/")[0]
    with app.app_context():
        place = settings.get().main_location
        place.phone = LONG["phone"]
        starts_at = appointment_service.local_to_utc(datetime(2026, 9, 30, 10, 45), place.zone)
        bodies = []
        for purpose in MessagePurpose:
            if not (TEMPLATES / f"{purpose}_sms.txt").exists():
                continue
            patient = Patient(language=language)
            message = Message(appointment=Appointment(starts_at=starts_at, patient=patient,
                                                      location=place),
                              purpose=purpose,
                              channel=MessageChannel.SMS, recipient=MessageRecipient.PATIENT)
            token = secrets.token_urlsafe(links.TEXT_TOKEN_BYTES)
            _, body = messages.compose(message, links.public_url(token, base))
            assert septets(body) <= SMS_LIMIT, f"{purpose}: {septets(body)} characters: {body}"
            bodies.append(body)
        db.session.rollback()
    return bodies
