"""The front desk: one board per clinic day, and what the desk does about each appointment.

The board reads one day in a fixed number of queries (``status.appointments_on`` and
``status.overview``); counts, filter and search work on that result in memory. A new patient link
is shown once, in the response to the POST that made it: the token never goes into a URL, a
flash message or a log.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from datetime import date, datetime, timedelta

import segno
from babel.dates import format_datetime
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import limits
from ..auth.access import STAFF, require_roles, signed_in
from ..database import start_writing, writes_on_get
from ..errors import on_input_error
from ..extensions import db
from ..models import Appointment, CancelReason, Location, Message, PatientLink, Role, utcnow
from ..readiness import Status
from ..security import base_url
from ..services import appointments as appointment_service
from ..services import audit, links, locations, messages, rules, settings, status, texts
from ..services.appointments import AppointmentError
from ..services.errors import Conflict, InputError
from ..templating import pretty_phone
from . import forms

bp = Blueprint("frontdesk", __name__, url_prefix="/board")
require_roles(bp, *STAFF)

AUTO_REFRESH = "auto-refresh"  # the poll's HX-Trigger-Name: not activity for the idle timeout
REFRESH_SECONDS = 30
SEARCH_LIMIT = 100
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2100, 12, 31)


@bp.context_processor
def frontdesk_helpers():
    return {"short_when": short_when, "refresh_seconds": REFRESH_SECONDS,
            "auto_refresh": AUTO_REFRESH}


def short_when(moment: datetime | None) -> str:
    """"Today 10:32", "Yesterday 17:05" or "3 Dec 2026, 10:32" on the clinic's clock."""
    if moment is None:
        return ""
    local = settings.to_local(moment)
    today = settings.today()
    if local.date() == today:
        return f"Today {local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {local:%H:%M}"
    return format_datetime(local, "d MMM y, HH:mm", locale="en")


# The board ---------------------------------------------------------------------------------


def _chosen_day() -> tuple[date, bool]:
    """The ``?date=`` asked for (default: the clinic's today) and whether it could be read."""
    raw = request.args.get("date", "").strip()
    if not raw:
        return settings.today(), True
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return settings.today(), False
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return settings.today(), False
    return day, True


ARRIVED = "checked_in"  # a board filter beside the statuses: checked in is not a status


def _chosen_status() -> str:
    raw = request.args.get("status", "")
    return raw if raw in {s.value for s in Status} | {ARRIVED} else ""


def _matches(row: status.AppointmentStatus, chosen: str) -> bool:
    if chosen == ARRIVED:
        return row.readiness.is_checked_in
    return not chosen or row.readiness.status == chosen


def _chosen(name: str, offered: list[str]) -> str:
    """A session type or clinician to show only, if the day has it (else everything)."""
    raw = request.args.get(name, "")
    return raw if raw in offered else ""


def _chosen_location(places: list) -> Location | None:
    """The ``?location=`` to show only, when the clinic has several (else everything)."""
    raw = request.args.get("location", "")
    return next((p for p in places if str(p.id) == raw), None) if len(places) > 1 else None


def _search_words() -> str:
    """A name search comes in a POST body only: patient names never go into URLs (and so
    never into access logs, history or ``next=``)."""
    from ..services.text import clean

    return clean(request.form.get("q", ""))[:SEARCH_LIMIT] if request.method == "POST" else ""


@bp.route("/", methods=["GET", "POST"])
def board():
    day, is_date_ok = _chosen_day()
    chosen_status, q = _chosen_status(), _search_words()
    places = locations.all_locations()
    chosen_place = _chosen_location(places)
    rows = [row for row in status.overview(status.appointments_on(day))
            if chosen_place is None or row.appointment.location_id == chosen_place.id]
    counts = Counter(row.readiness.status for row in rows)
    counts[ARRIVED] = sum(row.readiness.is_checked_in for row in rows)
    session_types = sorted({r.appointment.session_type for r in rows} - {""}, key=str.casefold)
    clinicians = sorted({r.appointment.clinician_name for r in rows} - {""}, key=str.casefold)
    chosen_type = _chosen("session_type", session_types)
    chosen_clinician = _chosen("clinician", clinicians)
    shown = [row for row in rows if _matches(row, chosen_status)
             and (not chosen_type or row.appointment.session_type == chosen_type)
             and (not chosen_clinician or row.appointment.clinician_name == chosen_clinician)
             and (not q or q.casefold() in row.patient.full_name.casefold())]
    params = {"date": day.isoformat() if request.args.get("date") and is_date_ok else "",
              "status": chosen_status, "session_type": chosen_type,
              "clinician": chosen_clinician,
              "location": str(chosen_place.id) if chosen_place else ""}

    def board_url(**changes) -> str:
        merged = {**params, **changes}
        return url_for("frontdesk.board", **{k: v for k, v in merged.items() if v})

    context = dict(day=day, is_today=day == settings.today(), is_date_ok=is_date_ok,
                   rows=shown, total=len(rows), counts=counts, statuses=list(Status),
                   arrived=ARRIVED, summary=status.summarise(rows),
                   chosen_status=chosen_status, q=q, board_url=board_url, now=utcnow(),
                   check_in_refusal=rules.check_in_refusal,
                   session_types=session_types, clinicians=clinicians, chosen_type=chosen_type,
                   chosen_clinician=chosen_clinician, places=places, chosen_place=chosen_place,
                   can_import=current_user.role in (Role.FRONT_DESK, Role.ADMIN),
                   previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))
    if request.headers.get("HX-Request") == "true":
        # The poll (or any htmx request) gets the live part only; the script checks the marker.
        html = render_template("frontdesk/_board_live.html", **context)
        return html, 200, {"Vary": "HX-Request", "X-Board-Fragment": "1"}
    html = render_template("frontdesk/board.html", **context)
    # A full page load is a look at the day (the refresh above is the same look): on the record.
    start_writing()  # the page is drawn: only now take the write lock, for its audit row
    audit.record_view("board.view", [row.appointment.id for row in shown],
                      day.isoformat() + (f", location {chosen_place.id}" if chosen_place else ""),
                      actor=signed_in())
    return html, 200, {"Vary": "HX-Request"}


@bp.get("/print")
def board_print():
    """The day on paper, as the desk prints it in the morning: every session not cancelled, with
    empty tick columns for arrived and left with driver."""
    day, _ = _chosen_day()
    rows = [row for row in status.overview(status.appointments_on(day))
            if not row.appointment.is_cancelled]
    html = render_template("frontdesk/print.html", day=day, rows=rows, now=utcnow())
    start_writing()  # as for the board: the write lock only once the page is drawn
    audit.record_view("board.print", [row.appointment.id for row in rows], day.isoformat(),
                      actor=signed_in())
    return html


# One appointment ---------------------------------------------------------------------------


def _load(appointment_id: int) -> Appointment:
    appointment = db.session.scalar(select(Appointment).options(
        joinedload(Appointment.patient)).where(Appointment.id == appointment_id))
    if appointment is None:
        abort(404)
    return appointment


def newest_link(appointment: Appointment) -> dict:
    """The newest link and its state: none, active until ..., revoked, or expired."""
    link = db.session.scalar(select(PatientLink).where(
        PatientLink.appointment_id == appointment.id).order_by(PatientLink.id.desc()).limit(1))
    return {"state": links.state(link, utcnow()), "link": link}


CHANGED_MEANWHILE = ("Someone else changed this appointment at the same moment. Here it is as it "
                     "is now: please check, then try again.")
TRY_AGAIN = "Someone else was saving the same patient at the same moment. Please book again."
STALE_PAGE = "This page was open too long or came from somewhere else. Please try again."
PAGE_FORMS = {"contact_form": forms.ContactForm, "reschedule_form": forms.RescheduleForm,
              "cancel_form": forms.CancelForm, "check_in_form": forms.CheckInForm,
              "note_form": forms.DeskNoteForm, "left_form": forms.LeftForm}


def _page(appointment: Appointment, code: int = 200, bound=None, problem: str | None = None):
    """The appointment page; ``bound`` is a form that failed, shown with its errors."""
    row = status.for_appointment(appointment)
    items = row.submission.checklist_version.items if row.submission else []
    local, patient = appointment.location.to_local(appointment.starts_at), appointment.patient
    fresh = {
        "contact_form": {"phone": pretty_phone(patient.phone), "email": patient.email,
                         "language": patient.language or ""},
        "reschedule_form": {"new_day": local.date(), "new_time": local.time().replace(second=0),
                            "location": str(appointment.location_id)},
        "note_form": {"desk_note": appointment.desk_note or ""},
        "left_form": {"left_with": row.driver_name,
                      "left_at_time": settings.to_local(utcnow()).time().replace(
                          second=0, microsecond=0)},
    }
    page_forms = {name: bound if type(bound) is cls else cls(formdata=None, **fresh.get(name, {}))
                  for name, cls in PAGE_FORMS.items()}
    if problem is None and type(bound) is forms.ActionForm and bound.errors:
        problem = STALE_PAGE  # a button-only form has no field to show its error next to
    now = utcnow()
    return render_template(
        "frontdesk/appointment.html", appointment=appointment, patient=appointment.patient,
        row=row, items={item.key: item for item in items}, link=newest_link(appointment),
        change_refusal=rules.change_refusal(appointment),
        link_refusal=rules.link_refusal(appointment, now),
        check_in_refusal=rules.check_in_refusal(appointment, now), problem=problem,
        session_day=local.date().isoformat(), sent=messages.for_appointment(appointment.id),
        resendable=messages.RESENDABLE,
        texts_stopped=bool(patient.phone) and texts.is_opted_out(patient.phone),
        has_started=appointment.starts_at <= now,
        **page_forms), code


@bp.get("/a/<int:appointment_id>")
@writes_on_get
def appointment(appointment_id: int):
    """The appointment, with the driver the patient named: a view of their answers, audited."""
    appointment = _load(appointment_id)
    audit.record("appointment.view", record_type="appointment", record_id=appointment.id,
                 patient_id=appointment.patient_id, actor=signed_in())
    return _page(appointment)


@bp.get("/a/<int:appointment_id>/answers")
@writes_on_get
def answers(appointment_id: int):
    """The patient's answers, by section. Every view is in the audit log."""
    appointment = _load(appointment_id)
    row = status.for_appointment(appointment)
    submission = row.submission
    sections = []
    if submission is not None:
        version = submission.checklist_version
        for section in version.sections:
            items = [i for i in version.items if i.section == section["key"]]
            sections.append({"title": section["title"], "items": items})
        audit.record("answers.view", record_type="submission", record_id=submission.id,
                     patient_id=appointment.patient_id, actor=signed_in())
    flagged = set(row.readiness.flags) | set(row.readiness.blocking)
    return render_template("frontdesk/answers.html", appointment=appointment, row=row,
                           sections=sections, answers=row.answers, flagged=flagged)


def _act(appointment_id: int, form_class, action, success: str = "", then=None):
    """Validate the form, run ``action(appointment, form)`` (service calls) and go back to the
    appointment's page, saying ``success``; or, with ``then``, answer
    ``then(appointment, what action returned)``. A refusal shows next to the form, with nothing
    written; so does a change someone else made at the same moment (theirs stands, and the
    person sees the appointment as it is now)."""
    appointment = _load(appointment_id)
    form = form_class()
    if not form.validate_on_submit():
        return _page(appointment, 400, bound=form)

    def refused(error: InputError):
        problem = CHANGED_MEANWHILE if isinstance(error, Conflict) else error.message
        return _page(_load(appointment_id), error.status, bound=form, problem=problem)

    on_input_error(refused)
    result = action(appointment, form)
    if then is not None:
        return then(appointment, result)
    flash(success, "success")
    return redirect(url_for("frontdesk.appointment", appointment_id=appointment_id))


def _change_contact(appointment: Appointment, form: forms.ContactForm) -> None:
    appointment_service.update_contact(appointment.patient, form.phone.data, form.email.data,
                                       form.language.data, actor=signed_in())


def _reschedule(appointment: Appointment, form: forms.RescheduleForm) -> None:
    place = forms.chosen_location(form) or appointment.location
    appointment_service.reschedule(
        appointment, forms.starts_at_utc(form.new_day.data, form.new_time.data, place.zone),
        form.move_reason.data, actor=signed_in(), location=place)


def _cancel(appointment: Appointment, form: forms.CancelForm) -> None:
    appointment_service.cancel(appointment, actor=signed_in(),
                               reason=CancelReason(form.cancel_reason.data))


def _note(appointment: Appointment, form: forms.DeskNoteForm) -> None:
    appointment_service.set_desk_note(appointment, form.desk_note.data, actor=signed_in())


def _check_in(appointment: Appointment, form: forms.CheckInForm) -> None:
    appointment_service.check_in(appointment, bool(form.driver_confirmed.data),
                                 bool(form.clinician_knows.data), actor=signed_in())


def _no_show(appointment: Appointment, form: forms.ActionForm) -> None:
    appointment_service.mark_no_show(appointment, actor=signed_in())


def _left(appointment: Appointment, form: forms.LeftForm) -> None:
    place = appointment.location
    day = place.to_local(appointment.starts_at).date()
    appointment_service.mark_left(appointment, form.left_with.data,
                                  forms.starts_at_utc(day, form.left_at_time.data, place.zone),
                                  actor=signed_in())


def _revoke(appointment: Appointment, form: forms.ActionForm) -> None:
    links.revoke_all(appointment, actor=signed_in())


def _issue(appointment: Appointment, form: forms.ActionForm) -> str:
    rules.require(rules.link_refusal(appointment, utcnow()))
    return links.issue(appointment, actor=signed_in())


@bp.post("/a/<int:appointment_id>/contact")
def edit_contact(appointment_id: int):
    return _act(appointment_id, forms.ContactForm, _change_contact, "Contact details saved.")


@bp.post("/a/<int:appointment_id>/reschedule")
def reschedule(appointment_id: int):
    return _act(appointment_id, forms.RescheduleForm, _reschedule, "Appointment moved.")


@bp.post("/a/<int:appointment_id>/cancel")
def cancel(appointment_id: int):
    return _act(appointment_id, forms.CancelForm, _cancel,
                "Appointment cancelled. The patient's link no longer works.")


@bp.post("/a/<int:appointment_id>/note")
def desk_note(appointment_id: int):
    return _act(appointment_id, forms.DeskNoteForm, _note, "Note saved.")


@bp.post("/a/<int:appointment_id>/check-in")
def check_in(appointment_id: int):
    return _act(appointment_id, forms.CheckInForm, _check_in, "Checked in.")


@bp.post("/a/<int:appointment_id>/no-show")
def no_show(appointment_id: int):
    return _act(appointment_id, forms.ActionForm, _no_show, "Marked as a no-show.")


@bp.post("/a/<int:appointment_id>/left")
def left(appointment_id: int):
    return _act(appointment_id, forms.LeftForm, _left, "Recorded: the patient has left.")


def _send_link(appointment: Appointment, form: forms.ActionForm) -> None:
    now = utcnow()
    rules.require(rules.link_refusal(appointment, now))
    if not messages.plan_link(appointment, now, actor=signed_in()):
        raise AppointmentError("There is no mobile number or email for this patient: add one "
                               "under Patient, or give them the link by hand.")


@bp.post("/a/<int:appointment_id>/link/send")
def send_link(appointment_id: int):
    """Send the patient a link of their own by text and email (the job worker sends it)."""
    return _act(appointment_id, forms.ActionForm, _send_link,
                "The link is on its way to the patient. It appears under Texts and emails.")


def _resend(message_id: int):
    def action(appointment: Appointment, form: forms.ActionForm) -> None:
        message = db.session.get(Message, message_id)
        if message is None or message.appointment_id != appointment.id:
            abort(404)
        messages.resend(message, utcnow(), actor=signed_in())

    return action


@bp.post("/a/<int:appointment_id>/messages/<int:message_id>/resend")
@limits.resend
def resend_message(appointment_id: int, message_id: int):
    """Send a text or email again (a fresh copy, with a link of its own)."""
    return _act(appointment_id, forms.ActionForm, _resend(message_id),
                "A fresh copy is on its way. It appears under Texts and emails.")


@bp.post("/a/<int:appointment_id>/link/revoke")
def revoke_link(appointment_id: int):
    return _act(appointment_id, forms.ActionForm, _revoke, "Link revoked. It no longer works.")


@bp.post("/a/<int:appointment_id>/link")
def issue_link(appointment_id: int):
    """Issue a new link (any older one stops working) and show it once, in this response."""
    return _act(appointment_id, forms.ActionForm, _issue, then=_link_page)


def _link_page(appointment: Appointment, token: str):
    url = links.public_url(token, base_url())
    qr = segno.make(url, error="m").svg_data_uri(scale=5, border=2, dark="#000")
    return render_template("frontdesk/link.html", appointment=appointment,
                           patient=appointment.patient, url=url, qr=qr,
                           expires_at=links.expiry_for(appointment))


# A new appointment -------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
def new_appointment():
    form = forms.AppointmentForm()
    if request.method == "GET":
        form.day.data = settings.today()  # the clinic's today, or the day chosen on the board
        with suppress(ValueError):
            form.day.data = date.fromisoformat(request.args.get("date", "")[:10])
    if not form.validate_on_submit():
        return render_template("frontdesk/new.html", form=form), 400 if form.errors else 200
    actor = signed_in()

    def refused(error: InputError):
        # A conflict: the same patient was added from another desk at the same moment, and
        # booking again finds their record.
        problem = TRY_AGAIN if isinstance(error, Conflict) else error.message
        return render_template("frontdesk/new.html", form=form, problem=problem), error.status

    on_input_error(refused)
    place = forms.chosen_location(form) or locations.for_booking()
    starts_at = forms.starts_at_utc(form.day.data, form.at.data, place.zone)
    if not form.book_anyway.data:
        warnings = appointment_service.booking_warnings(form.full_name.data,
                                                        form.date_of_birth.data, starts_at, place)
        if warnings:
            return render_template("frontdesk/new.html", form=form, warnings=warnings)
    patient, is_new = appointment_service.find_or_create_patient(
        form.full_name.data, form.date_of_birth.data, form.phone.data, form.email.data,
        actor=actor, language=form.language.data)
    booked = appointment_service.create(patient, starts_at, place, actor=actor)
    token = links.issue(booked, actor=actor) if form.issue_link.data else None
    if current_app.config["MESSAGE_LINK_ON_BOOKING"]:
        messages.plan_link(booked, utcnow(), actor=actor)
    found = "" if is_new else " (an existing patient record, same name and date of birth)"
    flash(f"Appointment booked{found}.", "success")
    if token:
        return _link_page(booked, token)
    return redirect(url_for("frontdesk.appointment", appointment_id=booked.id))


# The development outbox ----------------------------------------------------------------------


@bp.get("/outbox")
def outbox():
    """Development only (404 in production): the texts and emails the outbox gateway kept, in
    full, so a newcomer sees what a patient would get."""
    from ..config import is_production
    from ..gateways import outbox as outbox_gateway

    if is_production(current_app.config):
        abort(404)
    kept = outbox_gateway.read(outbox_gateway.folder(current_app))
    return render_template("frontdesk/outbox.html", kept=kept)
