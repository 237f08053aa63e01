"""The staff side in a real browser, with a patient on their own phone alongside.

The front desk books a session and hands over the link; the patient fills it in; the board
follows. A clinician returns a checklist with a message, the patient fixes it, the clinician
clears it. Every page either of them sees is checked by axe-core.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from prep_app.extensions import db
from prep_app.models import Appointment, SubmissionStatus
from prep_app.services import settings

from ..patient_forms import calm_answers, walk
from ..patient_forms import open_link as open_link_by_client
from ..patient_forms import submit as submit_by_client
from .helpers import assert_focus_visible, tab_to
from .patient_steps import (
    DONE,
    DRIVER,
    NAME,
    REVIEW,
    complete_checklist,
    open_link,
    session_day,
    stored,
)
from .staff_steps import board_row, put_clinic_at_midday, sign_in

pytestmark = pytest.mark.e2e

DESK_EMAIL, CLINICIAN_EMAIL = "dana@clinic.test", "grace@clinic.test"
PATIENT_PHONE = "(435) 555-0199"


def board_heading(day: date, *, today: bool):
    """The board's heading for ``day``: "Today, Tuesday 24 November 2026" or without "Today"."""
    return re.compile(("^Today, " if today else "^(?!Today)") + rf".*\b{day.day}\b.*{day.year}$")


def test_front_desk_books_hands_over_the_link_and_checks_the_patient_in(
        app, make_staff, open_context, journey):
    put_clinic_at_midday(app)
    make_staff("front_desk", DESK_EMAIL, "Dana Desk")
    with app.app_context():
        today = settings.today()
    desk_context = open_context("desktop")
    desk_context.grant_permissions(["clipboard-read", "clipboard-write"])
    desk = desk_context.new_page()
    desk.clock.install()  # the board's 30-second refresh can then be run forward, not waited for
    on_board = board_heading(today, today=True)

    sign_in(desk, journey, DESK_EMAIL, on_board, who="desk")
    journey.see(desk, "board-empty", on_board)
    expect(desk.locator("#board-live")).to_contain_text("No appointments on this day.")

    desk.get_by_role("button", name="New appointment").click()
    journey.see(desk, "new-appointment", "New appointment")
    desk.get_by_label("Patient's full name").fill(NAME)
    desk.get_by_label("Date of birth").fill("1990-01-31")
    desk.get_by_label("Patient's phone").fill(PATIENT_PHONE)
    desk.get_by_label("Day of the session").fill(today.isoformat())
    desk.get_by_label("Time of the session").fill("15:00")
    expect(desk.get_by_label("Create the patient's link now")).to_be_checked()
    desk.get_by_role("button", name="Book the appointment").click()
    journey.see(desk, "link-shown-once", f"A new link for {NAME}")

    shown = desk.get_by_label("The patient's link").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/p/[\w-]{20,}", shown), shown
    desk.get_by_role("button", name="Copy the link").click()
    expect(desk.locator("#copy-status")).to_have_text(re.compile("^Copied"))
    link = desk.evaluate("() => navigator.clipboard.readText()")
    assert link == shown

    desk.get_by_role("link", name="Board", exact=True).click()
    row = board_row(desk, NAME)
    expect(row).to_contain_text("Not started")
    journey.see(desk, "board-link-sent", on_board)

    patient = open_context("phone").new_page()
    open_link(patient, journey, link, wrong_first=False)
    complete_checklist(patient, journey, today.isoformat())
    expect(patient.locator("ol.timeline")).to_contain_text(f"{DRIVER} will drive you home.")

    # The board refreshes its live part every 30 seconds: run its clock forward, no reload.
    desk.evaluate("() => { window.sameBoardPage = true; }")
    desk.clock.run_for(31_000)
    expect(row).to_contain_text("Awaiting review")
    expect(row).to_contain_text(DRIVER)
    assert desk.evaluate("() => window.sameBoardPage === true"), "the board reloaded instead"
    journey.see(desk, "board-after-submit", on_board)

    row.get_by_role("link", name=NAME).click()
    journey.see(desk, "appointment", NAME)
    check_in = desk.locator("#check-in")
    check_in.get_by_role("button", name="Check the patient in").click()
    expect(desk.get_by_role("alert").first).to_contain_text(
        "Confirm the driver in person before checking the patient in.")
    journey.see(desk, "check-in-needs-driver", NAME)
    # The desk uses the keyboard for this one: Tab to the box, Space, Tab, Enter.
    confirmed = desk.get_by_label("I have confirmed the driver in person")
    tab_to(desk, confirmed)
    assert_focus_visible(desk)
    desk.keyboard.press("Space")
    expect(confirmed).to_be_checked()
    tab_to(desk, check_in.get_by_role("button", name="Check the patient in"), most=1)
    assert_focus_visible(desk)
    desk.keyboard.press("Enter")
    expect(desk.locator(".flash")).to_have_text("Checked in.")
    # Checked in sits beside the readiness, never instead of it.
    expect(desk.locator("main .status").first).to_have_text("Awaiting review")
    expect(desk.locator("main .status-checked_in").first).to_have_text("Checked in")
    journey.see(desk, "checked-in", NAME)

    desk.get_by_role("link", name="Back to the board").click()
    expect(board_row(desk, NAME)).to_contain_text("Checked in")
    journey.see(desk, "board-checked-in", on_board)
    with app.app_context():
        appointment = db.session.scalars(db.select(Appointment)).one()
        assert appointment.checked_in_at is not None
        assert appointment.is_driver_confirmed
        assert appointment.patient.full_name == NAME
        assert appointment.submission.status == SubmissionStatus.SUBMITTED


MESSAGE = "Please tell us which medicine you take and when you usually take it."


def test_clinician_returns_a_checklist_the_patient_fixes_it_and_it_is_cleared(
        app, client, book, make_staff, open_context, journey):
    # The patient's first submission is made without the browser (the patient test walks it):
    # they take a medication to discuss, but do not say which.
    appointment_id, token = book(days=2)
    day = date.fromisoformat(session_day(app, days=2))
    open_link_by_client(client, token)
    walk(client, calm_answers(client, medications="yes",
                              medications_detail="Something for sleep"))
    assert submit_by_client(client).status_code == 302
    make_staff("clinician", CLINICIAN_EMAIL, "Grace Hopper")
    clinician = open_context("desktop").new_page()

    sign_in(clinician, journey, CLINICIAN_EMAIL, "Review queue", who="clinician")
    journey.see(clinician, "queue", "Review queue")
    queued = clinician.locator("table.review-queue tbody tr").filter(has_text=NAME)
    expect(queued).to_contain_text("Needs attention")
    queued.get_by_role("link", name=NAME).click()
    journey.see(clinician, "submission", NAME)
    expect(clinician.locator("main")).to_contain_text("Something for sleep")

    decision = clinician.get_by_role("group", name="Decision")
    decision.get_by_label("Returned to the patient").check()
    clinician.get_by_role("button", name="Save decision").click()
    expect(clinician.locator("#error-summary")).to_contain_text(
        "Write a message telling the patient what to check.")
    journey.see(clinician, "return-needs-message", NAME)
    clinician.get_by_label("Message to the patient").fill(MESSAGE)
    clinician.get_by_role("button", name="Save decision").click()
    expect(clinician.locator(".flash")).to_have_text("Your decision was saved.")
    journey.see(clinician, "queue-after-return", "Review queue")
    assert stored(app, appointment_id)[0] == SubmissionStatus.RETURNED

    patient = open_context("phone").new_page()
    open_link(patient, journey, f"/p/{token}", wrong_first=False)
    notice = patient.locator(".notice")
    expect(notice).to_contain_text("Your care team asked you to check something")
    expect(notice).to_contain_text(MESSAGE)
    journey.see(patient, "returned-intro", "Getting ready for your session", narrow=True)
    patient.get_by_role("button", name="Check and submit your answers").tap()
    journey.see(patient, "returned-review", REVIEW, narrow=True)
    patient.get_by_role("link", name="Change Your medicines").tap()
    journey.see(patient, "returned-fix", "Your medicines", narrow=True)
    patient.get_by_label("Which ones, and when do you usually take them?").fill(
        "Zolpidem 5 mg at bedtime, two or three nights a week")
    patient.get_by_role("button", name="Save and go back to your answers").tap()
    journey.see(patient, "returned-review-fixed", REVIEW, narrow=True)
    expect(patient.locator("main")).to_contain_text("Zolpidem 5 mg at bedtime")
    patient.get_by_label("Type your full name").fill(NAME)
    patient.get_by_role("button", name="Submit my answers").tap()
    journey.see(patient, "resubmitted", DONE, narrow=True)

    clinician.reload()
    queued = clinician.locator("table.review-queue tbody tr").filter(has_text=NAME)
    queued.get_by_role("link", name=NAME).click()
    journey.see(clinician, "submission-changed", NAME)
    changes = clinician.locator("table.changes").first
    expect(changes).to_contain_text("Something for sleep")
    expect(changes).to_contain_text("Zolpidem 5 mg at bedtime")
    decision = clinician.get_by_role("group", name="Decision")
    decision.get_by_label("Cleared", exact=True).check()
    clinician.get_by_role("button", name="Save decision").click()
    expect(clinician.locator(".flash")).to_have_text("Your decision was saved.")
    journey.see(clinician, "queue-after-clear", "Review queue")

    clinician.get_by_role("link", name="Board", exact=True).click()
    clinician.get_by_label("Day", exact=True).fill(day.isoformat())
    clinician.get_by_role("button", name="Show").click()
    expect(board_row(clinician, NAME)).to_contain_text("Cleared")
    journey.see(clinician, "board-cleared", board_heading(day, today=False))
    status, answers, _ = stored(app, appointment_id)
    assert status == SubmissionStatus.SUBMITTED
    assert answers["medications_detail"].startswith("Zolpidem")


def test_clinic_admin_pages_pass_the_checks(app, make_staff, open_context, journey):
    """The admin's pages, each checked by axe-core and saved for the Nu Html Checker."""
    make_staff("admin", "ada@clinic.test", "Ada Admin")
    colleague = make_staff("front_desk", DESK_EMAIL, "Dana Desk")
    page = open_context("desktop").new_page()
    sign_in(page, journey, "ada@clinic.test", "Clinic admin", who="admin")
    for url, name, h1 in [("/admin/", "admin-home", "Clinic admin"),
                          ("/admin/staff", "admin-staff", "Staff"),
                          (f"/admin/staff/{colleague}", "admin-staff-member", "Dana Desk"),
                          ("/admin/settings", "admin-settings", "Clinic settings"),
                          ("/admin/import-mappings", "admin-import-mappings",
                           "Schedule import: column names"),
                          ("/admin/api-tokens", "admin-api-tokens", "API tokens"),
                          ("/admin/audit", "admin-audit", "Audit log")]:
        page.goto(url)
        journey.see(page, name, h1)
    page.goto("/p/not-a-link")
    journey.see(page, "link-problem", re.compile("link is not working"))
