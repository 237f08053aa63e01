"""The front desk's board: one clinic day, every appointment with its readiness, from the desk's
side of the counter."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, Decision, Review
from prep_app.services import appointments as appointment_service
from prep_app.services import links, locations, settings, submissions

from .browserlike import forms_of
from .conftest import clinic_time

RIDE = {"driver_name": "Grace Hopper", "driver_phone": "+14355550123",
        "driver_relationship": "Sister", "driver_plan": "waits", "no_driving": "yes"}
READY = {"support_habits": "yes", "headphones": "yes", "clothes": "yes", "photo_id": "yes",
         "arrive_early": "yes", "last_solid_food": None, "last_clear_liquid": None,
         "alcohol_cannabis": "no", "medications": "no", "new_illness": "no", "pregnancy": "no",
         "blood_pressure": "no"}


def seed_day(app, days: int, count: int, clinician_id: int | None = None,
             name: str = "Patient") -> list[int]:
    """``count`` appointments ``days`` from today, of every kind the board shows: no link, a link
    only, answers saved, submitted with a driver, submitted and reviewed, checked in, cancelled.

    Written straight through the services (times may be earlier today)."""
    ids = []
    with app.test_request_context():
        version = None
        for n in range(count):
            kind = n % 7
            patient, _ = appointment_service.find_or_create_patient(
                f"{name} {n:03d}", date(1980, 1, 1) + timedelta(days=n), phone="435 555 0100")
            starts = clinic_time(days, 8) + timedelta(minutes=6 * n)
            appointment = Appointment(patient=patient, starts_at=starts,
                                      location=locations.for_booking())
            db.session.add(appointment)
            db.session.flush()
            ids.append(appointment.id)
            if kind == 0:
                continue
            links.issue(appointment)
            if kind == 1:
                continue
            submission = submissions.get_or_start(appointment)
            version = submission.checklist_version
            submissions.save_section(submission, "ride", RIDE, None)
            if kind == 2:
                continue
            local = settings.to_local(starts).replace(tzinfo=None)
            dayof = {**READY, "last_solid_food": f"{local - timedelta(hours=8):%Y-%m-%dT%H:%M}",
                     "last_clear_liquid": f"{local - timedelta(hours=3):%Y-%m-%dT%H:%M}"}
            for section in ("prepare", "bring", "dayof", "medicines", "health"):
                submissions.save_section(submission, section, dayof, None)
            submissions.submit(submission, "Patient", f"key-{appointment.id}", None)
            if kind == 4 and clinician_id:
                db.session.add(Review(
                    submission=submission, sequence=1, revision=submission.revision,
                    answers_hash=submission.answers_hash, decision=Decision.CLEARED,
                    clinician_id=clinician_id))
            elif kind == 5:
                appointment.checked_in_at = starts - timedelta(minutes=10)
                appointment.is_driver_confirmed = True
            elif kind == 6:
                appointment_service.cancel(appointment)
        assert version is None or version.items
        db.session.commit()
    return ids


class QueryCounter:
    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def queries(self) -> list[str]:
        """The statements that read or write data: SQLite's explicit BEGIN (which PostgreSQL's
        driver sends on its own, unseen by this event) is transaction control, not a query."""
        return [s for s in self.statements if s.split(None, 1)[0].upper() not in TX_CONTROL]


TX_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def rows_of(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


@pytest.fixture
def front_desk(login_as):
    return login_as("front_desk")


def test_front_desk_sees_every_appointment_of_the_day_in_time_order(app, front_desk, book):
    book("Late Larry", date(1970, 5, 5), days=1, hour=16, with_link=False)
    book("Early Erin", date(1971, 6, 6), days=1, hour=9)
    book("Other Day Olga", date(1972, 7, 7), days=2, hour=10)
    day = settings_today(app) + timedelta(days=1)

    html = front_desk.get(f"/board/?date={day.isoformat()}").text

    rows = rows_of(html)
    assert len(rows) == 2
    assert "Early Erin" in rows[0] and "09:00" in rows[0] and "Not started" in rows[0]
    assert "Late Larry" in rows[1] and "16:00" in rows[1] and "Not sent" in rows[1]
    assert "No link sent yet" in rows[1]
    assert "Other Day Olga" not in html


def settings_today(app) -> date:
    with app.app_context():
        return settings.today()


@pytest.fixture
def early_on_3_march(time_machine):
    """05:30 UTC on 3 March 2030: still 2 March in Denver (UTC-7), 19:30 at Kiritimati (UTC+14).
    Listed before the signed-in client, so the sign-in happens at that moment too."""
    time_machine.move_to(datetime(2030, 3, 3, 5, 30, tzinfo=UTC), tick=False)


def test_board_defaults_to_the_clinics_today_not_the_servers(app, early_on_3_march, front_desk):
    assert "Saturday 2 March 2030" in front_desk.get("/board/").text

    with app.app_context():
        settings.get().main_location.timezone = "Pacific/Kiritimati"
        db.session.commit()
    assert "Sunday 3 March 2030" in front_desk.get("/board/").text


def test_board_shows_driver_reasons_counts_and_last_activity(app, front_desk, make_staff):
    seed_day(app, 1, 7, clinician_id=make_staff("clinician", name="Dr Who"))
    day = settings_today(app) + timedelta(days=1)

    html = front_desk.get(f"/board/?date={day}").text

    rows = rows_of(html)
    assert len(rows) == 7
    assert "Not sent" in rows[0] and "No driver named" in rows[0]
    assert "In progress" in rows[2] and "Started; not submitted yet" in rows[2]
    # The driver, shown nicely with a tel: link
    assert "Grace Hopper" in rows[2]
    assert 'href="tel:+14355550123"' in rows[2] and "(435) 555-0123" in rows[2]
    assert "Awaiting review" in rows[3] and "Submitted; waiting for a clinician" in rows[3]
    assert "Cleared" in rows[4] and "Cleared by Dr Who" in rows[4]
    # Checked in is beside the readiness, never instead of it
    assert "Checked in" in rows[5] and "driver confirmed in person" in rows[5]
    assert "Awaiting review" in rows[5] and "Submitted; waiting for a clinician" in rows[5]
    assert "Cancelled" in rows[6]
    assert all("Today" in row for row in rows)  # last activity: everything happened just now
    counts = html.split('aria-label="Count per status"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r"All <strong>7</strong>", counts)
    for label in ("Not sent", "Not started", "In progress", "Cleared", "Checked in",
                  "Cancelled"):
        assert re.search(rf"{label} <strong>1</strong>", counts), label
    assert re.search(r"Awaiting review <strong>2</strong>", counts)
    assert re.search(r"Needs attention <strong>0</strong>", counts)


def test_front_desk_filters_by_status_and_searches_by_name(app, front_desk):
    seed_day(app, 1, 7)
    day = settings_today(app) + timedelta(days=1)

    rows = rows_of(front_desk.get(f"/board/?date={day}&status=in_progress").text)
    assert len(rows) == 1 and "Patient 002" in rows[0]
    rows = rows_of(front_desk.get(f"/board/?date={day}&status=checked_in").text)
    assert len(rows) == 1 and "Patient 005" in rows[0]

    response = search(front_desk, f"/board/?date={day}", "patient 005")
    rows = rows_of(response.text)
    assert len(rows) == 1 and "Patient 005" in rows[0]
    assert re.search(r"All <strong>7</strong>", response.text)  # counts stay for the whole day
    assert "005" not in response.request.url  # the name went in the body, not the address

    html = search(front_desk, f"/board/?date={day}", "nobody").text
    assert rows_of(html) == [] and "No appointment on this day matches" in html


def test_a_name_in_the_address_is_ignored(app, front_desk):
    seed_day(app, 1, 3)
    day = settings_today(app) + timedelta(days=1)
    assert len(rows_of(front_desk.get(f"/board/?date={day}&q=patient%20002").text)) == 3


def search(client, page: str, words: str):
    """Type a name into the board's search form (a POST, so the name stays out of the URL)."""
    form = next(f for f in forms_of(client.get(page).text) if "/board/" in (f["action"] or ""))
    return client.post(form["action"], data={**form["hidden"], "q": words})


def test_board_works_without_javascript_and_refreshes_itself_with_htmx(app, front_desk):
    day = settings_today(app) + timedelta(days=1)
    html = search(front_desk, f"/board/?date={day}&status=cleared", "ada").text

    # A plain GET form (the refresh button) with the date picker and the filter, and a POST
    # form for the name search.
    form = html.split('aria-label="Choose what the board shows"', 1)[1].split("</form>", 1)[0]
    assert 'type="date"' in form and 'name="status"' in form
    assert '<button type="submit">' in form
    form = html.split('role="search"', 1)[1].split("</form>", 1)[0]
    assert 'name="q"' in form and 'name="csrf_token"' in form
    # htmx is vendored and only loaded here; the poll keeps the filters and says it is a poll.
    assert "/static/vendor/htmx-2.0.11.min.js" in html and "/static/board.js" in html
    live = re.search(r'<section id="board-live"[^>]*>', html).group(0)
    # data-hx-* (htmx reads it too) keeps the page valid HTML; a bare hx-* is not.
    assert 'data-hx-trigger="every 30s"' in live
    assert not re.search(r'\shx-', html)
    assert f"date={day}" in live and "status=cleared" in live
    assert 'data-hx-post=' in live and '"q": "ada"' in live.replace("&#34;", '"')
    assert '"HX-Trigger-Name": "auto-refresh"' in live.replace("&#34;", '"')
    assert "<script>" not in html and ' style="' not in html

    poll = front_desk.get(f"/board/?date={day}", headers={
        "HX-Request": "true", "HX-Trigger-Name": "auto-refresh"})
    assert poll.text.lstrip().startswith('<section id="board-live"')
    assert "<html" not in poll.text and poll.headers["X-Board-Fragment"] == "1"


def test_the_poll_does_not_count_as_activity(app, front_desk):
    with front_desk.session_transaction() as session:
        session["seen_at"] = seen = session["seen_at"] - 600
    front_desk.get("/board/", headers={"HX-Request": "true", "HX-Trigger-Name": "auto-refresh"})
    with front_desk.session_transaction() as session:
        assert session["seen_at"] == seen
    front_desk.get("/board/")
    with front_desk.session_transaction() as session:
        assert session["seen_at"] > seen


def test_patient_pages_do_not_load_htmx(patient):
    assert "htmx-2.0.11.min.js" not in patient.get("/checklist/").text


def test_board_table_fits_a_small_screen(app, front_desk):
    seed_day(app, 1, 2)
    day = settings_today(app) + timedelta(days=1)
    html = front_desk.get(f"/board/?date={day}").text
    assert '<div class="table-wrap">' in html
    # Each cell names itself, so the small-screen card layout in app.css can label it.
    assert all(f'data-label="{label}"' in html
               for label in ("Time", "Patient", "Status", "Driver", "Last activity"))
    css = (Path(app.static_folder) / "app.css").read_text()
    assert "@media (max-width: 40rem)" in css and "attr(data-label)" in css


@pytest.mark.parametrize("query", ["date=2024-02-30", "date=0001-01-01", "date=%00",
                                   "date=99999-01-01", "status=bogus", "q=" + "x" * 5000,
                                   "status=&q=%F0%9F%98%80&date="])
def test_odd_board_addresses_still_show_a_board(front_desk, query):
    response = front_desk.get(f"/board/?{query}")
    assert response.status_code == 200
    assert 'id="board-live"' in response.text


def test_a_bad_date_says_so_and_shows_today(app, front_desk):
    html = front_desk.get("/board/?date=2024-02-30").text
    assert "That date could not be read, so today is shown." in html
    assert settings_today(app).strftime("%B") in html


def test_board_issues_the_same_few_queries_for_5_and_100_appointments(app, front_desk,
                                                                      make_staff):
    clinician = make_staff("clinician")
    seed_day(app, 3, 5, clinician, name="Small")
    seed_day(app, 4, 100, clinician, name="Big")
    small_day = settings_today(app) + timedelta(days=3)
    big_day = small_day + timedelta(days=1)
    front_desk.get("/board/")  # warm up: nothing below is a first-request artefact

    with QueryCounter(app) as small:
        small_html = front_desk.get(f"/board/?date={small_day}").text
    with QueryCounter(app) as big:
        big_html = front_desk.get(f"/board/?date={big_day}").text
    with QueryCounter(app) as poll:
        front_desk.get(f"/board/?date={big_day}", headers={"HX-Request": "true"})

    assert len(rows_of(small_html)) == 5 and len(rows_of(big_html)) == 100
    assert "Grace Hopper" in big_html and "Cleared by" in big_html
    assert len(small.statements) == len(big.statements)
    assert len(small.queries) == len(big.queries)
    # The user loader, the clinic's settings, the day's appointments with their patients and
    # submissions, and the four of the readiness overview (links, answers, reviews, items):
    # seven queries, eight statements with SQLite's BEGIN counted too; the refresh no more.
    assert len(poll.queries) == 7, "\n".join(poll.queries)
    assert len(poll.statements) <= 8, "\n".join(poll.statements)
    # A full page load adds its audit row: one INSERT, after a BEGIN IMMEDIATE on SQLite
    # (the write lock is taken only once the page is drawn).
    assert len(big.queries) == 7 + 1, "\n".join(big.queries)
    assert len(big.statements) <= 8 + 2, "\n".join(big.statements)


def board_views(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).filter_by(action="board.view")
                                       .order_by(AuditEvent.id)))


def test_each_full_board_load_is_audited_with_the_appointments_shown(app, front_desk, book):
    """The board shows drivers' names and phones and flag reasons: who saw which, and when,
    is on the record. The 30-second refresh is the same look, not a new one."""
    shown_ids = [book("Ann Early", date(1970, 1, 1), days=1, hour=9)[0],
                 book("Bo Later", date(1971, 1, 1), days=1, hour=11)[0]]
    book("Cy Other Day", date(1972, 1, 1), days=2)
    day = settings_today(app) + timedelta(days=1)
    front_desk.get(f"/board/?date={day}")
    for _ in range(3):
        front_desk.get(f"/board/?date={day}", headers={"HX-Request": "true"})
    rows = board_views(app)
    assert len(rows) == 1
    row = rows[0]
    assert (row.actor_type, row.actor_id, row.actor_role) == ("staff", front_desk.user_id,
                                                              "front_desk")
    assert row.detail == f"{day}: appointments {shown_ids[0]}-{shown_ids[1]}"
    assert "Ann" not in row.detail and row.request_id
    # A filtered board names only what it shows; an empty one says so.
    front_desk.get(f"/board/?date={day}&status=checked_in")
    assert board_views(app)[-1].detail == f"{day}: no appointments"
    assert len(board_views(app)) == 2


def test_a_board_too_long_for_one_audit_row_goes_on_in_the_next(app_ctx):
    """Ids are written as ranges; a day that still does not fit in 300 characters is not cut."""
    from prep_app.services import audit

    audit.record_view("board.view", list(range(1, 400, 2)), "2030-03-04")
    db.session.flush()
    details = [e.detail for e in db.session.scalars(
        db.select(AuditEvent).filter_by(action="board.view").order_by(AuditEvent.id))]
    assert len(details) > 1 and all(len(d) <= 300 for d in details)
    named = [int(n) for d in details for n in d.split("appointments ", 1)[1].split(", ")]
    assert named == list(range(1, 400, 2))
    audit.record_view("board.view", [5, 6, 7, 9], "2030-03-05")
    db.session.flush()
    assert db.session.scalars(db.select(AuditEvent.detail).order_by(AuditEvent.id.desc())
                              ).first() == "2030-03-05: appointments 5-7, 9"


def test_the_board_says_what_really_happened_to_the_link(app, front_desk, book, client,
                                                         tmp_path):
    """Not sent, shown or printed, sent (when), opened (when), started, submitted: never
    "sent" for a link only shown on the screen."""
    from prep_app import gateways
    from prep_app.models import utcnow
    from prep_app.services import messages

    app.config["OUTBOX_PATH"] = str(tmp_path / "outbox")
    book("Nobody Sent", days=1, hour=9, with_link=False)
    book("Shown Only", days=1, hour=10)
    texted_id, _ = book("Texted Tom", days=1, hour=11, with_link=False)
    opened_id, token = book("Opened Olive", date(1990, 1, 31), days=1, hour=12)
    with app.app_context():
        appointment = db.session.get(Appointment, texted_id)
        appointment.patient.phone = "+14355550142"
        messages.plan_link(appointment, utcnow())
        db.session.commit()
        assert messages.deliver_due(utcnow(), gateways.for_app(app), timedelta(minutes=5)) == 1
        db.session.remove()
    client.get(f"/p/{token}")  # the patient opens the link
    day = settings_today(app) + timedelta(days=1)

    rows = rows_of(front_desk.get(f"/board/?date={day}").text)

    assert "No link sent yet" in rows[0]
    assert "Link shown or printed, not sent; not opened yet" in rows[1]
    assert re.search(r"Link sent at \d\d:\d\d; not opened yet", rows[2])
    assert re.search(r"Link opened at \d\d:\d\d; nothing saved yet", rows[3])
    assert not any("Link sent;" in row for row in rows)
