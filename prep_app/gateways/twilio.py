"""Texts through Twilio (``SMS_BACKEND=twilio``), with the official ``twilio`` library.

``TWILIO_API_BASE`` (default Twilio's own address) is where the library's requests go: the
library's documented extension point, a custom ``http_client``, rewrites the address, so the
tests run the real library against a Twilio-speaking server of their own on loopback.

Twilio's answer decides what happens next: a message sid is "sent"; 429, a 5xx, a timeout or
an unreachable server are worth trying again later (the worker's backoff); an opted-out or
invalid number never will work, and says so in plain words for the desk.
"""

from __future__ import annotations

import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from . import OptedOut, Outgoing, PermanentFailure, TemporaryFailure

TWILIO_API = "https://api.twilio.com"
# Twilio's error codes that will never work for this number, in the desk's words.
CHECK_THE_NUMBER = "text failed: check the number"
OPTED_OUT = "opted out by text"
PERMANENT_CODES = {
    21211: CHECK_THE_NUMBER,  # not a valid phone number
    21614: CHECK_THE_NUMBER,  # not a mobile number
    21612: CHECK_THE_NUMBER,  # Twilio cannot reach this number
    21408: CHECK_THE_NUMBER,  # a country the account may not text
}
OPTED_OUT_CODE = 21610  # the number replied STOP to us
ACCOUNT_CODES = {20003, 20404}  # Twilio refused our account sid or auth token
NOT_SET_UP = "texts are not set up right: tell the administrator (Twilio error {code})"
# Delivery reports (the status callback): codes that mean the number itself is wrong.
WRONG_NUMBER_CODES = {21211, 21614, 30005, 30006}  # invalid, not mobile, unknown, landline
UNREACHABLE_CODE = 30003

# The library logs each request's address and headers at INFO; ours are quiet by default.
quiet = logging.getLogger("prep_app.twilio_http")
quiet.setLevel(logging.WARNING)


class ApiBaseClient(TwilioHttpClient):
    """The library's HTTP client, sending to ``base`` instead of Twilio's own address."""

    def __init__(self, base: str, timeout: float):
        super().__init__(timeout=timeout, logger=quiet)
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioGateway:
    channel = "sms"

    def __init__(self, account_sid: str, auth_token: str, sender: str, api_base: str,
                 status_callback: str | None = None, timeout: float = 20):
        self.sender, self.status_callback = sender, status_callback
        self.client = Client(account_sid, auth_token,
                             http_client=ApiBaseClient(api_base, timeout))

    @classmethod
    def from_config(cls, config, status_callback: str | None = None) -> TwilioGateway:
        return cls(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                   config["TWILIO_FROM"], config["TWILIO_API_BASE"], status_callback,
                   config["TWILIO_TIMEOUT_SECONDS"])

    def send(self, outgoing: Outgoing) -> str:
        try:
            sent = self.client.messages.create(to=outgoing.to, from_=self.sender,
                                               body=outgoing.body,
                                               status_callback=self.status_callback)
        except TwilioRestException as error:
            raise failure(error.status, error.code) from None
        except (requests.RequestException, TwilioException) as error:
            raise TemporaryFailure(f"text service unreachable ({type(error).__name__})") from None
        return sent.sid


def failure(http_status: int, code: int | None) -> Exception:
    """What Twilio's refusal means for this message."""
    if code == OPTED_OUT_CODE:
        return OptedOut(OPTED_OUT)
    if code in PERMANENT_CODES:
        return PermanentFailure(PERMANENT_CODES[code])
    if code in ACCOUNT_CODES or http_status in (401, 403):
        return PermanentFailure(NOT_SET_UP.format(code=code or http_status))
    if http_status == 429 or http_status >= 500:
        return TemporaryFailure(f"text service busy ({http_status}); trying again")
    return PermanentFailure(f"text refused by Twilio (error {code or http_status})")


def reported(message_status: str, error_code: str | None) -> tuple[str, str | None] | None:
    """A status callback's outcome for the desk: ("delivered", None), ("failed", reason),
    ("undeliverable", reason) or ("opted_out", reason); None for the steps on the way
    (queued, sending, sent), which change nothing."""
    if message_status == "delivered":
        return "delivered", None
    if message_status not in ("undelivered", "failed"):
        return None
    code = int(error_code) if (error_code or "").isdigit() else None
    if code == OPTED_OUT_CODE:
        return "opted_out", OPTED_OUT
    if code in WRONG_NUMBER_CODES:
        return "undeliverable", CHECK_THE_NUMBER
    if code == UNREACHABLE_CODE:
        return "failed", "text not delivered: the phone was off or out of reach"
    return "failed", f"text not delivered (Twilio error {code})" if code else "text not delivered"
