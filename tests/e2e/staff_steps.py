"""What the staff do in the browser: sign in through the real page; plus the clinic's clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from prep_app.extensions import db
from prep_app.services import settings

from ..fixtures_staff import STAFF_PASSWORD


def sign_in(page, journey, email: str, h1, *, who: str) -> None:
    """Sign in on the staff sign-in page; ``h1`` (text or pattern) is the home page's heading."""
    page.goto("/staff/sign-in")
    journey.see(page, f"{who}-sign-in", "Staff sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(h1)


def board_row(page, patient: str):
    """The board's row for ``patient`` (a table row whose header cell names them)."""
    return page.locator("#board-live tbody tr").filter(
        has=page.get_by_role("rowheader", name=re.compile(re.escape(patient))))


def put_clinic_at_midday(app) -> None:
    """Move the clinic to the fixed-offset time zone where it is now between 12:00 and 13:00,
    so a session "later today" exists whenever the tests run (check-in is only on the day)."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    # POSIX zone names count the other way: Etc/GMT-5 is five hours east of UTC.
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    with app.app_context():
        settings.get().main_location.timezone = zone
        db.session.commit()
