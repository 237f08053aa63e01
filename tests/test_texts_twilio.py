"""Texts through Twilio: the real ``twilio`` library against a Twilio-speaking server on loopback
(tests/fakes/twilio.py), a real worker process, and Twilio's signed callbacks to our webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import AuditEvent, Message, TextOptOut, utcnow
from prep_app.services import messages

from .fakes.twilio import AUTH_TOKEN, signed
from .fixtures_jobs import PHONE, book_with_phone, tick
from .live_server import LiveServer
from .worker_process import Worker, wait_until


def rows(app) -> list[dict]:
    with app.app_context():
        found = [{"status": str(m.status), "attempts": m.attempts, "error": m.last_error,
                  "provider_id": m.provider_id, "due_at": m.due_at}
                 for m in db.session.scalars(select(Message).order_by(Message.id))]
        db.session.remove()
        return found


@pytest.fixture
def texting(make_app, fake_twilio):
    """The app, texting through the fake Twilio."""
    return make_app(**fake_twilio.settings(), PUBLIC_BASE_URL="https://prep.clinic.example")


# Sending ---------------------------------------------------------------------------------


def test_a_real_worker_texts_the_link_and_twilios_signed_report_marks_it_delivered(
        make_app, jobs, fake_twilio, client, login_as, tmp_path):
    app = make_app(TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    server = LiveServer(app).start()
    try:
        appointment_id = book_with_phone(app)
        env = jobs(**fake_twilio.settings(), PUBLIC_BASE_URL=server.url)
        with Worker(env, tmp_path / "worker.log"):
            (text,) = fake_twilio.wait_for(1)
            wait_until(lambda: rows(app)[0]["status"] == "sent", what="the text marked sent")
        assert text["to"] == PHONE and text["from"] == fake_twilio.settings()["TWILIO_FROM"]
        assert len(text["body"]) <= 160 and text["body"].endswith("Reply STOP to opt out")
        assert text["status_callback"] == server.url + "/hooks/twilio/status"
        assert rows(app)[0]["provider_id"] == text["sid"]
        # The link in the text opens the patient's checklist.
        url = next(word for word in text["body"].split() if "/p/" in word)
        response = client.get(url[url.index("/p/"):])
        assert response.status_code == 302 and "/p/" not in response.headers["Location"]
        assert url.rsplit("/", 1)[1] not in (tmp_path / "worker.log").read_text()
        # Twilio reports "sent" (a step on the way, nothing changes), then "delivered".
        assert fake_twilio.report(text["sid"], "sent").status_code == 204
        assert rows(app)[0]["status"] == "sent"
        assert fake_twilio.report(text["sid"], "delivered").status_code == 204
        assert rows(app)[0]["status"] == "delivered"
    finally:
        server.stop()
    page = login_as("front_desk").get(f"/board/a/{appointment_id}").text
    assert "Text to the patient" in page and "delivered" in page


@pytest.mark.parametrize(("number_is", "reason"), [
    ("opted_out", "opted out by text"), ("invalid", "text failed: check the number")])
def test_a_number_twilio_refuses_is_undeliverable_with_a_plain_reason(texting, fake_twilio,
                                                                      number_is, reason):
    getattr(fake_twilio, number_is).add(PHONE)
    book_with_phone(texting)
    assert tick(texting) == 1
    (row,) = rows(texting)
    assert (row["status"], row["error"], row["attempts"]) == ("undeliverable", reason, 1)
    assert fake_twilio.sent == []
    assert tick(texting, utcnow() + timedelta(hours=1)) == 0  # never tried again
    with texting.app_context():
        opt_out = db.session.scalar(select(TextOptOut))
        assert (opt_out is not None) == (number_is == "opted_out")
        fail = db.session.scalar(select(AuditEvent).filter_by(action="message.fail"))
        assert fail.detail == reason


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_twilio_is_tried_again_later_with_backoff(texting, fake_twilio, status):
    fake_twilio.answer_next(status, times=2)
    book_with_phone(texting)
    now = utcnow()
    tick(texting, now)
    (row,) = rows(texting)
    assert (row["status"], row["attempts"]) == ("planned", 1)
    assert f"({status})" in row["error"]
    first_wait = row["due_at"] - now
    assert tick(texting, now + first_wait - timedelta(seconds=1)) == 0  # not before its time
    tick(texting, now + first_wait)
    (row,) = rows(texting)
    assert row["attempts"] == 2 and row["due_at"] - (now + first_wait) == 2 * first_wait
    tick(texting, row["due_at"])
    (row,) = rows(texting)
    assert (row["status"], row["attempts"], row["error"]) == ("sent", 3, None)
    assert len(fake_twilio.sent) == 1 and fake_twilio.requests == 3


def test_an_unreachable_twilio_is_tried_again(make_app, fake_twilio):
    app = make_app(**{**fake_twilio.settings(), "TWILIO_API_BASE": "http://127.0.0.1:9"})
    book_with_phone(app)
    tick(app)
    (row,) = rows(app)
    assert row["status"] == "planned" and row["error"].startswith("text service unreachable")


def test_a_twilio_that_does_not_answer_in_time_is_tried_again(make_app, fake_twilio):
    app = make_app(**fake_twilio.settings(), TWILIO_TIMEOUT_SECONDS=0.5)
    fake_twilio.stall_next(1.5)
    book_with_phone(app)
    tick(app)
    (row,) = rows(app)
    assert (row["status"], row["error"]) == ("planned", "text service unreachable (ReadTimeout)")
    tick(app, row["due_at"])
    assert rows(app)[0]["status"] == "sent" and len(fake_twilio.sent) == 1


def test_wrong_twilio_credentials_say_so_to_the_desk(make_app, fake_twilio):
    app = make_app(**{**fake_twilio.settings(), "TWILIO_AUTH_TOKEN": "0" * 32})
    book_with_phone(app)
    tick(app)
    (row,) = rows(app)
    assert row["status"] == "undeliverable"
    assert row["error"] == "texts are not set up right: tell the administrator (Twilio error 20003)"


def test_twilio_settings_are_required_together(make_app):
    from prep_app.config import ConfigError

    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN, TWILIO_FROM"):
        make_app(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID="AC" + "0" * 32,
                 TWILIO_AUTH_TOKEN="", TWILIO_FROM="")


# The status webhook ----------------------------------------------------------------------

STATUS_URL = "https://prep.clinic.example/hooks/twilio/status"
INBOUND_URL = "https://prep.clinic.example/hooks/twilio/inbound"


def post_signed(client, url: str, params: dict, token: str = AUTH_TOKEN, **headers):
    path = url.split("prep.clinic.example", 1)[1]
    return client.post(path, data=params, headers={**signed(url, params, token), **headers})


def sent_text(texting, fake_twilio) -> str:
    book_with_phone(texting)
    tick(texting)
    (text,) = fake_twilio.sent
    assert text["status_callback"] == STATUS_URL
    return text["sid"]


def report(sid: str, status: str, code: str | None = None) -> dict:
    params = {"MessageSid": sid, "MessageStatus": status, "To": PHONE, "AccountSid": "AC1"}
    return {**params, "ErrorCode": code} if code else params


def test_a_report_without_a_valid_signature_is_refused_and_changes_nothing(texting,
                                                                         fake_twilio):
    sid = sent_text(texting, fake_twilio)
    client = texting.test_client()
    params = report(sid, "delivered")
    assert client.post("/hooks/twilio/status", data=params).status_code == 403
    assert post_signed(client, STATUS_URL, params, token="0" * 32).status_code == 403
    # Signed for other parameters, or for another address:
    headers = signed(STATUS_URL, report(sid, "failed"))
    assert client.post("/hooks/twilio/status", data=params, headers=headers).status_code == 403
    headers = signed("https://elsewhere.example/hooks/twilio/status", params)
    assert client.post("/hooks/twilio/status", data=params, headers=headers).status_code == 403
    assert rows(texting)[0]["status"] == "sent"


def test_a_signed_report_updates_the_text_by_its_sid(texting, fake_twilio):
    sid = sent_text(texting, fake_twilio)
    client = texting.test_client()
    response = post_signed(client, STATUS_URL, report(sid, "delivered"))
    assert response.status_code == 204
    assert rows(texting)[0]["status"] == "delivered"
    # A late "failed" for a delivered text changes nothing; an unknown sid neither.
    assert post_signed(client, STATUS_URL, report(sid, "failed", "30003")).status_code == 204
    assert post_signed(client, STATUS_URL, report("SM" + "0" * 32, "failed")).status_code == 204
    assert rows(texting)[0]["status"] == "delivered"


@pytest.mark.parametrize(("status", "code", "expected", "reason"), [
    ("undelivered", "30005", "undeliverable", "text failed: check the number"),
    ("undelivered", "30003", "failed", "text not delivered: the phone was off or out of reach"),
    ("failed", "30008", "failed", "text not delivered (Twilio error 30008)"),
    ("failed", "21610", "undeliverable", "opted out by text"),
])
def test_a_failed_delivery_shows_its_reason(texting, fake_twilio, login_as, status, code,
                                            expected, reason):
    sid = sent_text(texting, fake_twilio)
    assert post_signed(texting.test_client(), STATUS_URL,
                       report(sid, status, code)).status_code == 204
    (row,) = rows(texting)
    assert (row["status"], row["error"]) == (expected, reason)


def test_the_signature_is_checked_against_the_address_behind_the_proxy(make_app,
                                                                       fake_twilio):
    """Without PUBLIC_BASE_URL, the address is the request's, as the proxy passed it on."""
    app = make_app(**fake_twilio.settings(), PROXY_FIX_HOPS=1)
    client = app.test_client()
    params = report("SM" + "1" * 32, "delivered")
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "prep.clinic.example",
               "X-Forwarded-For": "203.0.113.9"}
    assert post_signed(client, STATUS_URL, params, **proxied).status_code == 204
    assert post_signed(client, STATUS_URL, params).status_code == 403  # seen as http://localhost


def test_webhooks_are_refused_when_twilio_is_not_set_up(app):
    params = report("SM" + "1" * 32, "delivered")
    response = post_signed(app.test_client(), STATUS_URL, params, token="")
    assert response.status_code == 403


# Incoming texts: STOP and START ----------------------------------------------------------


def text_in(texting, body: str, phone: str = PHONE):
    params = {"From": phone, "To": "+14355550199", "Body": body, "MessageSid": "SM" + "2" * 32}
    return post_signed(texting.test_client(), INBOUND_URL, params)


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop ", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                                  "END", "QUIT"])
def test_stop_by_text_suppresses_planned_texts_and_the_worker_sends_none(texting, fake_twilio,
                                                                         word):
    appointment_id = book_with_phone(texting)
    response = text_in(texting, word)
    assert response.status_code == 200 and "<Response" in response.text
    (row,) = rows(texting)
    assert (row["status"], row["error"]) == ("suppressed", "opted out by text")
    # A text planned after the STOP (the desk presses Send link) is not sent either.
    with texting.app_context():
        from prep_app.models import Appointment

        messages.plan_link(db.session.get(Appointment, appointment_id), utcnow())
        db.session.commit()
    tick(texting)
    assert fake_twilio.requests == 0
    assert [r["status"] for r in rows(texting)] == ["suppressed", "suppressed"]
    with texting.app_context():
        opt_out = db.session.scalar(select(TextOptOut))
        assert (opt_out.phone, opt_out.opted_out, opt_out.keyword) == (PHONE, True,
                                                                       word.strip().upper())
        event = db.session.scalar(select(AuditEvent).filter_by(action="text.opt_out"))
        assert event.actor_type == "system"
        assert event.detail == f"{word.strip().upper()} by text; 1 planned text(s) suppressed"


def test_start_by_text_lets_texts_through_again(texting, fake_twilio):
    text_in(texting, "STOP")
    text_in(texting, "START")
    book_with_phone(texting)
    tick(texting)
    assert len(fake_twilio.sent) == 1 and rows(texting)[0]["status"] == "sent"
    with texting.app_context():
        assert db.session.scalar(select(TextOptOut.opted_out)) is False
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("text.%")).order_by(AuditEvent.id)))
        assert actions == ["text.opt_out", "text.opt_in"]


def test_any_other_reply_is_neither_acted_on_nor_kept(texting, fake_twilio):
    book_with_phone(texting)
    assert text_in(texting, "Stop by at 3? My number is 555 0188").status_code == 200
    assert rows(texting)[0]["status"] == "planned"
    with texting.app_context():
        assert db.session.scalar(select(TextOptOut)) is None
        details = " ".join(e.detail for e in db.session.scalars(select(AuditEvent)))
        assert "0188" not in details


def test_an_unsigned_stop_is_refused(texting):
    book_with_phone(texting)
    response = texting.test_client().post("/hooks/twilio/inbound",
                                          data={"From": PHONE, "Body": "STOP"})
    assert response.status_code == 403
    assert rows(texting)[0]["status"] == "planned"


def test_the_webhooks_are_rate_limited(make_app, fake_twilio):
    app = make_app(**fake_twilio.settings(), PUBLIC_BASE_URL="https://prep.clinic.example",
                   RATE_LIMITING=True, WEBHOOK_RATE_LIMIT="3/minute")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    answers = [client.post("/hooks/twilio/status", data={}).status_code for _ in range(4)]
    assert answers == [403, 403, 403, 429]


def test_the_fake_speaks_for_twilio_only_with_the_right_credentials(fake_twilio):
    """The fake refuses a wrong auth token, as Twilio does (so the tests above prove the
    library sent our credentials)."""
    import requests

    from .fakes.twilio import ACCOUNT_SID

    response = requests.post(f"{fake_twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                             data={"To": PHONE, "From": "+1", "Body": "x"},
                             auth=(ACCOUNT_SID, "wrong"), timeout=10)
    assert response.status_code == 401 and response.json()["code"] == 20003


# What the desk sees, and Resend ------------------------------------------------------------


def resend_url(appointment_id: int, message_id: int) -> str:
    return f"/board/a/{appointment_id}/messages/{message_id}/resend"


def message_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Message.id).order_by(Message.id)))


def test_the_desk_sees_a_failed_text_fixes_the_number_and_resends_it(texting, fake_twilio,
                                                                     login_as):
    fake_twilio.invalid.add(PHONE)
    appointment_id = book_with_phone(texting)
    tick(texting)
    desk = login_as("front_desk", texting.test_client())
    page = f"/board/a/{appointment_id}"
    html = desk.get(page).text
    assert (f"Text to the patient ({PHONE}), the link: <strong>text failed: check the number"
            "</strong>") in " ".join(html.split())
    assert resend_url(appointment_id, message_ids(texting)[0]) in html
    contact = desk.submit(f"{page}/contact", {"phone": "(435) 555-0124", "email": ""}, page=page)
    assert contact.status_code == 302, contact.text
    (first,) = message_ids(texting)
    html = desk.get(page).text
    form = html[:html.index(resend_url(appointment_id, first))].count("<form")
    response = desk.submit(resend_url(appointment_id, first), page=page, form=form)
    assert response.status_code == 302, response.text
    assert "A fresh copy is on its way" in desk.get(page).text
    tick(texting)
    assert [t["to"] for t in fake_twilio.sent] == ["+14355550124"]
    assert [r["status"] for r in rows(texting)] == ["undeliverable", "sent"]
    with texting.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="message.resend"))
        assert (event.actor_type, event.actor_id) == ("staff", desk.user_id)
        assert event.detail == f"copy of message {first}, link by sms"


def test_resend_is_refused_while_a_copy_is_on_its_way_or_for_a_planned_text(texting,
                                                                            fake_twilio,
                                                                            login_as):
    appointment_id = book_with_phone(texting)
    (planned,) = message_ids(texting)
    desk = login_as("front_desk", texting.test_client())
    page = f"/board/a/{appointment_id}"
    token = desk.hidden(page)["csrf_token"]
    refused = desk.post(resend_url(appointment_id, planned), data={"csrf_token": token})
    assert refused.status_code == 422 and "sent or failed" in refused.text
    tick(texting)
    assert desk.post(resend_url(appointment_id, planned),
                     data={"csrf_token": token}).status_code == 302
    again = desk.post(resend_url(appointment_id, planned), data={"csrf_token": token})
    assert again.status_code == 422 and "already on its way" in again.text
    assert len(message_ids(texting)) == 2
    # Without the CSRF token, or for another appointment's message: refused.
    assert desk.post(resend_url(appointment_id, planned)).status_code == 400
    other = book_with_phone(texting, phone="+14355550125", name="Ada Lovelace")
    assert desk.post(resend_url(other, planned), data={"csrf_token": token}).status_code == 404
    assert len(message_ids(texting)) == 3


def test_an_opted_out_number_is_shown_and_resend_is_refused(texting, fake_twilio, login_as):
    appointment_id = book_with_phone(texting)
    tick(texting)
    text_in(texting, "STOP")
    desk = login_as("front_desk", texting.test_client())
    page = f"/board/a/{appointment_id}"
    html = desk.get(page).text
    assert "replied STOP" in html and 'id="texts-stopped"' in html
    assert ">Resend</button>" not in html
    token = desk.hidden(page)["csrf_token"]
    refused = desk.post(resend_url(appointment_id, message_ids(texting)[0]),
                        data={"csrf_token": token})
    assert refused.status_code == 422 and "reply START" in refused.text
    assert len(message_ids(texting)) == 1


def test_resend_is_rate_limited(make_app, fake_twilio, login_as):
    app = make_app(**fake_twilio.settings(), RATE_LIMITING=True, RESEND_RATE_LIMIT="2/minute")
    appointment_id = book_with_phone(app)
    tick(app)
    desk = login_as("front_desk", app.test_client())
    desk.environ_base["REMOTE_ADDR"] = "203.0.113.78"
    token = desk.hidden(f"/board/a/{appointment_id}")["csrf_token"]
    (first,) = message_ids(app)
    answers = [desk.post(resend_url(appointment_id, first), data={"csrf_token": token})
               .status_code for _ in range(3)]
    assert answers == [302, 422, 429]
