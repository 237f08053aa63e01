"""Development without any provider: a booked patient's link lands in the outbox, which the
front desk can open (and which production does not have)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from prep_app import gateways
from prep_app.extensions import db
from prep_app.gateways import PermanentFailure
from prep_app.models import Appointment, utcnow
from prep_app.services import messages

from .conftest import clinic_time


def test_the_desk_sees_in_the_outbox_the_link_a_booked_patient_would_get(app, login_as,
                                                                          tmp_path):
    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    desk = login_as("front_desk")
    with app.app_context():
        day = clinic_time(days=4).astimezone(ZoneInfo("America/Denver")).date().isoformat()
    response = desk.submit("/board/new", {
        "full_name": "Ada Lovelace", "date_of_birth": "1990-01-31", "phone": "",
        "email": "ada@mail.example", "day": day, "at": "14:00"})
    assert response.status_code in (200, 302), response.text
    with app.app_context():
        assert messages.deliver_due(utcnow(), gateways.for_app(app), timedelta(minutes=5)) == 1
        db.session.remove()
    page = desk.get("/board/outbox").get_data(as_text=True)
    assert "Email to ada@mail.example" in page
    assert "Your checklist before your visit" in page and "/p/" in page
    assert "Lovelace" not in page.split("<h1>Outbox</h1>")[1].split("Email to")[1]


def test_production_has_no_outbox(app, login_as):
    desk = login_as("front_desk")
    app.config["PREP_ENV"] = "production"
    assert desk.get("/board/outbox").status_code == 404


def test_the_appointment_page_says_what_was_sent_to_whom_and_what_failed(app, login_as,
                                                                         tmp_path, book):
    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    desk = login_as("front_desk")
    appointment_id, _ = book()
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        appointment.patient.email = "ada@mail.example"
        messages.plan_link(appointment, utcnow())
        db.session.commit()
        messages.deliver_due(utcnow(), gateways.for_app(app), timedelta(minutes=5))
        # A second one whose provider refused it for good.
        messages.plan_link(appointment, utcnow())
        db.session.commit()
        messages.deliver_due(utcnow(), {"email": Refusing()}, timedelta(minutes=5))
        db.session.remove()
    page = desk.get(f"/board/a/{appointment_id}").get_data(as_text=True)
    section = " ".join(page.split('id="messages-heading"')[1].split("</section>")[0].split())
    assert "Email to the patient (ada@mail.example), the link: sent Today" in section
    assert "the link: <strong>email refused: check the address</strong>" in section
    assert section.count(">Resend</button>") == 2  # the sent one and the refused one


class Refusing:
    channel = "email"

    def send(self, outgoing):
        raise PermanentFailure("email refused: check the address")


def test_send_link_plans_a_link_by_each_way_the_patient_can_be_reached(app, login_as, book):
    desk = login_as("front_desk")
    appointment_id, _ = book()
    page = f"/board/a/{appointment_id}"
    token = desk.hidden(page)["csrf_token"]
    refused = desk.post(f"{page}/link/send", data={"csrf_token": token})
    assert refused.status_code == 400 and "no mobile number or email" in refused.text
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        appointment.patient.phone, appointment.patient.email = "+14355550142", "ada@mail.example"
        db.session.commit()
    sent = desk.post(f"{page}/link/send", data={"csrf_token": desk.hidden(page)["csrf_token"]})
    assert sent.status_code == 302
    with app.app_context():
        planned = messages.for_appointment(appointment_id)
        assert sorted((str(m.channel), str(m.status), m.created_by_id) for m in planned) == [
            ("email", "planned", desk.user_id), ("sms", "planned", desk.user_id)]
