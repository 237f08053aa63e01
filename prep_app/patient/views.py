"""The patient's journey: a personal link, no account.

``/p/<token>`` trades the token for a session bound to one appointment and redirects to
``/checklist/``, so the token does not stay in the address bar, history or Referer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import timeline
from ..database import writes_on_get
from ..extensions import db
from ..models import ChecklistItem, SubmissionRevision, SubmissionStatus, utcnow
from ..readiness import is_shown
from ..services import audit, checklists, links, settings, submissions
from . import forms

bp = Blueprint("patient", __name__)

LINK_KEY, DOB_KEY = "patient_link_id", "patient_dob_ok"
DOB_MAX_TRIES, DOB_PAUSE = 5, timedelta(minutes=15)
PUBLIC_ENDPOINTS = {"patient.open_link"}


@bp.before_request
def load_link():
    """Every patient page needs a live link in the session (and the date of birth, if asked)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    link = links.find_usable(link_id=session.get(LINK_KEY)) if session.get(LINK_KEY) else None
    if link is None:
        session.pop(LINK_KEY, None)
        session.pop(DOB_KEY, None)
        return link_problem()
    g.patient_link, g.appointment = link, link.appointment
    if (settings.get().is_dob_check_on and session.get(DOB_KEY) != link.id
            and request.endpoint != "patient.verify"):
        return redirect(url_for("patient.verify"))
    return None


def link_problem():
    """Unknown, expired, revoked and cancelled links all get this same page."""
    return render_template("patient/link_problem.html"), 404


@bp.get("/p/<token>")
@writes_on_get
def open_link(token: str):
    link = links.find_usable(token=token)
    if link is None:
        return link_problem()
    session.pop(DOB_KEY, None)
    session[LINK_KEY] = link.id
    g.patient_link = link
    if link.first_used_at is None:
        link.first_used_at = utcnow()
    audit.record("link.open", record_type="appointment", record_id=link.appointment_id,
                 patient_id=link.appointment.patient_id)
    db.session.commit()
    return redirect(url_for("patient.start"))


@bp.route("/checklist/verify", methods=["GET", "POST"])
def verify():
    link = g.patient_link
    if not settings.get().is_dob_check_on or session.get(DOB_KEY) == link.id:
        return redirect(url_for("patient.start"))
    form = forms.DateOfBirthForm()
    paused = link.dob_locked_until is not None and link.dob_locked_until > utcnow()
    if paused:
        return render_template("patient/verify.html", form=form, paused=True), 429
    if form.validate_on_submit():
        if form.date_of_birth.data == g.appointment.patient.date_of_birth:
            link.failed_dob_attempts = 0
            session[DOB_KEY] = link.id
            audit.record("link.verify", record_type="appointment", record_id=link.appointment_id,
                         patient_id=g.appointment.patient_id)
            db.session.commit()
            return redirect(url_for("patient.start"))
        link.failed_dob_attempts += 1
        if link.failed_dob_attempts >= DOB_MAX_TRIES:
            link.failed_dob_attempts = 0
            link.dob_locked_until = utcnow() + DOB_PAUSE
        audit.record("link.verify_failed", record_type="appointment",
                     record_id=link.appointment_id, patient_id=g.appointment.patient_id)
        db.session.commit()
        if link.dob_locked_until and link.dob_locked_until > utcnow():
            return render_template("patient/verify.html", form=form, paused=True), 429
        form.date_of_birth.errors = [_("That does not match our records. Please check it and "
                                       "try again.")]
    return render_template("patient/verify.html", form=form, paused=False)


def _sections(version) -> list[dict]:
    present = {item.section for item in version.items}
    return [s for s in version.sections if s["key"] in present]


def _context():
    """What every checklist page shows: the appointment, the version, answers so far."""
    appointment = g.appointment
    submission = appointment.submission
    version = submission.checklist_version if submission else checklists.current_version()
    answers = submissions.answers_of(submission)
    return appointment, submission, version, answers


@bp.get("/checklist/")
def start():
    appointment, submission, version, answers = _context()
    sections = _sections(version)
    next_section = _first_unfinished(version, sections, answers)
    return render_template(
        "patient/start.html", appointment=appointment, submission=submission,
        sections=sections, next_section=next_section, started=bool(answers),
        is_open=submissions.is_open_for_changes(submission, appointment))


def _first_unfinished(version, sections, answers) -> str | None:
    rules = {r.key: r for r in checklists.rules(version.items)}
    for section in sections:
        for item in checklists.section_items(version, section["key"]):
            if item.is_required and is_shown(rules[item.key], answers) and not answers.get(
                    item.key):
                return section["key"]
    return None


@bp.route("/checklist/step/<section>", methods=["GET", "POST"])
def step(section: str):
    appointment, submission, version, answers = _context()
    sections = _sections(version)
    keys = [s["key"] for s in sections]
    if section not in keys:
        abort(404)
    items = checklists.section_items(version, section)
    form_class = forms.section_form_class(items, settings.to_local(appointment.starts_at),
                                          settings.get().country)
    is_open = submissions.is_open_for_changes(submission, appointment)
    form = form_class() if request.method == "POST" else form_class(
        formdata=None, data={i.key: forms.from_answer(i, answers.get(i.key, "")) for i in items},
        version=str(submission.version if submission else 0))
    conflict = False
    status = 200
    if request.method == "POST":
        if not is_open:
            flash(_("Your session has started, so answers can no longer be changed here. "
                    "Please talk to the team."), "warning")
            return redirect(url_for("patient.start"))
        outcome = _save(form, items, section)
        if outcome == "saved":
            return _after_save(section, keys)
        conflict = outcome == "conflict"
        status = 409 if conflict else 422
        submission = g.appointment.submission
        form.version.data = str(submission.version if submission else 0)
    index = keys.index(section)
    return render_template(
        "patient/step.html", form=form, section=sections[index], number=index + 1,
        total=len(sections), items=items, conflict=conflict, is_open=is_open,
        previous=keys[index - 1] if index else None), status


def _save(form, items: list[ChecklistItem], section: str) -> str:
    """Save the valid answers of a section. Returns "saved", "invalid" or "conflict"."""
    if not form.is_submitted():
        return "invalid"
    form.validate()
    if "csrf_token" in form.errors:
        return "invalid"
    submission = submissions.get_or_start(g.appointment)
    values = {i.key: forms.to_answer(i, form[i.key].data) for i in items
              if not form[i.key].errors}
    continuing = request.form.get("action") != "later"
    if continuing:
        _require_answers(form, items, values)
    try:
        submissions.save_section(submission, section, values, form.expected_version())
        db.session.commit()
    except (submissions.StaleSave, StaleDataError):
        db.session.rollback()
        return "conflict"
    if any(form[i.key].errors for i in items):
        return "invalid"
    return "saved"


def _require_answers(form, items: list[ChecklistItem], values: dict[str, str]) -> None:
    answers = {**submissions.answers_of(g.appointment.submission), **values}
    rules = {r.key: r for r in checklists.rules(items)}
    for item in items:
        field = form[item.key]
        if item.is_required and not field.errors and is_shown(rules[item.key], answers) \
                and not values.get(item.key):
            field.errors = [_("Please tick this box to confirm.") if str(item.kind) == "confirm"
                            else _("Please answer this question.")]


def _after_save(section: str, keys: list[str]):
    if request.form.get("action") == "later":
        flash(_("Saved. You can close this page and come back with your link at any time."),
              "success")
        return redirect(url_for("patient.start"))
    if request.args.get("back") == "review" or section == keys[-1]:
        return redirect(url_for("patient.review"))
    return redirect(url_for("patient.step", section=keys[keys.index(section) + 1]))


@bp.route("/checklist/review", methods=["GET", "POST"])
def review():
    appointment, submission, version, answers = _context()
    if submission is None:
        return redirect(url_for("patient.start"))
    form = forms.AttestForm()
    conflict, status = False, 200
    if request.method == "POST":
        if not submissions.is_open_for_changes(submission, appointment):
            return redirect(url_for("patient.done"))
        outcome = _submit(form, submission)
        if outcome == "done":
            return redirect(url_for("patient.done"))
        conflict = outcome == "conflict"
        status = 409 if conflict else 422
        submission = g.appointment.submission
        answers = submissions.answers_of(submission)
    else:
        form.attested_name.data = submission.attested_name or ""
    form.version.data = str(submission.version)
    form.submit_key.data = secrets.token_urlsafe(24)
    missing = submissions.missing_required(submission)
    rules = {r.key: r for r in checklists.rules(version.items)}
    shown = [i for i in version.items if is_shown(rules[i.key], answers)]
    return render_template(
        "patient/review.html", form=form, sections=_sections(version), items=shown,
        answers=answers, missing=missing, conflict=conflict, submission=submission), status


def _submit(form, submission) -> str:
    if not form.validate_on_submit():
        return "invalid"
    key = (form.submit_key.data or "")[:64] or secrets.token_urlsafe(24)
    try:
        submissions.submit(submission, form.attested_name.data, key,
                                  form.expected_version())
        db.session.commit()
    except submissions.Incomplete:
        db.session.rollback()
        return "invalid"
    except (submissions.StaleSave, StaleDataError, IntegrityError):
        db.session.rollback()
        if db.session.query(SubmissionRevision.id).filter_by(idempotency_key=key).first():
            return "done"  # the first of a double click already went through
        return "conflict"
    return "done"


@bp.get("/checklist/done")
def done():
    appointment, submission, version, answers = _context()
    if submission is None or submission.revision == 0:
        return redirect(url_for("patient.start"))
    clinic = settings.get()
    moments = timeline.prep_timeline(appointment.starts_at, clinic.timezone,
                                     clinic.solid_fast_hours, clinic.clear_fast_hours,
                                     clinic.arrive_early_minutes)
    return render_template(
        "patient/done.html", appointment=appointment, submission=submission,
        moments=moments, answers=answers, is_submitted=submission.status ==
        SubmissionStatus.SUBMITTED,
        is_open=submissions.is_open_for_changes(submission, appointment))


@bp.post("/checklist/leave")
def leave():
    """Forget the link on this device (a shared phone or computer)."""
    session.pop(LINK_KEY, None)
    session.pop(DOB_KEY, None)
    return render_template("patient/left.html")
