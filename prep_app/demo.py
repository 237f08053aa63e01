"""Demo data for ``make run``: a few patients at different stages, today and tomorrow."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from .extensions import db
from .models import Appointment, Patient, Role, utcnow
from .services import (
    accounts,
    appointments,
    checklists,
    links,
    locations,
    passwords,
    settings,
    submissions,
)

DEMO_PATIENTS = [
    ("Ada Lovelace", date(1990, 1, 31), "+14355550101"),
    ("Grace Hopper", date(1985, 12, 9), "+14355550102"),
    ("Alan Turing", date(1992, 6, 23), "+14355550103"),
    ("Katherine Johnson", date(1978, 8, 26), "+14355550104"),
]


def load(base_url: str) -> list[str]:
    """Add the demo appointments once. Returns lines to print (sign-ins, a patient link), their
    addresses on ``base_url``."""
    settings.get()
    checklists.install_default()
    lines: list[str] = []
    lines += demo_sign_ins(base_url)  # one demo account per role, with fresh passwords
    if db.session.scalar(select(func.count(Appointment.id))):
        lines.append("There are appointments already, so no demo data was added "
                     "(it is only added to an empty database).")
        return lines + _fresh_link_for_first_demo_patient(base_url)
    place = locations.for_booking()
    tomorrow = place.to_local(utcnow()).date() + timedelta(days=1)
    hours = [9, 11, 13, 15]
    first_link = None
    for (name, dob, phone), hour in zip(DEMO_PATIENTS, hours, strict=True):
        patient, _ = appointments.find_or_create_patient(name, dob, phone=phone)
        starts = appointments.local_to_utc(datetime.combine(tomorrow, time(hour, 0)), place.zone)
        appointment = appointments.create(patient, starts, place)
        if name == "Alan Turing":
            continue  # not sent yet
        token = links.issue(appointment)
        if name == "Grace Hopper":
            submission = submissions.get_or_start(appointment)
            submissions.save_section(submission, "prepare", {"support_habits": "yes"}, None)
        first_link = first_link or (name, dob, links.public_url(token, base_url))
    if first_link:
        lines += _try_lines(*first_link)
    return lines


DEMO_STAFF = (
    ("frontdesk@demo.example", "Frank Desk", Role.FRONT_DESK),
    ("clinician@demo.example", "Clara Nurse", Role.CLINICIAN),
    ("admin@demo.example", "Ada Admin", Role.ADMIN),
)


def demo_sign_ins(base_url: str) -> list[str]:
    """One demo account per role with a fresh random password each time: lines to print."""
    where = base_url + current_app.url_map.bind("").build("auth.login")
    lines = [f"Demo staff sign-ins (new passwords each run), at {where}:"]
    for email, name, role in DEMO_STAFF:
        password = passwords.generate_password()
        user = accounts.find_by_email(email)
        if user is None:
            accounts.create(email, name, role, password, detail="; demo account")
        else:
            user.role, user.is_active_account = role, True
            accounts.set_password(user, password, detail="demo account")
        lines.append(f"  {role.label:<13} {email:<24} {password}")
    return lines


def _try_lines(name: str, dob: date, url: str) -> list[str]:
    return [f"A patient link to try ({name}, date of birth {dob:%Y-%m-%d}):", f"  {url}"]


def _fresh_link_for_first_demo_patient(base_url: str) -> list[str]:
    """On a second run the old links are unknown (only hashes are kept): issue a new one."""
    name, dob, _ = DEMO_PATIENTS[0]
    appointment = db.session.scalar(
        select(Appointment).join(Appointment.patient)
        .where(Patient.name_key == appointments.name_key(name), Patient.date_of_birth == dob,
               Appointment.is_cancelled.is_(False), Appointment.starts_at > utcnow())
        .order_by(Appointment.starts_at).limit(1))
    if appointment is None:
        return []
    return _try_lines(name, dob, links.public_url(links.issue(appointment), base_url))
