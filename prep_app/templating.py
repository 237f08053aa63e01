"""Jinja filters and globals: clinic-time formatting, the clinic's name and phone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from flask import Flask, g
from flask_babel import get_locale

from . import languages
from .assets import static_url, stylesheet_url
from .services import settings


def init_app(app: Flask) -> None:
    app.jinja_env.filters["clinic_datetime"] = clinic_datetime
    app.jinja_env.filters["clinic_date"] = clinic_date
    app.jinja_env.filters["clinic_time"] = clinic_time
    app.jinja_env.filters["phone"] = pretty_phone
    app.jinja_env.filters["tel"] = tel_href
    app.jinja_env.filters["html_datetime"] = html_datetime
    app.jinja_env.filters["local_text"] = local_text
    app.jinja_env.filters["patient_datetime"] = patient_datetime
    app.jinja_env.filters["patient_time"] = patient_time
    app.jinja_env.globals["clinic"] = clinic_or_fallback
    app.jinja_env.globals["location"] = patient_location
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["stylesheet_url"] = stylesheet_url
    app.jinja_env.globals["page_language"] = page_language
    app.jinja_env.globals["other_languages"] = other_languages
    app.jinja_env.globals["language_back"] = languages.back_path


def page_language() -> str:
    """What ``<html lang>`` says: the language the page is written in."""
    return str(get_locale() or languages.DEFAULT)


def other_languages() -> list[tuple[str, str]]:
    """The languages a patient page can switch to: (code, its own name)."""
    return [(code, name) for code, name in languages.NAMES.items() if code != page_language()]


def clinic_or_fallback():
    """The clinic's settings; while the database is away (a 503 page), plain fallbacks."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from .database import rollback

    try:
        return settings.get()
    except (OperationalError, InterfaceError):
        rollback()
        from .errors import OFFLINE_CLINIC

        return OFFLINE_CLINIC


def patient_location():
    """Where the patient's session is (its address, phone, clock): the appointment of the link
    in use, or, before a link says which, the clinic's main location. For the patient pages;
    the error page never calls it (it may be drawn without a database)."""
    appointment = g.get("appointment")
    return appointment.location if appointment is not None else settings.get().main_location


def _local(moment: datetime, zone: ZoneInfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None else settings.to_local(moment)


# Each takes the zone to show the moment in: an appointment's location's
# (``|clinic_time(appointment.location.zone)``), by default the staff pages' clock.


def clinic_datetime(moment: datetime | None, zone: ZoneInfo | None = None) -> str:
    """"Tuesday 3 December 2026, 14:00" on the clinic's clock."""
    if moment is None:
        return ""
    return format_datetime(_local(moment, zone), "EEEE d MMMM y, HH:mm",
                           locale=str(get_locale()))


def clinic_date(moment, zone: ZoneInfo | None = None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = _local(moment, zone).date()
    return format_date(moment, "EEEE d MMMM y", locale=str(get_locale()))


def clinic_time(moment: datetime | None, zone: ZoneInfo | None = None) -> str:
    if moment is None:
        return ""
    return format_time(_local(moment, zone), "HH:mm", locale=str(get_locale()))


def html_datetime(moment: datetime | None) -> str:
    """For <time datetime>: "2026-12-03T21:00:00+00:00" (HTML allows no microseconds)."""
    return moment.isoformat(timespec="seconds") if moment else ""


def pretty_phone(e164: str | None) -> str:
    """"+14355550100" as "(435) 555-0100" for the clinic's country, international otherwise."""
    if not e164:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if region == settings.get().country
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def tel_href(phone: str | None) -> str:
    """The tel: URL of a stored number (E.164, or the clinic's as written there): "tel:+1435..."

    Every phone link is built here, from the E.164 form, so a phone dials what the admin meant
    whatever spacing and brackets were typed. "" when there is no (valid) number.
    """
    from .services.appointments import AppointmentError, normalise_phone

    try:
        e164 = normalise_phone(phone)
    except AppointmentError:
        return ""
    return f"tel:{e164}" if e164 else ""


def local_text(value: str) -> str:
    """A stored clinic-local "YYYY-MM-DDTHH:MM" answer, written out for a person."""
    try:
        naive = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value or ""
    return _written(naive)


# --- patient pages: the clinic's own way of writing a date and a time ------------------------

def patient_locale() -> Locale:
    """The page's language in the clinic's country: "en_US" writes "Thursday, December 3,
    2:00 PM", "en_GB" "Thursday 3 December, 14:00" (CLDR's formats, through Babel)."""
    language = str(get_locale())
    try:
        return Locale.parse(f"{language}_{settings.get().country}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)


def patient_datetime(moment: datetime | None, zone: ZoneInfo | None = None) -> str:
    """A moment on the clock of ``zone`` (the appointment's location's): weekday, day and
    month (no year), and the time."""
    return _written(_local(moment, zone)) if moment is not None else ""


def patient_time(moment: datetime | None, zone: ZoneInfo | None = None) -> str:
    if moment is None:
        return ""
    return format_time(_local(moment, zone), "short", locale=patient_locale())


def _written(moment: datetime) -> str:
    locale = patient_locale()
    # The locale's day-and-month pattern ("E, MMMM d"), with the weekday written in full.
    day = re.sub(r"E+", "EEEE", locale.datetime_skeletons["MMMMEd"].pattern)
    return get_datetime_format("medium", locale=locale).format(
        format_time(moment, "short", locale=locale), format_datetime(moment, day, locale=locale))
