"""The driver's page: a link of their own, sent by text when the patient agreed.

The text's ``/p/<token>`` (the patients' door: see ``patient.views.open_link``) trades the
token for a session bound to that one driver link and redirects to ``/ride/``, so the token
leaves the address bar. The page shows only the patient's first name, the day, the pick-up
time and the clinic's address and phone, with two answers, each a POST with a CSRF token.
Every view and every answer writes an audit row (ids only).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from .. import limits
from ..database import writes_on_get
from ..errors import on_input_error
from ..models import DriverReply, utcnow
from ..services import drivers

bp = Blueprint("driver", __name__, url_prefix="/ride")

LINK_KEY = "driver_link_id"


class ReplyForm(FlaskForm):
    """Only the CSRF token (checked for every POST): the button pressed is the answer."""


@bp.before_request
def load_link():
    link_id = session.get(LINK_KEY)
    link = drivers.find_usable(utcnow(), link_id=link_id) if isinstance(link_id, int) else None
    if link is None:
        session.pop(LINK_KEY, None)
        return render_template("driver/link_problem.html"), 404
    g.driver_link = link
    return None


@bp.context_processor
def site_name():
    """The driver's pages go by the texts' sender name, not the clinic's own."""
    return {"site_name": current_app.config["MESSAGE_SENDER_NAME"]}


def enter(link):
    """A driver's token came through the door: remember the link, drop the token."""
    session[LINK_KEY] = link.id
    return redirect(url_for("driver.ride"))


@bp.get("/")
@writes_on_get
@limits.driver
def ride():
    drivers.record_view(g.driver_link, utcnow())
    return _page()


def _page(status: int = 200):
    appointment = g.driver_link.appointment
    return render_template(
        "driver/ride.html", form=ReplyForm(), first_name=drivers.first_name(appointment),
        appointment=appointment, pickup_at=drivers.pickup_at(appointment),
        place=drivers.place_of(appointment), reply=appointment.driver_reply,
        is_open=drivers.is_reply_open(appointment, utcnow())), status


@bp.post("/coming")
@limits.driver
def coming():
    return _reply(DriverReply.COMING)


@bp.post("/not-coming")
@limits.driver
def not_coming():
    return _reply(DriverReply.NOT_COMING)


def _reply(answer: DriverReply):
    on_input_error(lambda error: _page(error.status))  # the session started meanwhile
    drivers.reply(g.driver_link, answer, utcnow())
    flash(_("Thank you. We have your answer."), "success")
    return redirect(url_for("driver.ride"))
