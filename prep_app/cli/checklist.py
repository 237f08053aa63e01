"""``flask checklist ...``: the session checklist."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services import checklists, settings
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
