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
