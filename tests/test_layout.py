"""Where code may reach: the benchmark stands on its own, and the services work without a web
request (a background worker calls them as the views do)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (``from . import x`` counts as its package's name)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_benchmark_imports_nothing_from_the_tests():
    offenders = {str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path)
                                                     if name.split(".")[0] == "tests")
                 for path in (ROOT / "bench").glob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_tests_move_time_with_one_clock_not_by_patching_module_names():
    """Time in tests comes from time-machine (which moves ``models.utcnow`` and every other
    reading of the clock at once), never from replacing a module's ``utcnow`` or ``datetime``."""
    patched = re.compile(r"monkeypatch\.setattr\([^)]*(utcnow|datetime|\btime\b|date\.today)")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "tests").rglob("*.py")
                 if patched.search(path.read_text())]
    assert offenders == []


def test_the_app_reads_the_clock_in_one_place():
    """``models.utcnow`` is the app's clock: nothing else asks the system for the time."""
    reads = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "prep_app").rglob("*.py")
                 if reads.search(path.read_text()) and path.name != "models.py"]
    assert offenders == []


REQUEST_BOUND = {"request", "g", "session", "current_user", "url_for", "has_request_context",
                 "flash", "redirect", "abort", "make_response"}


def test_services_take_no_part_of_the_web_request():
    """Services are called by views, commands and the job worker alike: they read nothing of a
    request (the actor, the clock and the public address are passed in). Only the app's config
    and templates (``current_app``, ``render_template``) are theirs to use."""
    offenders = {}
    for path in (ROOT / "prep_app" / "services").glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] == "flask_login":
                    found.add(node.module)
                elif node.module.split(".")[0] == "flask":
                    found.update(a.name for a in node.names if a.name in REQUEST_BOUND)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.split(".")[0] == "flask_login")
        if found:
            offenders[path.name] = sorted(found)
    assert offenders == {}


def test_commands_do_not_fake_a_web_request():
    offenders = [str(path.relative_to(ROOT)) for path in [*(ROOT / "prep_app").rglob("*.py"),
                                                         *(ROOT / "bench").glob("*.py")]
                 if "test_request_context" in path.read_text()]
    assert offenders == []
