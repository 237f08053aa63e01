"""What every command group shares: one transaction per command, links with the public
address, dates typed on the command line, times on the clinic's clock."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import click
from flask import current_app
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from ..extensions import db
from ..services import appointments as appointment_service
from ..services import settings


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
