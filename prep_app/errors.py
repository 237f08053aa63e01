"""Error pages: calm words and a reference id that matches a log line, never a traceback.

Every error is logged with its reference (4xx at INFO, 5xx at ERROR) so a person reading the
reference over the phone can be matched to what happened. Logs carry the exception type, the
endpoint and code frames, never messages or values, which can hold what a person typed.

Input that cannot be used (a service's :class:`InputError`, or a :class:`Conflict` found when
the request commits) has one handler: the page the view named with :func:`on_input_error`,
drawn again with the error, or else an error page with the message.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from types import SimpleNamespace

from flask import Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, SecurityError

from .security import request_id
from .services.errors import Conflict, InputError

log = logging.getLogger("prep_app.errors")

RETRY_AFTER_SECONDS = 30
# What the 503 page says instead of the clinic's name and phone, which live in the database.
OFFLINE_CLINIC = SimpleNamespace(name="Session preparation",
                                 main_location=SimpleNamespace(phone="the clinic"))


def reference() -> str:
    return request_id()


def error_page(code: int, headers=None, **context):
    """The error page, or plain text if even the page cannot be drawn. ``headers`` are added
    to the response (Retry-After, Allow)."""
    extra = [(k, v) for k, v in (headers or []) if k.lower() != "content-type"]
    try:
        page = render_template("errors/error.html", code=code, ref=reference(), **context)
        return page, code, extra
    except Exception as problem:  # the last resort must not fail in turn
        log.error("error page failed %s ref=%s", type(problem).__name__, reference())
        return plain_page(code, "Something went wrong. Please try again later.", extra)


def plain_page(code: int, message: str, headers=()):
    text = f"{message}\nReference: {reference()}\n"
    return text, code, [*headers, ("Content-Type", "text/plain; charset=utf-8")]


def _draw_without_database() -> None:
    """The 503 page must not reach for the database again: not for the signed-in user (which
    Flask-Login's template context loads), not for the patient's link and appointment (which
    the patient pages' notice reads), nor the driver's link (whose patient's language the
    locale selector reads)."""
    for loaded in ("patient_link", "appointment", "driver_link"):
        g.pop(loaded, None)
    g._login_user = current_app.login_manager.anonymous_user()


def on_input_error(render: Callable[[InputError], ResponseReturnValue]) -> None:
    """Answer this request with ``render(error)`` if its input cannot be used, or if someone
    else changed the same thing meanwhile (a :class:`Conflict`, also when found by the commit
    after the view returned). It runs after the rollback: it loads again what it shows."""
    g.input_error_page = render


def show_on_form(form, error: InputError) -> bool:
    """Put the error next to the form field it names; False when the form has no such field."""
    field = form._fields.get(error.field) if error.field else None
    if field is None or field.type in ("CSRFTokenField", "HiddenField"):
        return False
    field.errors = [*field.errors, error.message]
    return True


def init_app(app: Flask) -> None:
    # The request's work is rolled back before any of these runs (database.UnitOfWorkFlask).

    @app.errorhandler(InputError)
    def input_refused(error: InputError):
        log.info("input refused %s status=%s ref=%s method=%s endpoint=%s",
                 type(error).__name__, error.status, reference(), request.method,
                 request.endpoint)
        render = g.pop("input_error_page", None)
        if render is None:
            return error_page(error.status, message=error.message)
        return render(error)

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def changed_meanwhile(error: Exception):
        # A version column that moved on, or a unique key another request took first.
        log.info("changed meanwhile %s ref=%s", type(error).__name__, reference())
        return input_refused(Conflict())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        level = logging.ERROR if code >= 500 else logging.INFO
        log.log(level, "http %s ref=%s method=%s endpoint=%s", code, reference(),
                request.method, request.endpoint)
        if isinstance(error, SecurityError):
            # A Host not in TRUSTED_HOSTS: no URLs can be built for it, so no page either.
            return plain_page(400, "This site is not served at this address.")
        # Keep what the error says about itself (Allow on a 405), not its HTML body.
        # Lost inside the patient's checklist: the page leads back to it, with the phone.
        return error_page(code, error.get_headers(),
                          in_checklist=request.path.startswith("/checklist/"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception):
        # Nothing is half-written: the request's transaction was rolled back as a whole.
        _draw_without_database()
        cause = getattr(error, "orig", None) or error
        log.error("database unavailable ref=%s method=%s endpoint=%s error=%s sqlstate=%s",
                  reference(), request.method, request.endpoint, type(cause).__name__,
                  getattr(cause, "sqlstate", None))
        return error_page(503, [("Retry-After", str(RETRY_AFTER_SECONDS))],
                          clinic=lambda: OFFLINE_CLINIC)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Frames are file, line and source only; the message and local values may be PHI.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("unhandled %s ref=%s method=%s endpoint=%s\n%s", type(error).__name__,
                  reference(), request.method, request.endpoint, frames)
        return error_page(500)
