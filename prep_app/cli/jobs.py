"""``flask --app prep_app jobs init`` (once per deploy) and ``jobs worker`` (foreground)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="The job worker that sends texts and emails.")


@jobs_cli.command("init")
def jobs_init():
    """Create the job queue's tables (safe to run again; run it once per deploy, before any
    worker starts, next to `db upgrade`)."""
    from ..jobs import create_tables

    create_tables(current_app._get_current_object())
    click.echo("The job queue's tables are ready.")


@jobs_cli.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 16),
              help="Worker threads in this process.")
def jobs_worker(threads: int):
    """Run a worker in the foreground (Ctrl+C stops it); several may run, on any servers."""
    from ..jobs import run_worker

    logging.getLogger("huey").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    click.echo(f"Job worker started ({threads} threads, a tick every "
               f"{app.config['JOBS_TICK_SECONDS']:g} s). Ctrl+C stops it.")
    run_worker(app, threads)
