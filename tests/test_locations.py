"""Locations, from the user's side: the admin sets them up, each appointment is at one, and the
patient, the desk and the command line see that one's address, phone and clock."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, Location
from prep_app.services import appointments as appointment_service
from prep_app.services import links, settings

from .fixtures_staff import submit_to, token_in
from .saved_answers import submit_ready

MOAB = {"name": "Moab", "address": "12 Main St\nMoab, UT 84532", "phone": "(435) 555-0177",
        "timezone": "America/Denver", "solid_fast_hours": "8", "clear_fast_hours": "3"}


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def add_location(app, **values) -> int:
    """A second location, as the admin's form would save it."""
    fields = {**MOAB, **values}
    with app.app_context():
        place = Location(name=fields["name"], address=fields["address"], phone=fields["phone"],
                         timezone=fields["timezone"],
                         solid_fast_hours=int(fields["solid_fast_hours"]),
                         clear_fast_hours=int(fields["clear_fast_hours"]))
        clinic = settings.get()
        clinic.locations.append(place)
        db.session.commit()
        return place.id


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def location_of(app, appointment_id: int) -> str:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).location.name


# --- the admin's Locations page ----------------------------------------------------------------


def test_admin_adds_a_location_and_it_is_listed_and_audited(app, admin):
    response = submit_to(admin, "/admin/locations", "/admin/locations", MOAB)
    assert response.status_code == 302, response.text
    page = admin.get("/admin/locations").text
    assert "Location Moab added." in page
    assert "Moab" in page and "(435) 555-0177" in page and "8 h, 3 h" in page
    with app.app_context():
        place = db.session.scalar(select(Location).filter_by(name="Moab"))
        assert (place.address, place.timezone, place.solid_fast_hours,
                place.clear_fast_hours) == ("12 Main St\nMoab, UT 84532", "America/Denver", 8, 3)
    [row] = audit_rows(app, "location.create")
    assert row.actor_id == admin.user_id and row.record_id == place.id


def test_admin_edits_a_location_and_only_the_changes_are_audited(app, admin):
    response = submit_to(admin, "/admin/locations/1", "/admin/locations/1",
                         {**MOAB, "name": "Cedar City", "timezone": "America/Phoenix"})
    assert response.status_code == 302, response.text
    with app.app_context():
        place = settings.get().main_location
        assert (place.name, place.timezone, place.solid_fast_hours) == (
            "Cedar City", "America/Phoenix", 8)
    [row] = audit_rows(app, "location.update")
    assert "name" in row.detail and "timezone" in row.detail and "phone" in row.detail


@pytest.mark.parametrize("changes, field, message", [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice"),
    ({"phone": "12"}, "phone", "does not look right"),
    ({"clear_fast_hours": "9"}, "clear_fast_hours", "cannot stop before solid food"),
    ({"solid_fast_hours": "six"}, "solid_fast_hours", "whole number"),
    ({"solid_fast_hours": "25"}, "solid_fast_hours", "from 0 to 24"),
    ({"name": "  \x00 "}, "name", "Enter the location"),
    ({"address": "x" * 301}, "address", "300"),
])
def test_bad_location_values_are_explained_next_to_the_field(app, admin, changes, field,
                                                              message):
    response = submit_to(admin, "/admin/locations", "/admin/locations", {**MOAB, **changes})
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.text)
    assert error and message in error.group(1), response.text
    with app.app_context():
        assert len(settings.get().locations) == 1
    assert not audit_rows(app, "location.create")


def test_two_locations_cannot_share_a_name(app, admin):
    add_location(app)
    response = submit_to(admin, "/admin/locations", "/admin/locations", {**MOAB, "name": "moab"})
    assert response.status_code == 422
    assert "Another location already has that name." in response.text


def test_a_stale_location_save_is_a_conflict_and_keeps_what_was_typed(app, admin, login_as):
    other = login_as("admin", c=app.test_client())
    stale = admin.get("/admin/locations/1").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', stale).group(1)
    submit_to(other, "/admin/locations/1", "/admin/locations/1", {**MOAB, "name": "Theirs"})

    response = admin.post("/admin/locations/1", data={
        **MOAB, "name": "Mine", "csrf_token": token_in(stale), "version": version})
    assert response.status_code == 409
    assert "Someone else saved this location" in response.text
    assert 'value="Mine"' in response.text
    with app.app_context():
        assert settings.get().main_location.name == "Theirs"


def test_the_location_phone_links_dial_the_number_in_e164_whatever_the_admin_typed(
        app, admin, patient):
    saved = submit_to(admin, "/admin/settings", "/admin/settings", {
        "name": "Harbor Light Clinic", "country": "GB", "arrive_early_minutes": "15",
        "link_grace_hours": "24", "is_dob_check_on": "y", "idle_timeout_minutes": "15",
        "morning_check_hour": "7"})
    assert saved.status_code == 302, saved.text
    saved = submit_to(admin, "/admin/locations/1", "/admin/locations/1",
                      {**MOAB, "phone": "020 7946 0018", "timezone": "Europe/London"})
    assert saved.status_code == 302, saved.text
    # Shown the way people there write it, dialled as +44...: a tel: URL has no spaces.
    for page in (patient.get("/checklist/").text, app.test_client().get("/p/nope").text):
        assert 'href="tel:+442079460018"' in page
        assert "020 7946 0018" in page
        assert not re.search(r'href="tel:[^"+]*[^+0-9"]', page)


def test_the_clinics_today_follows_its_main_locations_time_zone(app, admin):
    submit_to(admin, "/admin/locations/1", "/admin/locations/1",
              {**MOAB, "timezone": "Pacific/Kiritimati"})
    with app.app_context():
        assert settings.today() == datetime.now(UTC).astimezone(settings.zone()).date()
        assert str(settings.zone()) == "Pacific/Kiritimati"


# --- the patient's pages -----------------------------------------------------------------------


def test_patient_timeline_shows_the_locations_address_and_phone(app, client, book):
    moab = add_location(app, timezone="America/Phoenix", solid_fast_hours="4")
    with app.test_request_context():
        place = db.session.get(Location, moab)
        patient, _ = appointment_service.find_or_create_patient("Ada Lovelace",
                                                                date(1990, 1, 31))
        day = place.to_local(datetime.now(UTC)).date() + timedelta(days=3)
        starts = appointment_service.local_to_utc(datetime(day.year, day.month, day.day, 14),
                                                  place.zone)
        appointment = appointment_service.create(patient, starts, place)
        token = links.issue(appointment)
        db.session.commit()
        appointment_id = appointment.id
    client.get(f"/p/{token}")
    assert client.submit("/checklist/verify",
                         {"date_of_birth": "1990-01-31"}).status_code == 302
    submit_ready(app, appointment_id)

    page = client.get("/checklist/done").text
    where = page.split('id="place-heading"')[1].split("</section>")[0]
    assert "<address>Moab<br>12 Main St<br>Moab, UT 84532</address>" in where
    assert '<a href="tel:+14355550177">(435) 555-0177</a>' in where
    assert "(435) 555-0100" not in page  # the other location's phone is nowhere
    # Its clock and fasting hours: 14:00 in Phoenix, solid food until 10:00 (4 hours before).
    assert re.search(r"10:00\s*(AM)?</time>\s*Last solid food", page), page
    assert re.search(r"2:00\s*PM</time>\s*Your session starts", page), page
    start = client.get("/checklist/").text
    assert 'href="tel:+14355550177"' in start and "2:00" in start


def test_one_location_clinic_sees_its_clinic_as_before_on_patient_pages(app, patient):
    submit_ready(app, patient.appointment_id)
    page = patient.get("/checklist/done").text
    # The migrated location is the clinic as it was: its name, no address, its phone.
    assert "<address>Cedar City Ketamine Clinic</address>" in page
    assert '<a href="tel:+14355550100">(435) 555-0100</a>' in page


# --- the command line --------------------------------------------------------------------------


def add_args(*extra: str) -> list[str]:
    day = (datetime.now(UTC) + timedelta(days=4)).date()
    return ["appointments", "add", "--patient", "Ada Lovelace", "--dob", "1990-01-31",
            "--at", f"{day} 10:00", *extra]


def test_cli_books_at_the_only_location_without_being_told(app, runner):
    result = runner.invoke(args=add_args())
    assert result.exit_code == 0, result.output
    number = int(re.search(r"Appointment #(\d+)", result.output).group(1))
    assert location_of(app, number) == settings_name(app)
    assert "Moab" not in result.output


def settings_name(app) -> str:
    with app.app_context():
        return settings.get().main_location.name


def test_cli_requires_location_when_several(app, runner):
    add_location(app)
    result = runner.invoke(args=add_args())
    assert result.exit_code != 0
    assert "several locations: say which one" in result.output
    assert "Moab" in result.output
    with app.app_context():
        assert db.session.scalar(select(Appointment)) is None

    wrong = runner.invoke(args=add_args("--location", "Nowhere"))
    assert wrong.exit_code != 0 and "There is no location called 'Nowhere'" in wrong.output

    booked = runner.invoke(args=add_args("--location", "moab"))
    assert booked.exit_code == 0, booked.output
    number = int(re.search(r"Appointment #(\d+)", booked.output).group(1))
    assert location_of(app, number) == "Moab"
    assert "Moab, America/Denver" in booked.output


def test_cli_reads_the_time_on_the_locations_clock(app, runner):
    add_location(app, name="Honolulu", timezone="Pacific/Honolulu", phone="(808) 555-0100")
    result = runner.invoke(args=add_args("--location", "Honolulu"))
    assert result.exit_code == 0, result.output
    number = int(re.search(r"Appointment #(\d+)", result.output).group(1))
    with app.app_context():
        starts = db.session.get(Appointment, number).starts_at
        assert starts.astimezone(UTC).hour == 20  # 10:00 in Honolulu (UTC-10)


SCHEDULE_HEADER = "external_id,name,date_of_birth,starts_at"


def schedule_file(tmp_path, rows: list[str], header: str = SCHEDULE_HEADER):
    day = (datetime.now(UTC) + timedelta(days=5)).date()
    path = tmp_path / "schedule.csv"
    path.write_text("\n".join([header, *(r.format(day=day) for r in rows)]) + "\n")
    return str(path)


def test_schedule_import_requires_a_location_when_several_and_reads_the_column(
        app, runner, tmp_path):
    add_location(app)
    plain = schedule_file(tmp_path, ["A-1,Ada Lovelace,1990-01-31,{day} 10:00"])
    refused = runner.invoke(args=["schedule", "import", plain])
    assert refused.exit_code != 0
    assert "row 2, location: The clinic has several locations" in refused.output

    given = runner.invoke(args=["schedule", "import", plain, "--location", "Moab"])
    assert given.exit_code == 0, given.output

    both = schedule_file(tmp_path, ["B-1,Grace Hopper,1985-12-09,{day} 11:00,Moab",
                                    f"B-2,Alan Turing,1992-06-23,{{day}} 12:00,"
                                    f"{settings_name(app)}",
                                    "B-3,Kay Johnson,1978-08-26,{day} 13:00,Atlantis"],
                         header=SCHEDULE_HEADER + ",location")
    bad = runner.invoke(args=["schedule", "import", both])
    assert bad.exit_code != 0 and "row 4, location: There is no location called" in bad.output
    with app.app_context():
        assert db.session.scalar(select(Appointment).filter_by(external_id="B-1")) is None

    good = schedule_file(tmp_path, ["B-1,Grace Hopper,1985-12-09,{day} 11:00,Moab",
                                    f"B-2,Alan Turing,1992-06-23,{{day}} 12:00,"
                                    f"{settings_name(app)}"],
                         header=SCHEDULE_HEADER + ",location")
    assert runner.invoke(args=["schedule", "import", good]).exit_code == 0
    with app.app_context():
        booked = {a.external_id: a.location.name for a in db.session.scalars(
            select(Appointment))}
    assert booked == {"A-1": "Moab", "B-1": "Moab", "B-2": settings_name(app)}


# --- the front desk ----------------------------------------------------------------------------


def book_at(app, location_id: int | None, name: str, days: int = 1, hour: int = 10) -> int:
    with app.test_request_context():
        place = (db.session.get(Location, location_id) if location_id
                 else settings.get().main_location)
        patient, _ = appointment_service.find_or_create_patient(name, date(1980, 1, 1))
        day = settings.today() + timedelta(days=days)
        starts = appointment_service.local_to_utc(datetime(day.year, day.month, day.day, hour),
                                                  place.zone)
        appointment = appointment_service.create(patient, starts, place)
        db.session.commit()
        return appointment.id


def board_day(days: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def test_board_filters_by_location(app, login_as):
    desk = login_as("front_desk")
    moab = add_location(app)
    book_at(app, None, "Cedar Patient")
    book_at(app, moab, "Moab Patient")
    with app.app_context():
        day = (settings.today() + timedelta(days=1)).isoformat()

    everything = desk.get(f"/board/?date={day}").text
    assert '<label for="location">Location</label>' in everything
    assert "Cedar Patient" in everything and "Moab Patient" in everything
    assert '<span class="hint location">Moab</span>' in everything

    only_moab = desk.get(f"/board/?date={day}&location={moab}").text
    assert "Moab Patient" in only_moab and "Cedar Patient" not in only_moab
    assert "All <strong>1</strong>" in only_moab  # the counts are that location's
    assert f'<option value="{moab}" selected>Moab</option>' in only_moab
    # The other filters keep the location (the day links, the status counts).
    assert f"location={moab}" in only_moab.split('id="board-live"')[1]
    # The refresh shows the same.
    poll = desk.get(f"/board/?date={day}&location={moab}", headers={"HX-Request": "true"}).text
    assert "Moab Patient" in poll and "Cedar Patient" not in poll
    # An unknown location shows everything rather than nothing.
    assert "Cedar Patient" in desk.get(f"/board/?date={day}&location=999").text


def test_one_location_clinic_sees_no_location_picker(app, login_as, book):
    desk = login_as("front_desk")
    appointment_id, _ = book(days=1)
    with app.app_context():
        day = (settings.today() + timedelta(days=1)).isoformat()
        name = settings.get().main_location.name
    board = desk.get(f"/board/?date={day}").text
    assert 'name="location"' not in board and "All locations" not in board
    new = desk.get("/board/new").text
    assert 'name="location"' not in new and "on the clinic's clock" in new
    page = desk.get(f"/board/a/{appointment_id}").text
    assert 'name="location"' not in page and 'id="appointment-location"' not in page
    assert f"at {name}" not in page
    # Booking needs no location: it is the only one.
    response = submit_to(desk, "/board/new", "/board/new", {
        "full_name": "Solo Sam", "date_of_birth": "1980-02-02", "day": day, "at": "11:00",
        "issue_link": ""})
    assert response.status_code == 302, response.text
    with app.app_context():
        booked = db.session.scalar(select(Appointment).join(Appointment.patient).where(
            Appointment.id != appointment_id))
        assert booked.location.name == name


def test_desk_books_at_the_location_chosen_and_its_clock(app, login_as):
    desk = login_as("front_desk")
    honolulu = add_location(app, name="Honolulu", timezone="Pacific/Honolulu",
                            phone="(808) 555-0100")
    day = board_day(3)
    form = desk.get("/board/new").text
    assert '<option value="">Choose a location</option>' in form
    missing = submit_to(desk, "/board/new", "/board/new", {
        "full_name": "Island Ida", "date_of_birth": "1980-02-02", "day": day, "at": "10:00"})
    assert missing.status_code == 400 and "Choose where the session is." in missing.text
    response = submit_to(desk, "/board/new", "/board/new", {
        "full_name": "Island Ida", "date_of_birth": "1980-02-02", "day": day, "at": "10:00",
        "location": str(honolulu), "issue_link": ""})
    assert response.status_code == 302, response.text
    with app.app_context():
        booked = db.session.scalar(select(Appointment))
        assert booked.location.name == "Honolulu"
        assert booked.starts_at.astimezone(UTC).hour == 20  # 10:00 in Honolulu
        appointment_id = booked.id
    page = desk.get(f"/board/a/{appointment_id}").text
    assert '<span id="appointment-location">Honolulu</span>' in page and "10:00" in page


def test_desk_moves_an_appointment_to_another_location(app, login_as):
    desk = login_as("front_desk")
    moab = add_location(app)
    appointment_id = book_at(app, None, "Mover Mo", days=3)
    page = f"/board/a/{appointment_id}"
    response = submit_to(desk, page, f"{page}/reschedule", {
        "location": str(moab), "new_day": board_day(3), "new_time": "10:00",
        "move_reason": "Closer to home"})
    assert response.status_code == 302, response.text
    assert location_of(app, appointment_id) == "Moab"
    [row] = audit_rows(app, "appointment.reschedule")
    assert f"to location {moab}, from 1" in row.detail


def test_the_board_reads_no_more_with_several_locations(app, login_as):
    """The locations come with the clinic's settings and each appointment's with it: a
    filtered board reads what the whole board reads (tests/test_board.py pins seven)."""
    from .test_board import QueryCounter

    desk = login_as("front_desk")
    moab = add_location(app)
    for n in range(3):
        book_at(app, None, f"Cedar {n}", hour=9 + n)
        book_at(app, moab, f"Moab {n}", hour=9 + n)
    with app.app_context():
        day = (settings.today() + timedelta(days=1)).isoformat()
    desk.get("/board/")
    with QueryCounter(app) as everything:
        desk.get(f"/board/?date={day}", headers={"HX-Request": "true"})
    with QueryCounter(app) as poll:
        html = desk.get(f"/board/?date={day}&location={moab}",
                        headers={"HX-Request": "true"}).text
    assert html.count("Moab ") >= 3 and "Cedar 0" not in html
    assert len(poll.queries) == len(everything.queries), "\n".join(poll.queries)
    # No query of the locations' own: they come with the settings and the appointments.
    assert not [q for q in poll.queries if q.startswith("SELECT locations")]


def test_schedule_upload_asks_for_a_location_only_when_there_are_several(app, client,
                                                                         login_as):
    from .test_schedule_import import booking, csv_of
    from .test_schedule_upload import confirm, upload

    login_as("front_desk")
    assert 'name="location"' not in client.get("/board/import/").text
    moab = add_location(app)
    page = client.get("/board/import/").text
    assert '<label for="location">Location of the rows that name none</label>' in page

    data = csv_of(booking(app))
    refused = upload(client, data)  # none chosen, no column: each row says so
    assert refused.status_code == 422 and "several locations" in refused.text
    import io

    from .browserlike import forms_of

    hidden = forms_of(client.get("/board/import/").text)[-1]["hidden"]
    preview = client.post("/board/import/", data={
        **hidden, "location": str(moab), "file": (io.BytesIO(data), "schedule.csv")},
        content_type="multipart/form-data")
    assert preview.status_code == 200, preview.text
    assert confirm(client, preview.text).status_code == 302
    with app.app_context():
        assert [a.location.name for a in db.session.scalars(select(Appointment))] == ["Moab"]
