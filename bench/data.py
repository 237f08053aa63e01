"""The benchmark's data: a clinic day through the app's own services, and a large history
loaded fast in bulk (Core executemany in big batches, in time order, one transaction)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, insert, select

from prep_app.extensions import db
from prep_app.models import Appointment, Patient, PatientLink, utcnow
from prep_app.services import appointments, checklists, links, settings

BATCH = 20_000
APPOINTMENTS_PER_PATIENT = 10  # a course of sessions: the history has one patient per ten rows
HISTORY_YEARS_BACK, HISTORY_YEARS_AHEAD = 4, 1  # five years in all
DAY_OPENS, DAY_HOURS = 8, 10  # sessions from 08:00, over ten hours, clinic time


def prepare_schema(app: Flask) -> None:
    with app.app_context():
        db.create_all()
        settings.get()
        checklists.install_default()
        db.session.commit()


def create_staff(app: Flask, role: str, email: str, password: str) -> None:
    from prep_app.services import accounts

    with app.app_context():
        accounts.create(email, role.replace("_", " ").title(), role, password)
        db.session.commit()


def clinic_today(app: Flask) -> date:
    with app.app_context():
        return settings.today()


def book_day(app: Flask, day: date, count: int, prefix: str) -> list[tuple[int, str, str]]:
    """Book ``count`` sessions on ``day`` (clinic time), each with a link, through the app's
    services. Returns (appointment id, link token, date of birth) per session."""
    booked = []
    step = timedelta(hours=DAY_HOURS) / max(count, 1)
    with app.app_context():
        opens = datetime.combine(day, datetime.min.time()).replace(hour=DAY_OPENS)
        for i in range(count):
            dob = date(1960, 1, 1) + timedelta(days=37 * i % 20000)
            patient, _ = appointments.find_or_create_patient(f"{prefix} {i:05d}", dob)
            starts = appointments.local_to_utc(opens + step * i, settings.zone())
            appointment = appointments.create(patient, starts)
            booked.append((appointment.id, links.issue(appointment), dob.isoformat()))
        db.session.commit()
    return booked


def count_appointments(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Appointment))


def _days(first: date, last: date, skip: set[date]) -> list[date]:
    days, day = [], first
    while day <= last:
        if day not in skip:
            days.append(day)
        day += timedelta(days=1)
    return days


def _starts(days: list[date], count: int, zone: ZoneInfo) -> Iterator[datetime]:
    """``count`` session times spread evenly over ``days``, in time order, as UTC."""
    per_day, extra = divmod(count, len(days))
    for index, day in enumerate(days):
        n = per_day + (1 if index < extra else 0)
        if not n:
            continue
        opens = datetime(day.year, day.month, day.day, DAY_OPENS, tzinfo=zone)
        step = timedelta(hours=DAY_HOURS) / n
        for k in range(n):
            yield (opens + step * k).astimezone(UTC)


def add_history(app: Flask, count: int, skip: set[date]) -> float:
    """Add ``count`` appointments (with their patients and a link each) spread over five years
    around today, never on the days in ``skip``. Returns the seconds it took."""
    began = time.perf_counter()
    if count <= 0:
        return 0.0
    with app.app_context():
        zone = settings.zone()
        today = settings.today()
        days = _days(today - timedelta(days=365 * HISTORY_YEARS_BACK),
                     today + timedelta(days=365 * HISTORY_YEARS_AHEAD), skip)
        now = utcnow()
        conn = db.session.connection()  # the one transaction (SQLite: holding the write lock)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB for this load
        first_patient = (conn.scalar(select(func.max(Patient.id))) or 0) + 1
        first_appointment = (conn.scalar(select(func.max(Appointment.id))) or 0) + 1
        first_link = (conn.scalar(select(func.max(PatientLink.id))) or 0) + 1
        patients = max(1, count // APPOINTMENTS_PER_PATIENT)
        _insert_batches(conn, Patient.__table__, (
            {"id": first_patient + n, "full_name": f"History Patient {first_patient + n:07d}",
             "name_key": f"history patient {first_patient + n:07d}",
             "date_of_birth": date(1940, 1, 1) + timedelta(days=n % 25000),
             "created_at": now} for n in range(patients)))
        rows = ((first_appointment + n, starts, first_patient + n % patients)
                for n, starts in enumerate(_starts(days, count, zone)))
        for batch in _chunks(rows, BATCH):
            conn.execute(insert(Appointment.__table__), [
                {"id": aid, "patient_id": pid, "starts_at": starts, "is_cancelled": False,
                 "is_driver_confirmed": False, "last_activity_at": min(starts, now),
                 "created_at": min(starts, now) - timedelta(days=14), "version": 1}
                for aid, starts, pid in batch])
            conn.execute(insert(PatientLink.__table__), [
                {"id": first_link + aid - first_appointment, "appointment_id": aid,
                 "token_hash": hashlib.sha256(b"history-%d" % aid).hexdigest(),
                 "created_at": min(starts, now) - timedelta(days=14),
                 "expires_at": starts + timedelta(hours=25), "failed_dob_attempts": 0}
                for aid, starts, _pid in batch])
        db.session.commit()
    return time.perf_counter() - began


def _chunks(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_batches(conn, table, rows) -> None:
    for batch in _chunks(rows, BATCH):
        conn.execute(insert(table), batch)


def _sqlite_path(app: Flask) -> str:
    """The app's SQLite file, with every pooled connection to it closed."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        return db.engine.url.database


def copy_sqlite(source: Flask, target: Flask) -> None:
    """Copy ``source``'s database into ``target``'s with SQLite's online backup."""
    with closing(sqlite3.connect(_sqlite_path(source))) as src, \
            closing(sqlite3.connect(_sqlite_path(target))) as dst:
        src.backup(dst)


def settle_sqlite(app: Flask) -> None:
    """After a bulk load: move the write-ahead log into the database file and flush it to the
    disk, so the next measurement sees the database as it stands, not the load's aftermath."""
    with closing(sqlite3.connect(_sqlite_path(app))) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()


def appointment_indexes(app: Flask) -> list[str]:
    """The indexes on the appointments table, as the database reports them."""
    from sqlalchemy import inspect

    with app.app_context():
        found = inspect(db.engine).get_indexes("appointments")
    return [f"{i['name']} ({', '.join(c for c in i['column_names'] if c)})" for i in found]
