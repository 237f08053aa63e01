"""What a driver does through the test client, and the texts they get: shared by the driver's
tests here and in the browser (tests/e2e/test_driver_e2e.py).

Texts go out the way the worker sends them (``messages.deliver_due``) through the development
outbox, which keeps each text as a file: the driver's link is read from there.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from prep_app import gateways
from prep_app.extensions import db
from prep_app.gateways import outbox
from prep_app.models import utcnow
from prep_app.services import messages

from .patient_forms import calm_answers, submit, walk

RIDE_WITH_TEXTS = {"may_text_driver": "yes"}
DRIVER_MOBILE = "+14355550142"  # calm_answers' driver, as stored


def send_due(app, now=None) -> None:
    """One tick of the worker: what is due goes out (through the outbox, with no provider)."""
    with app.app_context():
        messages.deliver_due(now or utcnow(), gateways.for_app(app), timedelta(minutes=5))
        db.session.remove()


def driver_texts(outbox_dir: Path, to: str = DRIVER_MOBILE) -> list[str]:
    """The texts the driver's number got, newest first."""
    return [m["body"] for m in outbox.read(outbox_dir) if m["channel"] == "sms" and m["to"] == to]


def link_in(text: str) -> str:
    url = next(word for word in text.split() if "/p/" in word)
    return url[url.index("/p/"):]


def name_driver(patient, **ride) -> None:
    """The patient walks the whole checklist, naming Charles with his mobile number, and says
    yes to texting him (unless ``ride`` says otherwise), then submits."""
    answers = calm_answers(patient)
    answers["ride"] = {**answers["ride"], **RIDE_WITH_TEXTS, **ride}
    walk(patient, answers)
    assert submit(patient).status_code == 302


def driver_opens(app, outbox_dir: Path, to: str = DRIVER_MOBILE):
    """The worker sends what is due; the driver taps the link in the newest text they got, in
    a browser of their own (``.text`` is that text)."""
    send_due(app)
    (text, *_older) = driver_texts(outbox_dir, to)
    driver = app.test_client()
    response = driver.get(link_in(text))
    assert response.status_code == 302 and response.headers["Location"].endswith("/ride/")
    driver.text = text
    return driver


def answer(driver, button: str):
    """The driver presses "I'll be there" ("coming") or "I can't make it" ("not coming")."""
    url, form = {"coming": ("/ride/coming", 0), "not coming": ("/ride/not-coming", 1)}[button]
    return driver.submit(url, page="/ride/", form=form)
