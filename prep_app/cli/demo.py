"""``flask demo ...``: demo data for trying the app."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import config
from .common import public_base_url, unit_of_work

demo_cli = AppGroup("demo", help="Demo data for trying the app.")


@demo_cli.command("load")
def demo_load():
    """Install the checklist and add a few demo appointments (once; a second run adds nothing).

    Refused in production: demo staff with printed passwords have no place in a real clinic."""
    from .. import demo

    if config.is_production(current_app.config):
        raise click.ClickException(
            "Demo data is not loaded in production. To try the app, use a database of its own "
            "with PREP_ENV=development.")
    with unit_of_work():
        lines = demo.load(public_base_url())
    for line in lines:
        click.echo(line)
