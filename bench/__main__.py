"""``python -m bench``: see the package's docstring for the settings."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from . import data, profiling, report, wrk
from .harness import (
    LOOPBACK_CROWD_LIMITS,
    ROOT,
    SECTIONS,
    Gunicorn,
    HttpBrowser,
    checklist_answers,
    open_link,
    save_section,
    sign_in,
    submit_checklist,
)
from .report import Measurement

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
BIG_ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
SMALL_ROWS = 1000
DAY_ROWS = 200
POOL = int(os.environ.get("BENCH_POOL", "400"))  # patients whose saves are measured
WORKERS = 2
WARM_UP_SECONDS = 2
BOARD_ROUNDS = 2
CLIENT_THREADS = 8
STAFF_EMAIL = "bench.frontdesk@clinic.example"
ALWAYS_PROFILE = os.environ.get("BENCH_PROFILE") == "1"


class Bench:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.wrk = wrk.ensure_wrk()
        self.small_url = f"sqlite:///{workdir / 'small.sqlite3'}"
        self.big_url = f"sqlite:///{workdir / 'big.sqlite3'}"
        self.secret = secrets.token_hex(32)
        self.staff_password = secrets.token_urlsafe(18)
        self.env = {"PREP_ENV": "production", "SECRET_KEY": self.secret,
                    "DATABASE_URL": self.small_url, "TRUSTED_HOSTS": "127.0.0.1,localhost",
                    "PROXY_FIX_HOPS": "0", **LOOPBACK_CROWD_LIMITS}
        # The in-process apps (data, profiles) are configured exactly like the workers.
        os.environ.update(self.env)
        from prep_app import create_app

        self.app = create_app()
        self.big_app = create_app({"SQLALCHEMY_DATABASE_URI": self.big_url})
        self.measurements: list[Measurement] = []
        self.profiles: dict[str, str] = {}
        self.facts: dict[str, str] = {}

    # -- servers -----------------------------------------------------------------------------
    def server(self, spec: str, name: str, ready_path: str = "/healthz",
               database_url: str | None = None) -> Gunicorn:
        env = {**self.env, "DATABASE_URL": database_url or self.small_url}
        return Gunicorn(spec, env=env, workers=WORKERS, ready_path=ready_path,
                        log_path=self.workdir / f"gunicorn-{name}.log")

    def measure(self, server: Gunicorn, key: str, label: str, path: str, *,
                cookie: str | None = None, script: Path | None = None,
                script_args: tuple[str, ...] = (), warm_up: bool = True) -> Measurement:
        headers = {"Cookie": cookie} if cookie else None
        if warm_up:
            wrk.run(self.wrk, server.url + path, WARM_UP_SECONDS, headers=headers)
        print(f"  {label} ...", flush=True)
        cpu = server.cpu_seconds()
        result = wrk.run(self.wrk, server.url + path, SECONDS, headers=headers, script=script,
                         script_args=script_args)
        cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(result.requests, 1)
        measurement = Measurement(key, label, path, result, server.peak_rss_mb(),
                                  server.rss_mb(), cpu_ms)
        self.measurements.append(measurement)
        return measurement

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> None:
        started = time.perf_counter()
        self.facts["code"] = _commit()
        self.facts["load average (1, 5, 15 min) at the start"] = _load()
        self.reference("reference")
        data.prepare_schema(self.app)
        data.create_staff(self.app, "front_desk", STAFF_EMAIL, self.staff_password)
        today = data.clinic_today(self.app)
        board_day, pool_day = today + timedelta(days=7), today + timedelta(days=8)
        day = data.book_day(self.app, board_day, DAY_ROWS, "Board Patient")
        data.add_history(self.app, SMALL_ROWS - data.count_appointments(self.app),
                         skip={board_day, pool_day})
        with self.server("wsgi:app", "app-patient") as server:
            patient = self.fill_day(server, day)
            self.patient_pages(server, patient)
        # The big database starts as a copy of the small one, so both boards show the same day.
        data.copy_sqlite(self.app, self.big_app)
        missing = BIG_ROWS - data.count_appointments(self.big_app)
        print(f"Loading {missing:,} more appointments ...", flush=True)
        seconds = data.add_history(self.big_app, missing, skip={board_day, pool_day})
        data.settle_sqlite(self.big_app)
        self.facts["bulk load"] = (f"{missing:,} appointments (with {missing // 10:,} patients "
                                   f"and one link each) in {seconds:.0f} s")
        self.facts["appointments table indexes"] = "; ".join(data.appointment_indexes(self.app))
        self.boards(board_day)
        with self.server("wsgi:app", "app-saves") as server:
            self.saves(server, pool_day)
        self.reference("reference_end")
        self.facts["load average (1, 5, 15 min) at the end"] = _load()
        self.facts["whole run"] = f"{time.perf_counter() - started:.0f} s"

    def reference(self, key: str) -> None:
        with self.server("bench.refapp:app", key, ready_path="/") as server:
            label = "Reference: bare Flask route" + (" (again, at the end)" if "end" in key
                                                       else "")
            self.measure(server, key, label, "/")

    def fill_day(self, server: Gunicorn, day: list) -> HttpBrowser:
        """The patients of the board's day answer through the app, as they would: a fifth have
        not opened their link, a fifth are half-way, the rest submitted (some with flags)."""
        starts = {}
        with self.app.app_context():
            from prep_app.extensions import db
            from prep_app.models import Appointment
            from prep_app.services import settings

            for appointment_id, _token, _dob in day:
                starts[appointment_id] = settings.to_local(
                    db.session.get(Appointment, appointment_id).starts_at)

        def answer(i: int) -> HttpBrowser | None:
            appointment_id, token, dob = day[i]
            if i % 5 == 0:
                return None
            browser = HttpBrowser(server.url)
            open_link(browser, token, dob)
            answers = checklist_answers(starts[appointment_id], i)
            if i % 4 == 2:
                answers["dayof"]["alcohol_cannabis"] = "yes"
            for section in SECTIONS[:2] if i % 5 == 1 else SECTIONS:
                expect(save_section(browser, section, answers[section]), 302, section)
            if i % 5 != 1:
                expect(submit_checklist(browser, f"Board Patient {i:05d}"), 302, "submit")
            return browser

        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            browsers = list(pool.map(answer, range(len(day))))
        return browsers[1]  # half-way through: the page a returning patient sees

    def patient_pages(self, server: Gunicorn, patient: HttpBrowser) -> None:
        cookie = patient.cookie_header()
        for key, label, path in (
                ("patient_start", "Patient: checklist page (GET /checklist/)", "/checklist/"),
                ("patient_step", "Patient: a section page (GET /checklist/step/ride)",
                 "/checklist/step/ride")):
            expect(patient.get(path), 200, path)
            measurement = self.measure(server, key, label, path, cookie=cookie)
            if ALWAYS_PROFILE or self.ratio(measurement) < report.PATIENT_TARGET:
                self.profiles[label] = profiling.profile(self.app, path, cookie)

    def boards(self, board_day: date) -> None:
        """Both boards are served at once (two gunicorns, one idle while the other is
        measured) and measured in turns, small, big, small, big, so a change in the machine's
        load during the run falls on both alike."""
        path = f"/board/?date={board_day.isoformat()}"
        sizes = {"board_small": (self.app, self.small_url), "board_big": (self.big_app,
                                                                           self.big_url)}
        with self.server("wsgi:app", "board-small", database_url=self.small_url) as small, \
                self.server("wsgi:app", "board-big", database_url=self.big_url) as big:
            servers = {"board_small": small, "board_big": big}
            cookies = {key: self.staff_cookie(server, path, key)
                       for key, server in servers.items()}
            for round_ in range(1, BOARD_ROUNDS + 1):
                for key, server in servers.items():
                    app, _url = sizes[key]
                    total = data.count_appointments(app)
                    self.measure(server, key, f"Front-desk board, {DAY_ROWS} that day, "
                                 f"{total:,} in the database (turn {round_})", path,
                                 cookie=cookies[key])
        small_rps = report.mean_rps(self.measurements, "board_small")
        big_rps = report.mean_rps(self.measurements, "board_big")
        if ALWAYS_PROFILE or big_rps < report.BOARD_TARGET * small_rps:
            for key, (app, _url) in sizes.items():
                self.profiles[f"Front-desk board ({key})"] = profiling.profile(
                    app, path, cookies[key], requests=60)

    def staff_cookie(self, server: Gunicorn, path: str, key: str) -> str:
        staff = HttpBrowser(server.url)
        expect(sign_in(staff, STAFF_EMAIL, self.staff_password), 302, "sign-in")
        page = expect(staff.get(path), 200, path)
        self.facts[f"board page ({key})"] = (f"{len(page.content):,} bytes, "
                                             f"{page.text.count('Board Patient')} patient names")
        return staff.cookie_header()

    def saves(self, server: Gunicorn, pool_day: date) -> None:
        """Section saves that stay valid: see save.lua and the notes in docs/benchmarks.md."""
        booked = data.book_day(self.app, pool_day, POOL, "Pool Patient")
        pool_file = self.workdir / "pool.tsv"

        def ready(i: int) -> tuple[int, str, int]:
            appointment_id, token, dob = booked[i]
            browser = HttpBrowser(server.url)
            open_link(browser, token, dob)
            starts = datetime.combine(pool_day, datetime.min.time()).replace(hour=14)
            answers = checklist_answers(starts, i)
            expect(save_section(browser, "prepare", answers["prepare"]), 302, "prepare")
            hidden = browser.hidden("/checklist/step/ride")
            version = int(hidden.pop("version"))
            body = urlencode({**hidden, **answers["ride"], "action": "continue"})
            return appointment_id, f"{browser.cookie_header()}\t{body}&version={{version}}", \
                version

        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            entries = list(pool.map(ready, range(len(booked))))
        pool_file.write_text("".join(f"{line}\t{version}\n" for _, line, version in entries))
        measurement = self.measure(
            server, "save", "Patient: a section save (POST /checklist/step/ride)",
            "/checklist/step/ride", script=wrk.SAVE_SCRIPT,
            script_args=(str(pool_file), str(wrk.THREADS)), warm_up=False)
        stored = self.stored_saves({aid: version for aid, _, version in entries})
        self.facts["saves stored"] = (
            f"the submissions' versions grew by {stored:,} for the "
            f"{measurement.result.statuses.get(302, 0):,} redirects (302) wrk counted (up to "
            f"{wrk.CONNECTIONS} saves still in flight when wrk stops are stored but not counted)")

    def stored_saves(self, versions: dict[int, int]) -> int:
        from sqlalchemy import select

        from prep_app.extensions import db
        from prep_app.models import Submission

        with self.app.app_context():
            now = dict(db.session.execute(select(Submission.appointment_id, Submission.version)
                                          .where(Submission.appointment_id.in_(versions))).all())
        return sum(now[aid] - version for aid, version in versions.items())

    def find(self, key: str) -> Measurement | None:
        return next((m for m in self.measurements if m.key == key), None)

    def ratio(self, measurement: Measurement) -> float:
        return measurement.rps / self.find("reference").rps


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,  # noqa: S603, S607
                              check=False).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no", "prep_app")
    return f"commit {git('rev-parse', '--short', 'HEAD')}" + (
        " with uncommitted changes under prep_app/" if changed else "")


def _load() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


def expect(response, status: int, what: str):
    if response.status_code != status:
        raise SystemExit(f"bench: {what} answered {response.status_code}, not {status}")
    return response


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="prep-bench-"))
    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "benchmarks.md"))
    try:
        bench = Bench(workdir)
        print(f"Benchmark: gunicorn, {WORKERS} sync workers; wrk -t{wrk.THREADS} "
              f"-c{wrk.CONNECTIONS} -d{SECONDS:g}s per page", flush=True)
        bench.run()
        table = report.table(bench.measurements)
        print()
        print(table)
        print()
        print(report.targets_text(bench.measurements))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.markdown(bench, SECONDS))
        print(f"\nWritten to {output}")
    finally:
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"Kept {workdir} (BENCH_KEEP=1)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
