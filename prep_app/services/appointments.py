"""Patients and appointments: create (finding the patient first), reschedule, cancel, check in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Appointment, CancelReason, Location, Patient, utcnow
from ..readiness import Status
from . import audit, links, locations, rules, settings, status, submissions, text
from .errors import InputError


class AppointmentError(InputError):
    """A person's input cannot be used; the message says why, in plain words."""

    status = 400


def name_key(full_name: str) -> str:
    return re.sub(r"\s+", " ", full_name).strip().casefold()


def clean_text(value: str | None, limit: int) -> str:
    """Strip control characters (PostgreSQL refuses NUL) and surrounding space."""
    value = text.clean(value)
    if len(value) > limit:
        raise AppointmentError(f"Please keep this under {limit} characters.")
    return value


def normalise_phone(raw: str | None, country: str | None = None) -> str | None:
    """A phone number in E.164 ("+14355550100"), or None when empty. Raises when invalid."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw[:40], country or settings.get().country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise AppointmentError("That phone number does not look right. Please check it.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_email(raw: str | None) -> str | None:
    """A plausible email address, or None when empty. Raises when it cannot be one."""
    email = clean_text(raw, 254) or None
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AppointmentError("That email address does not look right.")
    return email


LOCAL_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})")


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """A "YYYY-MM-DD HH:MM" on ``zone``'s clock (the location's) as an aware UTC datetime.

    A time the clock skips (the hour lost when clocks go forward) is refused rather
    than silently moved; a time it shows twice (clocks going back) is the first of the two.
    """
    match = LOCAL_TIME.fullmatch((text or "").strip())
    try:
        if match is None:
            raise ValueError(text)
        naive = datetime.strptime(" ".join(match.groups()), "%Y-%m-%d %H:%M")
        starts_at = local_to_utc(naive, zone)
    except (ValueError, OverflowError):
        raise AppointmentError("Use the form YYYY-MM-DD HH:MM on the clinic's clock, for "
                               "example 2026-12-03 14:00.") from None
    if starts_at.astimezone(zone).replace(tzinfo=None) != naive:
        raise AppointmentError(f"{naive:%H:%M} does not happen on {naive:%Y-%m-%d}: the clocks "
                               "go forward that night. Choose another time.")
    return starts_at


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=zone).astimezone(UTC)


def find_or_create_patient(full_name: str, date_of_birth: date, phone: str | None = None,
                           email: str | None = None, actor=None,
                           language: str | None = None) -> tuple[Patient, bool]:
    patient = new_patient(full_name, date_of_birth, phone, email)
    patient.language = language or None
    known = db.session.scalar(select(Patient).filter_by(name_key=patient.name_key,
                                                        date_of_birth=patient.date_of_birth))
    if known is not None:
        known.phone = patient.phone or known.phone
        known.email = patient.email or known.email
        known.language = patient.language or known.language
        return known, False
    return add_patients([patient], actor=actor)[0], True


def why_alike(patient: Patient, full_name: str, date_of_birth: date | None) -> str | None:
    """Why a person of this name and birth date may be ``patient`` though the two are not both
    the same (a likely duplicate), or None."""
    key = name_key(full_name)
    if patient.name_key == key:
        return f"same name, born {patient.date_of_birth.isoformat()}"
    if patient.date_of_birth != date_of_birth:
        return None
    if patient.name_key.rsplit(" ", 1)[-1] == key.rsplit(" ", 1)[-1]:
        return f"same surname and date of birth: {patient.full_name}"
    if SequenceMatcher(None, patient.name_key, key).ratio() >= SIMILAR_NAME:
        return f"similar name and the same date of birth: {patient.full_name}"
    return None


SIMILAR_NAME = 0.8  # difflib's ratio: "ada lovelaces" and "ada lovelace" 0.96; typos score high


def booking_warnings(full_name: str, date_of_birth: date, starts_at: datetime,
                     location: Location) -> list[str]:
    """What the desk should check before booking at ``location``, without stopping them: a
    likely duplicate patient, the same patient booked that day already (anywhere), another
    session in the same slot there."""
    key = name_key(clean_text(full_name, 120))
    warnings = []
    for patient in db.session.scalars(select(Patient).where(or_(
            Patient.date_of_birth == date_of_birth, Patient.name_key == key))
            .order_by(Patient.id).limit(20)):
        if (patient.name_key, patient.date_of_birth) == (key, date_of_birth):
            continue  # the same patient: booking finds their record
        why = why_alike(patient, full_name, date_of_birth)
        if why:
            warnings.append(f"{patient.full_name}, born {patient.date_of_birth.day} "
                            f"{patient.date_of_birth:%B %Y}, is on file ({why}). If that is "
                            "this patient, book with the name and date of birth as on file.")
    day_start, day_end = status.day_bounds(location.to_local(starts_at).date(), location.zone)
    slot = timedelta(minutes=settings.get().session_minutes)
    for appointment in db.session.scalars(
            select(Appointment).join(Appointment.patient)
            .options(contains_eager(Appointment.patient))
            .where(Appointment.is_cancelled.is_(False), Appointment.starts_at >= day_start,
                   Appointment.starts_at < day_end).order_by(Appointment.starts_at)):
        other = appointment.patient
        at = f"{appointment.location.to_local(appointment.starts_at):%H:%M}"
        if (other.name_key, other.date_of_birth) == (key, date_of_birth):
            warnings.append(f"{other.full_name} already has a session at {at} that day.")
        elif appointment.location_id == location.id and abs(
                appointment.starts_at - starts_at) < slot:
            warnings.append(f"{other.full_name} is booked at {at}, in the same slot.")
    return warnings


def new_patient(full_name: str, date_of_birth: date, phone: str | None = None,
                email: str | None = None) -> Patient:
    """A patient record checked and cleaned, not yet added (see :func:`add_patients`)."""
    full_name = clean_text(full_name, 120)
    if not full_name:
        raise AppointmentError("Enter the patient's full name.")
    if not date(1900, 1, 1) <= date_of_birth <= settings.today():
        raise AppointmentError("That date of birth does not look right.")
    return Patient(full_name=full_name, name_key=name_key(full_name),
                   date_of_birth=date_of_birth, phone=normalise_phone(phone),
                   email=clean_email(email))


def add_patients(patients: list[Patient], actor=None) -> list[Patient]:
    """Add patients nobody knows yet (made by :func:`new_patient`), in one flush, each audited."""
    db.session.add_all(patients)
    db.session.flush()
    for patient in patients:
        audit.record("patient.create", record_type="patient", record_id=patient.id,
                     patient_id=patient.id, actor=actor)
    return patients


def update_contact(patient: Patient, phone: str | None, email: str | None,
                   language: str | None, actor=None) -> None:
    """Set the patient's phone, email and language as given (empty clears them)."""
    phone = normalise_phone(phone)
    email = clean_email(email)
    patient.phone, patient.email, patient.language = phone, email, language or None
    audit.record("patient.update_contact", record_type="patient", record_id=patient.id,
                 patient_id=patient.id, actor=actor)


def create(patient: Patient, starts_at: datetime, location: Location | None = None,
           actor=None) -> Appointment:
    details = [{"location": location}] if location is not None else None
    return create_many([(patient, starts_at)], actor=actor, details=details)[0]


def create_many(bookings: list[tuple[Patient, datetime]], actor=None,
                details: list[dict] | None = None) -> list[Appointment]:
    """Book sessions, each ``(patient, starts_at)``, in one flush (a schedule import books
    thousands): every booking, one or many, is made here. ``details`` gives each booking's
    other columns (location, external id, session type, clinician); a booking without a
    location is at the clinic's only one (an error when there are several)."""
    for _, starts_at in bookings:
        _check_future(starts_at)
    details = details or [{} for _ in bookings]
    if any(extra.get("location") is None for extra in details):
        only = locations.for_booking()
        details = [{**extra, "location": extra.get("location") or only} for extra in details]
    booked = [Appointment(patient=patient, starts_at=starts_at, **extra)
              for (patient, starts_at), extra in zip(bookings, details, strict=True)]
    db.session.add_all(booked)
    db.session.flush()
    for appointment in booked:
        audit.record("appointment.create", record_type="appointment", record_id=appointment.id,
                     patient_id=appointment.patient.id, actor=actor)
    return booked


def reschedule(appointment: Appointment, starts_at: datetime, reason: str, actor=None,
               location: Location | None = None) -> None:
    """Move the session (to ``location``, when given), keeping why and who. A move to another
    day voids a clearance and asks the patient again for the answers tied to the old day (see
    submissions); readiness then uses the new location's fasting hours."""
    rules.require(rules.change_refusal(appointment))
    _check_future(starts_at)
    reason = clean_text(reason, 200)
    if not reason:
        raise AppointmentError("Say why the appointment is moving.")
    before, place = appointment.location, location or appointment.location
    is_new_day = (place.to_local(starts_at).date()
                  != before.to_local(appointment.starts_at).date())
    was_cleared = is_new_day and (
        status.for_appointment(appointment).readiness.status is Status.CLEARED)
    appointment.moved_from_at, appointment.starts_at = appointment.starts_at, starts_at
    appointment.location = place
    appointment.move_reason = reason
    appointment.moved_by_id = actor.id if actor is not None else None
    appointment.last_activity_at = utcnow()
    # Links expire after the session: follow the new time.
    for link in appointment.links:
        if link.revoked_at is None:
            link.expires_at = links.expiry_for(appointment)
    detail = "same day"
    if is_new_day:
        submission = appointment.submission
        reopened = submissions.reopen_day_bound_answers(submission) if submission else 0
        done = ["clearance voided"] if was_cleared else []
        if reopened:
            done.append(f"{reopened} time answer{'' if reopened == 1 else 's'} asked again")
        detail = "to another day" + (f": {', '.join(done)}" if done else "")
    if place.id != before.id:
        detail += f"; to location {place.id}, from {before.id}"
    audit.record("appointment.reschedule", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail=detail, actor=actor)


def cancel(appointment: Appointment, actor=None, reason: CancelReason | None = None) -> None:
    """Cancel; the desk says why (``reason``; an import or the command line may not know)."""
    rules.require(rules.cancel_refusal(appointment))
    appointment.is_cancelled = True
    appointment.cancelled_at = appointment.last_activity_at = utcnow()
    appointment.cancel_reason = reason
    links.revoke_all(appointment, actor=actor, record=False)
    audit.record("appointment.cancel", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id,
                 detail=f"reason: {reason.label}" if reason else "", actor=actor)


def set_desk_note(appointment: Appointment, note: str | None, actor=None) -> None:
    """The desk's note on the appointment (empty clears it), with who wrote it and when."""
    note = clean_text(note, 200)
    appointment.desk_note = note or None
    appointment.desk_note_by_id = actor.id if actor is not None and note else None
    appointment.desk_note_at = utcnow() if note else None
    appointment.last_activity_at = utcnow()
    audit.record("appointment.desk_note", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail="" if note else "cleared",
                 actor=actor)


def check_in(appointment: Appointment, is_driver_confirmed: bool, clinician_knows: bool = False,
             actor=None, now: datetime | None = None) -> None:
    """Check the patient in (on the session's day, see ``rules.check_in_refusal``). With an
    open flag or no driver named, the desk confirms that a clinician knows, and who confirmed
    is kept; the readiness stays as it was, beside it."""
    now = now or utcnow()
    rules.require(rules.check_in_refusal(appointment, now))
    if not is_driver_confirmed:
        raise AppointmentError("Confirm the driver in person before checking the patient in.")
    concerns = status.for_appointment(appointment).check_in_concerns
    if concerns and not clinician_knows:
        raise AppointmentError("Confirm that a clinician knows about the open items before "
                               "checking the patient in.")
    readiness = status.for_appointment(appointment).readiness
    appointment.checked_in_at = appointment.last_activity_at = now
    appointment.ready_on_arrival = readiness.status is Status.CLEARED
    appointment.no_show_at = None  # late, but here: not a no-show after all
    appointment.is_driver_confirmed = True
    appointment.checked_in_by_id = actor.id if actor is not None else None
    detail = ""
    if concerns:
        appointment.clinician_knows_confirmed_by_id = appointment.checked_in_by_id
        count = len(concerns)
        detail = (f"a clinician knows of {count} open item{'' if count == 1 else 's'} "
                  "(confirmed by the desk)")
    audit.record("appointment.check_in", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail=detail, actor=actor)


def mark_no_show(appointment: Appointment, actor=None, now: datetime | None = None) -> None:
    """The session's time has passed and the patient never came (a late arrival can still be
    checked in, which takes the no-show back)."""
    now = now or utcnow()
    _check_closable(appointment, now)
    if appointment.checked_in_at is not None:
        raise AppointmentError("The patient is checked in: record when they left instead.")
    appointment.no_show_at = appointment.last_activity_at = now
    appointment.closed_by_id = actor.id if actor is not None else None
    audit.record("appointment.close", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail="no-show", actor=actor)


def mark_left(appointment: Appointment, left_with: str, left_at: datetime, actor=None,
              now: datetime | None = None) -> None:
    """The patient left with ``left_with`` (their driver, or whoever came) at ``left_at``."""
    now = now or utcnow()
    _check_closable(appointment, now)
    if appointment.checked_in_at is None:
        raise AppointmentError("The patient is not checked in: check them in first, or mark "
                               "them as a no-show.")
    left_with = clean_text(left_with, 120)
    if not left_with:
        raise AppointmentError("Say who the patient left with.")
    if left_at > now:
        raise AppointmentError("That time has not come yet. Enter when the patient left.")
    if left_at < appointment.checked_in_at.replace(second=0, microsecond=0):
        raise AppointmentError("That is before the patient was checked in. Enter when they "
                               "left.")
    appointment.left_with, appointment.left_at = left_with, left_at
    appointment.last_activity_at = now
    appointment.closed_by_id = actor.id if actor is not None else None
    audit.record("appointment.close", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, detail="left", actor=actor)


def _check_closable(appointment: Appointment, now: datetime) -> None:
    if appointment.is_cancelled:
        raise AppointmentError("This appointment is cancelled.")
    if appointment.starts_at > now:
        raise AppointmentError("The session has not started yet.")
    if appointment.no_show_at is not None or appointment.left_at is not None:
        raise AppointmentError("This session is closed already.")


def _check_future(starts_at: datetime) -> None:
    if starts_at <= utcnow():
        raise AppointmentError("That time has already passed. Choose a time in the future.")
    if starts_at > utcnow() + timedelta(days=3 * 366):
        raise AppointmentError("That time is too far ahead.")
