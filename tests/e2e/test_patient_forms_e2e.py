"""Forms anyone can see and use (issue 9), measured in a real browser on every patient page:
the focus and the title after a failed save, the contrast of form controls (WCAG 1.4.11, from
the computed styles), tap targets (WCAG 2.5.8: 24x24 px; primary actions 44 px), and reflow
(WCAG 1.4.10): no sideways scroll and a margin around the text from 320 to 1280 px. Zoom lays
a page out in a narrower CSS window: a 1280 px window at 200% is 640 CSS px wide, at 400% 320,
so those widths are in the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .patient_steps import (
    REVIEW,
    fill_bring,
    fill_day_of,
    fill_getting_ready,
    fill_health,
    fill_medicines,
    fill_ride_by_touch,
    heading,
    open_link,
    save_and_continue,
    session_day,
    submit_review,
)

pytestmark = pytest.mark.e2e

WIDTHS = [320, 360, 640, 768, 1024, 1280]  # 640 and 320: a 1280 px window at 200% and 400%
MARGIN = 8  # px between the window's edge and any text, at the least
TARGET, PRIMARY = 24, 44  # px


def luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def parse_rgb(css: str) -> tuple[float, ...]:
    return tuple(float(n) for n in re.findall(r"[\d.]+", css))


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(parse_rgb(a)), luminance(parse_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def control_contrasts(page) -> list[dict]:
    """Each visible form control's border (the unchecked radio's ring, the box's edge) and the
    page background behind it."""
    return page.evaluate("""() => {
        const bg = el => {
            for (; el; el = el.parentElement) {
                const c = getComputedStyle(el).backgroundColor;
                if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
            }
            return 'rgb(255, 255, 255)';
        };
        return [...document.querySelectorAll(
                'main input:not([type=hidden]), main textarea, main select')]
            .filter(el => el.getClientRects().length && !el.checked)
            .map(el => ({id: el.id, type: el.type,
                         border: getComputedStyle(el).borderTopColor,
                         width: parseFloat(getComputedStyle(el).borderTopWidth),
                         behind: bg(el.parentElement)}));
    }""")


def small_targets(page) -> list[dict]:
    """Controls under 24x24 px, and primary actions under 44 px high. A link inside a sentence
    is exempt (WCAG 2.5.8's inline exception)."""
    return page.evaluate("""([target, primary]) => {
        const inSentence = a => {
            const block = a.closest('p, li, dd, small');
            return block && block.textContent.trim().length > a.textContent.trim().length + 1;
        };
        const found = [];
        for (const el of document.querySelectorAll(
                'a, button, input:not([type=hidden]), textarea, select, summary')) {
            if (!el.getClientRects().length || el.closest('.visually-hidden, .skip-link')) continue;
            const r = el.getBoundingClientRect();
            const isPrimary = el.matches('button, a[role=button]');
            const least = isPrimary ? primary : target;
            if (el.tagName === 'A' && !isPrimary && inSentence(el)) continue;
            if (r.height < least - 0.5 || r.width < target - 0.5)
                found.push({el: el.outerHTML.slice(0, 100), width: r.width, height: r.height});
        }
        return found;
    }""", [TARGET, PRIMARY])


def reflow_problems(page) -> list[str]:
    problems = []
    size = page.viewport_size
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": size["height"]})
            found = page.evaluate("""(margin) => {
                const w = document.documentElement.clientWidth;
                const scroll = document.documentElement.scrollWidth;
                const texts = [...document.querySelectorAll(
                        'main p, main h1, main h2, main label, main legend, main dd, main dt, '
                        + 'main li, main button, main input, main textarea, header a')]
                    .filter(el => el.getClientRects().length && !el.closest('.visually-hidden'))
                    .map(el => [el, el.getBoundingClientRect()])
                    .filter(([el, r]) => r.left < margin - 0.5 || r.right > w - margin + 0.5)
                    .map(([el, r]) => `${el.outerHTML.slice(0, 60)} ${r.left}-${r.right}`);
                return {scroll, w, texts};
            }""", MARGIN)
            if found["scroll"] > found["w"]:
                problems.append(f"{width} px: scrolls sideways ({found['scroll']} px wide)")
            problems += [f"{width} px: no margin: {t}" for t in found["texts"][:3]]
    finally:
        page.set_viewport_size(size)
    return problems


def measure(page, journey, name: str, h1) -> None:
    journey.see(page, name, h1, narrow=True)
    low = [c for c in control_contrasts(page)
           if c["width"] < 1 or contrast(c["border"], c["behind"]) < 3]
    assert not low, f"{name}: form controls under 3:1 against the page: {low}"
    small = small_targets(page)
    assert not small, f"{name}: tap targets too small: {small}"
    problems = reflow_problems(page)
    assert not problems, f"{name}: " + "; ".join(problems)


def assert_error_focus(page) -> None:
    """After a failed save the error summary has the focus and the title starts "Error:"."""
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: "), page.title()


def test_every_patient_page_can_be_seen_and_used(app, book, open_context, journey):
    _, token = book()
    page = open_context("phone").new_page()
    day = session_day(app)

    page.goto(f"/p/{token}")
    measure(page, journey, "date-of-birth", "First, let's check this is you")
    page.get_by_role("button", name="Continue").tap()
    assert_error_focus(page)
    measure(page, journey, "date-of-birth-error", "First, let's check this is you")
    open_link(page, journey, f"/p/{token}", wrong_first=False)
    measure(page, journey, "intro", "Getting ready for your session")
    page.get_by_role("button", name="Start").tap()

    steps = [("getting-ready", "Getting ready", fill_getting_ready),
             ("bring", "What to bring and wear", fill_bring),
             ("ride", "Your ride home", fill_ride_by_touch),
             ("day-of", "The day of your session", lambda p: fill_day_of(p, day)),
             ("medicines", "Your medicines", fill_medicines),
             ("health", "How you are feeling", fill_health),
             ("questions", "Questions for the team", lambda p: None)]
    for name, h1, fill in steps:
        measure(page, journey, f"step-{name}", h1)
        if name == "bring":  # nothing ticked: the save fails
            assert not page.title().startswith("Error")
            save_and_continue(page)
            assert_error_focus(page)
            measure(page, journey, "step-bring-error", h1)
        fill(page)
        save_and_continue(page)
    expect(heading(page)).to_have_text(REVIEW)
    measure(page, journey, "review", REVIEW)
    page.get_by_role("button", name="Submit my answers").tap()
    assert_error_focus(page)  # no name typed
    submit_review(page)
    measure(page, journey, "timeline", "Thank you. We have your answers.")


def test_notes_appear_as_soon_as_the_answer_is_given(app, book, open_context, journey):
    """No silence after an answer the team will look at, and no driver asked for while the
    patient is still arranging a ride: with JavaScript, before anything is saved."""
    _, token = book()
    page = open_context("phone").new_page()
    open_link(page, journey, f"/p/{token}", wrong_first=False)
    page.goto("/checklist/step/ride")
    driver = page.get_by_label("Your driver's full name")
    expect(driver).to_be_visible()
    page.get_by_label("I am still arranging a ride").check()
    expect(driver).to_be_hidden()
    expect(page.get_by_label("They will wait at the clinic")).to_be_hidden()
    expect(page.get_by_label("I will not drive, cycle or use machinery")).to_be_visible()
    measure(page, journey, "step-ride-still-arranging", "Your ride home")

    page.goto("/checklist/step/dayof")
    day = session_day(app)
    food_note = page.locator("#last_solid_food-note")
    expect(food_note).to_have_text("")
    page.get_by_label("When will you last eat solid food").fill(f"{day}T12:30")
    expect(food_note).to_have_text(
        "Your session may need to move. We will call you. You can still submit.")
    page.get_by_label("When will you last eat solid food").fill(f"{day}T07:30")
    expect(food_note).to_have_text("")
    measure(page, journey, "step-day-of-notes", "The day of your session")
    page.goto("/checklist/step/health")
    illness = page.locator("#new_illness-group")
    illness.get_by_label("Yes", exact=True).check()
    expect(page.locator("#new_illness-note")).to_contain_text("A nurse will look at this")
    measure(page, journey, "step-health-notes", "How you are feeling")
    illness.get_by_label("No", exact=True).check()
    expect(page.locator("#new_illness-note")).to_have_text("")
