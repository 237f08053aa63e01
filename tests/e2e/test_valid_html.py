"""The Nu Html Checker (vnu.jar, the W3C's validator) on every page the browser tests saved.

It runs last (tests/e2e/conftest.py moves it there) and fails on any error. vnu.jar comes
from the npm package ``vnu-jar`` that ``make test`` installs into node_modules/; it needs
Java. Without them it skips on a developer machine and fails in CI (PREP_REQUIRE_ALL=1).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ..conftest import missing
from .helpers import ARTIFACTS, ROOT, SAVED_PAGES

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(pages) -> list[str]:
    """The checker's errors (warnings are not failures), one line each: file, line, message."""
    java = shutil.which("java")
    if java is None:
        missing("Java (for the Nu Html Checker)")
    if not VNU.exists():
        missing(f"the Nu Html Checker ({VNU.relative_to(ROOT)}: `make test` installs it)")
    done = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json",
                           *map(str, pages)], capture_output=True, text=True, timeout=600,
                          check=False)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return [f"{m.get('url', '').rsplit('/e2e/', 1)[-1]}:{m.get('lastLine', '?')}: "
            f"{m['message']}  [{m.get('extract', '').strip()[:120]}]"
            for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]


def test_every_page_the_browser_tests_saw_is_valid_html():
    pages = sorted(set(SAVED_PAGES)) or sorted(ARTIFACTS.glob("*/*.html"))
    if not pages:
        pytest.skip("no page was saved: run the browser tests (tests/e2e/) with this one")
    errors = nu_errors(pages)
    assert not errors, (f"the Nu Html Checker found {len(errors)} error(s) in {len(pages)} "
                        "pages:\n" + "\n".join(errors))


def test_the_checker_reports_what_the_outside_checkers_found(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><title>t</title></head><body>'
                    '<div hx-get="/board/"><a href="tel:(435) 555-0100">Call</a></div>'
                    '<time datetime="2026-12-01T23:36:38.008497+00:00">now</time></body></html>')
    errors = nu_errors([page])
    assert len(errors) == 3, errors
    assert "hx-get" in errors[0] and "tel:" in errors[1] and "datetime" in errors[2]
