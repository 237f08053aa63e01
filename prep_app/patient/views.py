"""The patient's journey: a personal link, no account.

``/p/<token>`` trades the token for a session bound to one appointment and redirects to
``/checklist/``, so the token does not stay in the address bar, history or Referer. Every
later page finds the appointment through the session, never through an id in the URL or form.
"""

from __future__ import annotations

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import languages, limits, timeline
from ..database import after_commit, writes_on_get
from ..driver import views as driver_views
from ..errors import on_input_error
from ..models import DriverReply, ItemKind, SubmissionStatus, utcnow
from ..readiness import is_answered, is_shown, raised_flags
from ..services import (
    audit,
    checklists,
    drivers,
    links,
    morning_check,
    settings,
    status,
    submissions,
)
from ..services.checklists import FrozenItem
from ..services.errors import Conflict, InputError
from . import forms

bp = Blueprint("patient", __name__)

LINK_KEY, DOB_KEY = "patient_link_id", "patient_dob_ok"
PUBLIC_ENDPOINTS = {"patient.open_link", "patient.language"}
# Saved, conflict (another tab saved first), or invalid (errors to show; valid parts saved).
SAVED, CONFLICT, INVALID = "saved", "conflict", "invalid"
STATUS = {SAVED: 200, CONFLICT: 409, INVALID: 422}
# What happens after an answer the team will look at: said under it, never silence.
FASTING_NOTE = _l("Your session may need to move. We will call you. You can still submit.")
NURSE_NOTE = _l("A nurse will look at this before your session. It does not mean your session "
                "is cancelled.")


@bp.before_request
def load_link():
    """Every patient page needs a live link in the session (and the date of birth, if asked)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    link_id = session.get(LINK_KEY)
    link = links.find_usable(link_id=link_id) if isinstance(link_id, int) else None
    if link is None:
        forget_link()
        return link_problem()
    g.patient_link, g.appointment = link, link.appointment
    if (needs_dob_check(link) or is_locked(link)) and request.endpoint != "patient.verify":
        return redirect(url_for("patient.verify"))
    return None


@bp.context_processor
def care_team_notice():
    """What the care team asked (a returned checklist) and what changed (the session moved to
    another day), for every page of a link in use: never
    before the date of birth is confirmed, nor after the patient signed out on this device."""
    link, appointment = g.get("patient_link"), g.get("appointment")
    if (appointment is None or session.get(LINK_KEY) != link.id or needs_dob_check(link)
            or appointment.submission is None):
        return {"care_notice": None}
    submission, notice = appointment.submission, {}
    if appointment.driver_reply == DriverReply.NOT_COMING:
        ride = [i.section for i in submissions.version_of(submission).items
                if i.key == drivers.NAME]
        notice["driver_declined"] = {"section": ride[0] if ride else None}
    if submission.status == SubmissionStatus.RETURNED and submission.returned_message:
        notice["returned_message"] = submission.returned_message
    reopened = submissions.day_bound_items(submission)
    if submission.time_answers_reopened_at is not None and reopened:
        notice["moved"] = {"before": appointment.moved_from_at, "now": appointment.starts_at,
                           "section": reopened[0].section}
    return {"care_notice": notice or None}


def needs_dob_check(link) -> bool:
    return settings.get().is_dob_check_on and session.get(DOB_KEY) != link.id


def is_locked(link) -> bool:
    """Too many wrong dates of birth: the link is shut for everyone, even a patient let in."""
    return links.dob_state(link) is links.DobCheck.LOCKED


def forget_link() -> None:
    session.pop(LINK_KEY, None)
    session.pop(DOB_KEY, None)


def link_problem():
    """Unknown, expired, revoked and cancelled links all get this same page."""
    return render_template("patient/link_problem.html"), 404


@bp.get("/p/<token>")
@writes_on_get
@limits.patient_link
def open_link(token: str):
    link = links.find_usable(token=token)
    if link is None:
        # The same door opens a driver's link (so every log redacts both the same way).
        driver_link = drivers.find_usable(utcnow(), token=token)
        return link_problem() if driver_link is None else driver_views.enter(driver_link)
    if session.get(LINK_KEY) != link.id:
        forget_link()  # another appointment's link was open in this browser
        session.pop(languages.SESSION_KEY, None)  # so was, maybe, another patient's language
    session[LINK_KEY] = link.id
    g.patient_link = link
    links.record_open(link)
    return redirect(url_for("patient.start"))


@bp.get("/checklist/language")
@writes_on_get
@limits.language
def language():
    """Switch the patient pages' language (``?to=es``, then back to the page it was clicked
    on); once the patient is let in, it is kept on their record too, so their texts and emails
    come in it."""
    chosen = languages.supported(request.args.get("to"))
    if chosen is None:
        raise InputError("That language is not available.")
    session[languages.SESSION_KEY] = chosen
    link_id = session.get(LINK_KEY)
    link = links.find_usable(link_id=link_id) if isinstance(link_id, int) else None
    if link is not None and not needs_dob_check(link) and not is_locked(link) \
            and link.appointment.patient.language != chosen:
        patient = link.appointment.patient
        patient.language = chosen
        audit.record("patient.language", record_type="patient", record_id=patient.id,
                     patient_id=patient.id, detail=f"language {chosen}", actor=link)
    return redirect(languages.back_path(request.args.get("back")) or url_for("patient.start"))


@bp.route("/checklist/verify", methods=["GET", "POST"])
@limits.date_of_birth
def verify():
    link = g.patient_link
    form = forms.DateOfBirthForm()
    if is_locked(link):
        return _stopped(form, links.DobCheck.LOCKED)
    if not needs_dob_check(link):
        return redirect(url_for("patient.start"))
    if links.is_dob_paused(link):
        return _stopped(form, links.DobCheck.PAUSED)
    status = 200
    if form.validate_on_submit():
        outcome = links.check_date_of_birth(link, form.date_of_birth.data)
        if outcome is links.DobCheck.RIGHT:
            link_id = link.id
            after_commit(lambda: session.__setitem__(DOB_KEY, link_id))
            return redirect(url_for("patient.start"))
        if outcome is not links.DobCheck.WRONG or links.is_dob_paused(link):
            return _stopped(form, links.dob_state(link))
        # The same words whichever part (day, month, year) was wrong.
        form.date_of_birth.errors = [_("That does not match our records. Please check it and "
                                       "try again.")]
    if form.errors:
        status = 422
    return render_template("patient/verify.html", form=form, state=None,
                           tries_left=links.dob_tries_left(link) if form.errors else None
                           ), status


def _stopped(form, state):
    """No date of birth can be tried: paused for a while (429) or locked for good (403)."""
    code = 403 if state is links.DobCheck.LOCKED else 429
    return render_template("patient/verify.html", form=form, state=state.value), code


def _context():
    """What every checklist page shows: the appointment, the version, answers so far."""
    appointment = g.appointment
    submission = appointment.submission
    version = checklists.frozen(submission.checklist_version_id if submission
                                else checklists.current_version_id(), str(get_locale()))
    answers = submissions.answers_of(submission)
    return appointment, submission, version, answers


def _is_open() -> bool:
    return submissions.is_open_for_changes(g.appointment)


def _closed_because() -> str | None:
    """Why the answers are read-only now: "checked_in", "started", or None (still open)."""
    if _is_open():
        return None
    return "checked_in" if g.appointment.checked_in_at is not None else "started"


def _notes(items, answers: dict[str, str]) -> dict[str, dict]:
    """The calm note under each answer the team will look at (a time inside the fasting window,
    a "yes" to a health question): its words, whether the answer given calls for it now, and
    what patient.js needs to show it as soon as the answer is given."""
    appointment = g.appointment
    place = appointment.location
    hours = {"solid_fast": place.solid_fast_hours, "clear_fast": place.clear_fast_hours}
    notes = {}
    for item, rule in zip(items, checklists.rules(items), strict=True):
        if item.flag_rule in hours:
            window_from = place.to_local(
                appointment.starts_at - timedelta(hours=hours[item.flag_rule]))
            note = {"text": FASTING_NOTE, "window_from": f"{window_from:%Y-%m-%dT%H:%M}"}
        elif item.flag_rule == "if_yes" and item.kind == ItemKind.YES_NO:
            note = {"text": NURSE_NOTE, "when": "yes"}
        else:
            continue
        note["shown"] = bool(raised_flags([rule], answers, appointment.starts_at,
                                          status.timing(place)))
        notes[item.key] = note
    return notes


@bp.get("/checklist/")
def start():
    appointment, submission, version, answers = _context()
    sections = list(version.sections)
    return render_template(
        "patient/start.html", appointment=appointment, submission=submission,
        sections=sections, next_section=_first_unfinished(version, sections, answers),
        started=bool(answers), is_open=_is_open(), closed_because=_closed_because(),
        answers=answers, morning_check_open=morning_check.is_open(appointment, utcnow()))


def _first_unfinished(version, sections, answers) -> str | None:
    """The first section never saved, or with a required answer still missing."""
    rules = version.rules
    for section in sections:
        items = checklists.section_items(version, section["key"])
        if not any(item.key in answers for item in items):
            return section["key"]
        for item in items:
            if (item.is_required and is_shown(rules[item.key], answers)
                    and not is_answered(item.kind, answers.get(item.key))):
                return section["key"]
    return None


@bp.route("/checklist/step/<section>", methods=["GET", "POST"])
def step(section: str):
    appointment, submission, version, answers = _context()
    sections = list(version.sections)
    keys = [s["key"] for s in sections]
    if section not in keys:
        abort(404)
    items = checklists.section_items(version, section)
    form_class = forms.section_form_class(
        items, appointment.location.to_local(appointment.starts_at), settings.get().country)
    if request.method == "GET":
        allowed = appointment.is_driver_text_allowed
        form = form_class(
            formdata=None, version=str(submissions.page_version(submission)),
            data={i.key: forms.from_answer(i, answers.get(i.key, "")) for i in items}
            | {forms.MAY_TEXT_DRIVER: None if allowed is None else "yes" if allowed else "no"})
        return _step_page(form, sections, section, items)
    if not _is_open():
        flash(_("You have checked in, so answers can no longer be changed here. If something "
                "has changed, please tell the team.") if _closed_because() == "checked_in"
              else _("Your session has started, so answers can no longer be changed here. "
                     "If something has changed, please tell the team."), "warning")
        return redirect(url_for("patient.start"))
    form = form_class()
    # Another tab or device saved first: what they typed is shown again, nothing of it saved.
    on_input_error(lambda error: _step_page(form, sections, section, items, CONFLICT))
    outcome = _save(form, items, section)
    if outcome == SAVED:
        return _after_save(section, keys)
    return _step_page(form, sections, section, items, outcome)


def _step_page(form, sections: list[dict], section: str, items: list[FrozenItem],
               outcome: str | None = None):
    submission = g.appointment.submission
    if outcome is not None:
        # Show what they typed again, with the version now stored: saving again is a choice.
        form.version.data = str(submissions.page_version(submission))
    keys = [s["key"] for s in sections]
    index = keys.index(section)
    saved = submissions.answers_of(submission)
    typed = {i.key: _typed(i, form[i.key]) for i in items}
    compared = []
    if outcome == CONFLICT:
        # Side by side, what the other device saved and what was typed here; no errors on top.
        compared = [(i, saved.get(i.key, ""), typed[i.key]) for i in items
                    if saved.get(i.key, "") != typed[i.key]]
        for i in items:
            form[i.key].errors = []
    rules = {rule.key: rule for rule in checklists.rules(items)}
    return render_template(
        "patient/step.html", form=form, section=sections[index], number=index + 1,
        total=len(sections), items=items, conflict=outcome == CONFLICT, compared=compared,
        is_open=_is_open(), closed_because=_closed_because(),
        notes=_notes(items, {**saved, **typed}),
        answers=saved, shown=[i for i in items if is_shown(rules[i.key], saved)],
        back_to_review=request.args.get("back") == "review",
        previous=keys[index - 1] if index else None), STATUS.get(outcome, 200)


def _typed(item: FrozenItem, field) -> str:
    """What the patient typed into a field, as an answer is stored (as typed, if unusable)."""
    if field.errors or (field.data is None and field.raw_data):
        return field.raw_data[0] if field.raw_data else ""
    return forms.to_answer(item, field.data)


def _save(form, items: list[FrozenItem], section: str) -> str:
    """Save the valid answers of a section, even when others need fixing."""
    form.validate()
    if "csrf_token" in form.errors:
        return INVALID
    values = {i.key: forms.to_answer(i, form[i.key].data) for i in items
              if not form[i.key].errors}
    if request.form.get("action") != "later":
        _require_answers(form, items, values)
    submission = submissions.submission_to_save(g.appointment, form.expected_version())
    before = submissions.answers_of(submission)
    submissions.save_section(submission, section, values, None, actor=g.patient_link)
    if forms.MAY_TEXT_DRIVER in form:
        drivers.ride_saved(g.appointment, before, submissions.answers_of(submission),
                           forms.may_text_driver(form), utcnow(), actor=g.patient_link)
    if any(form[i.key].errors for i in items):
        return INVALID
    return SAVED


def _require_answers(form, items: list[FrozenItem], values: dict[str, str]) -> None:
    answers = {**submissions.answers_of(g.appointment.submission), **values}
    rules = {r.key: r for r in checklists.rules(items)}
    for item in items:
        field = form[item.key]
        if item.is_required and not field.errors and is_shown(rules[item.key], answers) \
                and not is_answered(item.kind, values.get(item.key)):
            field.errors = [_("Please tick this box to confirm.") if item.kind == ItemKind.CONFIRM
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
    submission = g.appointment.submission
    if submission is None:
        return redirect(url_for("patient.start"))
    form = forms.AttestForm()
    if request.method == "GET":
        form.attested_name.data = submission.attested_name or ""
        return _review_page(form)
    if not _is_open():
        return redirect(url_for("patient.done"))
    if not form.validate_on_submit():
        return _review_page(form, INVALID)
    key = form.submit_key.data

    def refused(error: InputError):
        if not isinstance(error, Conflict):
            return _review_page(form, INVALID)  # a required answer is missing
        if submissions.already_submitted(g.appointment.submission, key):
            return redirect(url_for("patient.done"))  # the first of a double click went through
        return _review_page(form, CONFLICT)

    on_input_error(refused)
    submissions.submit(submission, form.attested_name.data, key, form.expected_version(),
                       actor=g.patient_link)
    morning_check.plan(g.appointment, utcnow(), actor=g.patient_link)
    return redirect(url_for("patient.done"))


def _review_page(form, outcome: str | None = None):
    """The review page, with the submission as it is now (after a rollback, too)."""
    _appointment, submission, version, answers = _context()
    form.version.data = str(submission.version)
    form.submit_key.data = submissions.new_submit_key()
    rules = version.rules
    # An optional tick box left empty ("I am still arranging a ride") says nothing here.
    shown = [i for i in version.items if is_shown(rules[i.key], answers)
             and (i.is_required or i.kind != ItemKind.CONFIRM or answers.get(i.key))]
    missing = [version.items_by_key[item.key] for item in
               submissions.missing_required(submission)]
    missing_sections = {item.section for item in missing}
    return render_template(
        "patient/review.html", form=form, sections=list(version.sections), items=shown,
        answers=answers, missing=missing, conflict=outcome == CONFLICT, submission=submission,
        is_open=_is_open(), closed_because=_closed_because(),
        notes={key: note["text"] for key, note in _notes(shown, answers).items()
               if note["shown"]},
        # The way to submit without an answer not known yet ("I am still arranging a ride").
        not_yet=[i for i in version.items if i.flag_rule == "blocks_if_yes"
                 and i.section in missing_sections],
    ), STATUS.get(outcome, 200)


@bp.get("/checklist/done")
def done():
    appointment, submission, version, answers = _context()
    if submission is None or submission.revision == 0:
        return redirect(url_for("patient.start"))
    place = appointment.location
    clinic = settings.get()
    pick_up = (forms.from_answer(version.items_by_key["driver_return_time"],
                                 answers.get("driver_return_time", ""))
               if answers.get("driver_plan") == "returns"
               and "driver_return_time" in version.items_by_key else None)
    moments = timeline.prep_timeline(appointment.starts_at, place.timezone,
                                     place.solid_fast_hours, place.clear_fast_hours,
                                     clinic.arrive_early_minutes,
                                     session_minutes=clinic.session_minutes, pick_up=pick_up,
                                     now=utcnow())
    return render_template(
        "patient/done.html", appointment=appointment, submission=submission,
        moments=moments, answers=answers, place=place,
        is_submitted=submission.status == SubmissionStatus.SUBMITTED, is_open=_is_open(),
        closed_because=_closed_because())


@bp.route("/checklist/morning", methods=["GET", "POST"])
def morning():
    """The morning-of check, on the session's day when the clinic has it on."""
    appointment = g.appointment
    if not morning_check.is_open(appointment, utcnow()):
        return redirect(url_for("patient.start"))
    form = forms.MorningCheckForm(data=appointment.morning_check or {})
    if form.validate_on_submit():
        morning_check.answer(appointment, {key: form[key].data for key in
                                           morning_check.QUESTIONS}, utcnow(),
                             actor=g.patient_link)
        flash(_("Thank you. We have your answers."), "success")
        return redirect(url_for("patient.start"))
    return render_template("patient/morning.html", form=form, appointment=appointment), (
        422 if form.errors else 200)


@bp.post("/checklist/leave")
def leave():
    """Forget the link on this device (a shared phone or computer)."""
    forget_link()
    return render_template("patient/left.html")
