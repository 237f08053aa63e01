"""The schedule import on the board: the front desk uploads the file, sees every row and any
problem next to it, and only then imports; the board shows and filters session type and
clinician."""

from __future__ import annotations

import csv
import html
import io

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, ImportMapping

from .browserlike import element, forms_of
from .test_schedule_import import BAD_FILES, HEADER, booking, csv_of, day, snapshot


def upload(client, data: bytes, mapping: int | None = None):
    page = client.get("/board/import/")
    assert page.status_code == 200
    hidden = forms_of(page.text)[-1]["hidden"]
    fields = {**hidden, "file": (io.BytesIO(data), "schedule.csv")}
    if mapping is not None:
        fields["mapping"] = str(mapping)
    return client.post("/board/import/", data=fields, content_type="multipart/form-data")


def confirm(client, preview_html: str):
    (form,) = [f for f in forms_of(preview_html) if f["action"] == "/board/import/confirm"]
    return client.post("/board/import/confirm", data=form["hidden"])


def test_front_desk_sees_a_preview_and_nothing_is_saved_until_they_confirm(app, client,
                                                                            login_as):
    login_as("front_desk")
    data = csv_of(booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09",
                                        session_type="Booster", clinician="Dr. Okafor"))
    before = snapshot(app)
    preview = upload(client, data)
    assert preview.status_code == 200, preview.text
    assert "Importing this file gives: <strong>2 booked, 0 moved, 0 cancelled, 0 unchanged" \
        in preview.text
    assert "Grace Hopper" in preview.text and "Dr. Okafor" in preview.text
    assert snapshot(app) == before
    done = confirm(client, preview.text)
    assert done.status_code == 302 and done.headers["Location"].endswith("/board/")
    board = client.get("/board/").text
    assert "Schedule imported: 2 booked, 0 moved, 0 cancelled, 0 unchanged." in board
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id))) == 2
        actor_ids = set(db.session.scalars(select(AuditEvent.actor_id).filter_by(
            action="appointment.create")))
    assert actor_ids == {client.user_id}


def test_problems_are_shown_next_to_their_rows_and_nothing_is_saved(app, client, login_as):
    login_as("admin")
    before = snapshot(app)
    preview = upload(client, csv_of(booking(app), booking(app, "A-2", dob="31/02/1980")))
    assert preview.status_code == 422
    assert "Nothing was imported: 1 problem to fix first" in preview.text
    row = preview.text[preview.text.index('id="row-3"'):]
    row = row[:row.index("</tr>")]
    assert "row 3, date of birth: 31/02/1980 is not a date" in row
    assert not [f for f in forms_of(preview.text) if f["action"] == "/board/import/confirm"]
    assert snapshot(app) == before


def test_a_confirmation_is_checked_again_before_it_is_saved(app, client, login_as):
    login_as("front_desk")
    data = csv_of(booking(app))
    first = upload(client, data)
    second = upload(client, data)
    assert confirm(client, first.text).status_code == 302
    again = confirm(client, second.text)  # the same file: now unchanged
    assert again.status_code == 302
    assert "Schedule imported: 0 booked, 0 moved, 0 cancelled, 1 unchanged." in \
        client.get("/board/").text


def test_a_tampered_confirmation_saves_nothing(app, client, login_as):
    login_as("front_desk")
    preview = upload(client, csv_of(booking(app)))
    (form,) = [f for f in forms_of(preview.text) if f["action"] == "/board/import/confirm"]
    before = snapshot(app)
    for bad in ("", "not base64!", "AAAA"):
        response = client.post("/board/import/confirm", data={**form["hidden"],
                                                              "schedule": bad})
        assert response.status_code in (302, 422)
    response = client.post("/board/import/confirm", data={"schedule": form["hidden"]["schedule"]})
    assert response.status_code in (302, 400)  # no CSRF token
    assert snapshot(app) == before


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_a_bad_upload_is_explained_on_the_page_and_writes_nothing(app, client, login_as, data,
                                                                 message):
    login_as("front_desk")
    before = snapshot(app)
    preview = upload(client, data)
    assert preview.status_code == 422
    assert html.escape(message, quote=False) in preview.text
    assert not [f for f in forms_of(preview.text) if f["action"] == "/board/import/confirm"]
    assert snapshot(app) == before


def test_a_hundred_thousand_row_upload_is_refused_with_the_limit(app, client, login_as):
    login_as("front_desk")
    before = snapshot(app)
    row = b"A-1,,Ada,Lovelace,1990-01-31,2030-01-01 10:00,,,,,,booked\n"
    response = upload(client, HEADER.encode() + b"\n" + row * 100_000)
    assert response.status_code == 413
    assert "The file is larger than the 4 MB one import takes" in response.text
    assert 'id="file-error"' in response.text  # next to the file field, on the upload form
    response.request.environ["wsgi.input"].close()  # the test client's copy, never read
    assert snapshot(app) == before


def test_likely_duplicates_are_shown_on_the_preview(app, client, login_as, book):
    from datetime import date

    book(name="Ada Lovelace", dob=date(1990, 1, 13), with_link=False)
    login_as("front_desk")
    preview = upload(client, csv_of(booking(app)))
    assert preview.status_code == 200
    assert "Please check: these may be people we know already" in preview.text
    assert "patient #1 may be the same person (same name, born 1990-01-13)" in preview.text


def test_the_front_desk_books_a_likely_duplicate_for_the_patient_we_know(app, client,
                                                                         login_as, book):
    from datetime import date

    from prep_app.models import Patient

    book(name="Ada Lovelace", dob=date(1990, 1, 13), with_link=False)
    login_as("front_desk")
    data = csv_of(booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09"))
    preview = upload(client, data)
    (form,) = [f for f in forms_of(preview.text) if f["action"] == "/board/import/confirm"]
    assert 'name="same_as_2" value="" checked' in preview.text  # a new patient, unless chosen
    assert "The same person as patient #1: Ada Lovelace, born 1990-01-13" in preview.text
    assert "same_as_3" not in preview.text  # Grace is no one we know
    done = client.post("/board/import/confirm", data={**form["hidden"], "same_as_2": "1",
                                                      "same_as_3": "1", "same_as_x": "1"})
    assert done.status_code == 302
    with app.app_context():
        booked = dict(db.session.execute(select(Appointment.external_id,
                                                Appointment.patient_id)).all())
        assert booked["A-1"] == 1 and booked["A-2"] != 1
        assert db.session.scalar(select(func.count(Patient.id))) == 2


def test_the_template_downloads_and_is_formula_safe(app, client, login_as):
    login_as("front_desk")
    response = client.get("/board/import/template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=schedule-template.csv"
    header, example = list(csv.reader(io.StringIO(response.text)))
    assert header[:3] == ["external_id", "patient_id", "first_name"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in example)


def test_a_saved_mapping_can_be_chosen_on_the_upload(app, client, login_as):
    with app.app_context():
        mapping = ImportMapping(name="OtherPM", columns={"external_id": "Appt", "name": "Client",
                                                         "date_of_birth": "DOB",
                                                         "starts_at": "Start"})
        db.session.add(mapping)
        db.session.commit()
        mapping_id = mapping.id
    login_as("front_desk")
    assert "OtherPM" in client.get("/board/import/").text
    line = booking(app).split(",")
    data = f"Appt,Client,DOB,Start\n{line[0]},Ada Lovelace,{line[4]},{line[5]}\n".encode()
    preview = upload(client, data, mapping=mapping_id)
    assert preview.status_code == 200, preview.text
    assert confirm(client, preview.text).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Appointment.external_id)) == "A-1"


def test_the_board_shows_and_filters_session_type_and_clinician(app, client, login_as):
    login_as("front_desk")
    preview = upload(client, csv_of(
        booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09",
                              session_type="Booster", clinician="Dr. Okafor")))
    confirm(client, preview.text)
    on_the_day = f"/board/?date={day(app)}"
    board = client.get(on_the_day).text
    assert "Infusion" in board and "Dr. Okafor" in board
    element(board, "session_type")
    only = client.get(f"{on_the_day}&session_type=Booster").text
    assert "Grace Hopper" in only and "Ada Lovelace" not in only
    by_clinician = client.get(f"{on_the_day}&clinician=Dr.+Rivera").text
    assert "Ada Lovelace" in by_clinician and "Grace Hopper" not in by_clinician
    anyone = client.get(f"{on_the_day}&clinician=Nobody").text  # not on the day: no filter
    assert "Ada Lovelace" in anyone and "Grace Hopper" in anyone


def test_a_file_larger_than_other_forms_can_be_uploaded(app, client, login_as):
    login_as("front_desk")
    rows = [booking(app, f"A-{n}", "Patient", f"Number{n}", "1980-01-01",
                    email=f"patient.number.{n}@example.org") for n in range(4000)]
    data = csv_of(*rows)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    preview = upload(client, data)
    assert preview.status_code == 200
    assert "4000 booked" in preview.text
    assert "3700 more rows without problems are not shown" in preview.text


def test_the_import_link_is_for_the_front_desk_and_admins(app, client, login_as):
    login_as("clinician")
    assert "Import the schedule" not in client.get("/board/").text
    login_as("front_desk")
    assert "Import the schedule" in client.get("/board/").text


FUZZ = fuzz_settings(max_examples=30, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
CELL = st.one_of(st.text(max_size=40), st.sampled_from(
    ["\x00", "=1+2", "@SUM(A1)", "\ufeff", '"', "31/02/1980", "2026-02-30 25:61", "-1", ";"]))


@FUZZ
@given(cells=st.lists(st.lists(CELL, min_size=0, max_size=14), min_size=0, max_size=6),
       raw=st.binary(max_size=200), use_raw=st.booleans(), mapping=st.sampled_from(
           ["", "0", "99", "x", "\x00"]))
def test_no_file_gives_a_500_and_a_refused_one_writes_nothing(app, client, login_as, cells,
                                                             raw, use_raw, mapping):
    if not hasattr(client, "user_id"):
        login_as("front_desk")
    header = "external_id,first_name,last_name,date_of_birth,starts_at,status\n"
    data = raw if use_raw else (header + "\n".join(",".join(row) for row in cells)).encode()
    before = snapshot(app)
    page = client.get("/board/import/")
    hidden = forms_of(page.text)[-1]["hidden"]
    response = client.post("/board/import/", data={
        **hidden, "mapping": mapping, "file": (io.BytesIO(data), "f.csv")},
        content_type="multipart/form-data")
    assert response.status_code in (200, 400, 422), response.status_code
    assert snapshot(app) == before
    if response.status_code == 200:
        done = confirm(client, response.text)
        assert done.status_code == 302


# A clinic admin saves another system's column names; the desk imports with them ------------

MAPPINGS = "/admin/import-mappings"


def save_mapping(admin, action: str = MAPPINGS, page: str = MAPPINGS, **fields):
    from .fixtures_staff import submit_to

    return submit_to(admin, page, action, fields)


def test_an_admin_saves_a_mapping_that_the_front_desk_imports_with(app, client, login_as):
    admin = login_as("admin", c=app.test_client())
    saved = save_mapping(admin, name="OtherPM", date_order="dmy", header_external_id="Appt #",
                         header_name="Client", header_date_of_birth="D.O.B.",
                         header_starts_at="Start time", header_clinician="Provider")
    assert saved.status_code == 302, saved.text
    page = admin.get(MAPPINGS).text
    assert "Mapping OtherPM saved" in page and "Provider → <code>clinician</code>" in page
    with app.app_context():
        mapping = db.session.scalar(select(ImportMapping))
        assert (mapping.name, mapping.date_order) == ("OtherPM", "dmy")
        assert mapping.columns == {"external_id": "Appt #", "name": "Client",
                                   "date_of_birth": "D.O.B.", "starts_at": "Start time",
                                   "clinician": "Provider"}
        assert db.session.scalar(select(AuditEvent.actor_id).filter_by(
            action="import_mapping.create", record_id=mapping.id)) == admin.user_id
        mapping_id = mapping.id
    login_as("front_desk")
    when = day(app)
    data = (f"appt #;CLIENT;d.o.b.;start time;provider\n"
            f"X1;Ada Lovelace;31/01/1990;{when:%d/%m/%Y} 14:00;Dr. Rivera\n").encode()
    preview = upload(client, data, mapping=mapping_id)
    assert preview.status_code == 200, preview.text
    assert confirm(client, preview.text).status_code == 302
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        assert (appointment.external_id, appointment.clinician_name) == ("X1", "Dr. Rivera")
        assert appointment.patient.date_of_birth.isoformat() == "1990-01-31"


def test_an_admin_changes_and_deletes_a_mapping(app, login_as):
    admin = login_as("admin")
    assert save_mapping(admin, name="OtherPM", date_order="mdy",
                        header_external_id="Appt").status_code == 302
    with app.app_context():
        mapping_id = db.session.scalar(select(ImportMapping.id))
    page = f"{MAPPINGS}/{mapping_id}"
    assert 'value="Appt"' in admin.get(page).text
    changed = save_mapping(admin, page, page, name="OtherPM 2", date_order="dmy",
                           header_external_id="", header_name="Client")
    assert changed.status_code == 302, changed.text
    with app.app_context():
        mapping = db.session.get(ImportMapping, mapping_id)
        assert (mapping.name, mapping.date_order, mapping.columns) == (
            "OtherPM 2", "dmy", {"name": "Client"})
    deleted = save_mapping(admin, f"{page}/delete", MAPPINGS)
    assert deleted.status_code == 302
    assert "Mapping OtherPM 2 deleted." in admin.get(MAPPINGS).text
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportMapping.id))) == 0
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("import_mapping.%")).order_by(AuditEvent.id)).all()
    assert actions == ["import_mapping.create", "import_mapping.update", "import_mapping.delete"]
    assert admin.get(page).status_code == 404


def test_a_mapping_that_cannot_work_is_explained_and_not_saved(app, login_as):
    admin = login_as("admin")
    assert save_mapping(admin, name="OtherPM", date_order="mdy").status_code == 302
    again = save_mapping(admin, name=" OtherPM ", date_order="mdy")
    assert again.status_code == 422
    assert "There is a mapping called OtherPM already" in again.text
    twice = save_mapping(admin, name="Another", date_order="mdy", header_external_id="ID",
                         header_patient_id=" id ")
    assert twice.status_code == 422
    assert "id is already the header for external id" in twice.text
    assert 'id="header_patient_id-error"' in twice.text
    bad_order = save_mapping(admin, name="Third", date_order="ymd")
    assert bad_order.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(ImportMapping.name)).all() == ["OtherPM"]


def test_only_admins_keep_the_mappings(app, client, login_as):
    login_as("front_desk")
    assert client.get(MAPPINGS).status_code == 403
    login_as("admin")
    assert 'href="/admin/import-mappings"' in client.get("/admin/").text


ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=100)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(
    ["name", "date_order", "header_external_id", "header_name", "header_date_of_birth",
     "header_starts_at", "header_status", "other"]), ANY_TEXT))
def test_no_mapping_form_gives_a_500(app, client, login_as, fields):
    if not hasattr(client, "user_id"):
        login_as("admin")
    response = save_mapping(client, **fields)
    assert response.status_code in (302, 422), response.status_code
