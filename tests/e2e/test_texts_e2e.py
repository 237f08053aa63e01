"""The desk's view of texts in a real browser: a text Twilio refused, shown with its reason and a
Resend button a keyboard reaches; then the patient replies STOP (Twilio's signed webhook, over
real HTTP) and the page says no texts go to that number. Every state is checked by axe-core and
at 320 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..fixtures_jobs import PHONE, book_with_phone, tick
from .helpers import NARROWEST, assert_focus_visible, scroll_width_at, tab_to
from .staff_steps import sign_in

pytestmark = pytest.mark.e2e

DESK_EMAIL = "dana@clinic.test"
NAME = "Grace Hopper"
BOARD = re.compile(r"\d{4}$")  # the board's heading ends with the year


@pytest.fixture
def app(make_app, fake_twilio):
    """This test's app texts through the fake Twilio (the live server serves it)."""
    return make_app(**fake_twilio.settings())


def test_the_desk_sees_a_refused_text_resends_it_and_sees_a_stop(app, make_staff, open_context,
                                                                   journey, fake_twilio,
                                                                   live_server):
    make_staff("front_desk", DESK_EMAIL, "Dana Desk")
    fake_twilio.invalid.add(PHONE)
    appointment_id = book_with_phone(app, PHONE, NAME)
    tick(app)

    page = open_context("phone").new_page()
    sign_in(page, journey, DESK_EMAIL, BOARD, who="desk")
    page.goto(f"/board/a/{appointment_id}")
    journey.see(page, "appointment-text-failed", NAME)
    texts = page.locator(".message-log")
    expect(texts).to_contain_text("text failed: check the number")
    assert scroll_width_at(page) <= NARROWEST
    resend = page.get_by_role("button", name="Resend this text")
    tab_to(page, resend, most=120)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("A fresh copy is on its way")).to_be_visible()
    expect(texts).to_contain_text("planned for")

    reply = fake_twilio.text_in(f"{live_server.url}/hooks/twilio/inbound", PHONE, "STOP")
    assert reply.status_code == 200
    page.reload()
    journey.see(page, "appointment-texts-stopped", NAME)
    expect(page.locator("#texts-stopped")).to_contain_text("replied STOP")
    expect(texts).to_contain_text("not sent (opted out by text)")
    expect(resend).to_have_count(0)  # a text to that number would not go out
    assert scroll_width_at(page) <= NARROWEST

