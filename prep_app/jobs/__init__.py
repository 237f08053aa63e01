"""The job system: huey, with a periodic tick that sends the messages that are due.

What is due lives in the app's own ``messages`` table, not in huey: huey forgets a task the
moment a worker takes it, so the tick claims rows there (see ``services/messages.claim``) and a
worker killed mid-send loses nothing. huey's storage: ``SqliteHuey`` in a file of its own beside
an SQLite app database, ``PostgresHuey`` in the app's PostgreSQL. Its tables are created once
per deploy (``flask --app prep_app jobs init``), never by a starting worker: two workers starting
at once would race to create them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from huey import Huey, PostgresHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from .. import gateways
from ..extensions import db
from ..models import utcnow
from ..services import messages

log = logging.getLogger(__name__)
QUEUE = "prep_app"


def make_huey(app: Flask) -> Huey:
    """huey for this app, with the tick registered."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        huey = PostgresHuey(QUEUE, dsn=dsn, create_tables=False, utc=True)
    else:
        huey = SqliteHuey(QUEUE, filename=app.config["JOBS_SQLITE_PATH"], create_tables=False,
                          utc=True)
    sending_timeout = timedelta(seconds=app.config["MESSAGE_SENDING_TIMEOUT_SECONDS"])
    outlets = gateways.for_app(app)

    # Every tick (JOBS_TICK_SECONDS; see TickingConsumer); a repeated tick claims nothing twice.
    @huey.periodic_task(lambda moment: True, name="deliver_due_messages")
    def deliver_due_messages():
        with app.app_context():
            try:
                claimed = messages.deliver_due(utcnow(), outlets, sending_timeout)
            finally:
                db.session.remove()
        if claimed:
            log.info("tick: %s message(s) handled", claimed)

    return huey


def create_tables(app: Flask) -> None:
    make_huey(app).storage.initialize_schema()


class TickingConsumer(Consumer):
    """huey's consumer, whose scheduler checks periodic tasks every ``tick_seconds`` instead of
    huey's fixed minute (a link booked at the desk should not wait a minute; tests tick faster)."""

    tick_seconds = 60.0

    def _create_scheduler(self):
        scheduler = super()._create_scheduler()
        scheduler.periodic_task_seconds = self.tick_seconds
        return scheduler


def run_worker(app: Flask, threads: int) -> None:
    """Run a worker in the foreground until SIGINT/SIGTERM (huey's consumer handles both)."""
    consumer_class = type("Consumer", (TickingConsumer,),
                          {"tick_seconds": app.config["JOBS_TICK_SECONDS"]})
    consumer = consumer_class(make_huey(app), workers=threads, worker_type="thread",
                              periodic=True, scheduler_interval=1)
    consumer.run()
