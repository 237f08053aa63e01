"""The driver, on a phone, in a real browser: the link from the text, the page, an answer
(given with the keyboard); and the patient then sees it. Then the patient's morning-of check.
Every page is checked by axe-core and must not scroll sideways at 320 px."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from prep_app.extensions import db
from prep_app.models import ClinicSettings

from ..driver_steps import driver_texts, link_in, name_driver, send_due
from ..patient_forms import patient_browser, session_day
from .helpers import assert_focus_visible, tab_to
from .patient_steps import open_link

pytestmark = pytest.mark.e2e


def test_the_driver_says_they_cannot_come_and_the_patient_is_told(app, book, live_server,
                                                                  open_context, journey,
                                                                  tmp_path):
    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    _, token = book()
    name_driver(patient_browser(app, token))  # the checklist, as in the patient's tests
    send_due(app)
    (text,) = driver_texts(tmp_path / "outbox")

    page = open_context("phone").new_page()
    page.goto(live_server.url + link_in(text))
    expect(page).to_have_url(re.compile(r"/ride/$"))
    journey.see(page, "driver-page", "Can you drive Ada home?", narrow=True)
    expect(page.get_by_text("Pick-up time")).to_be_visible()

    cannot = page.get_by_role("button", name="I can't make it")
    tab_to(page, cannot)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#your-answer")).to_have_text(
        "You said you can't make it. We will let Ada know.")
    journey.see(page, "driver-answered", "Can you drive Ada home?", narrow=True)

    patient = open_context("phone").new_page()
    open_link(patient, journey, live_server.url + f"/p/{token}", wrong_first=False,
              h1="Getting ready for your session")
    expect(patient.locator("#driver-declined-notice")).to_contain_text(
        "Your driver said they can't make it. Please name another driver or call us.")
    journey.see(patient, "patient-told", "Getting ready for your session", narrow=True)


def test_the_morning_of_check_on_a_phone(app, book, live_server, open_context, journey,
                                         time_machine):
    _, token = book()
    patient_client = patient_browser(app, token)
    name_driver(patient_client)
    day = session_day(patient_client)
    with app.app_context():
        db.session.get(ClinicSettings, 1).is_morning_check_on = True
        db.session.commit()
    time_machine.move_to(datetime(day.year, day.month, day.day, 8,
                                  tzinfo=ZoneInfo("America/Denver")), tick=False)
    page = open_context("phone").new_page()
    open_link(page, journey, live_server.url + f"/p/{token}", wrong_first=False,
              h1="Getting ready for your session")
    expect(page.locator("#morning-check-notice")).to_contain_text("A quick check this morning")
    page.get_by_role("link", name="Answer the questions").tap()
    journey.see(page, "morning-check", "A quick check this morning", narrow=True)
    page.get_by_role("button", name="Send my answers").tap()
    expect(page.locator("#error-summary")).to_be_visible()
    journey.see(page, "morning-check-errors", "A quick check this morning", narrow=True)
    for question, answer in (("Are you still fasting as planned?", "Yes"),
                             ("Is your driver still coming?", "Yes"),
                             ("Are you feeling unwell?", "No")):
        page.get_by_role("group", name=question).get_by_label(answer).check()
    page.get_by_role("button", name="Send my answers").tap()
    expect(page.locator("#morning-check-notice")).to_contain_text(
        "Thank you: we have your answers for this morning.")
    journey.see(page, "morning-check-done", "Getting ready for your session", narrow=True)
