"""The checked-in migrations build the schema the models describe, on this run's database
(SQLite, or PostgreSQL with PREP_TEST_DB=postgresql; `make test` runs both), and undo it."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, Table, inspect, text

from prep_app.extensions import db
from prep_app.services import checklists, settings


@pytest.fixture
def empty_app(make_app, empty_database_url):
    return make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)


class Ran:
    def __init__(self, result):
        self.exit_code, self.output, self.exception = (result.exit_code, result.output,
                                                       result.exception)

    def __repr__(self):
        return f"<exit {self.exit_code}: {self.exception!r}\n{self.output}>"


def flask_db(app, *args: str) -> Ran:
    """``flask --app prep_app db <args>`` on ``app``'s database."""
    return Ran(app.test_cli_runner().invoke(args=["db", *args]))


def tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def model_tables() -> set[str]:
    return set(db.metadata.tables)


def test_upgrade_from_empty_builds_every_table_and_finds_no_drift(empty_app):
    assert tables(empty_app) == set()

    result = flask_db(empty_app, "upgrade")
    assert result.exit_code == 0, result.output
    assert tables(empty_app) == model_tables() | {"alembic_version"}

    check = flask_db(empty_app, "check")
    assert check.exit_code == 0, f"the models and the migrations disagree:\n{check.output}"


def test_migrated_database_takes_the_default_checklist(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    with empty_app.app_context():
        settings.get()
        version, created = checklists.install_default()
        db.session.commit()
        assert created and version.items


def test_downgrade_to_empty_and_upgrade_again(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0

    result = flask_db(empty_app, "downgrade", "base")
    assert result.exit_code == 0, result.output
    assert tables(empty_app) <= {"alembic_version"}

    assert flask_db(empty_app, "upgrade").exit_code == 0
    assert tables(empty_app) == model_tables() | {"alembic_version"}


def test_check_notices_a_new_model_without_a_migration(empty_app, caplog):
    """The drift check can fail: a table the models have and the migrations do not."""
    assert flask_db(empty_app, "upgrade").exit_code == 0
    probe = Table("drift_probe", db.metadata, Column("id", Integer, primary_key=True))
    try:
        result = flask_db(empty_app, "check")
    finally:
        db.metadata.remove(probe)
    assert result.exit_code != 0
    assert "New upgrade operations detected" in caplog.text
    assert "drift_probe" in caplog.text
    assert "drift_probe" not in model_tables()


def test_check_notices_a_database_that_differs_from_the_models(empty_app, caplog):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    with empty_app.app_context():
        db.session.execute(text("DROP INDEX ix_appointments_starts_at"))
        db.session.commit()
    assert flask_db(empty_app, "check").exit_code != 0
    assert "ix_appointments_starts_at" in caplog.text


def test_the_default_checklist_already_installed_gets_its_spanish(empty_app):
    """A database that had the default checklist before translations: its items and sections
    get the Spanish, except words the clinic changed (they stay English until translated)."""
    import json

    from prep_app import default_checklist

    assert flask_db(empty_app, "upgrade", "e5c0d4a1b7f2").exit_code == 0
    sections = [{**s} for s in default_checklist.SECTIONS]
    sections[1]["title"] = "Our own words"  # "bring"
    with empty_app.app_context():
        db.session.execute(text("INSERT INTO checklists (id, key, name) VALUES (1, :k, 'x')"),
                           {"k": default_checklist.KEY})
        db.session.execute(text(
            "INSERT INTO checklist_versions (id, checklist_id, number, is_current, sections, "
            "published_at) VALUES (1, 1, 1, :t, :s, '2026-01-01 00:00:00')"),
            {"t": True, "s": json.dumps(sections)})
        specs = {spec["key"]: spec for spec in default_checklist.ITEMS}
        rows = [("driver_plan", specs["driver_plan"]["label"]),
                ("headphones", "Bring your own headphones."),  # the clinic's own label
                ("photo_id", specs["photo_id"]["label"])]
        for position, (key, label) in enumerate(rows, start=1):
            spec = specs[key]
            db.session.execute(text(
                "INSERT INTO checklist_items (version_id, key, section, position, label, "
                "help_text, kind, options, is_required, is_blocking, flag_rule, staff_label) "
                "VALUES (1, :key, :section, :position, :label, :help, :kind, :options, :t, "
                ":f, 'none', '')"),
                {"key": key, "section": spec["section"], "position": position, "label": label,
                 "help": spec.get("help_text", ""), "kind": spec["kind"], "t": True, "f": False,
                 "options": json.dumps(spec.get("options"))})
        db.session.commit()
    assert flask_db(empty_app, "upgrade").exit_code == 0
    with empty_app.app_context():
        spanish = checklists.frozen(1, "es")
        by_key = spanish.items_by_key
        assert by_key["driver_plan"].label == "¿Esa persona lo va a esperar?"
        assert dict(by_key["driver_plan"].options)["waits"] == "Me va a esperar en la clínica"
        assert by_key["photo_id"].label == "Voy a traer una identificación con foto."
        assert by_key["headphones"].label == "Bring your own headphones."  # no Spanish for it
        assert by_key["headphones"].help_text.startswith("La música sin letra")
        titles = {s["key"]: s["title"] for s in spanish.sections}
        assert titles["ride"] == "Su viaje a casa" and titles["bring"] == "Our own words"
        assert checklists.frozen(1).items_by_key["photo_id"].label == "I will bring a photo ID."
    assert flask_db(empty_app, "downgrade", "e5c0d4a1b7f2").exit_code == 0
# Carrying data over --------------------------------------------------------------------------

BEFORE_LOCATIONS = "87105976e9db"  # the last revision with phone and hours on the settings


def _sql(app, statement: str, **params):
    with app.app_context():
        result = db.session.execute(text(statement), params)
        rows = result.mappings().all() if result.returns_rows else None
        db.session.commit()
        return rows


def _book_before_locations(app, count: int) -> None:
    """A patient and ``count`` appointments, written the way the app wrote them then."""
    moment = "2026-12-03 21:00:00"
    _sql(app, "INSERT INTO patients (id, full_name, name_key, date_of_birth, created_at) "
              "VALUES (1, 'Ada Lovelace', 'ada lovelace', '1990-01-31', :at)", at=moment)
    for number in range(1, count + 1):
        _sql(app, "INSERT INTO appointments (id, patient_id, starts_at, is_cancelled, "
                  "is_driver_confirmed, last_activity_at, created_at, version) "
                  "VALUES (:id, 1, :at, false, false, :at, :at, 1)", id=number, at=moment)
        # A link points at it: SQLite's batch copy of the table must keep it pointing there.
        _sql(app, "INSERT INTO patient_links (appointment_id, token_hash, created_at, expires_at, "
                  "failed_dob_attempts) VALUES (:id, :hash, :at, :at, 0)", id=number,
             hash=f"{number:064d}", at=moment)


def test_upgrade_makes_the_clinic_settings_its_first_location_with_every_appointment(
        empty_app):
    assert flask_db(empty_app, "upgrade", BEFORE_LOCATIONS).exit_code == 0
    _sql(empty_app, "INSERT INTO clinic_settings (id, name, phone, timezone, country, "
                    "solid_fast_hours, clear_fast_hours, arrive_early_minutes, session_minutes, "
                    "link_grace_hours, is_dob_check_on, idle_timeout_minutes, updated_at, "
                    "version) VALUES (1, 'Moab Wellness', '(435) 555-0177', 'America/Phoenix', "
                    "'US', 8, 3, 15, 60, 24, true, 15, '2026-12-01 10:00:00', 4)")
    _book_before_locations(empty_app, 3)

    result = flask_db(empty_app, "upgrade")
    assert result.exit_code == 0, result.output

    places = _sql(empty_app, "SELECT id, name, address, phone, timezone, solid_fast_hours, "
                             "clear_fast_hours FROM locations")
    assert [dict(p) for p in places] == [{
        "id": 1, "name": "Moab Wellness", "address": "", "phone": "(435) 555-0177",
        "timezone": "America/Phoenix", "solid_fast_hours": 8, "clear_fast_hours": 3}]
    rows = _sql(empty_app, "SELECT location_id FROM appointments ORDER BY id")
    assert [r["location_id"] for r in rows] == [1, 1, 1]
    # The app reads it as the appointment's location, and the clinic keeps its other settings.
    with empty_app.app_context():
        from prep_app.models import Appointment

        appointment = db.session.get(Appointment, 2)
        assert appointment.location.name == "Moab Wellness"
        assert str(appointment.location.zone) == "America/Phoenix"
        assert settings.get().version == 4 and len(settings.get().locations) == 1
    # A new location gets the next id (PostgreSQL's sequence moved past the one given).
    _sql(empty_app, "INSERT INTO locations (clinic_id, name, address, phone, timezone, "
                    "solid_fast_hours, clear_fast_hours, updated_at, version) VALUES "
                    "(1, 'Second', '', '(435) 555-0100', 'UTC', 6, 2, '2026-12-01 10:00:00', 1)")
    assert _sql(empty_app, "SELECT max(id) AS top FROM locations")[0]["top"] == 2


def test_appointments_are_required_to_have_a_location_after_the_upgrade(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    _sql(empty_app, "INSERT INTO patients (id, full_name, name_key, date_of_birth, created_at) "
                    "VALUES (1, 'Ada Lovelace', 'ada lovelace', '1990-01-31', "
                    "'2026-12-01 10:00:00')")
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        _sql(empty_app, "INSERT INTO appointments (patient_id, starts_at, is_cancelled, "
                        "is_driver_confirmed, last_activity_at, created_at, version, "
                        "session_type, clinician_name) VALUES (1, '2026-12-03 21:00:00', "
                        "false, false, '2026-12-03 21:00:00', '2026-12-03 21:00:00', 1, '', '')")


def test_appointments_without_any_saved_settings_get_the_default_location(empty_app):
    assert flask_db(empty_app, "upgrade", BEFORE_LOCATIONS).exit_code == 0
    _book_before_locations(empty_app, 2)

    assert flask_db(empty_app, "upgrade").exit_code == 0

    places = _sql(empty_app, "SELECT name, timezone, solid_fast_hours FROM locations")
    assert [tuple(p.values()) for p in places] == [
        ("Cedar City Ketamine Clinic", "America/Denver", 6)]
    assert {r["location_id"] for r in _sql(empty_app, "SELECT location_id FROM appointments")
            } == {1}


def test_downgrade_puts_the_first_locations_phone_zone_and_hours_back_in_the_settings(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    with empty_app.app_context():
        place = settings.get().locations[0]
        place.solid_fast_hours, place.clear_fast_hours = 5, 1
        place.phone, place.timezone = "(435) 555-0177", "America/Phoenix"
        db.session.commit()
    _book_before_locations(empty_app, 0)

    result = flask_db(empty_app, "downgrade", BEFORE_LOCATIONS)
    assert result.exit_code == 0, result.output
    assert "locations" not in tables(empty_app)
    rows = _sql(empty_app, "SELECT solid_fast_hours, clear_fast_hours, phone, timezone "
                           "FROM clinic_settings")
    assert [tuple(r.values()) for r in rows] == [(5, 1, "(435) 555-0177", "America/Phoenix")]
