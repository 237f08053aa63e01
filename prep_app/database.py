"""Engine settings per database, and the one place a request's transaction ends.

SQLite (the default) runs in WAL mode with a busy timeout and takes its write lock when a
transaction begins, so two writers queue instead of failing with "database is locked".
PostgreSQL uses ``pool_pre_ping`` so a restarted server is reconnected to without a restart.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 5


# Primary keys are INTEGER columns: 32 bits on PostgreSQL (SQLite takes 64).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id no table can hold is a 404 before any query (else
    PostgreSQL refuses the number and SQLite's driver overflows: a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def configure_engine(app: Flask) -> None:
    """Set the engine options; must run before ``db.init_app``, which creates the engine."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # Statement parameters are what people typed (names, answers): keep them out of error
    # messages and logs, even when SQL logging is switched on.
    options.setdefault("hide_parameters", True)
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    else:
        # A connection that died with a restarted server is noticed before use, not by a person.
        options.setdefault("pool_pre_ping", True)
        options.setdefault("connect_args", {"connect_timeout": PG_CONNECT_TIMEOUT_S})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # Before any blueprint adds its routes, which bind their converters when added.
    app.url_map.converters["int"] = IdConverter


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy emit BEGIN itself (below), so it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def writes_on_get(view):
    """Mark a GET view that writes (an audit row, a first use) so SQLite locks up front."""
    view.writes_on_get = True
    return view


def reads_first(view):
    """Mark an unsafe view that does slow read-only work (a password hash) before it writes:
    it begins without SQLite's write lock and calls :func:`start_writing` before writing."""
    view.reads_first = True
    return view


def start_writing() -> None:
    """End the request's read-only transaction; the next one begins with the write lock.

    What was read stays loaded (not expired), so drawing or recording it reads nothing again.
    """
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()  # it only read: nothing to write
    finally:
        session.expire_on_commit = keep
    g.may_write = True


def _may_write() -> bool:
    """Reads take no write lock (pages stay fast); anything that may write takes it first.

    A read transaction that later writes can fail at once under WAL when another writer got
    in between, so every request that may write (any POST, a GET marked above, the CLI)
    begins with the write lock and queues behind the busy timeout instead.
    """
    if not has_request_context():
        return True
    if "may_write" in g:
        return g.may_write
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return not getattr(view, "reads_first", False)
    return bool(getattr(view, "writes_on_get", False))


def commit() -> None:
    """Commit the request's unit of work (services never commit themselves)."""
    db.session.commit()
