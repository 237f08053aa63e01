"""What a patient does in the browser, shared by the patient and the staff tests."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from prep_app.extensions import db
from prep_app.models import Appointment
from prep_app.services import settings, submissions

DOB = "1990-01-31"  # the `book` fixture's default patient
NAME = "Ada Lovelace"
VERIFY, INTRO, REVIEW = ("First, let's check this is you", "Getting ready for your session",
                         "Check your answers")
DONE = "Thank you. We have your answers."
DRIVER = "Charles Babbage"


def session_day(app, days: int = 2) -> str:
    """The clinic-local day of a session booked ``days`` ahead, as YYYY-MM-DD."""
    with app.app_context():
        return (settings.today() + timedelta(days=days)).isoformat()


def stored(app, appointment_id: int):
    """The appointment's submission as the database holds it: (status, answers, name)."""
    with app.app_context():
        sub = db.session.get(Appointment, appointment_id).submission
        if sub is None:
            return None, {}, None
        return sub.status, submissions.answers_of(sub), sub.attested_name


def heading(page):
    return page.get_by_role("heading", level=1)


def save_and_continue(page) -> None:
    page.get_by_role("button", name="Save and continue").tap()


def open_link(page, journey, link: str, *, narrow: bool = True, wrong_first: bool = True,
              h1: str = INTRO) -> None:
    """Open the personal link and pass the date-of-birth check (with ``wrong_first``, after
    one wrong try, as people do); ``h1`` is the heading of the page that follows."""
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/checklist/verify$"))
    journey.see(page, "date-of-birth", VERIFY, narrow=narrow)
    if wrong_first:
        page.get_by_label("Your date of birth").fill("1990-03-01")
        page.get_by_role("button", name="Continue").tap()
        expect(page.get_by_role("alert")).to_contain_text("That does not match our records")
        journey.see(page, "date-of-birth-wrong", VERIFY, narrow=narrow)
    page.get_by_label("Your date of birth").fill(DOB)
    page.get_by_role("button", name="Continue").tap()
    expect(heading(page)).to_have_text(h1)


def fill_getting_ready(page) -> None:
    page.get_by_label("I plan to keep up what supports me").check()
    page.get_by_label("Is there anything you would like to focus on").fill("Rest and listen")


def fill_bring(page) -> None:
    for label in ("I will bring headphones.", "I will wear comfortable clothes.",
                  "I will bring a photo ID.", "I will arrive a little early"):
        page.get_by_label(label).check()


def fill_ride_by_touch(page) -> None:
    page.get_by_label("Your driver's full name").fill(DRIVER)
    page.get_by_label("Your driver's mobile number").fill("(435) 555-0142")
    page.get_by_label("How do you know them?").fill("Friend")
    page.get_by_label("They will wait at the clinic").check()
    page.get_by_label("I will not drive, cycle or use machinery").check()


def fill_day_of(page, day: str) -> None:
    page.get_by_label("When will you last eat solid food").fill(f"{day}T07:30")
    page.get_by_label("When will you last drink clear liquids").fill(f"{day}T11:30")
    answer_no(page, "alcohol_cannabis")


def answer_no(page, *keys: str) -> None:
    for key in keys:
        page.locator(f"#{key}-group").get_by_label("No", exact=True).check()


def fill_medicines(page) -> None:
    answer_no(page, "medications")


def fill_health(page) -> None:
    answer_no(page, "new_illness", "pregnancy", "blood_pressure")


def submit_review(page, name: str = NAME) -> None:
    page.get_by_label("Type your full name").fill(name)
    page.get_by_role("button", name="Submit my answers").tap()


def complete_checklist(page, journey, day: str, *, ride=None, narrow: bool = True) -> None:
    """From the introduction to the timeline, every page checked on the way, for a session on
    ``day`` (YYYY-MM-DD). Each section is filled by touch and saved, except the ride home when
    ``ride(page)`` is given (it fills and saves that section its own way: the keyboard)."""
    journey.see(page, "intro", INTRO, narrow=narrow)
    page.get_by_role("button", name="Start").tap()

    def by_touch(fill):
        def step(p):
            fill(p)
            save_and_continue(p)
        return step

    for name, h1, step in (
            ("getting-ready", "Getting ready", by_touch(fill_getting_ready)),
            ("bring", "What to bring and wear", by_touch(fill_bring)),
            ("ride", "Your ride home", ride or by_touch(fill_ride_by_touch)),
            ("day-of", "The day of your session", by_touch(lambda p: fill_day_of(p, day))),
            ("medicines", "Your medicines", by_touch(fill_medicines)),
            ("health", "How you are feeling", by_touch(fill_health)),
            ("questions", "Questions for the team", save_and_continue)):
        journey.see(page, f"step-{name}", h1, narrow=narrow)
        step(page)
    journey.see(page, "review", REVIEW, narrow=narrow)
    submit_review(page)
    journey.see(page, "timeline", DONE, narrow=narrow)
