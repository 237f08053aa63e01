"""What every command group shares: one transaction per command, links with the public
address, dates typed on the command line, times on the clinic's clock."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import click
from flask import current_app
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from .. import database
from ..services import settings
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


@contextlib.contextmanager
def link_context():
    """A request context so links can be built with the public address.

    It counts as a POST: on SQLite the transaction then takes the write lock up front, as
    every command that writes should (see ``database._may_write``).
    """
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base, method="POST"):
        yield


def parse_date(ctx, param, value):
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
