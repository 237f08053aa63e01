"""Provider webhooks: Twilio's delivery reports and incoming texts.

No one signs in here: a request is accepted only with a valid ``X-Twilio-Signature`` (the
library's RequestValidator, over the address Twilio called, rebuilt from PUBLIC_BASE_URL or,
without it, from the request as the proxy passed it on), else 403. CSRF does not apply (the
signature stands in for it); the rate limit does, as on anything a stranger can reach.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from .. import limits
from ..extensions import csrf
from ..gateways import twilio
from ..models import utcnow
from ..security import base_url
from ..services import texts

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)


def signed_by_twilio(view):
    """403 unless Twilio signed this request (under the rate limit: a flood of forgeries
    is counted too)."""

    @wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config["TWILIO_AUTH_TOKEN"]
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature or not RequestValidator(token).validate(
                _called_url(), request.form, signature):
            abort(403)
        return view(*args, **kwargs)

    return checked


def _called_url() -> str:
    query = request.query_string.decode("latin-1")
    return base_url() + request.path + (f"?{query}" if query else "")


@bp.post("/twilio/status")
@limits.webhook
@signed_by_twilio
def twilio_status():
    """A delivery report for a text we sent: delivered, undelivered or failed."""
    outcome = twilio.reported(request.form.get("MessageStatus", ""),
                              request.form.get("ErrorCode"))
    sid = request.form.get("MessageSid", "")
    if outcome is not None and sid:
        texts.record_report(sid, *outcome, utcnow())
    return "", 204


@bp.post("/twilio/inbound")
@limits.webhook
@signed_by_twilio
def twilio_inbound():
    """A text someone sent to our number: STOP and START (and their synonyms) are acted on;
    anything else is not kept. Twilio sends its own confirmation of STOP and START."""
    phone = request.form.get("From", "")
    if phone:
        texts.record_reply(phone[:20], request.form.get("Body", ""), utcnow())
    return str(MessagingResponse()), 200, {"Content-Type": "text/xml"}
