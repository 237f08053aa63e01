"""Readiness for a whole day at once (the board, the queue, ``appointments list``).

``overview()`` loads many appointments in a fixed number of queries; it must tell each one
exactly what looking at that appointment alone would tell.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from prep_app.extensions import db
from prep_app.models import (
    Appointment,
    Decision,
    Review,
    SubmissionStatus,
    utcnow,
)
from prep_app.readiness import Facts, ReviewFacts, Status, assess
from prep_app.services import appointments as appointment_service
from prep_app.services import checklists, links, settings, status, submissions

from .saved_answers import save_answers, submit_ready


def decide(submission, decision: Decision, clinician_id: int, note: str = "") -> None:
    """A clinician's decision on the answers as they stand (as the review screen stores it)."""
    db.session.add(Review(submission_id=submission.id, sequence=len(submission.reviews) + 1,
                          revision=submission.revision, answers_hash=submission.answers_hash,
                          decision=decision, note=note, clinician_id=clinician_id))
    if decision == Decision.RETURNED:
        submission.status = SubmissionStatus.RETURNED


def one_at_a_time(appointment: Appointment, now: datetime):
    """Readiness worked out from one appointment's own rows, without overview()."""
    newest = max(appointment.links, key=lambda link: link.id, default=None)
    submission = appointment.submission
    answers = submissions.answers_of(submission)
    started = submission is not None and (answers or submission.revision)
    review = submission.reviews[-1] if submission and submission.reviews else None
    facts = Facts(
        starts_at=appointment.starts_at, is_cancelled=appointment.is_cancelled,
        checked_in_at=appointment.checked_in_at,
        is_driver_confirmed=appointment.is_driver_confirmed,
        link_expires_at=newest.expires_at if newest else None,
        is_link_revoked=bool(newest and newest.revoked_at),
        submission_status=str(submission.status) if started else None,
        answers=answers, revision=submission.revision if submission else 0,
        answers_hash=submission.answers_hash if submission else None,
        review=ReviewFacts(str(review.decision), review.revision, review.answers_hash,
                           review.note, review.clinician.name) if review else None,
        is_moved_to_new_day=bool(submission and submission.time_answers_reopened_at))
    rules = checklists.rules(submission.checklist_version.items) if submission else []
    return assess(rules, facts, status.timing(appointment.location), now)


@pytest.fixture
def clinic_day(app, book, make_staff):
    """Nine sessions on one clinic day, one in each state the front desk meets."""
    clinician = make_staff("clinician", name="Dr Rivera")
    people = {}
    for hour, name in enumerate(["No Link", "Link Only", "Half Way", "Quiet", "Flagged",
                                 "Cleared", "Returned", "Changed", "Cancelled", "Arrived"],
                                start=8):
        people[name] = book(name=f"Pat {name}", days=3, hour=hour,
                            with_link=name != "No Link")[0]
    with app.app_context():
        get = lambda name: db.session.get(Appointment, people[name])  # noqa: E731
        save_answers(get("Half Way"), {"support_habits": "yes"})
        db.session.commit()
    for name in ["Quiet", "Cleared", "Returned", "Changed", "Arrived"]:
        submit_ready(app, people[name])
    submit_ready(app, people["Flagged"], new_illness="yes", pregnancy="yes")
    with app.app_context():
        decide(get("Cleared").submission, Decision.CLEARED, clinician)
        decide(get("Returned").submission, Decision.RETURNED, clinician, "Add a pickup time")
        decide(get("Changed").submission, Decision.CLEARED, clinician)
        db.session.commit()
        changed = get("Changed")
        save_answers(changed, {"questions": "Can I bring my dog?"})
        submissions.submit(changed.submission, "Pat Changed", secrets.token_urlsafe(24), None)
        appointment_service.cancel(get("Cancelled"))
        arrived = get("Arrived")
        appointment_service.check_in(arrived, is_driver_confirmed=True, now=arrived.starts_at)
        db.session.commit()
    return people


def test_overview_matches_each_appointment_looked_at_alone(app, clinic_day):
    with app.app_context():
        day = settings.to_local(db.session.get(Appointment, clinic_day["Quiet"]).starts_at)
        now = utcnow()
        rows = status.overview(status.appointments_on(day.date()), now=now)
        assert [row.appointment.id for row in rows] == list(clinic_day.values())
        by_name = {row.patient.full_name.removeprefix("Pat "): row.readiness for row in rows}
        for row in rows:
            assert row.readiness == one_at_a_time(row.appointment, now), row.patient.full_name
            assert row.readiness == status.for_appointment(row.appointment).readiness
    assert {name: r.status for name, r in by_name.items()} == {
        "No Link": Status.NOT_SENT, "Link Only": Status.NOT_STARTED,
        "Half Way": Status.IN_PROGRESS, "Quiet": Status.AWAITING_REVIEW,
        "Flagged": Status.NEEDS_ATTENTION, "Cleared": Status.CLEARED,
        "Returned": Status.NEEDS_ATTENTION, "Changed": Status.NEEDS_ATTENTION,
        "Cancelled": Status.CANCELLED, "Arrived": Status.AWAITING_REVIEW,
    }
    assert [name for name, r in by_name.items() if r.is_checked_in] == ["Arrived"]
    assert by_name["Arrived"].arrival.endswith("driver confirmed in person")
    assert by_name["Flagged"].reasons == ("New illness reported", "Possible pregnancy")
    assert by_name["Cleared"].reasons == ("Cleared by Dr Rivera",)
    assert by_name["Returned"].reasons == ("Returned to the patient to fix: Add a pickup time",)
    assert by_name["Changed"].reasons == ("Changed answers after review",
                                          "Has a question for the team")


def test_overview_shows_the_driver_to_the_front_desk(app, clinic_day):
    with app.app_context():
        rows = status.overview([db.session.get(Appointment, clinic_day["Quiet"]),
                                db.session.get(Appointment, clinic_day["Link Only"])])
        assert [(r.driver_name, r.driver_phone) for r in rows] == [
            ("Charles Babbage", "+14355550123"), ("", "")]


def test_overview_reads_the_newest_link_only(app, book):
    appointment_id, _token = book()
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        links.revoke_all(appointment)
        db.session.commit()
        assert status.for_appointment(appointment).readiness.reasons == (
            "Link revoked; send a new one",)
        links.issue(appointment)
        db.session.commit()
        assert status.for_appointment(appointment).readiness.status is Status.NOT_STARTED


def test_overview_takes_the_same_few_queries_for_a_busy_day(app, clinic_day):
    def queries_for(ids) -> int:
        with app.test_request_context():  # as on the board: settings read once per request
            settings.get()
            appointments = [db.session.get(Appointment, i) for i in ids]
            for appointment in appointments:
                assert appointment.patient is not None
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                status.overview(appointments)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(statements)

    ids = list(clinic_day.values())
    # Links, submissions, answers, reviews, checklist items: five, however many sessions.
    assert queries_for(ids[:4]) == 5
    assert queries_for(ids) == 5
    assert queries_for(ids[:2]) == 2  # nobody has started: no answers to read


def test_overview_of_nothing_asks_nothing(app_ctx):
    assert status.overview([]) == []


def test_a_late_evening_session_belongs_to_the_clinics_day(app):
    # 23:30 in Denver is 06:30 UTC the next day; 00:30 the next day is not part of this day.
    with app.app_context():
        day = settings.today() + timedelta(days=5)
        patient, _ = appointment_service.find_or_create_patient("Night Owl", date(1980, 5, 5))
        ids = {}
        for label, local in [("early", datetime.combine(day, time(0, 0))),
                             ("late", datetime.combine(day, time(23, 30))),
                             ("next", datetime.combine(day + timedelta(days=1), time(0, 30))),
                             ("before", datetime.combine(day - timedelta(days=1),
                                                         time(23, 59)))]:
            starts = appointment_service.local_to_utc(local, settings.zone())
            ids[label] = appointment_service.create(patient, starts).id
        db.session.commit()
        late = db.session.get(Appointment, ids["late"]).starts_at
        assert late.astimezone(UTC).date() == day + timedelta(days=1)
        assert [a.id for a in status.appointments_on(day)] == [ids["early"], ids["late"]]
        assert [a.id for a in status.appointments_on(day + timedelta(days=1))] == [ids["next"]]


@pytest.mark.parametrize(("day", "hours"), [(date(2027, 3, 14), 23), (date(2027, 11, 7), 25)])
def test_a_day_when_the_clocks_change(app, day, hours):
    with app.app_context():
        start, end = status.day_bounds(day)
        assert (start.tzinfo, end.tzinfo) == (UTC, UTC)
        assert end - start == timedelta(hours=hours)
        patient, _ = appointment_service.find_or_create_patient("Early Bird", date(1970, 1, 2))
        first = appointment_service.create(
            patient, appointment_service.local_to_utc(
                datetime.combine(day, time(0, 15)), settings.zone()))
        last = appointment_service.create(
            patient, appointment_service.local_to_utc(
                datetime.combine(day, time(23, 45)), settings.zone()))
        db.session.commit()
        assert [a.id for a in status.appointments_on(day)] == [first.id, last.id]


def test_days_follow_the_clinics_time_zone_setting(app):
    with app.app_context():
        settings.get().main_location.timezone = "Pacific/Auckland"
        db.session.commit()
        day = settings.today() + timedelta(days=4)
        patient, _ = appointment_service.find_or_create_patient("Kiwi Patient", date(1988, 2, 2))
        # 08:00 in Auckland is the previous day in UTC.
        morning = appointment_service.create(
            patient, appointment_service.local_to_utc(
                datetime.combine(day, time(8, 0)), settings.zone()))
        db.session.commit()
        assert morning.starts_at.astimezone(UTC).date() == day - timedelta(days=1)
        assert [a.id for a in status.appointments_on(day)] == [morning.id]
        assert status.appointments_on(day - timedelta(days=1)) == []


def test_a_whole_clinic_day_takes_five_queries(app, clinic_day):
    """appointments_on() brings patients and submissions along: one query for the day, then
    links, answers, reviews and checklist items, however many sessions there are."""
    with app.app_context():
        first = db.session.get(Appointment, next(iter(clinic_day.values())))
        day = settings.to_local(first.starts_at).date()
        db.session.expunge_all()
        settings.get()  # read once per unit of work, before the count
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            rows = status.overview(status.appointments_on(day))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    queries = [s for s in statements if s.split()[0].upper() not in ("BEGIN", "COMMIT")]
    assert len(rows) == len(clinic_day)
    assert len(queries) == 5
