"""A clinic day in a real browser on the desk PC (1366x768): checking in a patient with an open
flag asks that a clinician knows; a clinician clears clean checklists with "Clear and next".
Every page is checked by axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from prep_app.extensions import db
from prep_app.models import Appointment
from prep_app.readiness import Status
from prep_app.services import settings, status

from ..saved_answers import book_now, submit_ready
from .staff_steps import board_row, put_clinic_at_midday, sign_in

pytestmark = pytest.mark.e2e

DESK_PC = {"width": 1366, "height": 768}
TODAY = re.compile("^Today, ")  # the board's heading


def desk_pc(open_context):
    page = open_context("desktop").new_page()
    page.set_viewport_size(DESK_PC)
    return page


def test_checking_in_a_flagged_patient_asks_that_a_clinician_knows(
        app, make_staff, open_context, journey):
    put_clinic_at_midday(app)
    make_staff("front_desk", "dana@clinic.test", "Dana Desk")
    appointment_id = book_now(app, name="Fay Fasting")
    with app.app_context():
        starts = settings.to_local(db.session.get(Appointment, appointment_id).starts_at)
    submit_ready(app, appointment_id,
                 last_solid_food=f"{starts - timedelta(hours=2):%Y-%m-%dT%H:%M}")
    fasting = "Ate 2 h before: inside the 6 h fasting window"

    desk = desk_pc(open_context)
    sign_in(desk, journey, "dana@clinic.test", TODAY, who="desk")
    desk.goto(f"/board/a/{appointment_id}")
    journey.see(desk, "check-in-open-flag", "Fay Fasting")
    check_in = desk.locator("#check-in")
    expect(check_in.locator("#check-in-concerns")).to_contain_text(fasting)
    check_in.get_by_label("I have confirmed the driver in person").check()
    check_in.get_by_role("button", name="Check the patient in").click()
    expect(desk.get_by_role("alert").first).to_contain_text("Confirm that a clinician knows")
    journey.see(desk, "check-in-asks-clinician", "Fay Fasting")

    check_in = desk.locator("#check-in")
    check_in.get_by_label("I have confirmed the driver in person").check()
    check_in.get_by_label("A clinician knows about the items above").check()
    check_in.get_by_role("button", name="Check the patient in").click()
    expect(desk.locator(".flash")).to_have_text("Checked in.")
    expect(desk.locator("main .status").first).to_have_text("Needs attention")
    expect(desk.locator("main .status-checked_in").first).to_have_text("Checked in")
    expect(desk.locator("main")).to_contain_text("Dana Desk confirmed a clinician knows")
    journey.see(desk, "checked-in-flag-stays", "Fay Fasting")

    desk.get_by_role("link", name="Back to the board").click()
    row = board_row(desk, "Fay Fasting")
    expect(row).to_contain_text("Needs attention")
    expect(row).to_contain_text("Checked in")
    expect(row).to_contain_text(fasting)
    journey.see(desk, "board-flag-after-check-in", TODAY)


def test_clear_and_next_goes_through_clean_checklists(app, book, make_staff, open_context,
                                                       journey):
    make_staff("clinician", "grace@clinic.test", "Grace Hopper")
    names = ["Ann Able", "Ben Baker", "Cy Cole"]
    ids = []
    for hour, name in enumerate(names, start=9):
        appointment_id, _ = book(name=name, days=1, hour=hour)
        submit_ready(app, appointment_id)
        ids.append(appointment_id)

    clinician = desk_pc(open_context)
    sign_in(clinician, journey, "grace@clinic.test", "Review queue", who="clinician")
    journey.see(clinician, "queue-clean", "Review queue")
    clinician.locator("table.review-queue").get_by_role("link", name=names[0]).click()
    for n, name in enumerate(names):
        journey.see(clinician, f"review-{n}", name)
        expect(clinician.locator("main")).to_contain_text("Nothing flagged and nothing missing.")
        clear = clinician.get_by_role("button", name="Clear and next")
        expect(clear).to_be_in_viewport()  # no scrolling for a clean checklist
        clear.click()
    expect(clinician.locator(".flash")).to_have_text(
        "Cleared. Nothing else is waiting for a review.")
    journey.see(clinician, "queue-all-cleared", "Review queue")
    with app.app_context():
        for appointment_id in ids:
            row = status.for_appointment(db.session.get(Appointment, appointment_id))
            assert row.readiness.status is Status.CLEARED
