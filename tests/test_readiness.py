"""The readiness rules (PRODUCT.md), as the front desk reads them: a status and the reasons.

``assess`` is pure, so these tests build the facts by hand: the default checklist's rules, a
patient's answers, the latest review, the check-in, and "now".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prep_app import default_checklist
from prep_app.readiness import (
    Facts,
    ItemRule,
    ReviewFacts,
    Status,
    Timing,
    assess,
    format_gap,
)

DENVER = ZoneInfo("America/Denver")
RULES = [
    ItemRule(key=spec["key"], kind=spec["kind"], staff_label=spec.get("staff_label", ""),
             is_blocking=spec.get("is_blocking", False), section=spec["section"],
             flag_rule=spec.get("flag_rule", "none"), show_if=spec.get("show_if"))
    for spec in default_checklist.ITEMS
]
TIMING = Timing("America/Denver", solid_fast_hours=6, clear_fast_hours=2)
START = datetime(2026, 12, 3, 14, 0, tzinfo=DENVER)  # a Thursday afternoon session
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=DENVER)
LINK_EXPIRES = START + timedelta(hours=25)

READY = {
    "support_habits": "yes", "intention": "", "headphones": "yes", "clothes": "yes",
    "photo_id": "yes", "arrive_early": "yes",
    "driver_name": "Charles Babbage", "driver_phone": "+14355550123",
    "driver_relationship": "friend", "driver_plan": "waits", "no_driving": "yes",
    "last_solid_food": "2026-12-03T07:30", "last_clear_liquid": "2026-12-03T11:30",
    "alcohol_cannabis": "no", "medications": "no", "new_illness": "no", "pregnancy": "no",
    "blood_pressure": "no", "questions": "",
}
YES_NO_FLAGS = [(s["key"], s["staff_label"]) for s in default_checklist.ITEMS
                if s.get("flag_rule") == "if_yes"]


def submitted(revision: int = 1, review: ReviewFacts | None = None, status: str = "submitted",
              answers_hash: str = "hash-1", **changes) -> Facts:
    """A submitted checklist for START with a live link, ``changes`` applied to READY."""
    return Facts(starts_at=START, link_expires_at=LINK_EXPIRES, submission_status=status,
                 answers={**READY, **changes}, revision=revision, answers_hash=answers_hash,
                 review=review)


def check(facts: Facts, timing: Timing = TIMING, now: datetime = NOW):
    return assess(RULES, facts, timing, now)


def cleared_by(name="Dr Rivera", revision=1, answers_hash="hash-1", decision="cleared", note=""):
    return ReviewFacts(decision=decision, revision=revision, answers_hash=answers_hash,
                       note=note, clinician_name=name)


# Before anything is saved ---------------------------------------------------------------------

def test_front_desk_sees_not_sent_until_a_link_is_issued():
    result = check(Facts(starts_at=START))
    assert result.status is Status.NOT_SENT
    assert result.status.label == "Not sent"
    assert result.reasons == ("No link sent yet",)


def test_a_revoked_link_with_nothing_saved_counts_as_not_sent():
    result = check(Facts(starts_at=START, link_expires_at=LINK_EXPIRES, is_link_revoked=True))
    assert result.status is Status.NOT_SENT
    assert result.reasons == ("Link revoked; send a new one",)


def test_a_link_locked_after_wrong_dates_of_birth_tells_the_desk_to_send_a_new_one():
    result = check(Facts(starts_at=START, link_expires_at=LINK_EXPIRES, is_link_locked=True))
    assert result.status is Status.NOT_SENT
    assert result.reasons == ("Link locked after wrong dates of birth; send a new one",)
    started = check(replace(submitted(), submission_status="in_progress", revision=0,
                            link_expires_at=LINK_EXPIRES, is_link_locked=True))
    assert "Link locked after wrong dates of birth; send a new one" in started.reasons


def test_a_link_only_shown_or_printed_never_says_sent():
    result = check(Facts(starts_at=START, link_expires_at=LINK_EXPIRES))
    assert result.status is Status.NOT_STARTED
    assert result.status.label == "Not started"
    assert result.reasons == ("Link shown or printed, not sent; not opened yet",)


def test_the_link_says_when_it_was_sent_and_when_it_was_opened():
    sent = NOW - timedelta(hours=1)
    facts = Facts(starts_at=START, link_expires_at=LINK_EXPIRES, link_sent_at=sent)
    assert check(facts).reasons == ("Link sent at 08:00; not opened yet",)
    facts = replace(facts, link_opened_at=NOW - timedelta(minutes=20))
    assert check(facts).reasons == ("Link opened at 08:40; nothing saved yet",)
    # On another day than today, the day too.
    assert check(facts, now=NOW + timedelta(days=1)).reasons == (
        "Link opened 1 Dec at 08:40; nothing saved yet",)
    assert check(replace(facts, link_sent_at=None)).status is Status.NOT_STARTED


def test_an_expired_link_tells_the_desk_to_send_a_new_one():
    facts = Facts(starts_at=START, link_expires_at=NOW - timedelta(minutes=1))
    result = check(facts)
    assert result.status is Status.NOT_STARTED
    assert result.reasons == ("Link expired; send a new one",)
    # The moment it expires counts as expired; a minute before, it is still fine.
    assert check(facts, now=facts.link_expires_at).reasons == ("Link expired; send a new one",)
    later = replace(facts, link_expires_at=NOW + timedelta(minutes=1))
    assert check(later).reasons == ("Link shown or printed, not sent; not opened yet",)


# In progress ----------------------------------------------------------------------------------

def test_a_patient_halfway_through_is_in_progress_with_what_is_still_missing():
    facts = Facts(starts_at=START, link_expires_at=LINK_EXPIRES, submission_status="in_progress",
                  answers={"support_habits": "yes", "headphones": "yes"})
    result = check(facts)
    assert result.status is Status.IN_PROGRESS
    assert result.status.label == "In progress"
    # The ride home is a section the patient has not reached: summarised, not listed.
    assert result.reasons == ("Started; not submitted yet",
                              "Not finished: 4 required answers to come")
    assert result.blocking == ("No driver named", "No driver phone number", "No pickup plan",
                               "Has not agreed to avoid driving until the next day")


def test_in_a_section_the_patient_reached_each_missing_item_is_named():
    facts = Facts(starts_at=START, link_expires_at=LINK_EXPIRES, submission_status="in_progress",
                  answers={"support_habits": "yes", "driver_name": "Charles Babbage"})
    assert check(facts).reasons == ("Started; not submitted yet", "No driver phone number",
                                    "No pickup plan",
                                    "Has not agreed to avoid driving until the next day")


def test_changing_answers_after_submitting_is_in_progress_again():
    result = check(submitted(status="in_progress", revision=1, review=cleared_by()))
    assert result.status is Status.IN_PROGRESS
    assert result.reasons == ("Changing answers; not submitted again yet",)


def test_in_progress_with_a_revoked_link_says_so():
    facts = replace(submitted(status="in_progress", revision=0), is_link_revoked=True)
    assert check(facts).reasons == ("Started; not submitted yet", "Link revoked; send a new one")


# Submitted, nothing raised --------------------------------------------------------------------

def test_a_complete_quiet_submission_awaits_review():
    result = check(submitted())
    assert result.status is Status.AWAITING_REVIEW
    assert result.status.label == "Awaiting review"
    assert result.reasons == ("Submitted; waiting for a clinician",)
    assert result.flags == () and result.blocking == ()


# Submitted, blocking items --------------------------------------------------------------------

@pytest.mark.parametrize(("key", "reason"), [
    ("driver_name", "No driver named"),
    ("driver_phone", "No driver phone number"),
    ("driver_plan", "No pickup plan"),
    ("no_driving", "Has not agreed to avoid driving until the next day"),
])
def test_a_missing_blocking_answer_needs_attention(key, reason):
    result = check(submitted(**{key: ""}))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.status.label == "Needs attention"
    assert result.reasons == (reason,)
    assert result.blocking == (reason,)


def test_a_blank_driver_name_counts_as_no_driver():
    assert check(submitted(driver_name="   \t")).reasons == ("No driver named",)


def test_an_unticked_no_driving_promise_is_not_met():
    assert check(submitted(no_driving="no")).blocking == (
        "Has not agreed to avoid driving until the next day",)


def test_pickup_time_is_needed_only_when_the_driver_comes_back():
    returns = check(submitted(driver_plan="returns", driver_return_time=""))
    assert returns.status is Status.NEEDS_ATTENTION
    assert returns.reasons == ("No pickup time",)
    given_time = check(submitted(driver_plan="returns", driver_return_time="16:00"))
    assert given_time.status is Status.AWAITING_REVIEW
    waits = check(submitted(driver_plan="waits", driver_return_time=""))
    assert waits.status is Status.AWAITING_REVIEW
    assert "No pickup time" not in waits.reasons


def test_no_driver_at_all_lists_every_missing_piece():
    result = check(submitted(driver_name="", driver_phone="", driver_plan="returns"))
    assert result.reasons == ("No driver named", "No driver phone number", "No pickup time")


# Submitted, flags -----------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "label"), YES_NO_FLAGS)
def test_each_yes_to_a_safety_question_raises_its_flag(key, label):
    result = check(submitted(**{key: "yes"}))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == (label,)
    assert result.flags == (label,)
    assert check(submitted(**{key: "no"})).status is Status.AWAITING_REVIEW


def test_the_yes_no_flags_are_the_ones_the_clinic_asked_for():
    assert dict(YES_NO_FLAGS) == {
        "alcohol_cannabis": "Alcohol or cannabis within 24 h",
        "medications": "Takes a medication to discuss",
        "new_illness": "New illness reported",
        "pregnancy": "Possible pregnancy",
        "blood_pressure": "Recent blood-pressure problems",
    }


def test_several_flags_are_listed_in_checklist_order():
    result = check(submitted(pregnancy="yes", alcohol_cannabis="yes", questions="Can I drive?"))
    assert result.reasons == ("Alcohol or cannabis within 24 h", "Possible pregnancy",
                              "Has a question for the team")


def test_a_question_for_the_team_is_flagged_but_an_empty_one_is_not():
    asked = check(submitted(questions="Will I feel sick afterwards?"))
    assert asked.status is Status.NEEDS_ATTENTION
    assert asked.reasons == ("Has a question for the team",)
    assert check(submitted(questions="  \n ")).status is Status.AWAITING_REVIEW


def test_blocking_reasons_come_before_flags():
    result = check(submitted(driver_name="", new_illness="yes"))
    assert result.reasons == ("No driver named", "New illness reported")
    assert result.blocking == ("No driver named",)
    assert result.flags == ("New illness reported",)


# Fasting --------------------------------------------------------------------------------------

def test_eating_two_hours_before_is_inside_the_fasting_window():
    result = check(submitted(last_solid_food="2026-12-03T12:00"))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("Ate 2 h before: inside the 6 h fasting window",)


@pytest.mark.parametrize(("ate", "reason"), [
    ("2026-12-03T08:00", None),  # exactly 6 h: the window is kept
    ("2026-12-03T08:01", "Ate 5 h 59 min before: inside the 6 h fasting window"),
    ("2026-12-03T13:15", "Ate 45 min before: inside the 6 h fasting window"),
    ("2026-12-02T20:00", None),  # the evening before
])
def test_fasting_window_edges(ate, reason):
    result = check(submitted(last_solid_food=ate))
    assert result.reasons == ((reason,) if reason else ("Submitted; waiting for a clinician",))


def test_the_window_follows_the_clinics_setting():
    ate_five_hours_before = submitted(last_solid_food="2026-12-03T09:00")
    assert check(ate_five_hours_before).reasons == (
        "Ate 5 h before: inside the 6 h fasting window",)
    four_hours = replace(TIMING, solid_fast_hours=4)
    assert check(ate_five_hours_before, timing=four_hours).status is Status.AWAITING_REVIEW


def test_clear_liquids_inside_their_window():
    result = check(submitted(last_clear_liquid="2026-12-03T13:00"))
    assert result.reasons == ("Clear liquids 1 h before: inside the 2 h clear-liquids window",)
    assert check(submitted(last_clear_liquid="2026-12-03T12:00")).status is \
        Status.AWAITING_REVIEW


def test_eating_planned_after_the_session_starts():
    result = check(submitted(last_solid_food="2026-12-03T15:00",
                             last_clear_liquid="2026-12-03T14:00"))
    assert result.reasons == ("Eating planned after the session starts",
                              "Clear liquids planned after the session starts")


def test_a_fasting_answer_with_an_offset_is_taken_as_written():
    # 19:00 UTC is 12:00 in Denver: 2 h before the 14:00 session.
    result = check(submitted(last_solid_food="2026-12-03T19:00+00:00"))
    assert result.reasons == ("Ate 2 h before: inside the 6 h fasting window",)


@pytest.mark.parametrize("junk", ["soon", "12:00", "2026-13-40T10:00", "9999-12-31T23:59",
                                  "0001-01-01T00:00", "at lunch \x00", "\ud800"])
def test_an_unreadable_fasting_answer_raises_no_flag_and_no_error(junk):
    result = check(submitted(last_solid_food=junk, last_clear_liquid=junk))
    assert result.status is Status.AWAITING_REVIEW


def test_format_gap():
    assert format_gap(timedelta(minutes=5)) == "5 min"
    assert format_gap(timedelta(hours=3)) == "3 h"
    assert format_gap(timedelta(hours=3, minutes=7, seconds=59)) == "3 h 7 min"


# Time zones and daylight saving ---------------------------------------------------------------

def reasons_for(start: datetime, ate: str, drank: str, timing: Timing = TIMING):
    """The reasons for a quiet submission with these fasting answers, a day before ``start``."""
    facts = replace(submitted(last_solid_food=ate, last_clear_liquid=drank), starts_at=start)
    return check(facts, timing=timing, now=start - timedelta(days=1)).reasons


def test_spring_forward_counts_real_hours_not_clock_hours():
    # 8 March 2026 in Denver: at 02:00 the clocks jump to 03:00. Breakfast at 01:30 before an
    # 08:00 session looks like 6 h 30 min on the clock, but only 5 h 30 min really pass.
    start = datetime(2026, 3, 8, 8, 0, tzinfo=DENVER)
    assert reasons_for(start, "2026-03-08T01:30", "2026-03-08T05:00") == (
        "Ate 5 h 30 min before: inside the 6 h fasting window",)


def test_fall_back_counts_real_hours_not_clock_hours():
    # 1 November 2026 in Denver: at 02:00 the clocks go back to 01:00. Food at 00:30 before a
    # 06:00 session looks like 5 h 30 min on the clock; 6 h 30 min really pass.
    start = datetime(2026, 11, 1, 6, 0, tzinfo=DENVER)
    assert reasons_for(start, "2026-11-01T00:30", "2026-11-01T03:00") == (
        "Submitted; waiting for a clinician",)
    # 02:30 (after the change) is 3 h 30 min before the session, on any clock.
    assert reasons_for(start, "2026-11-01T02:30", "2026-11-01T03:00") == (
        "Ate 3 h 30 min before: inside the 6 h fasting window",)


@pytest.mark.parametrize(("start", "ate", "drank"), [
    # 01:30 happens twice on 1 November 2026 in Denver (07:30 and 08:30 UTC): the later one
    # is 5 h 30 min before a 07:00 (14:00 UTC) session, so the clinician sees it.
    (datetime(2026, 11, 1, 7, 0, tzinfo=DENVER), "2026-11-01T01:30", "2026-11-01T04:00"),
    # 02:30 never happens on 8 March 2026 in Denver: read as 03:30 MDT (09:30 UTC), 5 h 30 min
    # before a 09:00 (15:00 UTC) session.
    (datetime(2026, 3, 8, 9, 0, tzinfo=DENVER), "2026-03-08T02:30", "2026-03-08T06:00"),
])
def test_a_doubtful_clock_time_is_read_as_the_shorter_fast(start, ate, drank):
    assert reasons_for(start, ate, drank) == (
        "Ate 5 h 30 min before: inside the 6 h fasting window",)


def test_a_session_stored_in_utc_is_compared_with_clinic_local_answers():
    # The database hands readiness UTC times; answers are on the clinic's clock.
    start_utc = START.astimezone(UTC)
    facts = replace(submitted(last_solid_food="2026-12-03T12:00"), starts_at=start_utc)
    assert check(facts).reasons == ("Ate 2 h before: inside the 6 h fasting window",)


def test_auckland_clinic_daylight_saving_starts():
    # 27 September 2026 in Auckland: at 02:00 the clocks jump to 03:00 (+12 to +13).
    auckland = Timing("Pacific/Auckland", solid_fast_hours=6, clear_fast_hours=2)
    start = datetime(2026, 9, 27, 7, 0, tzinfo=ZoneInfo("Pacific/Auckland")).astimezone(UTC)
    assert reasons_for(start, "2026-09-27T01:30", "2026-09-27T04:00", auckland) == (
        "Ate 4 h 30 min before: inside the 6 h fasting window",)


def test_kolkata_half_hour_offset():
    kolkata = Timing("Asia/Kolkata", solid_fast_hours=6, clear_fast_hours=2)
    start = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)  # 10:00 in Kolkata
    assert reasons_for(start, "2026-12-03T06:15", "2026-12-03T07:00", kolkata) == (
        "Ate 3 h 45 min before: inside the 6 h fasting window",)
    # Read in the wrong zone (Denver) the same answers would be far in the future.
    assert reasons_for(start, "2026-12-03T06:15", "2026-12-03T07:00")[0] == (
        "Eating planned after the session starts")


def test_checked_in_shows_the_arrival_on_the_clinics_clock():
    arrived = datetime(2026, 12, 3, 20, 40, tzinfo=UTC)  # 13:40 in Denver
    facts = replace(submitted(review=cleared_by()), checked_in_at=arrived,
                    is_driver_confirmed=True)
    result = check(facts, now=arrived)
    assert result.status is Status.CLEARED
    assert result.is_checked_in
    assert result.arrival == "Arrived at 13:40; driver confirmed in person"
    kolkata = Timing("Asia/Kolkata", 6, 2)
    assert check(facts, timing=kolkata, now=arrived).arrival == (
        "Arrived at 02:10; driver confirmed in person")


def test_checked_in_without_the_driver_confirmed_says_only_when():
    facts = replace(Facts(starts_at=START), checked_in_at=datetime(2026, 12, 3, 20, 40,
                                                                    tzinfo=UTC))
    assert check(facts).arrival == "Arrived at 13:40"
    assert not check(Facts(starts_at=START)).is_checked_in


def test_checking_in_never_hides_an_unresolved_flag():
    # Ate 2 h before and never reviewed: checked in is shown beside it, never instead of it.
    arrived = datetime(2026, 12, 3, 20, 40, tzinfo=UTC)
    before = submitted(last_solid_food="2026-12-03T12:00")
    after = check(replace(before, checked_in_at=arrived, is_driver_confirmed=True), now=arrived)
    assert after.status is Status.NEEDS_ATTENTION
    assert after.reasons == check(before, now=arrived).reasons == (
        "Ate 2 h before: inside the 6 h fasting window",)
    assert after.flags == ("Ate 2 h before: inside the 6 h fasting window",)
    assert after.status.queue_rank == 0


def test_checking_in_never_hides_a_missing_driver():
    arrived = datetime(2026, 12, 3, 20, 40, tzinfo=UTC)
    facts = replace(submitted(driver_name=""), checked_in_at=arrived)
    result = check(facts, now=arrived)
    assert result.status is Status.NEEDS_ATTENTION
    assert "No driver named" in result.blocking
    assert result.arrival == "Arrived at 13:40"


def test_checked_in_is_not_a_status():
    assert "checked_in" not in {s.value for s in Status}


# Reviews --------------------------------------------------------------------------------------

def test_cleared_answers_show_who_cleared_them():
    result = check(submitted(new_illness="yes", review=cleared_by("Dr Rivera")))
    assert result.status is Status.CLEARED
    assert result.status.label == "Cleared"
    assert result.reasons == ("Cleared by Dr Rivera",)
    assert result.flags == ("New illness reported",)  # still there for the clinician's eyes
    assert check(submitted(review=cleared_by(""))).reasons == ("Cleared",)


def test_a_sign_off_does_not_replace_a_missing_driver():
    result = check(submitted(driver_phone="", review=cleared_by()))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("No driver phone number", "Cleared by Dr Rivera")


def test_follow_up_needs_attention_with_the_clinicians_note():
    review = cleared_by(decision="follow_up", note="Call about lamotrigine dose")
    result = check(submitted(medications="yes", review=review))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("Clinician asked for follow-up: Call about lamotrigine dose",
                              "Takes a medication to discuss")
    bare = check(submitted(review=cleared_by(decision="follow_up")))
    assert bare.reasons == ("Clinician asked for follow-up",)


def test_not_cleared_means_reschedule():
    review = cleared_by(decision="not_cleared", note="Fever this week")
    result = check(submitted(new_illness="yes", review=review))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("Not cleared: reschedule (Fever this week)", "New illness reported")
    assert check(submitted(review=cleared_by(decision="not_cleared"))).reasons == (
        "Not cleared: reschedule",)


def test_returned_to_the_patient_needs_attention_until_they_submit_again():
    review = cleared_by(decision="returned", note="Please add your driver's number")
    result = check(submitted(status="returned", review=review))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("Returned to the patient to fix: Please add your driver's number",)
    # The patient is fixing it: the link matters now, so a revoked one is mentioned.
    revoked = replace(submitted(status="returned", review=review), is_link_revoked=True)
    assert check(revoked).reasons == (
        "Returned to the patient to fix: Please add your driver's number",
        "Link revoked; send a new one")
    assert check(submitted(status="returned")).reasons == ("Returned to the patient to fix",)


def test_a_returned_decision_on_the_current_answers_needs_attention():
    review = cleared_by(decision="returned", note="Check your fasting time")
    result = check(submitted(review=review))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("Returned to the patient to fix: Check your fasting time",)


def test_changed_answers_after_a_clearance_go_back_to_review():
    # Resubmitted: revision 2, the clearance covered revision 1.
    result = check(submitted(revision=2, answers_hash="hash-2", review=cleared_by()))
    assert result.status is Status.AWAITING_REVIEW
    assert result.reasons == ("Changed answers after review",)


def test_a_review_of_other_answers_does_not_count_even_in_the_same_revision():
    result = check(submitted(revision=1, answers_hash="hash-other", review=cleared_by()))
    assert result.status is Status.AWAITING_REVIEW
    assert result.reasons == ("Changed answers after review",)


def test_changed_answers_that_raise_a_flag_need_attention():
    result = check(submitted(revision=2, answers_hash="hash-2", review=cleared_by(),
                             alcohol_cannabis="yes"))
    assert result.status is Status.NEEDS_ATTENTION
    assert result.reasons == ("Changed answers after review", "Alcohol or cannabis within 24 h")


# What wins ------------------------------------------------------------------------------------

def test_cancelled_wins_over_everything():
    facts = replace(submitted(review=cleared_by()), is_cancelled=True,
                    checked_in_at=START, is_driver_confirmed=True)
    result = check(facts)
    assert result.status is Status.CANCELLED
    assert result.status.label == "Cancelled"
    assert result.reasons == ("Appointment cancelled",)


def test_every_status_is_reachable_and_labelled():
    seen = {
        check(Facts(starts_at=START)).status,
        check(Facts(starts_at=START, link_expires_at=LINK_EXPIRES)).status,
        check(submitted(status="in_progress")).status,
        check(submitted(driver_name="")).status,
        check(submitted()).status,
        check(submitted(review=cleared_by())).status,
        check(replace(submitted(), is_cancelled=True)).status,
    }
    assert seen == set(Status)
    assert [s.label for s in Status] == ["Not sent", "Not started", "In progress",
                                         "Needs attention", "Awaiting review", "Cleared",
                                         "Cancelled"]


def test_the_clinicians_queue_puts_needs_attention_first():
    ranked = sorted(Status, key=lambda s: s.queue_rank)
    assert ranked[:2] == [Status.NEEDS_ATTENTION, Status.AWAITING_REVIEW]


# Properties -----------------------------------------------------------------------------------

ZONES = ["America/Denver", "Pacific/Auckland", "Asia/Kolkata", "Europe/London", "UTC"]
ANSWER_KEYS = [spec["key"] for spec in default_checklist.ITEMS]


@settings(max_examples=300, deadline=None)
@given(answers=st.dictionaries(st.sampled_from(ANSWER_KEYS),
                               st.one_of(st.text(), st.datetimes().map(datetime.isoformat),
                                         st.sampled_from(["yes", "no", "returns", "waits"]))),
       status=st.sampled_from([None, "in_progress", "submitted", "returned"]),
       zone=st.sampled_from(ZONES), revision=st.integers(0, 3),
       has_link=st.booleans(), revoked=st.booleans(),
       decision=st.sampled_from([None, "cleared", "follow_up", "not_cleared", "returned", "?"]))
def test_assess_never_raises_and_always_explains(answers, status, zone, revision, has_link,
                                                 revoked, decision):
    review = (ReviewFacts(decision, revision, "h", "note", "Dr") if decision else None)
    facts = Facts(starts_at=START, link_expires_at=LINK_EXPIRES if has_link else None,
                  is_link_revoked=revoked, submission_status=status, answers=answers,
                  revision=revision, answers_hash="h", review=review)
    result = assess(RULES, facts, Timing(zone, 6, 2), NOW)
    assert result.status in set(Status)
    assert result.reasons and all(isinstance(r, str) and r for r in result.reasons)


@settings(max_examples=300, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
       zone=st.sampled_from(ZONES), minutes_before=st.integers(-600, 900),
       window=st.integers(1, 12))
def test_fasting_flag_follows_real_elapsed_time(start, zone, minutes_before, window):
    clinic = ZoneInfo(zone)
    starts_at = start.replace(tzinfo=clinic).astimezone(UTC)
    ate = (starts_at - timedelta(minutes=minutes_before)).astimezone(clinic)
    facts = Facts(starts_at=starts_at, submission_status="submitted", revision=1,
                  answers={**READY, "last_solid_food": ate.isoformat(),
                           "last_clear_liquid": ""})
    result = assess(RULES, facts, Timing(zone, window, 2), NOW)
    if minutes_before <= 0:
        assert result.flags == ("Eating planned after the session starts",)
    elif minutes_before < window * 60:
        assert result.flags == (f"Ate {format_gap(timedelta(minutes=minutes_before))} before: "
                                f"inside the {window} h fasting window",)
    else:
        assert result.flags == ()


def test_a_move_to_another_day_says_the_clearance_is_void_until_new_times_come():
    moved = replace(submitted(status="in_progress", review=cleared_by()),
                    is_moved_to_new_day=True)
    assert check(moved).status is Status.IN_PROGRESS
    assert check(moved).reasons == (
        "Moved to another day: clearance voided; waiting for new food and drink times",)
    never_reviewed = replace(moved, review=None)
    assert check(never_reviewed).reasons == (
        "Moved to another day: waiting for new food and drink times",)
