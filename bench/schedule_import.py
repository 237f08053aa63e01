"""``python -m bench.schedule_import``: how long `flask schedule import` takes for a day's file
of BENCH_IMPORT_ROWS bookings (default 5,000; the target is under 10 s on SQLite), on a fresh
SQLite database, through the command a clinic runs. Then the same file again (all unchanged)
and the file with every time moved by an hour.

Not a timed test: the numbers swing with the machine's load, so it prints them to read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "5000"))
HEADER = "external_id,first_name,last_name,date_of_birth,starts_at,session_type,clinician,mobile"


def schedule(rows: int, day: date, shift_hours: int = 0) -> str:
    lines = [HEADER]
    for n in range(rows):
        hour = 7 + n % 12 + shift_hours
        lines.append(f"B-{n},Patient,Number{n},19{50 + n % 50}-0{1 + n % 9}-1{n % 10},"
                     f"{day} {hour:02d}:{n % 60:02d},Infusion,Dr. Rivera,"
                     f"(435) 555-{n % 10000:04d}")
    return "\n".join(lines) + "\n"


def flask(env: dict, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    # Our own interpreter and fixed arguments: no input from outside.
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "prep_app", *args], env=env,  # noqa: S603
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - started, (done.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PREP_ENV": "development",
               "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}"}
        flask(env, "db", "upgrade")
        flask(env, "checklist", "install")
        day = date.today() + timedelta(days=7)
        first, moved = Path(folder) / "day.csv", Path(folder) / "moved.csv"
        first.write_text(schedule(ROWS, day))
        moved.write_text(schedule(ROWS, day, shift_hours=1))
        startup, _ = flask(env, "schedule", "--help")
        print(f"{ROWS:,} rows, SQLite; `flask` start-up alone: {startup:.1f} s")
        for label, path in (("first import", first), ("same file again", first),
                            ("every time moved", moved)):
            seconds, summary = flask(env, "schedule", "import", str(path))
            print(f"{label:>18}: {seconds:5.1f} s  ({summary})")


if __name__ == "__main__":
    main()
