"""What every command group shares: one transaction per command (no request: on SQLite it
takes the write lock up front, see ``database._may_write``), links with the public address,
dates typed on the command line, times on the clinic's clock."""

from __future__ import annotations

import contextlib
from datetime import date

import click
from flask import current_app
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from .. import config, database
from ..models import Appointment
from ..services import links, locations
from ..services.errors import InputError


@contextlib.contextmanager
def unit_of_work(write: bool = True):
    """Commit once at the end (or, with ``write=False``, a dry run: store nothing); roll back and
    exit non-zero with a plain message on any error."""
    try:
        yield
        if write:
            database.commit()
        else:
            database.rollback()
    except BaseException as error:
        database.rollback()
        message = _plain_message(error)
        if message is None:
            raise
        raise click.ClickException(message) from None


def _plain_message(error: BaseException) -> str | None:
    if isinstance(error, InputError | LookupError):  # LookupError: no checklist installed yet
        return str(error)
    if isinstance(error, SQLAlchemyError):
        # The type only: a database message can quote what was typed.
        hint = (" Is it set up? Run `flask --app prep_app db upgrade`."
                if isinstance(error, OperationalError | ProgrammingError)
                else " Please try again.")
        return (f"The database refused this ({type(error).__name__}); "
                f"nothing was changed.{hint}")
    return None


def public_base_url() -> str:
    """Where the links a command prints point (PUBLIC_BASE_URL, or the development server)."""
    return config.public_base_url(current_app.config)


def patient_url(token: str) -> str:
    return links.public_url(token, public_base_url())


def parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD, for example "
                                 "1990-01-31.") from None


def when(appointment: Appointment) -> str:
    """"Thursday 3 December 2026, 14:00 (America/Denver)": on the clock of the appointment's
    location, named (and the location too, when the clinic has several)."""
    place = appointment.location
    local = place.to_local(appointment.starts_at)
    where = f"{place.name}, " if len(locations.all_locations()) > 1 else ""
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({where}{place.timezone})"
