"""The browser tests' harness: the app served from a thread, Debian's Chromium, fresh contexts.

Each test gets the usual fresh database (the ``app`` fixture) served on a free loopback port,
so the tests stay independent. Playwright drives ``/usr/bin/chromium`` (never a downloaded
browser); where it is missing the tests skip with the reason, and fail under PREP_REQUIRE_ALL=1.
"""

from __future__ import annotations

import gc
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from ..conftest import missing
from .helpers import ARTIFACTS, Journey

CHROMIUM = Path("/usr/bin/chromium")
# A calm upper bound for one action or wait: the machines are shared and slow at times.
TIMEOUT_MS = 15_000
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        missing(f"Chromium ({CHROMIUM})")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


class _QuietHandler(WSGIRequestHandler):
    """No access log: patient URLs carry link tokens, and the test output stays readable."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def _closed_before_sending(app):
    """The app, each answer read to its end and closed before it is sent.

    A full run once failed the test right after these on an unclosed ``app.css`` (a
    ResourceWarning). werkzeug's server calls the answer's close() last in a ``finally`` that
    first reads from the socket, so a connection the browser resets there (a page left, a
    context closed) can skip it. Test pages are small: buffering them rules that out."""

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, _closed_before_sending(app), threaded=True,
                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    """This test's app (fresh database, checklist installed) on http://127.0.0.1:<free port>."""
    server = LiveServer(app).start()
    yield server
    server.stop()
    gc.collect()  # anything the server threads left open is reported in this test, not later


@pytest.fixture
def open_context(browser, live_server):
    """``open_context(kind)``: a new browser context ("phone" or "desktop") on the live server.
    Each person in a test gets their own context: their own cookies, as on their own device."""
    made = []

    def _open(kind: str = "phone"):
        options = {"phone": PHONE, "desktop": DESKTOP}[kind]
        context = browser.new_context(base_url=live_server.url, locale="en-US", **options)
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield _open
    for context in made:
        context.close()


@pytest.fixture
def journey(request) -> Journey:
    """Screenshots and checks of every page this test visits, under test-artifacts/e2e/<test>."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Journey(folder)


LAST = "test_every_page_the_browser_tests_saw_is_valid_html"


def pytest_collection_modifyitems(config, items):
    """The Nu Html Checker goes last: it checks the HTML every other browser test saved."""
    last = [item for item in items if item.name == LAST]
    items[:] = [item for item in items if item not in last] + last
