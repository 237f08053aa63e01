"""The day's schedule from the practice-management system, as the clinic imports it.

`flask schedule import FILE.csv` checks every row before it writes anything; a file with any
problem writes nothing and exits 1; the same file twice changes nothing; a changed time moves the
booking, a cancelled row cancels it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from prep_app.extensions import db
from prep_app.models import Appointment, AuditEvent, ImportMapping, Patient
from prep_app.services import imports, settings

from .conftest import clinic_time

HEADER = ("external_id,patient_id,first_name,last_name,date_of_birth,starts_at,session_type,"
          "clinician,mobile,email,language,status,location")


def day(app, days: int = 3) -> date:
    with app.app_context():
        return settings.today() + timedelta(days=days)


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def booking(app, external_id="A-1", first="Ada", last="Lovelace", dob="1990-01-31", days=3,
            at="14:00", status="booked", patient_id="", session_type="Infusion",
            clinician="Dr. Rivera", mobile="", email="", language="") -> str:
    return ",".join([external_id, patient_id, first, last, dob, f"{day(app, days)} {at}",
                     session_type, clinician, mobile, email, language, status])


def booking_bytes(external_id: str) -> bytes:
    """A row that is fine on its own (a session well in the future)."""
    return f"{external_id},,Ada,Lovelace,1990-01-31,2030-01-01 10:00,,,,,,booked".encode()


def run_import(runner, tmp_path, data: bytes, *extra):
    path = tmp_path / "schedule.csv"
    path.write_bytes(data)
    return runner.invoke(args=["schedule", "import", str(path), *extra])


def snapshot(app) -> dict:
    """Everything an import could touch."""
    with app.app_context():
        return {
            "appointments": [(a.id, a.external_id, a.starts_at, a.is_cancelled, a.session_type,
                              a.clinician_name) for a in db.session.scalars(
                                  select(Appointment).order_by(Appointment.id))],
            "patients": [(p.id, p.full_name, p.date_of_birth, p.external_id) for p in
                         db.session.scalars(select(Patient).order_by(Patient.id))],
            "audit": db.session.scalar(select(func.count(AuditEvent.id))),
        }


def appointments(app) -> list[Appointment]:
    with app.app_context():
        rows = list(db.session.scalars(select(Appointment).order_by(Appointment.id)))
        for row in rows:
            _ = row.patient.full_name
        db.session.expunge_all()
        return rows


def test_front_desk_imports_the_days_bookings(app, runner, tmp_path):
    data = csv_of(booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09", at="15:30",
                                        mobile="(435) 555-0199", language="es"))
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Imported: 2 booked, 0 moved, 0 cancelled, 0 unchanged." in result.output
    ada, grace = appointments(app)
    assert (ada.external_id, ada.patient.full_name, ada.session_type, ada.clinician_name) == (
        "A-1", "Ada Lovelace", "Infusion", "Dr. Rivera")
    with app.app_context():
        assert grace.starts_at == clinic_time(3, 15, 30)
        patient = db.session.get(Patient, grace.patient_id)
        assert (patient.phone, patient.language) == ("+14355550199", "es")
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("appointment.create") == 2 and actions.count("patient.create") == 2


def test_importing_the_same_file_again_changes_nothing(app, runner, tmp_path):
    data = csv_of(booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09"))
    assert run_import(runner, tmp_path, data).exit_code == 0
    before = snapshot(app)
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Imported: 0 booked, 0 moved, 0 cancelled, 2 unchanged." in result.output
    assert snapshot(app) == before


def test_a_changed_time_moves_the_booking_and_a_cancelled_row_cancels(app, runner, tmp_path):
    assert run_import(runner, tmp_path, csv_of(
        booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09"))).exit_code == 0
    result = run_import(runner, tmp_path, csv_of(
        booking(app, at="16:00"), booking(app, "A-2", "Grace", "Hopper", "1985-12-09",
                                          status="cancelled"),
        booking(app, "A-3", "Alan", "Turing", "1954-06-23")))
    assert result.exit_code == 0, result.output
    assert "Imported: 1 booked, 1 moved, 1 cancelled, 0 unchanged." in result.output
    ada, grace, alan = appointments(app)
    with app.app_context():
        assert ada.starts_at == clinic_time(3, 16)
    assert grace.is_cancelled and not ada.is_cancelled and alan.external_id == "A-3"


def test_a_dry_run_says_what_would_happen_and_writes_nothing(app, runner, tmp_path):
    before = snapshot(app)
    result = run_import(runner, tmp_path, csv_of(booking(app)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing was written. The import would give: 1 booked" in result.output
    assert snapshot(app) == before


def test_every_problem_is_listed_and_nothing_is_written(app, runner, tmp_path):
    before = snapshot(app)
    data = csv_of(booking(app), booking(app, "A-2", dob="31/02/1980"),
                  booking(app, "A-3", mobile="12"), booking(app, "A-4", status="maybe"),
                  booking(app, "A-1", "Alan", "Turing", "1954-06-23"),
                  booking(app, "A-6", days=-2))
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 1
    assert "row 3, date of birth: 31/02/1980 is not a date" in result.output
    assert "row 4, mobile: 12 is not a phone number we can use" in result.output
    assert "row 5, status: maybe is neither booked nor cancelled" in result.output
    assert "row 6, external id: A-1 appears twice (first on row 2)" in result.output
    assert f"row 7, starts at: {day(app, -2)} 14:00 has already passed" in result.output
    assert "Nothing was imported: 5 problems to fix first." in result.output
    assert "Traceback" not in result.output
    assert snapshot(app) == before


def test_us_dates_semicolons_quotes_and_a_byte_order_mark_are_read(app, runner, tmp_path):
    when = day(app)
    header = "External ID;Name;Date of birth;Starts at;Status"
    rows = [f'"B-7";"Lovelace, Ada";01/31/1990;{when:%m/%d/%Y} 2:30 PM;Booked',
            f'B-8;"Grace ""Amazing"" Hopper";12/09/1985;{when:%m/%d/%Y} 09:15;']
    data = b"\xef\xbb\xbf" + ("\r\n".join([header, *rows]) + "\r\n").encode()
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    first, second = appointments(app)
    assert first.patient.full_name == "Lovelace, Ada"
    assert first.patient.date_of_birth == date(1990, 1, 31)
    assert second.patient.full_name == 'Grace "Amazing" Hopper'
    with app.app_context():
        assert first.starts_at == clinic_time(3, 14, 30)
        assert second.starts_at == clinic_time(3, 9, 15)


def test_patients_are_matched_by_external_id_then_by_name_and_date_of_birth(
        app, runner, tmp_path, book):
    book(name="Ada Lovelace", dob=date(1990, 1, 31), with_link=False)
    assert run_import(runner, tmp_path, csv_of(
        booking(app, patient_id="P-9"),
        booking(app, "A-2", "Augusta Ada", "King", "1990-01-31", patient_id="P-9", days=4),
    )).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Patient.id))) == 1
        patient = db.session.scalar(select(Patient))
        assert patient.external_id == "P-9"
        assert len(patient.appointments) == 3


def test_likely_duplicates_are_listed_for_a_person_to_decide(app, runner, tmp_path, book):
    book(name="Ada Lovelace", dob=date(1990, 1, 13), with_link=False)
    book(name="Augusta Lovelace", dob=date(1985, 12, 9), with_link=False)
    result = run_import(runner, tmp_path, csv_of(
        booking(app), booking(app, "A-2", "Ava", "Lovelace", "1985-12-09")))
    assert result.exit_code == 0, result.output
    assert ("row 2: Ada Lovelace (1990-01-31) would be a new patient; patient #1 may be the "
            "same person (same name, born 1990-01-13)") in result.output
    assert ("row 3: Ava Lovelace (1985-12-09) would be a new patient; patient #2 may be the "
            "same person (same surname and date of birth: Augusta Lovelace)") in result.output


def test_a_person_decides_a_likely_duplicate_is_the_patient_we_know(app, runner, tmp_path,
                                                                    book):
    book(name="Ada Lovelace", dob=date(1990, 1, 13), with_link=False)
    data = csv_of(booking(app))  # born 1990-01-31 in the file: a typo, perhaps
    dry = run_import(runner, tmp_path, data, "--dry-run")
    assert "import with --same-as ROW=PATIENT" in dry.output
    result = run_import(runner, tmp_path, data, "--same-as", "2=1")
    assert result.exit_code == 0, result.output
    assert "row 2: Ada Lovelace (1990-01-31) is booked for patient #1, as chosen" in result.output
    assert "--same-as ROW=PATIENT" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Patient.id))) == 1
        patient = db.session.get(Patient, 1)
        assert patient.date_of_birth == date(1990, 1, 13)  # the known patient's stays
        assert db.session.scalar(select(Appointment.patient_id).filter_by(external_id="A-1")) == 1
    again = run_import(runner, tmp_path, data)  # the same file next time: nothing changes
    assert again.exit_code == 0, again.output
    assert "0 booked, 0 moved, 0 cancelled, 1 unchanged" in again.output


def test_only_a_listed_duplicate_can_be_chosen(app, runner, tmp_path, book):
    book(name="Ada Lovelace", dob=date(1990, 1, 13), with_link=False)
    book(name="Grace Hopper", dob=date(1985, 12, 9), with_link=False)
    result = run_import(runner, tmp_path, csv_of(booking(app)), "--same-as", "2=2")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Patient.id))) == 3  # a new patient
    refused = run_import(runner, tmp_path, csv_of(booking(app)), "--same-as", "two=1")
    assert refused.exit_code == 2 and "is not ROW=PATIENT" in refused.output


def test_a_booking_id_that_belongs_to_another_patient_is_refused(app, runner, tmp_path):
    assert run_import(runner, tmp_path, csv_of(booking(app))).exit_code == 0
    result = run_import(runner, tmp_path, csv_of(
        booking(app, first="Alan", last="Turing", dob="1954-06-23")))
    assert result.exit_code == 1
    assert "row 2, external id: A-1 is already booked for another patient" in result.output


def test_a_clinician_on_the_staff_is_linked_by_name(app, runner, tmp_path, make_staff):
    staff_id = make_staff("clinician", name="Dr. Rivera")
    assert run_import(runner, tmp_path, csv_of(booking(app, clinician="dr.  rivera"))
                      ).exit_code == 0
    (ada,) = appointments(app)
    assert (ada.clinician_id, ada.clinician_name) == (staff_id, "Dr. Rivera")


def test_a_changed_session_type_is_updated_and_audited(app, runner, tmp_path):
    assert run_import(runner, tmp_path, csv_of(booking(app))).exit_code == 0
    result = run_import(runner, tmp_path, csv_of(booking(app, session_type="Booster")))
    assert "0 unchanged, 1 updated." in result.output
    (ada,) = appointments(app)
    assert ada.session_type == "Booster"
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).filter_by(
            action="appointment.update_session")) == 1


def test_a_saved_mapping_reads_another_systems_headers(app, runner, tmp_path):
    with app.app_context():
        db.session.add(ImportMapping(name="OtherPM", date_order="dmy", columns={
            "external_id": "Appt #", "name": "Client", "date_of_birth": "DOB",
            "starts_at": "Start"}))
        db.session.commit()
    when = day(app)
    data = f"Appt #,Client,DOB,Start,Room\nX1,Ada Lovelace,31/01/1990,{when:%d/%m/%Y} 14:00,2\n"
    result = run_import(runner, tmp_path, data.encode(), "--mapping", "OtherPM")
    assert result.exit_code == 0, result.output
    assert "Columns not used: Room" in result.output
    (ada,) = appointments(app)
    assert ada.patient.date_of_birth == date(1990, 1, 31)


# Files that cannot be imported, and what the person is told (the upload page says the same).
BAD_FILES = [
    (b"external_id,name,starts_at\nA-1,Ada,2030-01-01 10:00\n",
     "The file has no date_of_birth column"),
    (b"external_id,date_of_birth,starts_at\n",
     "The file has no name (or first_name and last_name) column"),
    ("name,date_of_birth,starts_at\nAda Lövelace,1990-01-31,x\n".encode("latin-1"),
     "The file is not UTF-8 text (line 2 cannot be read)"),
    (b"external_id,name\x00,date_of_birth,starts_at\n", "The file contains NUL bytes"),
    ("\ufeffexternal_id,name,date_of_birth,starts_at\n".encode("utf-16-le"),
     "The file is UTF-16 text"),
    ("Ada Lövelace".encode("cp1252") + b",1990-01-31\n", "The file is not UTF-8 text"),
    (b"", "The file is empty"),
    (HEADER.encode() + b"\n", "The file has no bookings under its header row."),
    (HEADER.encode() + b'\n"A-1,Ada', "cannot be read as CSV"),
    (HEADER.encode() + b"\n" + b"A-1,,Ada,L,1990-01-31,2030-01-01 10:00,,,,,,\n" * 10_001,
     "The file has more than 10,000 rows"),
    (HEADER.encode() + b"\n" + booking_bytes("A-1") + b"\n" + booking_bytes("A-1") + b"\n",
     "row 3, external id: A-1 appears twice (first on row 2)"),
]


def test_other_systems_status_words_are_understood(app, runner, tmp_path):
    assert run_import(runner, tmp_path, csv_of(
        booking(app), booking(app, "A-2", "Grace", "Hopper", "1985-12-09"))).exit_code == 0
    result = run_import(runner, tmp_path, csv_of(
        booking(app, status="Checked In"),
        booking(app, "A-2", "Grace", "Hopper", "1985-12-09", status="Late  Canceled")))
    assert result.exit_code == 0, result.output
    assert "0 booked, 0 moved, 1 cancelled, 1 unchanged" in result.output


def test_the_date_and_the_time_may_come_in_two_columns(app, runner, tmp_path):
    with app.app_context():
        db.session.add(ImportMapping(name="EHR", columns={
            "external_id": "Appt ID", "name": "Patient", "date_of_birth": "DOB",
            "session_date": "Appt Date", "session_time": "Appt Time"}))
        db.session.commit()
    when = day(app)
    data = (f"Appt ID,Patient,DOB,Appt Date,Appt Time\n"
            f"E1,Ada Lovelace,01/31/1990,{when:%m/%d/%Y},2:30 PM\n").encode()
    result = run_import(runner, tmp_path, data, "--mapping", "EHR")
    assert result.exit_code == 0, result.output
    (ada,) = appointments(app)
    with app.app_context():
        assert ada.starts_at == clinic_time(3, 14, 30)
    no_time = run_import(runner, tmp_path, b"Appt ID,Patient,DOB,Appt Date\nE2,Ada,1990-01-31,"
                         + str(when).encode() + b"\n", "--mapping", "EHR")
    assert no_time.exit_code == 1
    assert ("The file has no starts_at (or session_date and session_time) column"
            in no_time.output)
    empty_time = run_import(runner, tmp_path, data.replace(b"2:30 PM", b""), "--mapping", "EHR")
    assert f"row 2, starts at: {when:%m/%d/%Y} is not a date and time" in empty_time.output


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_a_bad_file_gets_a_clear_message_and_writes_nothing(app, runner, tmp_path, data,
                                                             message):
    before = snapshot(app)
    result = run_import(runner, tmp_path, data)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot(app) == before


def test_a_hundred_thousand_rows_are_refused_before_they_are_read(app, runner, tmp_path):
    row = b"A-1,,Ada,Lovelace,1990-01-31,2030-01-01 10:00,,,,,,booked\n"
    result = run_import(runner, tmp_path, HEADER.encode() + b"\n" + row * 100_000)
    assert result.exit_code == 1
    assert "The file is larger than the 4 MB one import takes" in result.output


def test_formula_characters_are_kept_as_plain_text(app, runner, tmp_path):
    result = run_import(runner, tmp_path, csv_of(
        booking(app, first="=HYPERLINK(\"x\")", last="@Lovelace", session_type="+Booster",
                mobile="+14355550199")))
    assert result.exit_code == 0, result.output
    (ada,) = appointments(app)
    assert ada.patient.full_name == '=HYPERLINK("x") @Lovelace'
    assert ada.session_type == "+Booster" and ada.patient.phone == "+14355550199"


def test_the_template_lists_our_columns_and_imports_as_it_is(app):
    template = imports.template_csv()
    assert template.splitlines()[0] == HEADER
    with app.test_request_context(method="POST"):
        plan = imports.read(template.encode())
    assert [str(p) for p in plan.problems] == []

