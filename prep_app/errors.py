"""Error pages: calm words and a reference id that matches a log line, never a traceback."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, g, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger("prep_app.errors")

RETRY_AFTER_SECONDS = 30


def reference() -> str:
    return g.get("request_id", "-")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        code = error.code or 500
        if code >= 500:
            log.error("http %s ref=%s endpoint=%s", code, reference(), request.endpoint)
        return render_template("errors/error.html", code=code, ref=reference()), code

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception):
        # Nothing is half-written: the request's transaction is rolled back as a whole.
        db.session.rollback()
        log.error("database unavailable ref=%s endpoint=%s error=%s", reference(),
                  request.endpoint, type(error.__cause__ or error).__name__)
        response = app.make_response(
            (render_template("errors/error.html", code=503, ref=reference()), 503))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        # The exception type and the reference only: messages can carry what a person typed.
        log.error("unhandled %s ref=%s endpoint=%s", type(error).__name__, reference(),
                  request.endpoint)
        # Frames only (file, line, code): never the message or local values, which may be PHI.
        log.debug("frames ref=%s\n%s", reference(), "".join(traceback.format_tb(error.__traceback__)))
        return render_template("errors/error.html", code=500, ref=reference()), 500
