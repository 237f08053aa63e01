"""Command-line tools: ``flask --app prep_app <group> <command>``.

Every command writes in one transaction: on any error nothing is half-written, a clear message is
printed (never a traceback) and the exit status is non-zero.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from . import config
from .extensions import db
from .models import Appointment, utcnow
from .services import appointments as appointment_service
from .services import checklists, links, settings, status

checklist_cli = AppGroup("checklist", help="The session checklist.")
appointments_cli = AppGroup("appointments", help="Appointments and patient links.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")
schedule_cli = AppGroup("schedule", help="The schedule from the practice-management system.")


def init_app(app: Flask) -> None:
    from .auth.cli import staff_cli

    for group in (checklist_cli, appointments_cli, demo_cli, schedule_cli, staff_cli):
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
    except LookupError as error:  # no checklist installed yet
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        # The type only: a database message can quote what was typed.
        hint = (" Is it set up? Run `flask --app prep_app db upgrade`."
                if isinstance(error, OperationalError | ProgrammingError)
                else " Please try again.")
        raise click.ClickException(f"The database refused this ({type(error).__name__}); "
                                   f"nothing was changed.{hint}") from None
    except BaseException:
        db.session.rollback()
        raise


@contextlib.contextmanager
def link_context():
    """A request context so links can be built with the public address.

    It counts as a POST: on SQLite the transaction then takes the write lock up front, as
    every command that writes should (see ``database._may_write``).
    """
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base, method="POST"):
        yield


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD, for example "
                                 "1990-01-31.") from None


def when(moment: datetime) -> str:
    """"Thursday 3 December 2026, 14:00 (America/Denver)": on the clinic's clock, named."""
    local = settings.to_local(moment)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({settings.get().timezone})"


@checklist_cli.command("install")
def checklist_install():
    """Install the default checklist (safe to run again)."""
    with unit_of_work():
        settings.get()
        version, created = checklists.install_default()
        number, items = version.number, len(version.items)
    click.echo(f"Checklist version {number} ({items} items) "
               + ("installed." if created else "is already installed; nothing changed."))


@appointments_cli.command("add")
@click.option("--patient", "patient_name", required=True, help="The patient's full name.")
@click.option("--dob", required=True, callback=_date, help="Date of birth, YYYY-MM-DD.")
@click.option("--at", "at", required=True,
              help="Session time on the clinic's clock, 'YYYY-MM-DD HH:MM'.")
@click.option("--phone", default=None, help="The patient's mobile number (optional).")
@click.option("--email", default=None, help="The patient's email address (optional).")
def appointments_add(patient_name: str, dob: date, at: str, phone: str | None,
                     email: str | None):
    """Book a session (creating the patient if needed) and print the patient's link last."""
    with unit_of_work(), link_context():
        starts_at = appointment_service.parse_local(at)
        patient, created = appointment_service.find_or_create_patient(
            patient_name, dob, phone=phone, email=email)
        appointment = appointment_service.create(patient, starts_at)
        url = links.url_for_token(links.issue(appointment))
        who = f"{'New' if created else 'Existing'} patient #{patient.id}"
        booked = f"Appointment #{appointment.id}: {when(starts_at)}."
    click.echo(f"{booked}\n{who}.\nThe patient's personal link (give it only to them):")
    click.echo(url)


def _open_appointment(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise click.ClickException(f"There is no appointment #{appointment_id}.")
    if appointment.is_cancelled:
        raise click.ClickException(
            f"Appointment #{appointment_id} is cancelled: it cannot have a link.")
    if links.expiry_for(appointment) <= utcnow():
        raise click.ClickException(
            f"Appointment #{appointment_id} ({when(appointment.starts_at)}) is over: a link "
            "would not work any more.")
    return appointment


@appointments_cli.command("link")
@click.argument("appointment_id", type=int)
def appointments_link(appointment_id: int):
    """Issue a fresh link for an appointment; the old one stops working."""
    with unit_of_work(), link_context():
        appointment = _open_appointment(appointment_id)
        url = links.url_for_token(links.issue(appointment))
        booked = f"Appointment #{appointment.id}: {when(appointment.starts_at)}."
    click.echo(f"{booked}\nA new link; any older link no longer works:")
    click.echo(url)


@appointments_cli.command("list")
@click.option("--date", "day", callback=_date, default=None,
              help="The day, YYYY-MM-DD (default: today in the clinic's time zone).")
def appointments_list(day: date | None):
    """Print one day's appointments with their readiness and its reasons."""
    with unit_of_work():
        day = day or settings.today()
        rows = status.overview(status.appointments_on(day))
        lines = [f"{day:%A} {day.day} {day:%B %Y} ({settings.get().timezone}): "
                 f"{len(rows)} appointment{'' if len(rows) == 1 else 's'}"]
        for row in rows:
            local = settings.to_local(row.appointment.starts_at)
            lines.append(f"#{row.appointment.id}  {local:%H:%M}  {row.patient.full_name}  "
                         f"[{row.readiness.status.label}]")
            lines.extend(f"      - {reason}" for reason in row.readiness.reasons)
    click.echo("\n".join(lines))


@demo_cli.command("load")
def demo_load():
    """Install the checklist and add a few demo appointments (once; a second run adds nothing).

    Refused in production: demo staff with printed passwords have no place in a real clinic."""
    from . import demo

    if config.is_production(current_app.config):
        raise click.ClickException(
            "Demo data is not loaded in production. To try the app, use a database of its own "
            "with PREP_ENV=development.")
    with unit_of_work(), link_context():
        lines = demo.load()
    for line in lines:
        click.echo(line)


@schedule_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--mapping", "mapping_name", default=None,
              help="The saved column mapping of the system the file comes from.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change; "
                                              "write nothing.")
def schedule_import(file, mapping_name: str | None, dry_run: bool):
    """Import bookings from a CSV file (every row is checked first; any problem writes
    nothing)."""
    from .services import imports

    data = file.read(imports.MAX_BYTES + 1)
    with unit_of_work(), link_context():
        plan = imports.run(data, mapping=_mapping(mapping_name), dry_run=dry_run)
        lines = [f"Check: {note}" for note in plan.duplicates]
        if plan.ignored_columns:
            lines.append("Columns not used: " + ", ".join(plan.ignored_columns))
        if not plan.is_ok:
            db.session.rollback()
            for problem in plan.problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(f"Nothing was imported: {len(plan.problems)} problem"
                                       f"{'' if len(plan.problems) == 1 else 's'} to fix first.")
        if dry_run:
            db.session.rollback()
            lines.append(f"Dry run, nothing was written. The import would give: {plan.summary()}.")
        else:
            lines.append(f"Imported: {plan.summary()}.")
    click.echo("\n".join(lines))


def _mapping(name: str | None):
    from .models import ImportMapping
    from .services import imports

    if name is None:
        return None
    saved = db.session.scalar(select(ImportMapping).filter_by(name=name))
    if saved is None:
        raise click.ClickException(f"There is no saved mapping called {name!r}.")
    return imports.Mapping.of(saved)
