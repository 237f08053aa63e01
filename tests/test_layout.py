"""Where code may reach: the benchmark stands on its own, and the services work without a web
request (a background worker calls them as the views do)."""

from __future__ import annotations

import ast
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
