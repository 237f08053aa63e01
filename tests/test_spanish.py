"""Spanish for patients: the patient chooses (a link on every patient page, kept on their
record), else the record's language from the desk, else the browser's Accept-Language; every
patient-facing string has its Spanish; texts and emails go out in the patient's language; staff
pages stay English."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from prep_app import default_checklist
from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, Message, utcnow
from prep_app.services import appointments as appointment_service
from prep_app.services import messages, settings

from .browserlike import tags
from .conftest import clinic_time
from .patient_forms import calm_answers, open_link, patient_browser, submit, walk
from .test_text_length import composed_texts
from .worker_process import Worker, wait_until

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "prep_app" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
# Where the words a patient (or their driver) reads come from: the patient's pages and forms,
# the driver's page, the error pages, the messages, the page frame and form helpers, the
# timeline.
PATIENT_SOURCES = [
    ("prep_app/patient/**.py", "python"), ("prep_app/timeline.py", "python"),
    ("prep_app/driver/**.py", "python"), ("prep_app/templates/driver/**.html", "jinja2"),
    ("prep_app/services/messages.py", "python"),
    ("prep_app/templates/patient/**.html", "jinja2"),
    ("prep_app/templates/errors/**.html", "jinja2"),
    ("prep_app/templates/messages/**.txt", "jinja2"),
    ("prep_app/templates/base.html", "jinja2"), ("prep_app/templates/_forms.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def html_lang(html: str) -> str:
    return next(attrs["lang"] for tag, attrs in tags(html) if tag == "html")


def switch_link(html: str, language: str) -> str:
    """The language switch's address on a page (as the patient clicks it)."""
    found = [attrs["href"] for tag, attrs in tags(html)
             if tag == "a" and attrs.get("hreflang") == language]
    assert len(found) == 1, found
    return found[0].replace("&amp;", "&")


def language_of(app, appointment_id: int) -> str | None:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).patient.language


def test_patient_can_switch_to_spanish_and_it_is_remembered(app, book):
    appointment_id, token = book()
    browser = patient_browser(app, token)
    page = browser.get("/checklist/step/ride").text
    assert html_lang(page) == "en" and "Your ride home" in page
    switched = browser.get(switch_link(page, "es"))
    # Back on the page it was clicked on: now in Spanish, <html lang> too.
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/checklist/step/ride")
    page = browser.get("/checklist/step/ride").text
    assert html_lang(page) == "es"
    assert "Guardar y seguir" in page and "Save and continue" not in page
    assert "Su viaje a casa" in page and "Me va a esperar en la clínica" in page  # the items
    assert switch_link(page, "en")  # and the way back
    assert language_of(app, appointment_id) == "es"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="patient.language"))
        assert event.detail == "language es"
    # Another browser, another day: the record remembers.
    other = patient_browser(app, token)
    assert html_lang(other.get("/checklist/").text) == "es"
    # And back to English.
    other.get(switch_link(other.get("/checklist/").text, "en"))
    assert html_lang(other.get("/checklist/").text) == "en"
    assert language_of(app, appointment_id) == "en"


def test_accept_language_es_gets_spanish(app, book):
    _, token = book()
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX,es;q=0.9,en;q=0.5"
    browser.get(f"/p/{token}")
    page = browser.get("/checklist/verify").text
    assert html_lang(page) == "es" and "Confirme que es usted" in page
    # An English browser gets English.
    english = app.test_client()
    english.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    english.get(f"/p/{token}")
    assert html_lang(english.get("/checklist/verify").text) == "en"


def test_the_records_language_comes_before_the_browsers(app, book):
    appointment_id, token = book()
    with app.app_context():
        db.session.get(Appointment, appointment_id).patient.language = "es"
        db.session.commit()
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US"
    open_link(browser, token)
    page = browser.get("/checklist/").text
    assert html_lang(page) == "es" and "Cómo prepararse para su sesión" in page


def test_the_desk_sets_the_patients_language(app, book, login_as):
    appointment_id, token = book()
    desk = login_as("front_desk", app.test_client())
    page = f"/board/a/{appointment_id}"
    response = desk.submit(f"{page}/contact", {"phone": "", "email": "", "language": "es"},
                           page=page)
    assert response.status_code == 302
    assert language_of(app, appointment_id) == "es"
    assert "Spanish" in desk.get(page).text and html_lang(desk.get(page).text) == "en"
    browser = patient_browser(app, token)
    assert html_lang(browser.get("/checklist/").text) == "es"
    refused = desk.submit(f"{page}/contact", {"phone": "", "email": "", "language": "fr"},
                          page=page)
    assert refused.status_code == 400 and language_of(app, appointment_id) == "es"


def test_the_desk_books_a_patient_in_spanish(app, login_as):
    desk = login_as("front_desk", app.test_client())
    with app.app_context():
        day = (settings.today() + timedelta(days=3)).isoformat()
    response = desk.submit("/board/new", {
        "full_name": "Ana Torres", "date_of_birth": "1985-04-02", "phone": "", "email": "",
        "language": "es", "day": day, "at": "14:30"})
    assert response.status_code in (200, 302), response.text
    with app.app_context():
        patient = db.session.scalar(select(Appointment)).patient
        assert patient.language == "es"


def test_a_choice_before_the_date_of_birth_is_not_written_to_the_record(app, book):
    appointment_id, token = book()
    browser = app.test_client()
    browser.get(f"/p/{token}")
    browser.get("/checklist/language?to=es&back=/checklist/verify")
    assert html_lang(browser.get("/checklist/verify").text) == "es"
    assert language_of(app, appointment_id) is None


def test_the_link_problem_and_error_pages_follow_the_language(app, client):
    client.get("/checklist/language?to=es&back=/checklist/")
    page = client.get("/checklist/")
    assert page.status_code == 404 and html_lang(page.text) == "es"
    assert "Este enlace no funciona" in page.text
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    missing = client.get("/checklist/no/such/page")
    assert missing.status_code == 404 and html_lang(missing.text) == "es"


def test_the_switch_never_carries_the_links_token(client):
    """On the page a dead link gets, the switch does not lead back to /p/<token>."""
    page = client.get("/p/" + "x" * 43)
    assert page.status_code == 404 and "x" * 43 not in page.text
    assert switch_link(page.text, "es") == "/checklist/language?to=es"


def test_the_front_page_is_in_the_patients_language_too(client):
    page = client.get("/").text
    assert html_lang(page) == "en"
    switched = client.get(switch_link(page, "es"))
    assert switched.headers["Location"].endswith("/")
    page = client.get("/").text
    assert html_lang(page) == "es" and "Preparación para su sesión" in page


def test_the_switch_leads_only_back_into_the_checklist(app, client):
    for back in ("https://evil.example/", "//evil.example/checklist/", "/staff/"):
        response = client.get("/checklist/language", query_string={"to": "es", "back": back})
        assert response.headers["Location"].endswith("/checklist/"), back
    assert client.get("/checklist/language?to=xx").status_code == 422


def test_staff_pages_stay_english(app, login_as):
    desk = login_as("front_desk")
    desk.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    desk.get("/checklist/language?to=es")
    page = desk.get("/board/").text
    assert html_lang(page) == "en"


def test_spanish_text_message_fits_160(make_app):
    """Every text a Spanish-speaking patient gets, composed as the worker does with the longest
    values: one SMS of GSM-7 (no á, í, ó, ú: they would send it as UCS-2), and in Spanish."""
    bodies = composed_texts(make_app, "es")
    assert bodies and all("Llame" in body and "STOP" in body for body in bodies)
    assert any("mié 30 sept 10:45" in body for body in bodies)


def test_the_default_checklist_ships_with_its_spanish():
    """Every patient-facing word of the default checklist has its Spanish."""
    spanish = default_checklist.TRANSLATIONS["es"]
    for section in default_checklist.SECTIONS:
        words = spanish["sections"][section["key"]]
        assert words["title"] and words["intro"], section["key"]
    for spec in default_checklist.ITEMS:
        words = spanish["items"][spec["key"]]
        assert words["label"], spec["key"]
        assert bool(words.get("help_text")) == bool(spec.get("help_text")), spec["key"]
        assert set(words.get("options", {})) == {v for v, _ in spec.get("options") or []}


def test_a_spanish_patients_answers_show_in_spanish_to_them_and_in_english_to_staff(
        app, book, login_as):
    appointment_id, token = book()
    browser = patient_browser(app, token)
    browser.get("/checklist/language?to=es")
    walk(browser, calm_answers(browser))
    review = browser.get("/checklist/review").text
    assert "¿Esa persona lo va a esperar?" in review and "Will your driver wait" not in review
    assert submit(browser).status_code == 302
    done = browser.get("/checklist/done").text
    assert html_lang(done) == "es" and "Su plan para ese día" in done
    clinician = login_as("clinician", app.test_client())
    page = clinician.get(f"/review/{appointment_id}").text
    assert "Will your driver wait for you?" in page and "¿Esa persona" not in page


def patient_msgids() -> set:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), PATIENT_SOURCES, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_patient_string_is_translated():
    with PO.open("rb") as po:
        catalog = {m.id: m for m in read_po(po) if m.id}
    used = patient_msgids()
    assert len(used) > 100  # the extraction found the pages
    missing = sorted(str(i) for i in used if i not in catalog)
    assert missing == [], "run `make messages` and translate these in es/messages.po"
    untranslated = sorted(str(i) for i in used if catalog[i].fuzzy
                          or not all(catalog[i].string if isinstance(i, tuple)
                                     else [catalog[i].string]))
    assert untranslated == []
    # The placeholders survive the translation.
    names = re.compile(r"%\((\w+)\)[sd]")
    for msgid in used:
        message = catalog[msgid]
        for english, spanish in zip(msgid if isinstance(msgid, tuple) else [msgid],
                                    message.string if isinstance(msgid, tuple)
                                    else [message.string], strict=False):
            assert set(names.findall(english)) == set(names.findall(spanish)), msgid


def test_a_spanish_patients_email_comes_in_spanish_through_a_real_worker(
        app, jobs, smtp, tmp_path):
    with app.app_context():
        patient, _ = appointment_service.find_or_create_patient(
            "Ana Torres", date(1980, 5, 1), email="ana@mail.example")
        patient.language = "es"
        appointment = appointment_service.create(patient, clinic_time(days=5))
        messages.plan_link(appointment, utcnow())
        db.session.commit()
    with Worker(jobs(), tmp_path / "worker.log"):
        (email,) = smtp.inbox.wait_for(1)
        wait_until(lambda: _sent(app), what="the message marked sent")
    assert email["Subject"] == "Su lista antes de su cita"
    body = email.get_content()
    assert body.startswith("Hola:") and "Su cita con" in body and " de 20" in body
    assert "Please" not in body


def _sent(app) -> bool:
    with app.app_context():
        try:
            return str(db.session.scalar(select(Message.status))) == "sent"
        finally:
            db.session.remove()


def test_patients_of_both_languages_in_one_worker_each_get_their_own(app):
    """The worker composes one message after another (no request): each in its patient's
    language, the text and the email alike."""
    bodies = {}
    with app.app_context():
        for name, language in (("Ana Torres", "es"), ("Ada Byron", "en"), ("Eva Ruiz", "es")):
            patient, _ = appointment_service.find_or_create_patient(
                name, date(1980, 5, 2), phone="+14355550123", email="p@mail.example")
            patient.language = language
            planned = messages.plan_link(appointment_service.create(patient, clinic_time(5)),
                                         utcnow())
            assert len(planned) == 2
            bodies[name] = [messages.compose(m, "https://x.example/p/t") for m in planned]
        db.session.rollback()
    for name in ("Ana Torres", "Eva Ruiz"):
        text, email = sorted(bodies[name], key=lambda composed: len(composed[1]))
        assert "Llame" in text[1] and "STOP" in text[1]
        assert email[0] == "Su lista antes de su cita" and "Hola:" in email[1]
    text, email = sorted(bodies["Ada Byron"], key=lambda composed: len(composed[1]))
    assert "Call" in text[1] and email[0] == "Your checklist before your visit"
