"""prep_app: session preparation checklists for a ketamine clinic."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from . import config as config_module
from .database import UnitOfWorkFlask
from .extensions import compress, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: dict | None = None) -> Flask:
    """Build the app. Tests pass their own ``config``; everything else comes from the env.

    Raises :class:`prep_app.config.ConfigError` (with what to change) when the settings are
    unsafe for production.
    """
    app = UnitOfWorkFlask(__name__, instance_relative_config=True)
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    config_module.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    configure_logging(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    register_templates(app)
    return app


def configure_logging(app: Flask) -> None:
    """Our log lines (each error with its reference id) reach stderr even when the server
    (gunicorn, ``flask run``) set up no logging; a host that configures logging keeps its own."""
    logger = logging.getLogger(__name__)
    logger.setLevel(app.config["LOG_LEVEL"])
    if logging.getLogger().handlers or any(getattr(h, "is_prep_app", False)
                                           for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.is_prep_app = True
    logger.addHandler(handler)


def register_extensions(app: Flask) -> None:
    from flask_babel import Babel

    from . import database, languages

    database.configure_engine(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    compress.init_app(app)  # COMPRESS_REGISTER is off: compress_response() calls it
    app.after_request(compress_response)
    limiter.init_app(app)
    Babel(app, default_locale=languages.DEFAULT, default_timezone="UTC",
          locale_selector=languages.select_locale)


def compress_response(response):
    """Flask-Compress, closing what it wraps: a static file it compresses as a stream would
    otherwise stay open until garbage collection."""
    body = response.response
    response = compress.after_request(response)
    if response.response is not body and hasattr(body, "close"):
        response.call_on_close(body.close)
    return response


def register_security(app: Flask) -> None:
    from . import security

    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .clinician.views import bp as clinician_bp
    from .driver.views import bp as driver_bp
    from .fhir.views import bp as fhir_bp
    from .frontdesk.schedule import bp as schedule_bp
    from .frontdesk.views import bp as frontdesk_bp
    from .hooks.views import bp as hooks_bp
    from .main import bp as main_bp
    from .patient.views import bp as patient_bp

    for bp in (main_bp, patient_bp, driver_bp, auth_bp, frontdesk_bp, schedule_bp,
               clinician_bp, admin_bp, fhir_bp, hooks_bp):
        app.register_blueprint(bp)


def register_errors(app: Flask) -> None:
    from . import errors

    errors.init_app(app)


def register_cli(app: Flask) -> None:
    from . import cli

    cli.init_app(app)


def register_templates(app: Flask) -> None:
    from . import templating

    templating.init_app(app)


logging.getLogger(__name__).addHandler(logging.NullHandler())
