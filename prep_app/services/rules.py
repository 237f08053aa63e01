"""What may be done to an appointment now, each decided in one function: the desk's pages and
buttons, the command line, the schedule import and the job worker all ask here.

Each rule answers why not (a :class:`Refusal`, in words for the person) or None; :func:`require`
turns a refusal into an input error. The clock is passed in. A link's own state (active,
revoked, expired) and whether an item is answered are pure rules in ``readiness``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from ..models import Appointment
from . import links
from .errors import InputError


class Refusal(enum.Enum):
    CANCELLED = "This appointment is cancelled."
    CANCELLED_ALREADY = "This appointment is cancelled already."
    CHECKED_IN = "The patient is already checked in."
    OVER = "This appointment is over: a link would not work any more."
    NOT_SESSION_DAY = "Patients are checked in on the day of their session."

    def __str__(self) -> str:
        return self.value


class Refused(InputError):
    """Not now, for this appointment; the message says why."""

    status = 400


def require(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise Refused(refusal.value)


def change_refusal(appointment: Appointment) -> Refusal | None:
    """Whether the desk may change the appointment (move it, send or give a link, check the
    patient in): not once it is cancelled, nor once the patient is checked in."""
    if appointment.is_cancelled:
        return Refusal.CANCELLED
    if appointment.checked_in_at is not None:
        return Refusal.CHECKED_IN
    return None


def cancel_refusal(appointment: Appointment) -> Refusal | None:
    """A cancelled appointment is not cancelled again (a checked-in one may be: the patient
    went home)."""
    return Refusal.CANCELLED_ALREADY if appointment.is_cancelled else None


def link_refusal(appointment: Appointment, now: datetime) -> Refusal | None:
    """Whether the appointment may be given a link (by hand, or in a text or email) at ``now``:
    it can be changed, and a link made now would not have expired already."""
    refusal = change_refusal(appointment)
    if refusal is None and links.expiry_for(appointment) <= now:
        return Refusal.OVER
    return refusal


def check_in_refusal(appointment: Appointment, now: datetime) -> Refusal | None:
    """Whether the patient may be checked in at ``now``: on the day of the session, on its
    location's clock, and not twice."""
    refusal = change_refusal(appointment)
    if refusal is None and not is_session_day(appointment, now):
        return Refusal.NOT_SESSION_DAY
    return refusal


def is_session_day(appointment: Appointment, now: datetime) -> bool:
    """``now`` falls on the session's day, on the clock of the appointment's location."""
    place = appointment.location
    return place.to_local(appointment.starts_at).date() == place.to_local(now).date()
