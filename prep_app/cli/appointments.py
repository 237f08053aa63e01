"""``flask appointments ...``: booking sessions, their patient links, a day's list."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import Appointment, utcnow
from ..services import appointments as appointment_service
from ..services import links, locations, messages, rules, settings, status
from .common import parse_date, patient_url, unit_of_work, when

appointments_cli = AppGroup("appointments", help="Appointments and patient links.")


@appointments_cli.command("add")
@click.option("--patient", "patient_name", required=True, help="The patient's full name.")
@click.option("--dob", required=True, callback=parse_date, help="Date of birth, YYYY-MM-DD.")
@click.option("--at", "at", required=True,
              help="Session time on the location's clock, 'YYYY-MM-DD HH:MM'.")
@click.option("--phone", default=None, help="The patient's mobile number (optional).")
@click.option("--email", default=None, help="The patient's email address (optional).")
@click.option("--location", "location_name", default=None,
              help="The location's name (needed when the clinic has several).")
def appointments_add(patient_name: str, dob: date, at: str, phone: str | None,
                     email: str | None, location_name: str | None):
    """Book a session (creating the patient if needed) and print the patient's link last."""
    with unit_of_work():
        place = locations.for_booking(location_name)
        starts_at = appointment_service.parse_local(at, place.zone)
        patient, created = appointment_service.find_or_create_patient(
            patient_name, dob, phone=phone, email=email)
        appointment = appointment_service.create(patient, starts_at, place)
        url = patient_url(links.issue(appointment))
        if current_app.config["MESSAGE_LINK_ON_BOOKING"]:
            messages.plan_link(appointment, utcnow())
        who = f"{'New' if created else 'Existing'} patient #{patient.id}"
        booked = f"Appointment #{appointment.id}: {when(appointment)}."
    click.echo(f"{booked}\n{who}.\nThe patient's personal link (give it only to them):")
    click.echo(url)


def _open_appointment(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise click.ClickException(f"There is no appointment #{appointment_id}.")
    refusal = rules.link_refusal(appointment, utcnow())
    if refusal is not None:
        raise click.ClickException(f"No link for appointment #{appointment_id} "
                                   f"({when(appointment)}): {refusal}")
    return appointment


@appointments_cli.command("link")
@click.argument("appointment_id", type=int)
def appointments_link(appointment_id: int):
    """Issue a fresh link for an appointment; the old one stops working."""
    with unit_of_work():
        appointment = _open_appointment(appointment_id)
        url = patient_url(links.issue(appointment))
        booked = f"Appointment #{appointment.id}: {when(appointment)}."
    click.echo(f"{booked}\nA new link; any older link no longer works:")
    click.echo(url)


@appointments_cli.command("list")
@click.option("--date", "day", callback=parse_date, default=None,
              help="The day, YYYY-MM-DD (default: today in the clinic's time zone).")
def appointments_list(day: date | None):
    """Print one day's appointments with their readiness and its reasons."""
    with unit_of_work():
        day = day or settings.today()
        rows = status.overview(status.appointments_on(day))
        lines = [f"{day:%A} {day.day} {day:%B %Y} ({settings.get().main_location.timezone}): "
                 f"{len(rows)} appointment{'' if len(rows) == 1 else 's'}"]
        for row in rows:
            local = row.appointment.location.to_local(row.appointment.starts_at)
            lines.append(f"#{row.appointment.id}  {local:%H:%M}  {row.patient.full_name}  "
                         f"[{row.readiness.status.label}]"
                         + (" [Checked in]" if row.readiness.is_checked_in else ""))
            if row.readiness.is_checked_in:
                lines.append(f"      - {row.readiness.arrival}")
            lines.extend(f"      - {reason}" for reason in row.readiness.reasons)
    click.echo("\n".join(lines))
