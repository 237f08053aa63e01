"""Error pages: calm words and a reference id that matches a log line, never a traceback.

Every error is logged with its reference (4xx at INFO, 5xx at ERROR) so a person reading the
reference over the phone can be matched to what happened. Logs carry the exception type, the
endpoint and code frames, never messages or values, which can hold what a person typed.
"""

from __future__ import annotations

import logging
import traceback
from types import SimpleNamespace

from flask import Flask, current_app, g, render_template, request
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db
from .security import request_id

log = logging.getLogger("prep_app.errors")

RETRY_AFTER_SECONDS = 30
# What the 503 page says instead of the clinic's name and phone, which live in the database.
OFFLINE_CLINIC = SimpleNamespace(name="Session preparation", phone="the clinic")
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


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
    """The 503 page must not reach for the database again: not for the clinic's settings
    (cached for the request, but expired by the rollback), not for the signed-in user (which
    Flask-Login's template context loads)."""
    g.pop("clinic_settings", None)
    g._login_user = current_app.login_manager.anonymous_user()


def _rollback() -> None:
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        pass  # the connection is gone already; nothing was committed


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        _rollback()
        code = error.code or 500
        level = logging.ERROR if code >= 500 else logging.INFO
        log.log(level, "http %s ref=%s method=%s endpoint=%s", code, reference(),
                request.method, request.endpoint)
        if isinstance(error, SecurityError):
            # A Host not in TRUSTED_HOSTS: no URLs can be built for it, so no page either.
            return plain_page(400, "This site is not served at this address.")
        # Keep what the error says about itself (Allow on a 405), not its HTML body.
        return error_page(code, error.get_headers())

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception):
        # Nothing is half-written: the request's transaction is rolled back as a whole.
        _rollback()
        _draw_without_database()
        cause = getattr(error, "orig", None) or error
        log.error("database unavailable ref=%s method=%s endpoint=%s error=%s sqlstate=%s",
                  reference(), request.method, request.endpoint, type(cause).__name__,
                  getattr(cause, "sqlstate", None))
        return error_page(503, [("Retry-After", str(RETRY_AFTER_SECONDS))],
                          clinic=lambda: OFFLINE_CLINIC)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        _rollback()
        # Frames are file, line and source only; the message and local values may be PHI.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("unhandled %s ref=%s method=%s endpoint=%s\n%s", type(error).__name__,
                  reference(), request.method, request.endpoint, frames)
        return error_page(500)
