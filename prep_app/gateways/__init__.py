"""Email and text providers behind one small interface.

A gateway has ``channel`` ("email" or "sms") and ``send(outgoing) -> provider id``; it raises
:class:`TemporaryFailure` (worth trying again later: a timeout, 429, 5xx) or
:class:`PermanentFailure` (will never work: an invalid number, an opted-out number). A second
provider implements the same two things. :func:`for_app` picks them from the settings; with no
settings outside production, a development outbox stands in (console and a page staff can open).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outgoing:
    """One message, ready for the wire. ``body`` holds the personal link: never log it."""

    to: str
    body: str
    subject: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    reference: str = ""  # our message id, for the provider's status callback


class GatewayFailure(Exception):
    """The provider refused or could not be reached; the words go on the board."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:300]


class TemporaryFailure(GatewayFailure):
    pass


class PermanentFailure(GatewayFailure):
    pass


class OptedOut(PermanentFailure):
    """The provider says this number asked for no more texts (it replied STOP)."""


def for_app(app) -> dict:
    """{"email": gateway, "sms": gateway} from the settings; a channel with no provider is left
    out (its messages are suppressed), except outside production, where the outbox takes it."""
    from ..config import is_production
    from . import outbox, smtp

    config = app.config
    found = {}
    if config.get("SMTP_HOST"):
        found["email"] = smtp.SmtpGateway.from_config(config)
    if config.get("SMS_BACKEND") == "twilio":
        from . import twilio

        found["sms"] = twilio.TwilioGateway.from_config(config, status_callback(app))
    if not is_production(config):
        for channel in ("email", "sms"):
            found.setdefault(channel, outbox.OutboxGateway(channel, outbox.folder(app)))
    return found


def status_callback(app) -> str | None:
    """Where the provider reports delivery (``POST /hooks/twilio/status``): only with a
    PUBLIC_BASE_URL, the address the provider can reach."""
    base = app.config.get("PUBLIC_BASE_URL")
    if not base:
        return None
    return base + app.url_map.bind("localhost").build("hooks.twilio_status")
