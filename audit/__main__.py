"""``python -m audit`` (``make audit``): see the package's docstring."""

from __future__ import annotations

import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import data
from bench.harness import ROOT, Gunicorn, HttpBrowser, open_link, sign_in

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
REPORT = ROOT / "docs" / "audit.md"
PAGES_SAVED = ROOT / "test-artifacts" / "e2e"
CATEGORIES = ("performance", "accessibility", "best-practices")
ADMIN_EMAIL = "audit.admin@clinic.example"
LOAD_AT_START = ", ".join(f"{x:.1f}" for x in os.getloadavg())


def lighthouse(url: str, cookie: str | None, out: Path) -> dict:
    """One Lighthouse run (mobile, simulated slow 4G); its JSON report."""
    headers = json.dumps({"Cookie": cookie}) if cookie else None
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
           f"--only-categories={','.join(CATEGORIES)}",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run"]
    if headers:
        cmd.append(f"--extra-headers={headers}")
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM},  # noqa: S603
                   timeout=300)
    return json.loads(out.read_text())


def failed_audits(report: dict) -> list[str]:
    """Audits of the checked categories that did not pass (score below 1), by title."""
    found = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("score") is not None and audit["score"] < 1 and (
                    ref.get("weight") or audit["scoreDisplayMode"] == "binary"):
                found.append(f"{ref['id']} ({audit['score']:.2f})")
    return sorted(set(found))


def nu_checker() -> tuple[int, int]:
    """(pages, errors) of the Nu Html Checker on the pages the browser tests saved."""
    pages = sorted(PAGES_SAVED.glob("*/*.html"))
    if not pages:
        raise SystemExit("no saved pages: run the browser tests first (pytest tests/e2e)")
    done = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json",  # noqa: S603, S607
                           *map(str, pages)], capture_output=True, text=True, timeout=600,
                          check=False)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return len(pages), sum(1 for m in messages if m.get("type") == "error")


def prepare(workdir: Path, env: dict[str, str], password: str) -> tuple[list, str]:
    os.environ.update(env)
    from prep_app import create_app

    app = create_app()
    data.prepare_schema(app)
    data.create_staff(app, "admin", ADMIN_EMAIL, password)
    booked = data.book_day(app, data.clinic_today(app) + timedelta(days=2), 3, "Audit Patient")
    return booked, app.config["SQLALCHEMY_DATABASE_URI"]


def main() -> None:
    for tool in (LIGHTHOUSE, VNU):
        if not tool.exists():
            raise SystemExit(f"{tool.relative_to(ROOT)} is missing: `make audit` installs it")
    with tempfile.TemporaryDirectory(prefix="prep-audit-") as folder:
        workdir = Path(folder)
        password = secrets.token_urlsafe(18)
        env = {"PREP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
               "DATABASE_URL": f"sqlite:///{workdir / 'audit.sqlite3'}",
               "TRUSTED_HOSTS": "127.0.0.1,localhost", "PROXY_FIX_HOPS": "0"}
        booked, _ = prepare(workdir, env, password)
        rows = []
        with Gunicorn("wsgi:app", env=env, workers=2,
                      log_path=workdir / "gunicorn.log") as server:
            patient = HttpBrowser(server.url)
            _, token, dob = booked[0]
            open_link(patient, token, dob)
            arriving = HttpBrowser(server.url)  # opened the link, not yet past the check
            arriving.get(f"/p/{booked[1][1]}")
            staff = HttpBrowser(server.url)
            sign_in(staff, ADMIN_EMAIL, password)
            pages = [
                ("Patient: date of birth", "/checklist/verify", arriving),
                ("Patient: getting started", "/checklist/", patient),
                ("Patient: a checklist step", "/checklist/step/ride", patient),
                ("Patient: the day-of step", "/checklist/step/dayof", patient),
                ("Staff: sign-in", "/staff/sign-in", None),
                ("Staff: the day board", "/board/", staff),
                ("Staff: an appointment", f"/board/a/{booked[0][0]}", staff),
                ("Staff: review queue", "/review/", staff),
                ("Admin: clinic settings", "/admin/settings", staff),
            ]
            for name, path, who in pages:
                print(f"  Lighthouse: {name} ...", flush=True)
                cookie = who.cookie_header() if who else None
                report = lighthouse(server.url + path, cookie, workdir / "report.json")
                landed = report.get("finalDisplayedUrl", "")
                if landed.rstrip("/") != (server.url + path).rstrip("/"):
                    raise SystemExit(f"{path} ended on {landed}")
                scores = {c: round(100 * report["categories"][c]["score"]) for c in CATEGORIES}
                bf_cache = report["audits"].get("bf-cache", {})
                failed = failed_audits(report)
                if bf_cache.get("score") is not None and bf_cache["score"] < 1:
                    failed = sorted({*failed, "bf-cache (no-store page)"})
                rows.append((name, path, scores, failed, report["lighthouseVersion"]))
                print(f"    {scores} not passed: {', '.join(rows[-1][3]) or 'none'}", flush=True)
        print("  Nu Html Checker ...", flush=True)
        nu_pages, nu_errors = nu_checker()
    write_report(rows, nu_pages, nu_errors)
    print(f"Wrote {REPORT.relative_to(ROOT)}")


def write_report(rows, nu_pages: int, nu_errors: int) -> None:
    version = rows[0][4] if rows else "?"
    lines = [
        "# Outside checkers: the latest `make audit`",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on a "
        f"{os.cpu_count()}-core {platform.system()} machine ({platform.machine()}), "
        f"Python {platform.python_version()}, load average {LOAD_AT_START} at the start "
        f"(1, 5, 15 min). The app ran under gunicorn (2 workers, production settings, plain "
        "HTTP on 127.0.0.1, a fresh SQLite database).",
        "",
        f"## Lighthouse {version}",
        "",
        "Mobile profile with Lighthouse's simulated throttling (slow 4G, 4x CPU slowdown), "
        "Debian's Chromium, headless. Targets: accessibility 100, best practices 100, "
        "performance 95 or more.",
        "",
        "| page | path | performance | accessibility | best practices | audits not passed |",
        "|---|---|---|---|---|---|",
    ]
    for name, path, scores, failed, _ in rows:
        lines.append(f"| {name} | `{path}` | {scores['performance']} | "
                     f"{scores['accessibility']} | {scores['best-practices']} | "
                     f"{', '.join(failed) or 'none'} |")
    lines += [
        "",
        "## Nu Html Checker",
        "",
        f"{nu_pages} pages saved by the browser tests (`test-artifacts/e2e/`), "
        f"{nu_errors} errors. `make test` fails on any error.",
        "",
    ]
    notes = ROOT / "audit" / "notes.md"
    REPORT.write_text("\n".join(lines) + "\n" + notes.read_text())


if __name__ == "__main__":
    sys.exit(main())
