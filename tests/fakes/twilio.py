"""A small HTTP server on loopback that speaks Twilio's Messages API, for the real ``twilio``
library to talk to (``TWILIO_API_BASE`` points there).

``POST /2010-04-01/Accounts/{sid}/Messages.json`` with basic auth (the account sid and auth
token) answers 201 with a message resource like Twilio's; 400 with code 21610 for a number in
``opted_out``, 21211 for one in ``invalid``; ``answer_next(429)`` or ``answer_next(500)`` makes
the next request(s) fail that way; ``stall_next(seconds)`` holds the next one that long (then
refuses it, accepting nothing), past the app's timeout. ``report(sid, "delivered")`` calls back
the status callback the message was sent with, and ``text_in(url, from_, body)`` posts an
incoming text to a webhook: both signed exactly as Twilio signs them (``X-Twilio-Signature``:
RequestValidator's HMAC-SHA1 of the URL and the sorted parameters, with the auth token).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator

from ..worker_process import wait_until

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
FROM = "+14355550199"
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")


def signed(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    """The headers Twilio sends with a webhook to ``url`` carrying ``params``."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params),
            "User-Agent": "TwilioProxy/1.1"}


class FakeTwilio:
    def __init__(self):
        self.sent: list[dict] = []  # every accepted message, as Twilio keeps it
        self.requests = 0
        self.opted_out: set[str] = set()
        self.invalid: set[str] = set()
        self._next: list[int] = []
        self._stall = 0.0
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def settings(self) -> dict[str, str]:
        """The app's settings for texting through this server."""
        return {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": FROM,
                "TWILIO_API_BASE": self.url}

    def answer_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self._next.extend([status] * times)

    def stall_next(self, seconds: float) -> None:
        with self.lock:
            self._stall = seconds

    def wait_for(self, count: int) -> list[dict]:
        def arrived():
            with self.lock:
                return list(self.sent) if len(self.sent) >= count else None

        return wait_until(arrived, what=f"{count} text(s) at the fake Twilio")

    # Twilio calling us ---------------------------------------------------------------------

    def report(self, sid: str, status: str, error_code: int | None = None) -> requests.Response:
        """Twilio's status callback for message ``sid``, to the URL it was sent with."""
        message = next(m for m in self.sent if m["sid"] == sid)
        params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "From": FROM,
                  "MessageSid": sid, "MessageStatus": status, "SmsSid": sid,
                  "SmsStatus": status, "To": message["to"]}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self.call(message["status_callback"], params)

    def text_in(self, url: str, from_: str, body: str) -> requests.Response:
        """An incoming text from ``from_`` to our number, posted to the webhook at ``url``."""
        sid = "SM" + secrets.token_hex(16)
        params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "Body": body,
                  "From": from_, "FromCountry": "US", "MessageSid": sid, "NumMedia": "0",
                  "NumSegments": "1", "SmsMessageSid": sid, "SmsSid": sid,
                  "SmsStatus": "received", "To": FROM, "ToCountry": "US"}
        return self.call(url, params)

    @staticmethod
    def call(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> requests.Response:
        return requests.post(url, data=params, headers=signed(url, params, token), timeout=10,
                             allow_redirects=False)

    # The Messages API ----------------------------------------------------------------------

    def _answer(self, path: str, authorization: str, form: dict[str, str]) -> tuple[int, dict]:
        with self.lock:
            self.requests += 1
            forced = self._next.pop(0) if self._next else None
            stall, self._stall = self._stall, 0.0
        if stall:
            time.sleep(stall)
            return 503, _error(20503, "Service Unavailable", 503)
        found = MESSAGES.match(path)
        if found is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if found.group(1) != ACCOUNT_SID or authorization != f"Basic {expected}":
            return 401, _error(20003, "Authenticate", 401)
        if forced == 429:
            return 429, _error(20429, "Too Many Requests", 429)
        if forced is not None:
            return forced, _error(20500, "Internal Server Error", forced)
        to = form.get("To", "")
        if not form.get("Body") or not form.get("From"):
            return 400, _error(21602, "Message body is required.", 400)
        if to in self.invalid or not re.fullmatch(r"\+[1-9]\d{6,14}", to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if to in self.opted_out:
            return 400, _error(21610, "Attempt to send to unsubscribed recipient", 400)
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        message = {
            "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_sent": None, "date_updated": now, "direction":
            "outbound-api", "error_code": None, "error_message": None, "from": form["From"],
            "messaging_service_sid": None, "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}"
                                          "/Media.json"},
            "to": to, "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        with self.lock:
            self.sent.append({**message, "status_callback": form.get("StatusCallback")})
        return 201, message

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {key: values[-1] for key, values in parse_qs(raw).items()}
                status, body = fake._answer(self.path, self.headers.get("Authorization", ""),
                                            form)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped waiting (its timeout): as with Twilio, no matter

            def log_message(self, *args) -> None:  # quiet: bodies hold patient links
                pass

        return Handler


def _error(code: int, message: str, status: int) -> dict:
    return {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
