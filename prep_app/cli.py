"""Command-line tools: ``flask --app prep_app <group> <command>``.

Every command writes in one transaction: on any error nothing is half-written, a clear message is
printed and the exit status is non-zero.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db
from .models import Appointment
from .services import appointments as appointment_service
from .services import checklists, links, settings, status

checklist_cli = AppGroup("checklist", help="The session checklist.")
appointments_cli = AppGroup("appointments", help="Appointments and patient links.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")


def init_app(app: Flask) -> None:
    from .auth.cli import staff_cli

    for group in (checklist_cli, appointments_cli, demo_cli, staff_cli):
        app.cli.add_command(group)


@contextlib.contextmanager
def unit_of_work():
    """Commit once at the end; roll back and exit non-zero with a plain message on any error."""
    try:
        yield
        db.session.commit()
    except appointment_service.AppointmentError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except BaseException:
        db.session.rollback()
        raise


@contextlib.contextmanager
def link_context():
    """A request context so links can be built with the public address."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        yield


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD, for example 1990-01-31") from None


@checklist_cli.command("install")
def checklist_install():
    """Install the default checklist (safe to run again)."""
    with unit_of_work():
        settings.get()
        version, created = checklists.install_default()
    click.echo(f"Checklist version {version.number} "
               + ("installed." if created else "is already installed."))


@appointments_cli.command("add")
@click.option("--patient", "patient_name", required=True, help="The patient's full name.")
@click.option("--dob", required=True, callback=_date, help="Date of birth, YYYY-MM-DD.")
@click.option("--at", "at", required=True,
              help="Session time in the clinic's time zone, 'YYYY-MM-DD HH:MM'.")
@click.option("--phone", default=None, help="The patient's mobile number.")
@click.option("--email", default=None, help="The patient's email address.")
def appointments_add(patient_name: str, dob: date, at: str, phone: str | None,
                     email: str | None):
    """Book a session (creating the patient if needed) and print the patient's link last."""
    with unit_of_work(), link_context():
        starts_at = appointment_service.parse_local(at)
        patient, created = appointment_service.find_or_create_patient(
            patient_name, dob, phone=phone, email=email)
        appointment = appointment_service.create(patient, starts_at)
        token = links.issue(appointment)
        url = links.url_for_token(token)
    click.echo(f"{'New' if created else 'Existing'} patient #{patient.id}; "
               f"appointment #{appointment.id} on {_local(starts_at)}.")
    click.echo(url)


@appointments_cli.command("link")
@click.argument("appointment_id", type=int)
def appointments_link(appointment_id: int):
    """Issue a fresh link for an appointment; the old one stops working."""
    with unit_of_work(), link_context():
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None:
            raise click.ClickException(f"There is no appointment #{appointment_id}.")
        if appointment.is_cancelled:
            raise click.ClickException(f"Appointment #{appointment_id} is cancelled.")
        url = links.url_for_token(links.issue(appointment))
    click.echo(url)


@appointments_cli.command("list")
@click.option("--date", "day", callback=_date, default=None,
              help="The day, YYYY-MM-DD (default: today in the clinic's time zone).")
def appointments_list(day: date | None):
    """Print one day's appointments with their readiness."""
    day = day or settings.today()
    rows = status.overview(status.appointments_on(day))
    click.echo(f"{day:%A %d %B %Y}: {len(rows)} appointment(s)")
    for row in rows:
        reasons = "; ".join(row.readiness.reasons)
        click.echo(f"#{row.appointment.id}  {_local(row.appointment.starts_at):%H:%M}  "
                   f"{row.patient.full_name}  [{row.readiness.status.label}]  {reasons}")


def _local(moment: datetime) -> datetime:
    return settings.to_local(moment)


@demo_cli.command("load")
def demo_load():
    """Install the checklist and add a few demo appointments (run on an empty database)."""
    from . import demo

    with unit_of_work(), link_context():
        lines = demo.load()
    for line in lines:
        click.echo(line)
