"""No dead ends for the patient (issue 9): every page says what happens next and what to do.

Each test does what a patient does with JavaScript off and checks what is stored and what the
team then sees, not only what the page says.
"""

from __future__ import annotations

from prep_app.extensions import db
from prep_app.models import Appointment
from prep_app.readiness import Status
from prep_app.services import appointments as appointment_service
from prep_app.services import settings

from .browserlike import element, forms_of, tags
from .patient_forms import calm_answers, save, session_day, stored, submit, walk
from .test_patient_journey import move_session, readiness, text_of

NOT_YET = "Still arranging a ride: no driver yet"


def still_arranging(client, **changes):
    answers = calm_answers(client, **changes)
    answers["ride"] = {"ride_not_yet": "y", "no_driving": "y"}
    return answers


def check_in(client) -> None:
    with client.application.test_request_context():
        appointment = db.session.get(Appointment, client.appointment_id)
        # At the desk on the session's day (the clock passed in; the patient's pages run now).
        appointment_service.check_in(appointment, is_driver_confirmed=True,
                                     now=appointment.starts_at)
        db.session.commit()


# --- "I am still arranging a ride" ------------------------------------------------------------

def test_still_arranging_a_ride_is_an_answer_and_the_rest_can_be_submitted(patient):
    ride = patient.get("/checklist/step/ride")
    assert "I am still arranging a ride" in ride.text
    walk(patient, still_arranging(patient, medications="yes",
                                  medications_detail="Clonazepam 0.5 mg at night"))

    review = patient.get("/checklist/review")
    assert "Submit my answers" in review.text
    assert "I am still arranging a ride" in text_of(review.text)
    assert submit(patient).status_code == 302

    sent = stored(patient).revisions[-1].answers
    assert sent["ride_not_yet"] == "yes"
    assert "driver_name" not in sent
    assert sent["medications_detail"] == "Clonazepam 0.5 mg at night"  # the team sees it
    seen = readiness(patient)
    assert seen.status is Status.NEEDS_ATTENTION  # on the board, with the reason
    assert NOT_YET in seen.blocking and NOT_YET in seen.reasons
    assert "Takes a medication to discuss" in seen.flags


def test_a_driver_typed_before_choosing_still_arranging_is_not_kept(patient):
    answers = still_arranging(patient)
    answers["ride"].update({"driver_name": "Charles Babbage", "driver_plan": "returns",
                            "driver_return_time": "16:30"})
    walk(patient, answers)
    saved = stored(patient).answers
    assert saved["driver_name"] == saved["driver_plan"] == saved["driver_return_time"] == ""
    assert submit(patient).status_code == 302


def test_the_patient_adds_the_driver_later_and_the_session_no_longer_waits(patient):
    walk(patient, still_arranging(patient))
    submit(patient)

    done = text_of(patient.get("/checklist/done").text)
    assert "We still need to know who will drive you home" in done
    start = patient.get("/checklist/")
    assert "/checklist/step/ride" in [a.get("href") for t, a in tags(start.text) if t == "a"]

    ride = {**calm_answers(patient)["ride"], "ride_not_yet": ""}
    assert save(patient, "ride", ride, back=True).headers["Location"] == "/checklist/review"
    assert submit(patient).status_code == 302
    seen = readiness(patient)
    assert NOT_YET not in seen.blocking
    assert seen.status is Status.AWAITING_REVIEW
    assert stored(patient).revisions[-1].answers["driver_name"] == "Charles Babbage"


def test_a_review_page_without_its_submit_button_says_what_to_do(patient):
    answers = calm_answers(patient)
    answers["ride"] = {"no_driving": "y"}
    for section, data in answers.items():
        save(patient, section, data, action="later")
    review = patient.get("/checklist/review")
    assert "Submit my answers" not in review.text
    words = text_of(review.text)
    assert "Answer these, then come back to this page to submit" in words
    assert "I am still arranging a ride" in words  # the way out for a missing driver


# --- what happens after an answer ------------------------------------------------------------

def test_an_answer_inside_the_fasting_window_gets_a_calm_note(patient):
    day = session_day(patient)
    dayof = {**calm_answers(patient)["dayof"], "last_solid_food": f"{day}T12:30"}
    save(patient, "dayof", dayof)
    note = "Your session may need to move. We will call you. You can still submit."
    page = patient.get("/checklist/step/dayof")
    assert note in text_of(page.text)
    assert element(page.text, "last_solid_food-note")
    assert note in text_of(patient.get("/checklist/review").text)

    # In the window's limits: not inside, no note (the note is there, empty, for JavaScript).
    save(patient, "dayof", {**dayof, "last_solid_food": f"{day}T07:30"})
    assert note not in text_of(patient.get("/checklist/step/dayof").text)


def test_the_fasting_note_is_ready_for_javascript_with_the_window_on_the_field(patient):
    page = patient.get("/checklist/step/dayof")
    day = session_day(patient)
    solid = element(page.text, "last_solid_food-note")[1]
    assert solid["data-window-from"] == f"{day}T08:00"  # 6 hours before 14:00
    assert element(page.text, "last_clear_liquid-note")[1]["data-window-from"] == f"{day}T12:00"


def test_a_yes_to_a_health_question_says_what_happens_next(patient):
    next_step = "A nurse will look at this before your session. It does not mean your session " \
                "is cancelled."
    page = patient.get("/checklist/step/health")
    assert element(page.text, "new_illness-note")  # there for JavaScript to fill
    save(patient, "health", {**calm_answers(patient)["health"], "new_illness": "yes"})
    assert next_step in text_of(patient.get("/checklist/step/health").text)
    review = text_of(patient.get("/checklist/review").text)
    assert review.count(next_step) == 1  # next to that answer only


# --- after check-in or once the session started ----------------------------------------------

def _fields(html: str) -> list[dict]:
    return [a for t, a in tags(html) if t in ("input", "textarea", "select")
            and a.get("type") != "hidden"]


def test_after_check_in_the_pages_are_read_only_and_say_so(patient):
    walk(patient, calm_answers(patient))
    submit(patient)
    check_in(patient)

    for section in ("ride", "dayof"):
        page = patient.get(f"/checklist/step/{section}")
        assert _fields(page.text) == []  # no editable field without a save button
        assert "You have checked in" in text_of(page.text)
        assert "Charles Babbage" in page.text or section != "ride"
    done = text_of(patient.get("/checklist/done").text)
    assert "You can change your answers until your session starts" not in done
    assert "You have checked in" in done
    assert "Change your answers" not in done
    review = patient.get("/checklist/review").text
    assert not [a for t, a in tags(review) if t == "a" and "/step/" in a.get("href", "")]
    assert "You have checked in" in text_of(review)


def test_once_the_session_started_the_pages_are_read_only_and_say_so(patient):
    walk(patient, calm_answers(patient))
    submit(patient)
    move_session(patient, minutes=-10)
    page = patient.get("/checklist/step/bring")
    assert _fields(page.text) == []
    assert "Your session has started" in text_of(page.text)
    done = text_of(patient.get("/checklist/done").text)
    assert "until your session starts" not in done


# --- lost inside the checklist ---------------------------------------------------------------

def test_a_missing_page_inside_the_checklist_leads_back_and_gives_the_phone(patient):
    with patient.application.app_context():
        phone = settings.get().main_location.phone
    for url in ("/checklist/step/no-such-step", "/checklist/no-such-page"):
        page = patient.get(url)
        assert page.status_code == 404
        hrefs = [a.get("href") for t, a in tags(page.text) if t == "a"]
        assert "/checklist/" in hrefs, url
        assert "Back to your checklist" in page.text
        assert phone in text_of(page.text).split("Call us")[-1]  # in the page, not only the header


# --- another device saved first ---------------------------------------------------------------

def test_a_stale_save_shows_both_versions_side_by_side_without_required_errors(patient):
    ride = calm_answers(patient)["ride"]
    this_tab = patient.hidden("/checklist/step/ride")
    save(patient, "ride", ride)  # the other device
    stale = patient.post("/checklist/step/ride", data={
        **this_tab, "driver_name": "Mary Somerville", "driver_phone": "",
        "action": "continue"})
    assert stale.status_code == 409
    words = text_of(stale.text)
    assert "Please answer this question" not in words
    assert 'id="error-summary"' not in stale.text
    compared = stale.text.split('id="conflict"')[1].split("</section>")[0]
    assert "Charles Babbage" in compared and "Mary Somerville" in compared
    assert "Saved on the other device" in compared and "What you typed here" in compared
    assert element(stale.text, "driver_name")[1]["value"] == "Mary Somerville"
    assert stored(patient).answers["driver_name"] == "Charles Babbage"
    assert forms_of(stale.text)  # saving again is one click away


# --- the rest of issue 9 ---------------------------------------------------------------------

def test_the_drivers_phone_offers_no_autofill_of_the_patients_own_number(patient):
    field = element(patient.get("/checklist/step/ride").text, "driver_phone")[1]
    assert field["autocomplete"] == "off"
    assert field["inputmode"] == "tel" and field["type"] == "tel"


def test_the_timeline_does_not_say_take_your_usual_medicines_after_a_medicine_to_review(patient):
    usual = "Please take your usual medicines"
    walk(patient, calm_answers(patient))
    submit(patient)
    assert usual in patient.get("/checklist/done").text
    save(patient, "medicines", calm_answers(patient, medications="yes",
                                            medications_detail="Lorazepam")["medicines"])
    submit(patient)
    done = text_of(patient.get("/checklist/done").text)
    assert usual not in done
    assert "Your care team will tell you what to do about your medicines" in done


def test_no_day_of_page_asks_more_than_three_questions(patient):
    for section in ("dayof", "medicines", "health"):
        page = patient.get(f"/checklist/step/{section}").text
        form = page.split("<form")[1].split("</form>")[0]
        questions = form.count("<legend") + form.count('<div class="field')
        assert 1 <= questions <= 3, (section, questions)
