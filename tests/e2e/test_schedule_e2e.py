"""The schedule import in a real browser: an admin saves another system's column names, the
front desk uploads that system's file, sees the preview, decides a likely duplicate and
imports. Each page is checked by axe-core and saved for the Nu Html Checker."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment
from prep_app.services import settings

from .staff_steps import sign_in


def test_front_desk_imports_another_systems_file_and_decides_a_duplicate(
        app, make_staff, book, open_context, journey, tmp_path):
    book(name="Ada Lovelace", dob=date(1990, 1, 13), with_link=False)
    make_staff("admin", "ada@clinic.test", "Ada Admin")
    make_staff("front_desk", "dana@clinic.test", "Dana Desk")
    admin = open_context("desktop").new_page()
    sign_in(admin, journey, "ada@clinic.test", "Clinic admin", who="admin")
    admin.goto("/admin/import-mappings")
    admin.get_by_label("Name", exact=True).fill("OtherPM")
    admin.get_by_label("day first: 3 April (DD/MM/YYYY)").check()
    admin.get_by_label("Their header for external id").fill("Appt")
    admin.get_by_label("Their header for patient id").fill("appt")
    admin.get_by_role("button", name="Save the mapping").click()
    journey.see(admin, "import-mapping-refused", "Schedule import: column names")
    expect(admin.locator("#header_patient_id-error")).to_contain_text("already the header")
    admin.get_by_label("Their header for patient id").fill("")
    admin.get_by_label("Their header for name", exact=True).fill("Client")
    admin.get_by_label("Their header for date of birth").fill("DOB")
    admin.get_by_label("Their header for starts at").fill("Start")
    admin.get_by_role("button", name="Save the mapping").click()
    expect(admin.locator(".flash")).to_contain_text("Mapping OtherPM saved")

    with app.app_context():
        when = settings.today() + timedelta(days=3)
    schedule = tmp_path / "otherpm.csv"
    schedule.write_text(f"Appt;Client;DOB;Start\nX1;Ada Lovelace;31/01/1990;"
                        f"{when:%d/%m/%Y} 14:00\nX2;Grace Hopper;09/12/1985;"
                        f"{when:%d/%m/%Y} 15:00\n", encoding="utf-8-sig")
    desk = open_context("phone").new_page()
    sign_in(desk, journey, "dana@clinic.test", re.compile("Today"), who="desk")
    desk.goto("/board/import/")
    journey.see(desk, "schedule-upload", "Import the schedule", narrow=True)
    desk.get_by_label("The schedule, as a CSV file").set_input_files(str(schedule))
    desk.get_by_label("Its column names").select_option(label="OtherPM")
    desk.get_by_role("button", name="Check the file").click()
    journey.see(desk, "schedule-preview-duplicate", "Import the schedule: check")
    expect(desk.get_by_label("A new patient")).to_be_checked()
    desk.get_by_label(re.compile("The same person as patient #1: Ada Lovelace")).check()
    desk.get_by_role("button", name="Import these bookings").click()
    expect(desk.locator(".flash")).to_contain_text("Schedule imported: 2 booked")
    with app.app_context():
        assert db.session.scalar(select(Appointment.patient_id).filter_by(
            external_id="X1")) == 1
