"""A Spanish-speaking patient on a phone, in a real browser: the language link on the first
page, then the whole journey in Spanish, every page checked by axe-core and at 320 px."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from prep_app.extensions import db
from prep_app.models import Appointment, SubmissionStatus

from .patient_steps import DOB, DRIVER, NAME, heading, session_day, stored

pytestmark = pytest.mark.e2e


def save_and_continue(page) -> None:
    page.get_by_role("button", name="Guardar y seguir").tap()


def answer_no(page, *keys: str) -> None:
    for key in keys:
        page.locator(f"#{key}-group").get_by_label("No", exact=True).check()


def test_the_patient_journey_in_spanish(app, book, open_context, journey):
    appointment_id, token = book()
    day = session_day(app)
    page = open_context("phone").new_page()
    page.goto(f"/p/{token}")
    page.get_by_role("link", name="Español").tap()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    journey.see(page, "es-date-of-birth", "Primero, vamos a confirmar que es usted", narrow=True)
    page.get_by_label("Su fecha de nacimiento").fill(DOB)
    page.get_by_role("button", name="Seguir").tap()
    journey.see(page, "es-intro", "Cómo prepararse para su sesión", narrow=True)
    page.get_by_role("button", name="Empezar").tap()

    def prepare(p):
        p.get_by_label("Pienso seguir con lo que me ayuda").check()

    def bring(p):
        for label in ("Voy a traer audífonos.", "Voy a usar ropa cómoda.",
                      "Voy a traer una identificación con foto.", "Voy a llegar un poco antes"):
            p.get_by_label(label).check()

    def ride(p):
        p.get_by_label("Nombre completo de la persona que lo va a llevar").fill(DRIVER)
        p.get_by_label("Número de celular de esa persona").fill("(435) 555-0142")
        p.get_by_label("¿De dónde la conoce?").fill("Amigo")
        p.get_by_label("Me va a esperar en la clínica").check()
        p.get_by_label("No voy a manejar").check()

    def day_of(p):
        p.get_by_label("¿Cuándo va a comer comida sólida").fill(f"{day}T07:30")
        p.get_by_label("¿Cuándo va a tomar líquidos claros").fill(f"{day}T11:30")
        answer_no(p, "alcohol_cannabis")

    for name, h1, fill in (
            ("prepare", "Cómo prepararse", prepare), ("bring", "Qué traer y qué ponerse", bring),
            ("ride", "Su viaje a casa", ride), ("day-of", "El día de su sesión", day_of),
            ("medicines", "Sus medicamentos", lambda p: answer_no(p, "medications")),
            ("health", "Cómo se siente",
             lambda p: answer_no(p, "new_illness", "pregnancy", "blood_pressure")),
            ("questions", "Preguntas para el equipo", lambda p: None)):
        journey.see(page, f"es-step-{name}", h1, narrow=True)
        fill(page)
        save_and_continue(page)
    journey.see(page, "es-review", "Revise sus respuestas", narrow=True)
    page.get_by_label("Escriba su nombre completo").fill(NAME)
    page.get_by_role("button", name="Enviar mis respuestas").tap()
    journey.see(page, "es-timeline", "Gracias. Ya tenemos sus respuestas.", narrow=True)
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text(f"{DRIVER} lo llevará a su casa.")
    # Dates in Spanish, the clinic's way: "viernes, 4 de diciembre".
    expect(timeline).to_contain_text(
        format_date(date.fromisoformat(day), "EEEE, d 'de' MMMM", locale="es"))

    # The way back to English is on every page, and the choice is on the patient's record.
    page.get_by_role("link", name="English").tap()
    expect(heading(page)).to_have_text("Thank you. We have your answers.")
    status, answers, _ = stored(app, appointment_id)
    assert status == SubmissionStatus.SUBMITTED and answers["driver_plan"] == "waits"
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).patient.language == "en"
