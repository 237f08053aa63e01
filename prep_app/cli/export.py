"""``flask export ...``: the record back to the chart (every export is in the audit log)."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Appointment
from ..services import exports, settings
from .common import parse_date, unit_of_work

export_cli = AppGroup("export", help="Answers and days for the chart and the clinic's records.")


def _write(content: bytes, output: str | None) -> None:
    if output is None:
        click.echo(content.decode())
        return
    with click.open_file(output, "wb") as file:
        file.write(content)
    click.echo(f"Written to {output}.", err=True)


@export_cli.command("appointment")
@click.argument("appointment_id", type=int)
@click.option("--format", "kind", type=click.Choice(["pdf", "fhir"]), required=True,
              help="pdf: the chart's copy; fhir: a FHIR R4 QuestionnaireResponse (JSON).")
@click.option("--output", default=None, help="The file to write (a PDF needs one).")
def export_appointment(appointment_id: int, kind: str, output: str | None):
    """One appointment's submitted answers, attestation and review decisions."""
    if kind == "pdf" and output is None:
        raise click.UsageError("A PDF needs a file: add --output FILE.pdf.")
    with unit_of_work():
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None:
            raise click.ClickException(f"There is no appointment #{appointment_id}.")
        record = exports.record_of(appointment)
        content = exports.pdf(record) if kind == "pdf" else json.dumps(
            exports.questionnaire_response(record), indent=2, ensure_ascii=False).encode()
        exports.audited(kind, appointment)
    _write(content, output)


@export_cli.command("day")
@click.option("--date", "day", callback=parse_date, default=None,
              help="The day, YYYY-MM-DD (default: today in the clinic's time zone).")
@click.option("--format", "kind", type=click.Choice(["csv"]), default="csv",
              help="csv (the only one so far).")
@click.option("--output", default=None, help="The file to write (default: standard output).")
def export_day(day: date | None, kind: str, output: str | None):
    """One day's appointments: time, patient, status, reasons, driver, decision, check-in."""
    with unit_of_work():
        content = exports.day_csv(day or settings.today()).encode()
    _write(content, output)
