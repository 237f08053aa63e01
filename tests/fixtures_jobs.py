"""Fixtures for the job worker and its peers: a real SMTP server, a Twilio-speaking HTTP server,
and the worker's environment on this test's database."""

from __future__ import annotations

import pytest

from .fakes.smtp import SmtpServer
from .fakes.twilio import FakeTwilio
from .worker_process import worker_env


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def jobs(make_app, database_url, tmp_path, smtp):
    """``jobs(**settings)``: the worker's environment, after `flask jobs init` made the queue's
    tables (as a deploy does, once, before any worker starts)."""
    queue_file = tmp_path / "jobs.sqlite3"
    done = make_app(JOBS_SQLITE_PATH=str(queue_file)).test_cli_runner().invoke(
        args=["jobs", "init"])
    assert done.exit_code == 0 and "ready" in done.output, done.output

    def _env(**settings):
        return worker_env(database_url, queue_file, **smtp.settings(), **settings)

    return _env
