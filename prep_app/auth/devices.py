"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

A browser that signed in to an account gets a signed cookie naming that account and a random
nonce. Later sign-ins to the same account from that browser are "known": the account's lockout
does not stop them, so a stranger guessing passwords elsewhere cannot keep the person out. A
known browser has an allowance of its own (``MAX_FAILED_SIGN_INS`` wrong passwords per
``LOCK_DURATION``), counted in the rate-limit storage under its nonce; once that is used up it
counts as an unknown browser again. Unknown browsers stay under the account's lockout.
"""

from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItemPerSecond

from ..extensions import limiter
from ..services.sign_in import LOCK_DURATION, MAX_FAILED_SIGN_INS

COOKIE = "prep_device"
MAX_AGE_DAYS = 180
ALLOWANCE = RateLimitItemPerSecond(MAX_FAILED_SIGN_INS, int(LOCK_DURATION.total_seconds()))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="prep-device-cookie")


def known_nonce(user_id: int | None) -> str | None:
    """This browser's nonce, when its device cookie names ``user_id`` and has allowance left."""
    raw = request.cookies.get(COOKIE)
    if user_id is None or not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("u") != user_id:
        return None
    nonce = value.get("n")
    if not isinstance(nonce, str) or not limiter.limiter.test(ALLOWANCE, "device", nonce):
        return None
    return nonce


def count_failure(nonce: str) -> None:
    limiter.limiter.hit(ALLOWANCE, "device", nonce)


def remember(response, user_id: int):
    """After a successful sign-in: this browser is known to this account from now on."""
    value = _serializer().dumps({"u": user_id, "n": secrets.token_urlsafe(16)})
    response.set_cookie(COOKIE, value, max_age=MAX_AGE_DAYS * 86400, httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax",
                        path="/staff/")
    return response
