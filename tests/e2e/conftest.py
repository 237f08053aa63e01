"""The browser tests' harness: the app served from a thread, Debian's Chromium, fresh contexts.

Each test gets the usual fresh database (the ``app`` fixture) served on a free loopback port,
so the tests stay independent. Playwright drives ``/usr/bin/chromium`` (never a downloaded
browser); where it is missing the tests skip with the reason, and fail under PREP_REQUIRE_ALL=1.
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from ..conftest import missing
from ..live_server import LiveServer
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
