"""Command-line tools: ``flask --app prep_app <group> <command>``, one module per group.

Every command writes in one transaction: on any error nothing is half-written, a clear message is
printed (never a traceback) and the exit status is non-zero (``common.unit_of_work``).
"""

from __future__ import annotations

from flask import Flask

from .appointments import appointments_cli
from .checklist import checklist_cli
from .demo import demo_cli
from .export import export_cli
from .jobs import jobs_cli
from .schedule import schedule_cli
from .staff import staff_cli


def init_app(app: Flask) -> None:
    for group in (checklist_cli, appointments_cli, demo_cli, export_cli, jobs_cli, schedule_cli,
                  staff_cli):
        app.cli.add_command(group)
