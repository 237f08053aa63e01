"""A patient on a phone, in a real browser: from the link to the timeline.

Every page is checked by axe-core and must not scroll sideways at 320 px; one section (the ride
home) is done with the keyboard only.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from prep_app.models import SubmissionStatus

from .helpers import assert_focus_visible, is_focused, tab_to
from .patient_steps import DRIVER, NAME, complete_checklist, open_link, session_day, stored

pytestmark = pytest.mark.e2e


def ride_home_by_keyboard(journey):
    """Fill the ride-home section with Tab, typing, Space and the arrow keys; Enter saves."""

    def step(page):
        keyboard = page.keyboard
        tab_to(page, page.get_by_label("Your driver's full name"))
        assert_focus_visible(page)
        keyboard.type(DRIVER)
        tab_to(page, page.get_by_label("Your driver's mobile number"), most=1)
        keyboard.type("(435) 555-0142")
        may_text = page.get_by_role("group", name="May we text your driver?").get_by_label("Yes")
        tab_to(page, may_text, most=1)
        assert_focus_visible(page)
        keyboard.press("Space")
        expect(may_text).to_be_checked()
        tab_to(page, page.get_by_label("How do you know them?"), most=1)
        keyboard.type("Friend")

        waits = page.get_by_label("They will wait at the clinic")
        returns = page.get_by_label("They will come back to pick me up")
        return_time = page.get_by_label("What time will they come back?")
        tab_to(page, waits, most=1)
        assert_focus_visible(page)
        keyboard.press("Space")
        expect(waits).to_be_checked()
        expect(return_time).to_be_hidden()  # only asked when the driver comes back later
        keyboard.press("ArrowDown")
        expect(returns).to_be_checked()
        expect(return_time).to_be_visible()
        keyboard.press("ArrowUp")
        expect(waits).to_be_checked()
        expect(return_time).to_be_hidden()

        no_driving = page.get_by_label("I will not drive, cycle or use machinery")
        tab_to(page, no_driving, most=1)  # the hidden question is skipped
        assert_focus_visible(page)
        keyboard.press("Space")
        expect(no_driving).to_be_checked()

        save = page.get_by_role("button", name="Save and continue")
        tab_to(page, save, most=1)
        assert_focus_visible(page)
        journey.shot(page, "keyboard-focus-on-save")
        keyboard.press("Enter")

    return step


def test_patient_prepares_on_a_phone_with_one_section_by_keyboard(app, book, open_context,
                                                                  journey):
    appointment_id, token = book()
    page = open_context("phone").new_page()

    open_link(page, journey, f"/p/{token}")
    # The skip link is the first stop for a keyboard and shows where the focus is.
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_role("link", name="Skip to main content"))
    assert_focus_visible(page)

    complete_checklist(page, journey, session_day(app), ride=ride_home_by_keyboard(journey))

    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text(f"{DRIVER} will drive you home.")
    expect(timeline).to_contain_text("Last solid food.")
    status, answers, attested = stored(app, appointment_id)
    assert status == SubmissionStatus.SUBMITTED
    assert attested == NAME
    assert answers["driver_name"] == DRIVER
    assert answers["driver_phone"] == "+14355550142"
    assert answers["driver_plan"] == "waits"
    assert answers.get("driver_return_time", "") == ""
    assert answers["no_driving"] == "yes"
    assert answers["medications"] == "no"
