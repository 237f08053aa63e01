"""The job worker as the real command (``flask --app prep_app jobs worker``) in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def worker_env(database_url: str, jobs_path: Path, **settings: str) -> dict[str, str]:
    return {**os.environ, "PREP_ENV": "testing", "SECRET_KEY": "t" * 64,
            "PASSWORD_HASH_COST": "test", "DATABASE_URL": database_url,
            "JOBS_SQLITE_PATH": str(jobs_path), "JOBS_TICK_SECONDS": "1", **settings}


class Worker:
    """``with Worker(env, log) as w: ...``; ``kill()`` is SIGKILL (no clean-up at all)."""

    def __init__(self, env: dict[str, str], log_path: Path, threads: int = 2):
        self.env, self.log_path, self.threads = env, log_path, threads
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Worker:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            [FLASK, "--app", "prep_app", "jobs", "worker", "--threads", str(self.threads)],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc) -> None:
        if exc[0] is not None:
            print(f"--- {self.log_path.name} ---\n{self.output()}")  # shown when a test fails
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # huey: stop now (SIGINT waits for tasks)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_until(predicate, timeout: float = 30, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
