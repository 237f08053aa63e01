"""Engine settings per database, and the one place a request's transaction ends.

Every request is one unit of work (Indico's ``RH.process`` is the model): views and services
never commit or roll back. :class:`UnitOfWorkFlask` commits once, after the view (or a
``before_request`` that answered instead) returned and before the response leaves, and rolls
back on any exception before the error's handler draws its page. A commit that fails (a unique
key lost in a race, a stale version column, the database gone) is an exception like any other,
so its handler answers (409, 503) and nothing is half-written. Rolling back also takes back what
the request told the person (its flash messages) and what it would have given them only once
the work was stored (``after_commit``: a signed-in session, a date of birth accepted).

SQLite (the default) runs in WAL mode with a busy timeout and takes its write lock when a
transaction begins, so two writers queue instead of failing with "database is locked".
PostgreSQL uses ``pool_pre_ping`` so a restarted server is reconnected to without a restart.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context, message_flashed, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.routing import IntegerConverter

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 5
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


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
        options.setdefault("pool_size", app.config["DB_POOL_SIZE"])
        options.setdefault("max_overflow", app.config["DB_MAX_OVERFLOW"])
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


class UnitOfWorkFlask(Flask):
    """Flask, with each request one unit of work (see the module's docstring)."""

    def preprocess_request(self):
        answer = super().preprocess_request()
        if answer is not None:
            commit()
        return answer

    def dispatch_request(self):
        answer = super().dispatch_request()
        commit()
        return answer

    def handle_user_exception(self, e):
        rollback()
        answer = super().handle_user_exception(e)
        commit()  # what the error's own page recorded (the audit row of what it showed)
        return answer


def commit() -> None:
    """Store the unit of work, then give what waited for it (``after_commit``)."""
    db.session.commit()
    if has_request_context():
        for callback in g.pop("_after_commit", ()):
            callback()


def rollback() -> None:
    """Undo the unit of work: nothing of it is stored and nothing of it is said."""
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        pass  # the connection is gone already; nothing was committed
    if has_request_context():
        g.pop("_after_commit", None)
        _take_back_flashes()


def end_read() -> None:
    """End a transaction that changed nothing (between the batches of a streamed export), so
    it holds no lock while the response waits for the network."""
    db.session.rollback()


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once this request's work is stored; never if it is rolled back."""
    g.setdefault("_after_commit", []).append(callback)


@message_flashed.connect
def _remember_flash(sender, message, category, **extra):
    g.setdefault("_flashed", []).append((category, message))


def _take_back_flashes() -> None:
    said = g.pop("_flashed", [])
    if said:
        kept = list(session.get("_flashes", []))
        for flashed in said:
            if flashed in kept:
                kept.remove(flashed)
        session["_flashes"] = kept
