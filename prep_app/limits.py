"""Rate limits on what a stranger can reach: per client address and for everyone together.

The views wear these decorators; the numbers are settings (``SIGN_IN_RATE_LIMIT``,
``PATIENT_RATE_LIMIT``, ``API_RATE_LIMIT``, ``OVERALL_RATE_LIMIT``) and the counts live where
``RATELIMIT_STORAGE_URI`` says. A burst gets the calm 429 page (errors.py) with Retry-After.
Only unsafe requests, link openings and FHIR API calls count: reading a form is not a try
(the driver's page, reached from a text by a stranger to the app, counts every request).
"""

from __future__ import annotations

from flask import current_app

from .extensions import limiter


def _setting(name: str):
    return lambda: current_app.config[name]


def _off() -> bool:
    return not current_app.config.get("RATE_LIMITING", True)


def _everyone() -> str:
    return "everyone"


def _limits(scope: str, per_client: str, methods: list[str] | None):
    client = limiter.shared_limit(_setting(per_client), scope=scope, methods=methods,
                                  exempt_when=_off)
    overall = limiter.shared_limit(_setting("OVERALL_RATE_LIMIT"), scope=scope + "-all",
                                   key_func=_everyone, methods=methods, exempt_when=_off)

    def decorate(view):
        return client(overall(view))

    return decorate


def sign_in(view):
    """Sign-in attempts (POST) and anything else that checks a staff password."""
    return _limits("sign-in", "SIGN_IN_RATE_LIMIT", ["POST"])(view)


def patient_link(view):
    """Opening a link; it shares one allowance with the date-of-birth answers."""
    return _limits("patient", "PATIENT_RATE_LIMIT", ["GET"])(view)


def driver(view):
    """The driver's page and answers (any method), on the patients' allowance."""
    return _limits("driver", "PATIENT_RATE_LIMIT", None)(view)


def date_of_birth(view):
    """Date-of-birth answers (POST), counted with the link openings."""
    return _limits("patient", "PATIENT_RATE_LIMIT", ["POST"])(view)


def language(view):
    """The patient's language switch: reachable without a link, so it has its own allowance."""
    return _limits("language", "PATIENT_RATE_LIMIT", ["GET"])(view)


def api(view):
    """The FHIR API for integrations: every call, with a token or without."""
    return _limits("api", "API_RATE_LIMIT", None)(view)


def webhook(view):
    """A provider's webhook (signature-checked), per calling address and overall."""
    return _limits("webhook", "WEBHOOK_RATE_LIMIT", ["POST"])(view)


def resend(view):
    """The desk's Resend button: a double click or a stuck finger, not a flood of texts."""
    return _limits("resend", "RESEND_RATE_LIMIT", ["POST"])(view)
