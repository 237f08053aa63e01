"""The clinic's settings: the one row, read once per unit of work, and the rules for changing it
(which only an admin does)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ClinicSettings, Location, utcnow
from . import audit, text
from .accounts import StaffError
from .errors import Conflict, InputError


def get() -> ClinicSettings:
    """The one row, read once per database session (a request's, a command's, a worker's): the
    session keeps it, and a rollback expires it, so it is read again when next used. The
    clinic's locations come in the same query."""
    session = db.session()
    settings = session.info.get(_KEPT)
    if settings is not None and settings in session:
        return settings
    settings = session.get(ClinicSettings, 1, options=[joinedload(ClinicSettings.locations)])
    if settings is None:
        settings = ClinicSettings(id=1)
        session.add(settings)
        session.flush()
    if not settings.locations:  # a new clinic: its one location
        settings.locations.append(Location(name=settings.name))
        session.flush()
    session.info[_KEPT] = settings
    return settings


_KEPT = "clinic_settings"


def zone() -> ZoneInfo:
    """The staff pages' clock: the main location's (an appointment's is its own location's)."""
    return get().main_location.zone


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


def today() -> date:
    """Today in the clinic's time zone (not the server's)."""
    return to_local(utcnow()).date()


class SettingsConflict(Conflict):
    """Someone else saved the settings since this form was opened."""


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int


SETTING_BOUNDS = {
    "arrive_early_minutes": Bounds(0, 120),
    "link_grace_hours": Bounds(1, 720),
    "idle_timeout_minutes": Bounds(5, 60),
    "morning_check_hour": Bounds(0, 23),
}
SETTING_FIELDS = ("name", "country", *SETTING_BOUNDS, "is_dob_check_on",
                  "is_morning_check_on")


@cache
def time_zones() -> tuple[str, ...]:
    """Time zones by place ("America/Denver"), and UTC."""
    places = (z for z in zoneinfo.available_timezones()
              if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return ("UTC", *sorted(places))


def phone_regions() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def clinic_phone(raw: str | None, country: str) -> str:
    """A location's phone number, checked, written the way people there write it."""
    raw = text.clean(raw)[:40]
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise StaffError("That phone number does not look right for the clinic's country.",
                         "phone")
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL
           if phonenumbers.region_code_for_number(number) == country
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def whole_numbers(values: dict, table: dict[str, Bounds], error: type[InputError]) -> dict:
    """Each of ``table``'s numbers from ``values``, checked against its bounds."""
    out = {}
    for key, bounds in table.items():
        value = values.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not (
                bounds.low <= value <= bounds.high):
            raise error(f"Use a whole number from {bounds.low} to {bounds.high}.", key)
        out[key] = value
    return out


def clean_settings(values: dict) -> dict:
    """Check every setting; returns the cleaned values or raises StaffError naming the field."""
    out: dict = {}
    name = " ".join(text.clean(values.get("name")).split())
    if not name or len(name) > 120:
        raise StaffError("Enter the clinic's name (up to 120 characters).", "name")
    out["name"] = name
    country = text.clean(values.get("country")).upper()
    if country not in phone_regions():
        raise StaffError("Choose a country from the list.", "country")
    out["country"] = country
    out.update(whole_numbers(values, SETTING_BOUNDS, StaffError))
    out["is_dob_check_on"] = bool(values.get("is_dob_check_on"))
    out["is_morning_check_on"] = bool(values.get("is_morning_check_on"))
    return out


def update_settings(values: dict, expected_version: int, actor=None) -> list[str]:
    """Save the clinic's settings, when nobody saved them since ``expected_version`` was read.

    Returns the names of the settings that changed (also written to the audit row). The row's
    version column guards the race between two saves at the same moment, too.
    """
    clinic: ClinicSettings = get()
    if clinic.version != expected_version:
        raise SettingsConflict("Someone else saved the settings while you were editing them.")
    return save_changes(clinic, clean_settings(values), SETTING_FIELDS, "settings.update",
                        "clinic_settings", actor)


def save_changes(row, cleaned: dict, fields: tuple[str, ...], action: str, record_type: str,
                 actor) -> list[str]:
    """Set the ``fields`` of ``row`` that differ from ``cleaned``, with one audit row naming
    them; returns their names (none changed: nothing written)."""
    changed = [key for key in fields if getattr(row, key) != cleaned[key]]
    for key in changed:
        setattr(row, key, cleaned[key])
    if changed:
        audit.record(action, record_type=record_type, record_id=row.id,
                     detail="changed: " + ", ".join(changed), actor=actor)
        db.session.flush()
    return changed
