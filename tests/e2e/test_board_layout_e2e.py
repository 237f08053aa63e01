"""The board at a glance, measured in a real browser: on the desk PC (1366x768) at least ten
appointments show without scrolling; on a tablet (768 and 1024 px wide, either way up) nothing
scrolls sideways and the page keeps a margin. Rows are counted by where the browser draws them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from prep_app.services import settings

from ..test_board import seed_day
from .staff_steps import sign_in

pytestmark = pytest.mark.e2e

DESK_PC = {"width": 1366, "height": 768}
TABLETS = [{"width": 768, "height": 1024}, {"width": 1024, "height": 768}]
MARGIN = 12  # px between the window's edge and the page's content, at the least


def open_board(app, make_staff, open_context, journey, count: int = 21):
    make_staff("clinician", "grace@clinic.test", "Grace Hopper")
    seed_day(app, 1, count)
    with app.app_context():
        day = settings.today() + timedelta(days=1)
    page = open_context("desktop").new_page()
    page.set_viewport_size(DESK_PC)
    sign_in(page, journey, "grace@clinic.test", "Review queue", who="clinician")
    page.goto(f"/board/?date={day}")
    return page


def rows_in_view(page) -> int:
    """How many board rows the window shows whole, without scrolling."""
    return page.evaluate("""() => {
        const bottom = window.innerHeight;
        return [...document.querySelectorAll('#board-live tbody tr')]
            .filter(tr => tr.getBoundingClientRect().bottom <= bottom).length;
    }""")


def test_the_desk_pc_shows_ten_appointments_without_scrolling(
        app, make_staff, open_context, journey):
    page = open_board(app, make_staff, open_context, journey)
    journey.see(page, "board-desk-pc", re.compile(r"\d{4}$"))
    seen = rows_in_view(page)
    print(f"rows in view at 1366x768: {seen}")
    assert seen >= 10, f"only {seen} appointments show at 1366x768 without scrolling"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= DESK_PC["width"]


@pytest.mark.parametrize("size", TABLETS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_a_tablet_shows_the_board_with_margins_and_no_sideways_scroll(
        app, make_staff, open_context, journey, size):
    page = open_board(app, make_staff, open_context, journey)
    page.set_viewport_size(size)
    journey.see(page, f"board-tablet-{size['width']}", re.compile(r"\d{4}$"))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= size["width"], f"the board scrolls sideways at {size}: {width} px wide"
    # Every cell, the table's and the filters', stays inside the window with a margin.
    edges = page.evaluate("""() => {
        const boxes = [...document.querySelectorAll('main *')]
            .filter(el => el.getClientRects().length && !el.closest('.visually-hidden'))
            .map(el => el.getBoundingClientRect());
        return {left: Math.min(...boxes.map(b => b.left)),
                right: Math.max(...boxes.map(b => b.right))};
    }""")
    assert edges["left"] >= MARGIN, edges
    assert size["width"] - edges["right"] >= MARGIN, edges
    seen = rows_in_view(page)
    assert seen >= 5, f"only {seen} appointments show at {size} without scrolling"


def test_twenty_five_sessions_print_on_two_letter_pages(app, make_staff, open_context, journey,
                                                         tmp_path):
    page = open_board(app, make_staff, open_context, journey, count=29)  # 25 not cancelled
    page.get_by_role("button", name="Print the day").click()
    journey.see(page, "board-print", re.compile(r"^Day list"))
    pdf = page.pdf(format="Letter", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"Letter pages for 25 sessions: {pages}")
    assert 1 <= pages <= 2, f"the day list of 25 sessions takes {pages} Letter pages"
    assert page.locator("tbody tr").count() == 25
