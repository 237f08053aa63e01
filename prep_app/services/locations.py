"""The clinic's locations: which one a booking is at, and the rules for adding and changing one
(which only an admin does). An appointment's clock, fasting hours, address and phone are read
through ``appointment.location`` and nowhere else."""

from __future__ import annotations

from ..extensions import db
from ..models import Location
from . import audit, settings, text
from .errors import Conflict, InputError


class LocationError(InputError):
    """A location cannot be used or saved as given; the message says why."""


class LocationConflict(Conflict):
    """Someone else saved this location since the form was opened."""


def all_locations() -> list[Location]:
    """Every location, by name (read with the clinic's settings: no query of its own)."""
    return list(settings.get().locations)


def for_booking(name: str | None = None) -> Location:
    """The location a new booking is at: the one named, or the clinic's only one."""
    places = all_locations()
    name = " ".join(text.clean(name).split())
    if name:
        for place in places:
            if place.name.casefold() == name.casefold():
                return place
        raise LocationError(f"There is no location called {name!r}. The locations are: "
                            + ", ".join(p.name for p in places) + ".", "location")
    if len(places) > 1:
        raise LocationError("The clinic has several locations: say which one ("
                            + ", ".join(p.name for p in places) + ").", "location")
    return places[0]


def by_id(location_id: int | None) -> Location | None:
    return next((p for p in all_locations() if p.id == location_id), None)


LOCATION_BOUNDS = {"solid_fast_hours": settings.Bounds(0, 24),
                   "clear_fast_hours": settings.Bounds(0, 24)}
LOCATION_FIELDS = ("name", "address", "phone", "timezone", *LOCATION_BOUNDS)


def clean(values: dict, *, except_id: int | None = None) -> dict:
    """Check a location's fields; the cleaned values, or LocationError naming the field."""
    out: dict = {}
    name = " ".join(text.clean(values.get("name")).split())
    if not name or len(name) > 120:
        raise LocationError("Enter the location's name (up to 120 characters).", "name")
    if any(p.name.casefold() == name.casefold() and p.id != except_id for p in all_locations()):
        raise LocationError("Another location already has that name.", "name")
    out["name"] = name
    address = "\n".join(" ".join(line.split())
                        for line in text.clean(values.get("address")).splitlines() if line.strip())
    if len(address) > 300:
        raise LocationError("Keep the address under 300 characters.", "address")
    out["address"] = address
    out["phone"] = settings.clinic_phone(values.get("phone"), settings.get().country)
    zone = text.clean(values.get("timezone"))
    if zone not in settings.time_zones():
        raise LocationError("Choose a time zone from the list.", "timezone")
    out["timezone"] = zone
    out.update(settings.whole_numbers(values, LOCATION_BOUNDS, LocationError))
    if out["clear_fast_hours"] > out["solid_fast_hours"]:
        raise LocationError("Clear liquids cannot stop before solid food does: use a number no "
                            "larger than the hours for solid food.", "clear_fast_hours")
    return out


def create(values: dict, actor=None) -> Location:
    location, clinic = Location(**clean(values)), settings.get()
    clinic.locations.append(location)
    db.session.flush()
    audit.record("location.create", record_type="location", record_id=location.id,
                 actor=actor)
    return location


def update(location: Location, values: dict, expected_version: int, actor=None) -> list[str]:
    """Save a location's fields, when nobody saved it since ``expected_version`` was read.
    Returns the names of the fields that changed (also on the audit row)."""
    if location.version != expected_version:
        raise LocationConflict("Someone else saved this location while you were editing it.")
    return settings.save_changes(location, clean(values, except_id=location.id),
                                 LOCATION_FIELDS, "location.update", "location", actor)
