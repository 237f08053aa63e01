"""The clinician's review: a queue of submitted checklists, one submission's answers with what
changed, and a decision bound to the exact answers shown."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from ..auth.access import require_roles, signed_in
from ..database import start_writing, writes_on_get
from ..errors import on_input_error
from ..extensions import db
from ..models import Appointment, Role, SubmissionStatus
from ..readiness import is_shown, raised_flags, unmet_blocking
from ..services import audit, checklists, exports, reviews, settings, status
from ..services.errors import Conflict, InputError
from .forms import DecisionForm

bp = Blueprint("clinician", __name__, url_prefix="/review")
require_roles(bp, Role.CLINICIAN, Role.ADMIN)

STALE = "stale"  # the patient changed their answers since the page was shown
CHANGED = "changed"  # the appointment or submission row changed under the decision
DECIDED_FIRST = "decided_first"
INVALID = "invalid"


GROUPS = [(reviews.NEVER_REVIEWED, "Never reviewed"), (reviews.FOLLOW_UP, "Needs follow-up"),
          (reviews.WITH_PATIENT, "Back with the patient")]
CLEAR_AND_NEXT = "next"  # the "Clear and next" button's ``then``


def _queue_day() -> date | None:
    """The ``?date=`` chosen (a clinic day), or None: today and the days after."""
    try:
        day = date.fromisoformat(request.args.get("date", "")[:10])
    except ValueError:
        return None
    return day if day >= settings.today() and day.year <= 2100 else None


@bp.get("/")
def queue():
    day = _queue_day()
    rows = reviews.queue(day)
    groups = [(key, title, [row for row in rows if reviews.group_of(row) == key])
              for key, title in GROUPS]
    html = render_template("clinician/queue.html", groups=groups, day=day, total=len(rows),
                           today=settings.today())
    start_writing()  # the page is drawn: only now take the write lock, for its audit row
    audit.record_view("queue.view", [row.appointment.id for _, _, shown in groups
                                     for row in shown], actor=signed_in())
    return html


@bp.route("/<int:appointment_id>", methods=["GET", "POST"])
@writes_on_get
def submission(appointment_id: int):
    appointment = _reviewable(appointment_id)
    form = DecisionForm()
    if request.method == "GET":
        return _show(appointment, form)

    def refused(error: InputError):
        if isinstance(error, Conflict):
            problem = CONFLICTS.get(type(error), CHANGED)
        else:
            form.decision.errors = [error.message]
            problem = INVALID
        return _show(_reviewable(appointment_id), form, problem, error.status)  # as it is now

    on_input_error(refused)
    if not form.validate():
        return _show(appointment, form, INVALID, 422)
    reviews.decide(appointment.submission, decision=form.decision.data, saw=form.saw(),
                   clinician=signed_in(), note=form.note.data,
                   message_to_patient=form.message_to_patient.data)
    return _after_decision(appointment)


CONFLICTS = {reviews.DecidedFirst: DECIDED_FIRST, reviews.StaleReview: STALE}


def _show(appointment: Appointment, form: DecisionForm, problem: str | None = None,
          code: int = 200):
    """The submission page (a view of the answers, audited), with what went wrong, if anything."""
    now_shown = reviews.seen(appointment.submission)
    if problem == INVALID and _differs(form.saw(), now_shown):
        problem, code = STALE, 409
    form.show(now_shown)
    audit.record("submission.view", record_type="submission", record_id=appointment.submission.id,
                 patient_id=appointment.patient_id, actor=signed_in())
    return render_template("clinician/submission.html", form=form, problem=problem,
                           **_page(appointment)), code


def _after_decision(appointment: Appointment):
    """Back to the queue, or with "Clear and next" straight to the next submission."""
    if request.form.get("then") == CLEAR_AND_NEXT and request.form.get("decision") == "cleared":
        following = reviews.next_to_review(appointment)
        if following is not None:
            flash("Cleared. Here is the next one.", "success")
            return redirect(url_for(".submission", appointment_id=following.id))
        flash("Cleared. Nothing else is waiting for a review.", "success")
        return redirect(url_for(".queue"))
    flash("Your decision was saved.", "success")
    return redirect(url_for(".queue"))


def _reviewable(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.submission is None \
            or appointment.submission.revision < 1:
        abort(404)
    return appointment


def _differs(saw: reviews.Seen, now: reviews.Seen) -> bool:
    return (saw.revision, saw.answers_hash) != (now.revision, now.answers_hash)


def _page(appointment: Appointment) -> dict:
    """Everything the submission page shows: answers by section with their flags, what changed
    since the previous revision and since the patient's previous session, the current state."""
    submission = appointment.submission
    version = submission.checklist_version
    items = list(version.items)
    shown_revision, previous = reviews.current_and_previous_revisions(submission)
    answers = dict(shown_revision.answers) if shown_revision else {}
    rules = {rule.key: rule for rule in checklists.rules(items)}
    clock = status.timing(appointment.location)
    marks = {}
    for item in items:
        rule = [rules[item.key]]
        found = [*(("Blocking", text) for text in unmet_blocking(rule, answers)),
                 *(("Flag", text) for text in raised_flags(rule, answers, appointment.starts_at,
                                                           clock))]
        if found:
            marks[item.key] = found
    present = {item.section for item in items}
    last_session = reviews.previous_session_revision(appointment)
    since_session = None
    if last_session is not None:
        old_items = last_session.submission.checklist_version.items
        since_session = reviews.changes([*items, *old_items], last_session.answers, answers)
    state = status.for_appointment(appointment)
    latest = state.latest_review
    return {
        "appointment": appointment,
        "submission": submission,
        "shown_revision": shown_revision,
        "sections": [s for s in version.sections if s["key"] in present],
        "items": [i for i in items if is_shown(rules[i.key], answers)],
        "answers": answers,
        "marks": marks,
        "previous": previous,
        "since_previous": reviews.changes(items, previous.answers, answers) if previous else None,
        "last_session": last_session,
        "since_session": since_session,
        "readiness": state.readiness,
        "latest": latest,
        "latest_applies": bool(latest and latest.revision == submission.revision
                               and latest.answers_hash == submission.answers_hash),
        "is_decidable": submission.status == SubmissionStatus.SUBMITTED,
    }


# Exports for the chart (every one in the audit log) ---------------------------------------------


def _exported(appointment_id: int, kind: str):
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    try:
        record = exports.record_of(appointment)
    except exports.NothingToExport:
        abort(404)
    exports.audited(kind, appointment, actor=signed_in())
    return appointment, record


@bp.get("/<int:appointment_id>/chart.pdf")
@writes_on_get
def export_pdf(appointment_id: int):
    appointment, record = _exported(appointment_id, "pdf")
    content = exports.pdf(record)
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=appointment-{appointment.id}.pdf"})


@bp.get("/<int:appointment_id>/questionnaire-response.json")
@writes_on_get
def export_fhir(appointment_id: int):
    appointment, record = _exported(appointment_id, "fhir")
    content = json.dumps(exports.questionnaire_response(record), indent=2, ensure_ascii=False)
    return Response(content, mimetype="application/fhir+json", headers={
        "Content-Disposition": f"attachment; filename=appointment-{appointment.id}.json"})


@bp.get("/day.csv")
@writes_on_get
def export_day():
    try:
        day = date.fromisoformat(request.args.get("date", "")[:10])
    except ValueError:
        day = settings.today()
    content = exports.day_csv(day, actor=signed_in())
    return Response(content, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=day-{day.isoformat()}.csv"})
