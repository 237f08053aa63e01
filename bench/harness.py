"""A real gunicorn on loopback, and a small HTTP "browser", for the benchmark (the race and
fault tests use them too; the benchmark imports nothing from the tests).

``Gunicorn`` starts ``gunicorn`` as a child process on 127.0.0.1 with a free port, waits until a
worker answers, reports each worker's peak memory and always stops what it started.
``HttpBrowser`` keeps one cookie session and submits forms the way a browser does, reading the
hidden fields (CSRF token, version, submit key) from the page first.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 90  # seconds; longer than SQLite's busy timeout, shorter than forever
# The races and the benchmark are many people behind one loopback address: limits they do not
# reach (tests/test_rate_limits.py checks the real ones). A caller's env can still set its own.
LOOPBACK_CROWD_LIMITS = {"SIGN_IN_RATE_LIMIT": "100000/minute",
                         "PATIENT_RATE_LIMIT": "100000/minute",
                         "OVERALL_RATE_LIMIT": "100000/minute"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action"), "method": attrs.get("method", "get"),
                             "hidden": {}}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and attrs.get("type") == "hidden":
            self._current["hidden"][attrs.get("name")] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[dict]:
    """The page's POST forms: each one's action and hidden fields (what a browser sends)."""
    parser = _Forms()
    parser.feed(html)
    return [f for f in parser.forms if f["method"].lower() == "post"]



class Gunicorn:
    """``with Gunicorn("wsgi:app", env={...}) as server: requests.get(server.url + "/")``."""

    def __init__(self, app_spec: str = "wsgi:app", *, env: dict[str, str] | None = None,
                 workers: int = 2, worker_class: str = "sync", threads: int = 1,
                 log_path: Path | None = None, ready_path: str = "/healthz",
                 boot_timeout: float = 60.0):
        self.app_spec, self.workers = app_spec, workers
        self.worker_class, self.threads = worker_class, threads
        self.env = {**os.environ, **LOOPBACK_CROWD_LIMITS, **(env or {})}
        self.log_path = log_path or Path(os.devnull)
        self.ready_path, self.boot_timeout = ready_path, boot_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        cmd = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT),
               "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
               "--worker-class", self.worker_class, "--threads", str(self.threads),
               "--timeout", str(REQUEST_TIMEOUT), "--graceful-timeout", "5",
               "--log-level", "warning", self.app_spec]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        # A session of its own: stop() can end gunicorn and its workers, and nothing else.
        self.process = subprocess.Popen(cmd, env=self.env, stdout=self._log,  # noqa: S603
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   + self.log_text()[-3000:])
            if len(self.worker_pids()) >= self.workers:
                try:
                    response = requests.get(self.url + self.ready_path, timeout=5)
                    if response.status_code < 500:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer in time:\n" + self.log_text()[-3000:])

    def worker_pids(self) -> list[int]:
        """The master's child processes (the workers), read from /proc."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def _memory(self, field: str) -> list[float]:
        values = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(field + ":"):
                    values.append(int(line.split()[1]) / 1024)
        return values

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak resident memory (VmHWM), in MiB."""
        return self._memory("VmHWM")

    def rss_mb(self) -> list[float]:
        """Each worker's resident memory now (VmRSS), in MiB."""
        return self._memory("VmRSS")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc/<pid>/stat."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / os.sysconf("SC_CLK_TCK")

    def log_text(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # the group this object started
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


class HttpBrowser:
    """One person's browser: a cookie jar, and forms filled in from the page's hidden fields."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.responses: list[requests.Response] = []

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        # The cookie header is sent by hand: in production the session cookie is Secure, and
        # requests would keep it off plain HTTP, even to 127.0.0.1.
        headers = dict(kwargs.pop("headers", None) or {})
        if "Cookie" not in headers and self.http.cookies:
            headers["Cookie"] = self.cookie_header()
        response = self.http.request(method, self.base_url + path, headers=headers,
                                     allow_redirects=False, timeout=REQUEST_TIMEOUT, **kwargs)
        self.responses.append(response)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self.request("POST", path, data=data, **kwargs)

    def hidden(self, page: str, action: str | None = None) -> dict:
        """The hidden fields of the page's POST form that posts to ``action`` (default: the
        first POST form; staff pages also have the sign-out form)."""
        response = self.get(page)
        found = [f for f in forms_of(response.text) if action is None or f["action"] == action]
        if response.status_code != 200 or not found:
            raise AssertionError(f"GET {page}: {response.status_code}, no form for {action}")
        return found[0]["hidden"]

    def submit(self, path: str, data: dict | None = None, *, page: str | None = None,
               action: str | None = None) -> requests.Response:
        return self.post(path, {**self.hidden(page or path, action), **(data or {})})

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def server_errors(self) -> list[str]:
        return [f"{r.request.method} {r.request.path_url}: {r.status_code}"
                for r in self.responses if r.status_code >= 500]


SECTIONS = ("prepare", "bring", "ride", "dayof", "medicines", "health", "questions")


def checklist_answers(starts_at_local: datetime, n: int = 0) -> dict[str, dict[str, str]]:
    """Complete, valid form data for every section of the default checklist, per section.

    ``n`` makes the typed text (and phone number) of one person different from another's.
    """
    def local(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M")

    starts = starts_at_local.replace(tzinfo=None)
    return {
        "prepare": {"support_habits": "y", "intention": f"Calm focus {n}"},
        "bring": {"headphones": "y", "clothes": "y", "photo_id": "y", "arrive_early": "y"},
        "ride": {"driver_name": f"Driver Number {n:03d}",
                 "driver_phone": f"(435) 555-01{n % 100:02d}",
                 "driver_relationship": f"friend {n}", "driver_plan": "waits",
                 "no_driving": "y"},
        "dayof": {"last_solid_food": local(starts - timedelta(hours=8)),
                  "last_clear_liquid": local(starts - timedelta(hours=3)),
                  "alcohol_cannabis": "no"},
        "medicines": {"medications": "no"},
        "health": {"new_illness": "no", "pregnancy": "no", "blood_pressure": "no"},
        "questions": {"questions": ""},
    }


def open_link(browser: HttpBrowser, token: str, date_of_birth: str) -> None:
    """Open a personal link and pass the date-of-birth check."""
    response = browser.get(f"/p/{token}")
    if response.status_code != 302:
        raise AssertionError(f"opening the link gave {response.status_code}")
    response = browser.submit("/checklist/verify", {"date_of_birth": date_of_birth})
    if response.status_code != 302:
        raise AssertionError(f"the date-of-birth check gave {response.status_code}")


def save_section(browser: HttpBrowser, section: str, data: dict[str, str],
                 button: str = "continue") -> requests.Response:
    page = f"/checklist/step/{section}"
    return browser.submit(page, {**data, "action": button})


def sign_in(browser: HttpBrowser, email: str, password: str) -> requests.Response:
    return browser.submit("/staff/sign-in", {"email": email, "password": password},
                          action="/staff/sign-in")


def submit_checklist(browser: HttpBrowser, attested_name: str) -> requests.Response:
    return browser.submit("/checklist/review", {"attested_name": attested_name})
