"""Reading the audit log: filters, one page at a time, and a CSV export streamed in batches.

Reading only: the audit table is append-only, and the one row an export adds is written by
the view before the file is sent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select

from ..database import end_read
from ..extensions import db
from ..models import AuditEvent, Patient, User
from ..services import settings
from ..services.text import csv_cell

PAGE_SIZE = 50
EXPORT_BATCH = 1000
CSV_COLUMNS = ("id", "at_utc", "at_clinic_time", "actor_type", "actor_id", "actor_name",
               "actor_role", "action", "record_type", "record_id", "patient_id", "request_id",
               "detail")


@dataclass(frozen=True)
class AuditFilter:
    person_id: int | None = None
    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def describe(self) -> str:
        """For the export's own audit row: ids and dates only, never a name."""
        parts = [f"{key}={value}" for key, value in (
            ("person", self.person_id), ("patient", self.patient_id),
            ("from", self.date_from), ("to", self.date_to)) if value is not None]
        return ", ".join(parts) or "everything"

    def query_args(self) -> dict:
        return {key: value for key, value in (
            ("person", self.person_id), ("patient", self.patient_id),
            ("date_from", self.date_from and self.date_from.isoformat()),
            ("date_to", self.date_to and self.date_to.isoformat())) if value is not None}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=settings.zone()).astimezone(UTC)


def _conditions(f: AuditFilter) -> list:
    conditions = []
    if f.person_id is not None:
        # What they did, and what was done to their account (failed sign-ins, role changes).
        conditions.append(or_(
            and_(AuditEvent.actor_type == "staff", AuditEvent.actor_id == f.person_id),
            and_(AuditEvent.record_type == "user", AuditEvent.record_id == f.person_id)))
    if f.patient_id is not None:
        conditions.append(AuditEvent.patient_id == f.patient_id)
    if f.date_from is not None:
        conditions.append(AuditEvent.at >= _start_of(f.date_from))
    if f.date_to is not None:
        conditions.append(AuditEvent.at < _start_of(f.date_to + timedelta(days=1)))
    return conditions


def _rows(f: AuditFilter):
    return (select(AuditEvent, User.name, Patient.full_name)
            .outerjoin(User, and_(AuditEvent.actor_type == "staff",
                                  User.id == AuditEvent.actor_id))
            .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
            .where(*_conditions(f)))


def page(f: AuditFilter, number: int) -> tuple[list, bool]:
    """One page, newest first, and whether there is an older page."""
    rows = db.session.execute(
        _rows(f).order_by(AuditEvent.id.desc())
        .limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def count(f: AuditFilter) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(*_conditions(f))) or 0


def staff_names() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(User.id, User.name).order_by(func.lower(User.name), User.id))
    return [(row.id, row.name) for row in rows]


def find_patients(name: str, limit: int = 20) -> list[Patient]:
    """Patients whose name contains ``name`` (any case, any spacing)."""
    needle = " ".join(name.split()).casefold()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(db.session.scalars(
        select(Patient).where(Patient.name_key.like(f"%{escaped}%", escape="\\"))
        .order_by(Patient.name_key, Patient.id).limit(limit)))


def csv_lines(f: AuditFilter, before: int | None = None) -> Iterator[str]:
    """The export (rows older than id ``before``), newest first, read in batches so a large log
    needs little memory.

    Each batch is its own short read, so the export never holds the database's write lock
    (SQLite) for long while the file downloads. The clinic's zone is read now, in the request:
    the lines are made after it ended, while the response streams.
    """
    return _csv_lines(f, before, settings.zone())


def _csv_lines(f: AuditFilter, before: int | None, zone) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    while True:
        stmt = _rows(f).order_by(AuditEvent.id.desc()).limit(EXPORT_BATCH)
        if before is not None:
            stmt = stmt.where(AuditEvent.id < before)
        rows = db.session.execute(stmt).all()
        for event, actor_name, _patient_name in rows:
            writer.writerow([csv_cell(value) for value in (
                event.id, event.at.isoformat(), event.at.astimezone(zone).isoformat(),
                event.actor_type, event.actor_id, actor_name, event.actor_role, event.action,
                event.record_type, event.record_id, event.patient_id, event.request_id,
                event.detail)])
        before = rows[-1][0].id if rows else None
        end_read()  # before sending the batch
        if rows:
            yield flush()
        if len(rows) < EXPORT_BATCH:
            return
