"""The clinician's review, from the clinician's (and the patient's) side: the queue, one
submission with its flags and changes, and a decision bound to exactly the answers shown."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html import unescape

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as sql_event
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from prep_app import default_checklist
from prep_app.extensions import db
from prep_app.models import (
    Appointment,
    AuditEvent,
    Review,
    Submission,
    SubmissionRevision,
    SubmissionStatus,
)
from prep_app.readiness import Status
from prep_app.services import links, reviews, status
from prep_app.services import settings as clinic_settings

from .browserlike import forms_of
from .conftest import USE_POSTGRES
from .fixtures_staff import submit_to
from .patient_forms import (
    SECTION_OF,
    appointment_day,
    calm_answers_on,
    patient_browser,
    submit,
    walk,
)
from .saved_answers import book_now, submit_ready

# The patient's section forms (not this area's code) still pass choices as tuples, which
# WTForms 3.3 deprecates; the clinician's own form does not.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")

# The driver these tests look for on the clinician's pages.
DRIVER = {"driver_name": "Grace Hopper", "driver_phone": "(435) 555-0123"}


# --- people doing things through the real pages ---------------------------------------------

def answers(app, appointment_id: int, **changes: str) -> dict[str, dict[str, str]]:
    """A complete, unflagged checklist as a patient types it, with ``changes`` applied."""
    return calm_answers_on(appointment_day(app, appointment_id), **{**DRIVER, **changes})


def send(client, name: str = "Ada Lovelace") -> None:
    response = submit(client, name)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/checklist/done")


def patient_submits(app, book, name="Ada Lovelace", days=2, hour=14, **changes):
    """Book a session; the patient fills in and submits the checklist. Returns (id, client)."""
    appointment_id, token = book(name=name, days=days, hour=hour)
    phone = patient_browser(app, token)
    walk(phone, answers(app, appointment_id, **changes))
    send(phone, name)
    return appointment_id, phone


def patient_changes(app, phone, appointment_id, resubmit=True, **changes) -> None:
    full = answers(app, appointment_id, **changes)
    walk(phone, {SECTION_OF[key]: full[SECTION_OF[key]] for key in changes})
    if resubmit:
        send(phone)


def decision_fields(clinician, appointment_id: int) -> dict:
    """The hidden fields of the decision form, as the page shows them now."""
    page = clinician.get(f"/review/{appointment_id}")
    assert page.status_code == 200, page.text
    # The last one: the full decision form (the first is "Clear and next").
    return [f["hidden"] for f in forms_of(page.text) if "sequence" in f["hidden"]][-1]


def decide(clinician, appointment_id: int, decision: str, note: str = "", message: str = "",
           fields: dict | None = None):
    fields = fields if fields is not None else decision_fields(clinician, appointment_id)
    return clinician.post(f"/review/{appointment_id}", data={
        **fields, "decision": decision, "note": note, "message_to_patient": message})


def readiness_of(app, appointment_id: int):
    with app.app_context():
        return status.for_appointment(db.session.get(Appointment, appointment_id)).readiness


def stored_reviews(app, appointment_id: int) -> list[Review]:
    with app.app_context():
        return list(db.session.scalars(
            select(Review).join(Submission).where(Submission.appointment_id == appointment_id)
            .order_by(Review.sequence)))


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=action)
                                       .order_by(AuditEvent.id)))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def answer_blocks(html: str) -> dict[str, tuple[bool, str]]:
    """Each answer on the review page: its question -> (is flagged, its text)."""
    blocks = {}
    for classes, body in re.findall(r'<div class="answer( flagged)?">(.*?)</div>', html, re.S):
        question = text_of(re.search(r"<dt>(.*?)</dt>", body, re.S).group(1)).strip()
        blocks[question] = (bool(classes), text_of(body))
    return blocks


def label(key: str) -> str:
    return next(i["label"] for i in default_checklist.ITEMS if i["key"] == key)


def queue_order(clinician) -> list[str]:
    page = clinician.get("/review/")
    assert page.status_code == 200, page.text
    return [text_of(n).strip() for n in re.findall(r'<a href="/review/\d+">(.*?)</a>', page.text)]


@pytest.fixture
def clinician(app, login_as):
    return login_as("clinician", c=app.test_client())


# --- access ----------------------------------------------------------------------------------

def test_front_desk_cannot_open_or_decide(app, book, login_as, clinician):
    appointment_id, _ = patient_submits(app, book)
    desk = login_as("front_desk", c=app.test_client())
    token = re.search(r'name="csrf-token" content="([^"]+)"', desk.get("/board/").text).group(1)
    assert desk.get("/review/").status_code == 403
    assert desk.get(f"/review/{appointment_id}").status_code == 403
    response = desk.post(f"/review/{appointment_id}", data={
        **decision_fields(clinician, appointment_id), "csrf_token": token, "decision": "cleared"})
    assert response.status_code == 403
    assert stored_reviews(app, appointment_id) == []
    assert readiness_of(app, appointment_id).status == Status.AWAITING_REVIEW


def test_signed_out_person_is_sent_to_sign_in(app, book, client):
    appointment_id, _ = patient_submits(app, book)
    response = client.get(f"/review/{appointment_id}")
    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]


def test_admin_can_review(app, book, login_as):
    appointment_id, _ = patient_submits(app, book)
    admin = login_as("admin", c=app.test_client())
    assert decide(admin, appointment_id, "cleared").status_code == 302
    assert readiness_of(app, appointment_id).status == Status.CLEARED


# --- the queue -------------------------------------------------------------------------------

def test_queue_shows_needs_attention_first_then_awaiting_then_the_rest(app, book, clinician):
    calm_late, _ = patient_submits(app, book, name="Ann Awaiting", days=3)
    patient_submits(app, book, name="Flo Flagged", days=4, alcohol_cannabis="yes")
    cleared, _ = patient_submits(app, book, name="Cy Cleared", days=1)
    patient_submits(app, book, name="Bea Awaiting", days=2)
    assert decide(clinician, cleared, "cleared").status_code == 302

    assert queue_order(clinician) == ["Flo Flagged", "Bea Awaiting", "Ann Awaiting"]
    page = text_of(clinician.get("/review/").text)
    assert "Needs attention Flag: Alcohol or cannabis within 24 h" in page
    assert "Awaiting review Submitted; waiting for a clinician" in page
    assert "Cy Cleared" not in page  # cleared ones leave the queue


def test_queue_holds_submitted_checklists_from_the_clinics_today_on(app, book, clinician):
    earlier_today, _ = patient_submits(app, book, name="Tess Today")
    yesterday, _ = patient_submits(app, book, name="Yuri Yesterday")
    cancelled, _ = patient_submits(app, book, name="Cal Cancelled")
    started_id, token = book(name="Stan Started")
    walk(patient_browser(app, token), {"prepare": {"support_habits": "y"}})  # saved, not sent
    with app.app_context():
        start_of_today, _ = status.day_bounds(clinic_settings.today())
        db.session.get(Appointment, earlier_today).starts_at = start_of_today + timedelta(
            minutes=1)
        db.session.get(Appointment, yesterday).starts_at = start_of_today - timedelta(minutes=1)
        db.session.get(Appointment, cancelled).is_cancelled = True
        db.session.commit()

    assert queue_order(clinician) == ["Tess Today"]


def test_checked_in_patient_with_unreviewed_flag_stays_at_top_of_queue(app, book, clinician,
                                                                        login_as):
    patient_submits(app, book, name="Cal Calm", days=1)
    here = book_now(app, name="Fay Fasting")
    with app.app_context():
        starts = clinic_settings.to_local(db.session.get(Appointment, here).starts_at)
    submit_ready(app, here, last_solid_food=f"{starts - timedelta(hours=2):%Y-%m-%dT%H:%M}")
    desk = login_as("front_desk", c=app.test_client())
    response = submit_to(desk, f"/board/a/{here}", f"/board/a/{here}/check-in",
                         {"driver_confirmed": "y", "clinician_knows": "y"})
    assert response.status_code == 302

    assert queue_order(clinician) == ["Fay Fasting", "Cal Calm"]
    page = text_of(clinician.get("/review/").text)
    assert "Needs attention Checked in" in page
    assert "Flag: Ate 2 h before: inside the 6 h fasting window" in page


def test_queue_shows_the_flagged_answers_themselves(app, book, clinician):
    patient_submits(app, book, medications="yes",
                    medications_detail="Clonazepam 0.5 mg at night")
    html = clinician.get("/review/").text
    assert ("Flag: Takes a medication to discuss: Clonazepam 0.5 mg at night"
            in text_of(html))
    assert '<q class="patient-words">Clonazepam 0.5 mg at night</q>' in html


def test_queue_is_filtered_by_the_clinics_day(app, book, clinician):
    patient_submits(app, book, name="Tom Tomorrow", days=1)
    later, _ = patient_submits(app, book, name="Lou Later", days=3)
    day = appointment_day(app, later)
    assert queue_order(clinician) == ["Tom Tomorrow", "Lou Later"]  # today and later
    page = clinician.get(f"/review/?date={day}")
    assert [text_of(n).strip() for n in re.findall(r'<a href="/review/\d+">(.*?)</a>',
                                                   page.text)] == ["Lou Later"]
    for odd in ("2001-01-01", "nonsense", "9999-99-99"):
        assert len(re.findall(r'<a href="/review/\d+">', clinician.get(
            f"/review/?date={odd}").text)) == 2, odd


def test_queue_separates_needs_follow_up_from_never_reviewed(app, book, clinician):
    followed, _ = patient_submits(app, book, name="Fay Follow", days=1)
    patient_submits(app, book, name="Nell New", days=2, new_illness="yes")
    assert decide(clinician, followed, "follow_up", note="Call about sleep").status_code == 302
    html = clinician.get("/review/").text
    never = text_of(html.split('id="group-never_reviewed"', 1)[1].split("</section>", 1)[0])
    follow = text_of(html.split('id="group-follow_up"', 1)[1].split("</section>", 1)[0])
    assert "Nell New" in never and "Fay Follow" not in never
    assert "Fay Follow" in follow and "Clinician asked for follow-up: Call about sleep" in follow


def test_fifteen_clean_reviews_take_at_most_two_clicks_each(app, book, clinician):
    ids = []
    for n in range(15):
        appointment_id, _ = book(name=f"Clean Patient {n:02d}", days=1 + n % 3, hour=8 + n % 9)
        submit_ready(app, appointment_id)
        ids.append(appointment_id)
    clicks = 0
    queue = clinician.get("/review/").text
    first = re.search(r'<a href="(/review/\d+)">', queue).group(1)
    page = clinician.get(first)  # click 1: the first in the queue
    clicks += 1
    reviewed = []
    while True:
        assert page.status_code == 200, page.text
        reviewed.append(int(re.search(r'action="/review/(\d+)"', page.text).group(1)))
        clear = next(f for f in forms_of(page.text) if f["hidden"].get("then") == "next")
        page = clinician.post(clear["action"], data=clear["hidden"], follow_redirects=True)
        clicks += 1  # "Clear and next": decides and opens the next one
        if page.request.path == "/review/":
            break
    assert sorted(reviewed) == sorted(ids)
    assert clicks <= 2 * 15 and clicks == 16
    assert all(readiness_of(app, i).status == Status.CLEARED for i in ids)
    assert "Nothing else is waiting for a review" in page.text
    assert queue_order(clinician) == []


def test_each_queue_load_is_audited_with_the_appointments_shown(app, book, clinician):
    first, _ = patient_submits(app, book, name="Ann Awaiting", days=2)
    flagged, _ = patient_submits(app, book, name="Flo Flagged", days=3, alcohol_cannabis="yes")
    clinician.get("/review/")
    rows = audit_rows(app, "queue.view")
    assert len(rows) == 1
    assert rows[0].detail == f"appointments {first}-{flagged}"
    assert (rows[0].actor_id, rows[0].actor_role) == (clinician.user_id, "clinician")


def count_queries(app, action) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sql_event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sql_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_queue_uses_the_same_number_of_queries_for_few_and_many(app, book, clinician):
    def queue_queries():
        return count_queries(app, lambda: clinician.get("/review/"))

    first, _ = patient_submits(app, book, name="One Patient", days=1)
    patient_submits(app, book, name="Two Patient", days=2, new_illness="yes")
    assert decide(clinician, first, "cleared").status_code == 302
    few = queue_queries()
    for n, name in enumerate(["Three", "Four", "Five", "Six"], start=3):
        appointment_id, _ = patient_submits(app, book, name=f"{name} Patient", days=n)
        if n % 2:
            assert decide(clinician, appointment_id, "follow_up", note="Call").status_code == 302
    assert len(queue_order(clinician)) == 5  # the cleared one left
    assert queue_queries() == few
    assert few <= 9 + 2  # and the page's audit row: BEGIN IMMEDIATE (SQLite) and one INSERT


# --- one submission --------------------------------------------------------------------------

def test_clinician_sees_answers_by_section_with_flags_marked_in_words(app, book, clinician):
    appointment_id, _ = patient_submits(
        app, book, alcohol_cannabis="yes", questions="Can I bring my own blanket?")
    page = clinician.get(f"/review/{appointment_id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    for section in default_checklist.SECTIONS:
        assert f">{section['title']}</h3>" in page.text
    blocks = answer_blocks(page.text)
    flagged, words = blocks[label("alcohol_cannabis")]
    assert flagged and "Flag: Alcohol or cannabis within 24 h" in words
    flagged, words = blocks[label("questions")]
    assert flagged and "Can I bring my own blanket?" in words
    assert "Flag: Has a question for the team" in words
    flagged, words = blocks[label("driver_name")]
    assert not flagged and "Grace Hopper" in words and "Flag" not in words
    assert label("medications_detail") not in blocks  # a follow-up that does not apply


def test_early_meal_is_flagged_with_the_fasting_window(app, book, clinician):
    with app.app_context():
        day = clinic_settings.today() + timedelta(days=2)
    appointment_id, _ = patient_submits(app, book, days=2, hour=14,
                                        last_solid_food=f"{day}T12:00")
    flagged, words = answer_blocks(clinician.get(f"/review/{appointment_id}").text)[
        label("last_solid_food")]
    assert flagged and "Flag: Ate 2 h before: inside the 6 h fasting window" in words


def test_viewing_a_submission_writes_an_audit_row(app, book, clinician):
    appointment_id, _ = patient_submits(app, book)
    before = len(audit_rows(app, "submission.view"))
    clinician.get(f"/review/{appointment_id}")
    rows = audit_rows(app, "submission.view")
    assert len(rows) == before + 1
    with app.app_context():
        submission_id = db.session.get(Appointment, appointment_id).submission.id
    assert (rows[-1].actor_type, rows[-1].actor_id, rows[-1].actor_role) == (
        "staff", clinician.user_id, "clinician")
    assert (rows[-1].record_type, rows[-1].record_id) == ("submission", submission_id)
    assert rows[-1].request_id


def test_unknown_or_unsubmitted_appointment_is_not_found(app, book, clinician):
    started_id, token = book()
    walk(patient_browser(app, token), {"prepare": {"support_habits": "y"}})
    assert clinician.get(f"/review/{started_id}").status_code == 404
    assert clinician.get("/review/999999").status_code == 404


def change_rows(html: str, heading_id: str) -> list[tuple[str, str, str]]:
    section = re.search(rf'id="{heading_id}".*?</section>', html, re.S).group(0)
    return [(text_of(q).strip(), text_of(a).strip(), text_of(b).strip())
            for q, a, b in re.findall(
                r'<th scope="row">(.*?)</th>\s*<td class="diff-before">(.*?)</td>\s*'
                r'<td class="diff-after">(.*?)</td>', section, re.S)]


def test_changes_since_the_previous_revision_side_by_side(app, book, clinician):
    appointment_id, phone = patient_submits(app, book)
    page = clinician.get(f"/review/{appointment_id}").text
    assert "This is the first time these answers were submitted." in page
    patient_changes(app, phone, appointment_id, driver_relationship="Partner")

    page = clinician.get(f"/review/{appointment_id}").text
    assert change_rows(page, "h-since-previous") == [
        (label("driver_relationship"), "Friend", "Partner")]
    headers = text_of(re.search(r'id="h-since-previous".*?</thead>', page, re.S).group(0))
    assert "Revision 1" in headers and "Revision 2" in headers


def test_changes_since_the_patients_previous_session(app, book, clinician):
    first, _ = patient_submits(app, book, days=1)
    second, _ = patient_submits(app, book, days=8, medications="yes",
                                medications_detail="Lorazepam at night")
    page = clinician.get(f"/review/{second}").text
    rows = {question: (before, after)
            for question, before, after in change_rows(page, "h-since-session")}
    assert rows[label("medications")] == ("No", "Yes")
    assert rows[label("medications_detail")] == ("Not answered", "Lorazepam at night")
    # The meal times differ by the days between the sessions; nothing else changed.
    assert set(rows) == {label(k) for k in ("medications", "medications_detail",
                                            "last_solid_food", "last_clear_liquid")}
    headers = text_of(re.search(r'id="h-since-session".*?</thead>', page, re.S).group(0))
    assert "Session on" in headers and "This session" in headers
    assert "This is the first time these answers were submitted." in page
    assert "No earlier session with submitted answers." in clinician.get(f"/review/{first}").text


# --- deciding --------------------------------------------------------------------------------

def test_clearance_covers_exactly_the_revision_seen_and_a_later_change_voids_it(
        app, book, clinician):
    appointment_id, phone = patient_submits(app, book)
    response = decide(clinician, appointment_id, "cleared")
    assert response.status_code == 302
    assert "Your decision was saved." in clinician.get(response.headers["Location"]).text

    [review] = stored_reviews(app, appointment_id)
    with app.app_context():
        submission = db.session.get(Appointment, appointment_id).submission
        revision = submission.revisions[-1]
        assert (review.revision, review.answers_hash) == (1, revision.answers_hash)
        assert review.answers_hash == submission.answers_hash
    assert (review.decision, review.clinician_id, review.sequence) == (
        "cleared", clinician.user_id, 1)
    assert readiness_of(app, appointment_id).status == Status.CLEARED

    patient_changes(app, phone, appointment_id, driver_relationship="Neighbour")

    state = readiness_of(app, appointment_id)
    assert state.status == Status.AWAITING_REVIEW
    assert "Changed answers after review" in state.reasons
    page = text_of(clinician.get("/review/").text)
    assert "Awaiting review Changed answers after review" in page
    page = text_of(clinician.get(f"/review/{appointment_id}").text)
    assert "it no longer covers them" in page


def test_every_decision_writes_an_audit_row_without_the_note(app, book, clinician):
    appointment_id, _ = patient_submits(app, book)
    response = decide(clinician, appointment_id, "follow_up",
                      note="Ask about the new sleep medicine")
    assert response.status_code == 302
    [row] = audit_rows(app, "review.decide")
    with app.app_context():
        submission = db.session.get(Appointment, appointment_id).submission
        assert (row.record_id, row.patient_id) == (submission.id,
                                                   submission.appointment.patient_id)
    assert (row.actor_id, row.actor_role) == (clinician.user_id, "clinician")
    assert "follow_up" in row.detail and "sleep" not in row.detail
    state = readiness_of(app, appointment_id)
    assert state.status == Status.NEEDS_ATTENTION
    assert state.reasons[0] == "Clinician asked for follow-up: Ask about the new sleep medicine"


def test_not_cleared_asks_for_a_reschedule(app, book, clinician):
    appointment_id, _ = patient_submits(app, book)
    assert decide(clinician, appointment_id, "not_cleared",
                  note="Fever this week").status_code == 302
    state = readiness_of(app, appointment_id)
    assert (state.status, state.reasons[0]) == (Status.NEEDS_ATTENTION,
                                                "Not cleared: reschedule (Fever this week)")


@pytest.mark.parametrize("decision, note, message, field, error", [
    ("follow_up", "", "", "note", "Add a note saying what needs to happen."),
    ("not_cleared", "  ", "", "note", "Add a note saying what needs to happen."),
    ("returned", "", "", "message_to_patient",
     "Write a message telling the patient what to check."),
    ("", "", "", "decision", "Choose a decision."),
    ("approve", "", "", "decision", "Not a valid choice"),
    ("cleared", "x" * 2001, "", "note", "Please keep the note under 2000 characters."),
])
def test_incomplete_decision_is_explained_and_not_stored(app, book, clinician, decision, note,
                                                         message, field, error):
    appointment_id, _ = patient_submits(app, book)
    response = decide(clinician, appointment_id, decision, note=note, message=message)
    assert response.status_code == 422
    assert f'id="{field}' in response.text and error in unescape(response.text)
    assert "Please check these answers" in response.text
    assert stored_reviews(app, appointment_id) == []
    assert audit_rows(app, "review.decide") == []


def test_decision_on_answers_changed_since_the_page_was_shown_is_refused(app, book, clinician):
    appointment_id, phone = patient_submits(app, book)
    seen = decision_fields(clinician, appointment_id)
    patient_changes(app, phone, appointment_id, driver_relationship="Brother")

    response = decide(clinician, appointment_id, "cleared", note="Looks fine", fields=seen)
    assert response.status_code == 409
    assert "The patient changed their answers after this page was opened" in response.text
    assert stored_reviews(app, appointment_id) == []
    assert audit_rows(app, "review.decide") == []
    assert "Looks fine</textarea>" in response.text  # what they typed is kept
    fresh = next(f["hidden"] for f in forms_of(response.text) if "sequence" in f["hidden"])
    assert fresh["revision"] == "2" and fresh["answers_hash"] != seen["answers_hash"]
    assert "Brother" in response.text  # the page now shows the new answers

    assert decide(clinician, appointment_id, "cleared", fields=fresh).status_code == 302
    [review] = stored_reviews(app, appointment_id)
    assert review.revision == 2
    assert readiness_of(app, appointment_id).status == Status.CLEARED


def test_decision_while_the_patient_is_changing_answers_is_refused(app, book, clinician):
    appointment_id, phone = patient_submits(app, book)
    seen = decision_fields(clinician, appointment_id)
    patient_changes(app, phone, appointment_id, resubmit=False, driver_relationship="Aunt")

    response = decide(clinician, appointment_id, "cleared", fields=seen)
    assert response.status_code == 409
    assert "The patient is changing their answers" in response.text
    assert stored_reviews(app, appointment_id) == []


def test_tampered_revision_is_refused(app, book, clinician):
    appointment_id, _ = patient_submits(app, book)
    seen = decision_fields(clinician, appointment_id)
    for tampered in ({"revision": "7"}, {"answers_hash": "0" * 64}, {"revision": "x"},
                     {"sequence": "0"}, {"sequence": "-1"}, {"sequence": "5"}, {"sequence": ""}):
        response = decide(clinician, appointment_id, "cleared", fields={**seen, **tampered})
        assert response.status_code == 409, tampered
    assert stored_reviews(app, appointment_id) == []


def test_two_clinicians_deciding_at_once_one_wins_the_other_is_told(app, book, login_as,
                                                                    clinician):
    appointment_id, _ = patient_submits(app, book)
    other = login_as("clinician", c=app.test_client())
    with app.app_context():
        from prep_app.models import User

        db.session.get(User, clinician.user_id).name = "Dr Winner"
        db.session.commit()
    first_seen = decision_fields(clinician, appointment_id)
    second_seen = decision_fields(other, appointment_id)
    assert {**first_seen, "csrf_token": ""} == {**second_seen, "csrf_token": ""}

    assert decide(clinician, appointment_id, "cleared", fields=first_seen).status_code == 302
    response = decide(other, appointment_id, "follow_up", note="Check the lamotrigine dose",
                      fields=second_seen)
    assert response.status_code == 409
    page = text_of(response.text)
    assert "Someone else decided first" in page
    assert "Dr Winner decided “Cleared”" in page
    assert "Check the lamotrigine dose</textarea>" in response.text
    assert re.search(r'<input checked[^>]*value="follow_up"', response.text)
    assert [r.decision for r in stored_reviews(app, appointment_id)] == ["cleared"]
    assert readiness_of(app, appointment_id).status == Status.CLEARED

    # Having read the winner's decision, they may still decide: that takes the next place.
    fresh = next(f["hidden"] for f in forms_of(response.text) if "sequence" in f["hidden"])
    assert fresh["sequence"] == "2"
    assert decide(other, appointment_id, "follow_up", note="Check the lamotrigine dose",
                  fields=fresh).status_code == 302
    assert [(r.sequence, r.decision) for r in stored_reviews(app, appointment_id)] == [
        (1, "cleared"), (2, "follow_up")]


def test_a_race_lost_at_the_database_is_told_not_a_server_error(app, book, login_as, clinician,
                                                                monkeypatch):
    """Both read "next is 1" before either wrote: the unique constraint decides."""
    appointment_id, _ = patient_submits(app, book)
    seen = decision_fields(clinician, appointment_id)
    assert decide(login_as("clinician", c=app.test_client()), appointment_id,
                  "cleared").status_code == 302
    monkeypatch.setattr(reviews, "next_sequence", lambda submission: 1)  # the stale read

    response = decide(clinician, appointment_id, "returned", message="Please check",
                      fields=seen)
    assert response.status_code == 409
    assert "Someone else decided first" in response.text
    assert [r.decision for r in stored_reviews(app, appointment_id)] == ["cleared"]
    assert len(audit_rows(app, "review.decide")) == 1
    with app.app_context():
        submission = db.session.get(Appointment, appointment_id).submission
        assert submission.status == SubmissionStatus.SUBMITTED  # the loser changed nothing
        assert submission.returned_message is None


def test_a_row_changed_under_the_decision_is_told_and_nothing_is_kept(app, book, clinician,
                                                                     monkeypatch):
    """The appointment (or submission) row changed between read and write: version conflict."""
    appointment_id, _ = patient_submits(app, book)
    real_decide = reviews.decide

    def decide_then_conflict(*args, **kwargs):
        real_decide(*args, **kwargs)
        raise StaleDataError("UPDATE statement on table 'appointments' expected 1 row")

    monkeypatch.setattr(reviews, "decide", decide_then_conflict)
    response = decide(clinician, appointment_id, "returned", note="n", message="Please check")
    assert response.status_code == 409
    assert "Something changed while you were deciding" in response.text
    assert "Please check</textarea>" in response.text
    assert stored_reviews(app, appointment_id) == []
    assert audit_rows(app, "review.decide") == []
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).submission.status == "submitted"


def test_simultaneous_decisions_store_exactly_one(app, book, login_as, clinician):
    appointment_id, _ = patient_submits(app, book)
    others = [login_as("clinician", c=app.test_client()) for _ in range(3)]
    everyone = [clinician, *others]
    seen = [decision_fields(c, appointment_id) for c in everyone]
    barrier = threading.Barrier(len(everyone))
    codes = [None] * len(everyone)

    def go(i):
        barrier.wait()
        codes[i] = decide(everyone[i], appointment_id, "follow_up", note=f"note {i}",
                          fields=seen[i]).status_code

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(everyone))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [302, 409, 409, 409]
    assert len(stored_reviews(app, appointment_id)) == 1
    assert len(audit_rows(app, "review.decide")) == 1


# --- the whole loop --------------------------------------------------------------------------

def test_return_fix_resubmit_clear(app, book, clinician):
    appointment_id, phone = patient_submits(app, book)
    message = "Your driver's phone number seems to be a landline. Please give a mobile number."
    response = decide(clinician, appointment_id, "returned", note="Driver phone is a landline",
                      message=message)
    assert response.status_code == 302

    state = readiness_of(app, appointment_id)
    assert state.status == Status.NEEDS_ATTENTION
    assert state.reasons[0] == "Returned to the patient to fix: Driver phone is a landline"
    assert "Returned to the patient to fix" in text_of(clinician.get("/review/").text)

    start = phone.get("/checklist/")
    assert message in unescape(start.text)
    assert "Your care team asked you to check something" in start.text
    assert "Check and submit your answers" in start.text  # the form is open again
    step = phone.get("/checklist/step/ride")
    assert "Save and continue" in step.text

    patient_changes(app, phone, appointment_id, driver_phone="(435) 555-0188")
    assert message not in unescape(phone.get("/checklist/").text)
    state = readiness_of(app, appointment_id)
    assert state.status == Status.AWAITING_REVIEW
    assert "Changed answers after review" in state.reasons
    assert queue_order(clinician) == ["Ada Lovelace"]
    page = clinician.get(f"/review/{appointment_id}").text
    [(question, before, after)] = change_rows(page, "h-since-previous")
    assert question == label("driver_phone") and "0123" in before and "0188" in after

    assert decide(clinician, appointment_id, "cleared").status_code == 302
    assert readiness_of(app, appointment_id).status == Status.CLEARED
    assert queue_order(clinician) == []
    assert [(r.decision, r.revision) for r in stored_reviews(app, appointment_id)] == [
        ("returned", 1), ("cleared", 2)]


def test_patient_sees_returned_message_on_done_page(app, book, clinician):
    # After submitting, the patient's phone shows the plan; after the clinician returns the
    # checklist, whichever page they land on says what the clinician asked.
    appointment_id, phone = patient_submits(app, book)
    message = "Please tell us which medicine you take and when."
    assert decide(clinician, appointment_id, "returned", note="Medicine unclear",
                  message=message).status_code == 302

    for url in ("/checklist/done", "/checklist/", "/checklist/step/dayof", "/checklist/review"):
        page = phone.get(url)
        assert page.status_code == 200, url
        html = unescape(page.text)
        assert message in html, url
        assert "Your care team asked you to check something" in html, url
        assert html.count(message) == 1, url
    done = unescape(phone.get("/checklist/done").text)
    assert "You have changed some answers" not in done
    assert "Medicine unclear" not in done  # the note is for staff only


def test_the_returned_message_waits_for_the_date_of_birth(app, book, clinician):
    appointment_id, phone = patient_submits(app, book)
    message = "Please tell us which medicine you take and when."
    assert decide(clinician, appointment_id, "returned", note="Medicine unclear",
                  message=message).status_code == 302
    left = phone.submit("/checklist/leave", page="/checklist/")
    assert left.status_code == 200 and message not in unescape(left.text)
    with app.test_request_context():
        token = links.issue(db.session.get(Appointment, appointment_id))
        db.session.commit()
    other = app.test_client()
    other.get(f"/p/{token}")
    for url in ("/checklist/verify", "/checklist/done"):
        page = other.get(url, follow_redirects=True)
        assert "date of birth" in page.text.lower(), url
        assert message not in unescape(page.text), url


def move(app, login_as, appointment_id: int, day, at: str = "10:00",
         reason: str = "Patient asked for Friday"):
    desk = login_as("front_desk", c=app.test_client())
    response = submit_to(desk, f"/board/a/{appointment_id}",
                         f"/board/a/{appointment_id}/reschedule",
                         {"new_day": day.isoformat(), "new_time": at, "move_reason": reason})
    assert response.status_code == 302, response.text
    return desk


def stored_answers(app, appointment_id: int) -> dict[str, str]:
    with app.app_context():
        from prep_app.services import submissions
        return submissions.answers_of(db.session.get(Appointment, appointment_id).submission)


def test_reschedule_to_another_day_voids_clearance_and_reopens_time_answers(app, book,
                                                                            clinician,
                                                                            login_as):
    appointment_id, phone = patient_submits(app, book, days=2)
    assert decide(clinician, appointment_id, "cleared").status_code == 302
    assert readiness_of(app, appointment_id).status == Status.CLEARED
    old_day = appointment_day(app, appointment_id)

    desk = move(app, login_as, appointment_id, old_day + timedelta(days=2))

    state = readiness_of(app, appointment_id)
    assert state.status == Status.IN_PROGRESS
    assert state.reasons[0] == ("Moved to another day: clearance voided; waiting for new food "
                                "and drink times")
    kept = stored_answers(app, appointment_id)
    assert "last_solid_food" not in kept and "last_clear_liquid" not in kept
    assert kept["driver_name"] == "Grace Hopper"  # the rest stands
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.move_reason == "Patient asked for Friday"
        assert appointment.moved_by_id == desk.user_id
        assert clinic_settings.to_local(appointment.moved_from_at).date() == old_day
    [row] = audit_rows(app, "appointment.reschedule")
    assert row.actor_id == desk.user_id
    assert row.detail == "to another day: clearance voided, 2 time answers asked again"
    assert "Friday" not in row.detail  # the reason is stored, not logged
    desk_page = text_of(desk.get(f"/board/a/{appointment_id}").text)
    assert "Patient asked for Friday" in desk_page and "Moved from" in desk_page

    # The patient is told what changed, on whichever page they open, and asked again.
    for url in ("/checklist/", "/checklist/done", "/checklist/step/dayof", "/checklist/review"):
        page = text_of(phone.get(url).text)
        assert "Your session has moved" in page, url
        assert "when you last eat and drink" in page, url
    assert "Thank you. We have your answers." not in text_of(phone.get("/checklist/done").text)

    new_day = appointment_day(app, appointment_id)
    patient_changes(app, phone, appointment_id,
                    last_solid_food=f"{new_day}T03:30", last_clear_liquid=f"{new_day}T07:30")
    assert "Your session has moved" not in text_of(phone.get("/checklist/").text)
    assert readiness_of(app, appointment_id).status == Status.AWAITING_REVIEW
    assert queue_order(clinician) == ["Ada Lovelace"]


def test_moving_within_the_same_day_keeps_the_clearance_and_the_answers(app, book, clinician,
                                                                       login_as):
    appointment_id, _ = patient_submits(app, book, days=2)
    assert decide(clinician, appointment_id, "cleared").status_code == 302
    before = stored_answers(app, appointment_id)
    move(app, login_as, appointment_id, appointment_day(app, appointment_id), at="15:00",
         reason="Room free later")
    assert readiness_of(app, appointment_id).status == Status.CLEARED
    assert stored_answers(app, appointment_id) == before
    [row] = audit_rows(app, "appointment.reschedule")
    assert row.detail == "same day"


# --- bad input -------------------------------------------------------------------------------

junk = st.one_of(st.text(max_size=80), st.text(alphabet="\x00\r\n\t\u202e\ufeff", max_size=20),
                 st.integers(min_value=-(10**30), max_value=10**30).map(str),
                 st.sampled_from(["", "1", "2", "-1", "0", "1e9", "9" * 5000, "NaN", "0x1"]))
decisions = st.one_of(*(st.just(d) for d in ("cleared", "follow_up", "not_cleared", "returned")),
                      junk)
notes = st.one_of(st.text(max_size=300), st.text(alphabet="a\x00\n", max_size=40),
                  st.sampled_from(["x" * 2000, "x" * 2001, "\x00" * 5000, "y" * 100_000]))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(decision=decisions, note=notes, message=notes,
       tamper=st.one_of(st.just({}), st.dictionaries(
           st.sampled_from(["revision", "answers_hash", "sequence"]), junk, max_size=3)))
def test_decision_form_never_fails_on_bad_input(app, book, clinician, decision, note, message,
                                                tamper):
    if not hasattr(clinician, "fuzz_appointment"):
        clinician.fuzz_appointment = patient_submits(app, book)[0]
    appointment_id = clinician.fuzz_appointment
    fields = {**decision_fields(clinician, appointment_id), **tamper}
    before = len(stored_reviews(app, appointment_id))

    response = clinician.post(f"/review/{appointment_id}", data={
        **fields, "decision": decision, "note": note, "message_to_patient": message})

    assert response.status_code in (302, 409, 422), response.status_code
    event(f"status {response.status_code}")
    after = stored_reviews(app, appointment_id)
    assert len(after) == before + (response.status_code == 302)
    with app.app_context():
        for review in after:
            revision = db.session.scalar(select(SubmissionRevision).where(
                SubmissionRevision.submission_id == review.submission_id,
                SubmissionRevision.number == review.revision))
            assert revision.answers_hash == review.answers_hash
            assert "\x00" not in review.note + review.message_to_patient
        assert db.session.scalar(select(func.count(Review.id))) == len(after)
        submission = db.session.get(Appointment, appointment_id).submission
        if submission.status == SubmissionStatus.RETURNED:  # reopen for the next example
            submission.status = SubmissionStatus.SUBMITTED
            db.session.commit()


def test_answer_pages_read_a_fixed_few_statements_however_much_was_answered(app, book,
                                                                            clinician,
                                                                            login_as):
    """The clinician's review page and the desk's answers page are drawn from objects loaded
    once (no mid-view commit expires them): a fixed number of statements, whether the patient
    answered once or changed their answers after a review."""
    desk = login_as("front_desk", c=app.test_client())
    plain, _ = patient_submits(app, book, name="Plain Patient", days=1)
    changed, phone = patient_submits(app, book, name="Changed Patient", days=2)
    assert decide(clinician, changed, "cleared").status_code == 302
    patient_changes(app, phone, changed, new_illness="yes")

    def statements(client, url):
        client.get(url)  # warm: the published checklist is read once per process
        return count_queries(app, lambda: client.get(url))

    review = {i: statements(clinician, f"/review/{i}") for i in (plain, changed)}
    desk_answers = {i: statements(desk, f"/board/a/{i}/answers") for i in (plain, changed)}
    # The review page (22 before the unit of work): user, settings, appointment, submission,
    # next decision number, its audit row, the version and its items, both revisions in one
    # query, the last session's, then the readiness overview (links, answers, reviews, items)
    # and the patient. The desk's answers page: 11 (36 before).
    begin = 0 if USE_POSTGRES else 1  # psycopg sends its BEGIN unseen by the event
    assert review[plain] == review[changed] == 15 + begin, review
    assert desk_answers[plain] == desk_answers[changed] == 11 + begin, desk_answers
