"""``flask checklist ...``: the session checklist."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from ..services import checklists, exports, settings
from .common import unit_of_work

checklist_cli = AppGroup("checklist", help="The session checklist.")


@checklist_cli.command("install")
def checklist_install():
    """Install the default checklist (safe to run again)."""
    with unit_of_work():
        settings.get()
        version, created = checklists.install_default()
        number, items = version.number, len(version.items)
    click.echo(f"Checklist version {number} ({items} items) "
               + ("installed." if created else "is already installed; nothing changed."))


@checklist_cli.command("export")
@click.option("--version", "number", type=int, default=None,
              help="The version number (default: the current one).")
def checklist_export(number: int | None):
    """Print the checklist as a FHIR R4 Questionnaire (JSON)."""
    with unit_of_work():
        resource = exports.questionnaire(exports.version_by_number(number))
    click.echo(json.dumps(resource, indent=2, ensure_ascii=False))
