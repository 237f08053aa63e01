"""The day's schedule from the practice-management system: a CSV file in, bookings out.

A file is read whole and every row is checked before anything is written; a file with any problem
writes nothing. Rows are matched to appointments by the booking's external id, so importing the
same file again changes nothing, a changed time reschedules and a row marked cancelled cancels.
Patients are matched by their external id, else by name and date of birth; a new patient who
looks like someone already known is listed for a person to decide.

Bookings go through the same services as the front desk's (``appointments.create``,
``reschedule``, ``cancel``), so whatever follows a booking there follows an imported one too.

Row numbers are the spreadsheet's: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Appointment, ImportMapping, Location, Patient, Role, User, utcnow
from . import appointments, audit, locations, rules, settings, text
from .errors import InputError

MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 10_000
CHUNK = 500  # ids per IN (...) when looking rows up
IMPORT_MOVE = "Moved in the practice schedule (import)"  # the reason a move by import records

# prep_app's own column names, in the template's order.
COLUMNS = ("external_id", "patient_id", "first_name", "last_name", "date_of_birth", "starts_at",
           "session_type", "clinician", "mobile", "email", "language", "status", "location")
NAME_COLUMN = "name"  # one column with the full name, instead of first_name and last_name
SPLIT_START = ("session_date", "session_time")  # instead of starts_at, as some systems write it
KNOWN = (*COLUMNS, NAME_COLUMN, *SPLIT_START)
REQUIRED = ("external_id", "date_of_birth", "starts_at")
LABELS = {"external_id": "external id", "patient_id": "patient id", "first_name": "first name",
          "last_name": "last name", "date_of_birth": "date of birth", "starts_at": "starts at",
          "session_type": "session type", "session_date": "session date",
          "session_time": "session time"}
LIMITS = {"external_id": 64, "patient_id": 64, NAME_COLUMN: 120, "session_type": 80,
          "clinician": 120, "location": 120}
DATE_ORDERS = {"mdy": "MM/DD/YYYY", "dmy": "DD/MM/YYYY"}
# Status words as practice-management systems write them (compared without case). The day's
# file keeps its arrived and seen sessions: they are still booked, nothing to change.
BOOKED = {"", "booked", "scheduled", "confirmed", "unconfirmed", "pending", "arrived",
          "checked in", "checked-in", "in progress", "completed", "show", "no show", "no-show"}
CANCELLED = {"cancelled", "canceled", "late cancel", "late cancelled", "late canceled",
             "late cancellation"}
LANGUAGES = {"english": "en", "spanish": "es", "español": "es", "espanol": "es"}
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")

ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
SLASH_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2})?\s*([ap]\.?m\.?)?", re.IGNORECASE)

TEMPLATE_EXAMPLE = {
    "external_id": "A-1042", "patient_id": "P-311", "first_name": "Ada", "last_name": "Lovelace",
    "date_of_birth": "1990-01-31", "starts_at": "2026-12-03 14:00", "session_type": "Infusion",
    "clinician": "Dr. Rivera", "mobile": "(435) 555-0199", "email": "ada@example.org",
    "language": "en", "status": "booked", "location": "",
}


class ScheduleError(InputError):
    """The file cannot be imported; ``plan`` says why, row by row."""

    def __init__(self, plan: Plan):
        super().__init__(f"{len(plan.problems)} problem(s) in the file")
        self.plan = plan


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        label = LABELS.get(self.column, self.column.replace("_", " "))
        return f"row {self.row}, {label}: {self.message}"


@dataclass
class Row:
    number: int
    cells: dict[str, str]  # prep_app's column -> the cell as written (for the preview)
    external_id: str = ""
    patient_external_id: str = ""
    full_name: str = ""
    date_of_birth: date | None = None
    starts_at: datetime | None = None
    session_type: str = ""
    clinician: str = ""
    phone: str | None = None
    email: str | None = None
    language: str | None = None
    is_cancelled: bool = False
    location: Location | None = None  # where a new booking is (a booked one stays where it is)


@dataclass
class Step:
    """What one row does: book, move, cancel or nothing."""

    row: Row
    action: str  # booked | moved | cancelled | unchanged
    appointment: Appointment | None = None
    patient: Patient | None = None


ACTIONS = ("booked", "moved", "cancelled", "unchanged")
UPDATED = "updated"  # only the session type or the clinician changed


@dataclass
class Duplicate:
    """A row that would add a new patient who looks like one we know; a person decides.
    ``is_chosen``: they said it is this patient (the booking goes to them)."""

    row: Row
    patient: Patient
    why: str
    is_chosen: bool = False

    def __str__(self) -> str:
        if self.is_chosen:
            return (f"row {self.row.number}: {self.row.full_name} "
                    f"({self.row.date_of_birth.isoformat()}) is booked for patient "
                    f"#{self.patient.id}, as chosen ({self.why})")
        return (f"row {self.row.number}: {self.row.full_name} "
                f"({self.row.date_of_birth.isoformat()}) would be a new patient; patient "
                f"#{self.patient.id} may be the same person ({self.why})")


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)  # for a person to decide
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> Counter:
        return Counter(step.action for step in self.steps)

    def summary(self) -> str:
        counts = self.counts
        shown = [*ACTIONS, UPDATED] if counts[UPDATED] else ACTIONS
        return ", ".join(f"{counts[action]} {action}" for action in shown)

    def problems_by_row(self) -> dict[int | None, list[Problem]]:
        grouped: dict[int | None, list[Problem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.row, []).append(problem)
        return grouped


@dataclass(frozen=True)
class Mapping:
    """Their header for each of our columns (matched ignoring case and spacing), and the order
    of day and month in their dates."""

    columns: dict[str, str] = field(default_factory=dict)
    date_order: str = "mdy"

    @classmethod
    def of(cls, saved: ImportMapping | None) -> Mapping:
        if saved is None:
            return cls()
        return cls(dict(saved.columns or {}), saved.date_order or "mdy")


# Reading the file ---------------------------------------------------------------------------


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def too_large_message() -> str:
    return (f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB one import takes. "
            "Import one day or week at a time.")


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise _FileProblem(too_large_message())
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _FileProblem("The file is UTF-16 text (Excel's 'Unicode Text'). Save it as "
                           "'CSV UTF-8' and try again.")
    if b"\x00" in data:
        raise _FileProblem("The file contains NUL bytes, so it is not a CSV text file (a "
                           "spreadsheet file, perhaps). Save it as 'CSV UTF-8' and try again.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise _FileProblem(f"The file is not UTF-8 text (line {line} cannot be read). Save it "
                           "as 'CSV UTF-8' and try again.") from None


class _FileProblem(Exception):
    pass


def _records(content: str) -> list[list[str]]:
    first_line = content.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > MAX_ROWS + 1:
                raise _FileProblem(f"The file has more than {MAX_ROWS:,} rows: import one day "
                                   "or week at a time.")
    except csv.Error:
        raise _FileProblem(f"Row {reader.line_num} cannot be read as CSV (a quote that is "
                           "not closed, perhaps).") from None
    return records


def _columns(header: list[str], mapping: Mapping) -> tuple[dict[int, str], list[str]]:
    """Which of our columns each position holds, and the headers that are not ours."""
    theirs = {_header_key(their): ours for ours, their in mapping.columns.items() if their}
    positions: dict[int, str] = {}
    ignored = []
    for position, name in enumerate(header):
        key = _header_key(name)
        ours = theirs.get(key) or (key if key in KNOWN else None)
        if ours is None or ours in positions.values():
            if key:
                ignored.append(text.clean(name)[:60])
            continue
        positions[position] = ours
    return positions, ignored


def _missing_columns(present: set[str]) -> list[str]:
    missing = [column for column in REQUIRED if column not in present
               and not (column == "starts_at" and set(SPLIT_START) <= present)]
    missing = [f"{column} (or {' and '.join(SPLIT_START)})" if column == "starts_at" else column
               for column in missing]
    if NAME_COLUMN not in present and not {"first_name", "last_name"} <= present:
        missing.append("name (or first_name and last_name)")
    return missing


def read(data: bytes, mapping: Mapping | None = None, location: Location | None = None) -> Plan:
    """Every row, checked on its own (no database but the clinic's settings). Problems are
    listed, not raised. A row without a location is at ``location``, or the clinic's only one."""
    mapping = mapping or Mapping()
    plan = Plan()
    try:
        records = _records(_decode(data))
    except _FileProblem as problem:
        plan.problems.append(Problem(None, "", str(problem)))
        return plan
    if not records or not any(cell.strip() for cell in records[0]):
        plan.problems.append(Problem(None, "", "The file is empty: the first row must name the "
                                               "columns (download the template to see them)."))
        return plan
    positions, plan.ignored_columns = _columns(records[0], mapping)
    missing = _missing_columns(set(positions.values()))
    if missing:
        plan.problems.append(Problem(None, "", "The file has no " + ", no ".join(missing)
                                     + " column. Its first row must name the columns (download "
                                       "the template to see them)."))
        return plan
    first_row_of: dict[str, int] = {}
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {ours: record[position] if position < len(record) else ""
                 for position, ours in positions.items()}
        row = _row(number, cells, mapping, plan.problems, location)
        if row.external_id:
            if row.external_id in first_row_of:
                plan.problems.append(Problem(number, "external_id", (
                    f"{row.external_id} appears twice (first on row "
                    f"{first_row_of[row.external_id]}); each booking needs its own id")))
            first_row_of.setdefault(row.external_id, number)
        plan.rows.append(row)
    if not plan.rows:
        plan.problems.append(Problem(None, "", "The file has no bookings under its header row."))
    return plan


def _row(number: int, cells: dict[str, str], mapping: Mapping, problems: list[Problem],
         location: Location | None = None) -> Row:
    row = Row(number, {k: text.clean(v) for k, v in cells.items()})
    cell = row.cells.get

    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, column, message))

    for column, limit in LIMITS.items():
        if len(cell(column, "")) > limit:
            problem(column, f"is longer than {limit} characters")
            row.cells[column] = cell(column, "")[:limit]
    row.external_id = cell("external_id", "")
    if not row.external_id:
        problem("external_id", "is empty; every booking needs the id it has in your system")
    row.patient_external_id = cell("patient_id", "")
    row.full_name = " ".join(cell(NAME_COLUMN, "").split()) or " ".join(
        f"{cell('first_name', '')} {cell('last_name', '')}".split())
    if not row.full_name:
        problem(NAME_COLUMN, "is empty")
    elif len(row.full_name) > LIMITS[NAME_COLUMN]:
        problem(NAME_COLUMN, f"is longer than {LIMITS[NAME_COLUMN]} characters")
    row.date_of_birth = _date_of_birth(cell("date_of_birth", ""), mapping.date_order, problem)
    if not cell("starts_at") and any(cell(column) for column in SPLIT_START):
        row.cells["starts_at"] = " ".join(cell(column, "") for column in SPLIT_START).strip()
    row.location = _location(cell("location", ""), location, problem)
    if row.location is not None:
        row.starts_at = _starts_at(cell("starts_at", ""), mapping.date_order, row.location,
                                   problem)
    row.session_type = cell("session_type", "")
    row.clinician = cell("clinician", "")
    try:
        row.phone = appointments.normalise_phone(cell("mobile"))
    except appointments.AppointmentError:
        problem("mobile", f"{cell('mobile')} is not a phone number we can use")
    try:
        row.email = appointments.clean_email(cell("email"))
    except appointments.AppointmentError:
        problem("email", f"{cell('email')} is not an email address")
    row.language = _language(cell("language", ""), problem)
    status = " ".join(cell("status", "").casefold().split())
    if status in CANCELLED:
        row.is_cancelled = True
    elif status not in BOOKED:
        problem("status", f"{cell('status')} is neither booked nor cancelled")
    return row


def _date(raw: str, order: str) -> date | None:
    raw = raw.strip()
    try:
        if match := ISO_DATE.fullmatch(raw):
            year, month, day = (int(part) for part in match.groups())
        elif match := SLASH_DATE.fullmatch(raw):
            first, second, year = (int(part) for part in match.groups())
            month, day = (first, second) if order == "mdy" else (second, first)
        else:
            return None
        return date(year, month, day)
    except ValueError:
        return None


def _formats(order: str) -> str:
    return f"YYYY-MM-DD or {DATE_ORDERS.get(order, DATE_ORDERS['mdy'])}"


def _date_of_birth(raw: str, order: str, problem) -> date | None:
    if not raw:
        problem("date_of_birth", "is empty")
        return None
    born = _date(raw, order)
    if born is None:
        problem("date_of_birth", f"{raw} is not a date (use {_formats(order)})")
    elif not date(1900, 1, 1) <= born <= settings.today():
        problem("date_of_birth", f"{raw} cannot be a date of birth")
        return None
    return born


def _location(raw: str, default: Location | None, problem) -> Location | None:
    if not raw and default is not None:
        return default
    try:
        return locations.for_booking(raw)
    except locations.LocationError as error:
        problem("location", str(error))
        return None


def _starts_at(raw: str, order: str, location: Location, problem) -> datetime | None:
    if not raw:
        problem("starts_at", "is empty")
        return None
    day_part, _, clock_part = raw.strip().replace("T", " ", 1).partition(" ")
    day, clock = _date(day_part, order), CLOCK.fullmatch(clock_part.strip())
    if day is None or clock is None:
        problem("starts_at", f"{raw} is not a date and time (use {_formats(order)} and HH:MM, "
                             "for example 2026-12-03 14:00)")
        return None
    hour, minute, half = int(clock[1]), int(clock[2]), (clock[3] or "").lower()
    if half:
        hour = hour % 12 + (12 if half.startswith("p") else 0) if 1 <= hour <= 12 else 99
    try:
        # The same reading of a local time as the desk's (a skipped hour is refused).
        return appointments.parse_local(f"{day.isoformat()} {hour:02d}:{minute:02d}",
                                        location.zone)
    except appointments.AppointmentError as error:
        problem("starts_at", f"{raw} cannot be used: {error}")
        return None


def _language(raw: str, problem) -> str | None:
    if not raw:
        return None
    code = LANGUAGES.get(raw.casefold(), raw.casefold().replace("_", "-"))
    if not LANGUAGE_CODE.fullmatch(code):
        problem("language", f"{raw} is not a language code (such as en or es)")
        return None
    return code


# Matching rows to what the database holds ----------------------------------------------------


def _in_chunks(column, values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield column.in_(values[start:start + CHUNK])


def _load(model, column, values) -> list:
    found = []
    for condition in _in_chunks(column, {v for v in values if v}):
        found.extend(db.session.scalars(select(model).where(condition)))
    return found


def plan_changes(plan: Plan, same_as: dict[int, int] | None = None) -> Plan:
    """What each checked row would do to the database (reads only). Adds the problems that
    only the database shows: a booking that cannot move any more, a time in the past.

    ``same_as`` is a person's decision on likely duplicates: row number -> the patient's id it
    is for. Only a patient listed as a likely duplicate of that row can be chosen."""
    rows = [row for row in plan.rows if row.external_id]
    booked = {a.external_id: a for a in _load(Appointment, Appointment.external_id,
                                              (r.external_id for r in rows))}
    by_patient_id = {p.external_id: p for p in _load(Patient, Patient.external_id,
                                                     (r.patient_external_id for r in rows))}
    by_name = {(p.name_key, p.date_of_birth): p for p in _load(
        Patient, Patient.name_key, (appointments.name_key(r.full_name) for r in rows))}
    now = utcnow()
    for row in rows:
        appointment = booked.get(row.external_id)
        if appointment is not None:
            step = _existing(row, appointment, now, plan.problems)
        else:
            patient = (by_patient_id.get(row.patient_external_id)
                       or by_name.get((appointments.name_key(row.full_name), row.date_of_birth)))
            step = Step(row, "unchanged" if row.is_cancelled else "booked", patient=patient)
            if step.action == "booked" and row.starts_at is not None and row.starts_at <= now:
                plan.problems.append(Problem(row.number, "starts_at",
                                             f"{row.cells['starts_at']} has already passed"))
        plan.steps.append(step)
    plan.duplicates = _likely_duplicates(plan)
    for duplicate in plan.duplicates:
        if (same_as or {}).get(duplicate.row.number) == duplicate.patient.id:
            duplicate.is_chosen = True
            next(step for step in plan.steps if step.row is duplicate.row).patient = \
                duplicate.patient
    return plan


def _existing(row: Row, appointment: Appointment, now: datetime, problems: list) -> Step:
    patient = appointment.patient
    # A person may have said the row is this patient though name or birth date differ a bit
    # (a likely duplicate): the booking stays theirs when the file comes again.
    same_person = (patient.external_id == row.patient_external_id if row.patient_external_id
                   and patient.external_id else
                   (patient.name_key, patient.date_of_birth)
                   == (appointments.name_key(row.full_name), row.date_of_birth)
                   or appointments.why_alike(patient, row.full_name, row.date_of_birth) is not None)
    if not same_person and row.date_of_birth is not None and row.full_name:
        problems.append(Problem(row.number, "external_id", (
            f"{row.external_id} is already booked for another patient (the name, date of birth "
            "or patient id differ); check the booking in your system")))
    step = Step(row, "unchanged", appointment, patient)
    if row.is_cancelled:
        if not appointment.is_cancelled:
            step.action = "cancelled"
            if appointment.checked_in_at is not None:
                problems.append(Problem(row.number, "status", "the patient is already checked "
                                                              "in; cancel it at the desk"))
        return step
    if appointment.is_cancelled:
        problems.append(Problem(row.number, "status", (
            f"{row.external_id} was cancelled; a new booking needs a new id")))
    elif row.starts_at is not None and row.starts_at != appointment.starts_at:
        step.action = "moved"
        if rules.change_refusal(appointment) is rules.Refusal.CHECKED_IN:
            problems.append(Problem(row.number, "starts_at", "the patient is already checked "
                                                             "in; the time cannot change"))
        elif row.starts_at <= now:
            problems.append(Problem(row.number, "starts_at",
                                    f"{row.cells['starts_at']} has already passed"))
    elif (row.session_type, row.clinician.casefold()) != (
            appointment.session_type, appointment.clinician_name.casefold()):
        step.action = UPDATED
    return step


def _likely_duplicates(plan: Plan) -> list[Duplicate]:
    """New patients who share a name or a date of birth and surname with a known patient."""
    new = [s for s in plan.steps if s.action == "booked" and s.patient is None
           and s.row.date_of_birth is not None]
    if not new:
        return []
    known = _load(Patient, Patient.date_of_birth, (s.row.date_of_birth for s in new))
    known += _load(Patient, Patient.name_key, (appointments.name_key(s.row.full_name)
                                               for s in new))
    found = []
    for step in new:
        for patient in {p.id: p for p in known}.values():
            why = appointments.why_alike(patient, step.row.full_name, step.row.date_of_birth)
            if why:
                found.append(Duplicate(step.row, patient, why))
    return found


# Writing ------------------------------------------------------------------------------------


def check(data: bytes, mapping: Mapping | None = None,
          same_as: dict[int, int] | None = None, location: Location | None = None) -> Plan:
    """Read, check and plan the file; nothing is written. ``same_as``: see plan_changes;
    ``location``: where the rows that name none are."""
    plan = read(data, mapping, location)
    # Row problems do not stop the database's checks (all are listed at once); a file that
    # cannot be read at all does.
    return plan if plan.problems_by_row().get(None) else plan_changes(plan, same_as)


def apply(plan: Plan, actor=None) -> None:
    """Carry out a plan that has no problems (the caller commits once)."""
    if not plan.is_ok:
        raise ScheduleError(plan)
    clinicians = {appointments.name_key(user.name): user for user in db.session.scalars(
        select(User).where(User.role == Role.CLINICIAN, User.is_active_account.is_(True)))}
    with db.session.no_autoflush:  # one flush for all new patients, one for all bookings
        booked = _resolve_patients(plan, actor)
        for step in plan.steps:
            if step.action == "moved":
                appointments.reschedule(step.appointment, step.row.starts_at, IMPORT_MOVE,
                                        actor=actor)
            elif step.action == "cancelled":
                appointments.cancel(step.appointment, actor=actor)
            if step.appointment is not None and not step.row.is_cancelled:
                _set_session(step.appointment, _session(step.row, clinicians), actor)
        made = appointments.create_many(
            [(step.patient, step.row.starts_at) for step in booked], actor=actor,
            details=[{"external_id": step.row.external_id, "location": step.row.location,
                      **_session(step.row, clinicians)} for step in booked])
        for step, appointment in zip(booked, made, strict=True):
            step.appointment = appointment


def _resolve_patients(plan: Plan, actor) -> list[Step]:
    """Give each booking its patient, adding the new ones; returns the bookings."""
    met: dict[object, Patient] = {}  # by id in their system, and by name and date of birth
    new: list[Patient] = []
    booked = [step for step in plan.steps if step.action == "booked"]
    for step in booked:
        row = step.row
        key = (appointments.name_key(row.full_name), row.date_of_birth)
        patient = step.patient or met.get(row.patient_external_id or key) or met.get(key)
        if patient is None:
            patient = appointments.new_patient(row.full_name, row.date_of_birth, row.phone,
                                               row.email)
            new.append(patient)
        _update_patient(patient, row)
        step.patient = met[key] = patient
        if patient.external_id:
            met[patient.external_id] = patient
    appointments.add_patients(new, actor=actor)
    return booked


def _update_patient(patient: Patient, row: Row) -> None:
    patient.external_id = patient.external_id or row.patient_external_id or None
    patient.phone = row.phone or patient.phone
    patient.email = row.email or patient.email
    patient.language = row.language or patient.language


def _session(row: Row, clinicians: dict[str, User]) -> dict:
    staff = clinicians.get(appointments.name_key(row.clinician)) if row.clinician else None
    return {"session_type": row.session_type,
            "clinician_name": staff.name if staff else row.clinician,
            "clinician_id": staff.id if staff else None}


def _set_session(appointment: Appointment, session: dict, actor) -> None:
    if all(getattr(appointment, column) == value for column, value in session.items()):
        return
    for column, value in session.items():
        setattr(appointment, column, value)
    audit.record("appointment.update_session", record_type="appointment",
                 record_id=appointment.id, patient_id=appointment.patient_id, actor=actor)


def run(data: bytes, *, mapping: Mapping | None = None, same_as: dict[int, int] | None = None,
        actor=None, dry_run: bool = False, location: Location | None = None) -> Plan:
    """Check the file and, unless ``dry_run`` or it has problems, import it."""
    plan = check(data, mapping, same_as, location)
    if plan.is_ok and not dry_run:
        apply(plan, actor=actor)
    return plan


def template_csv() -> str:
    """The template to download: our column names and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow([text.csv_cell(TEMPLATE_EXAMPLE[column]) for column in COLUMNS])
    return buffer.getvalue()


def saved_mapping(mapping_id: int | None) -> Mapping:
    if mapping_id is None:
        return Mapping()
    return Mapping.of(db.session.get(ImportMapping, mapping_id))


# Saved mappings (a clinic admin keeps one per system it exports from) ----------------------

MAPPING_NAME_LIMIT = 80
HEADER_LIMIT = 80


def header_field(column: str) -> str:
    """The name of the field that gives their header for our ``column`` (in errors)."""
    return f"header_{column}"


def mappings() -> list[ImportMapping]:
    return list(db.session.scalars(select(ImportMapping).order_by(ImportMapping.name)))


def save_mapping(mapping: ImportMapping | None, name: str, columns: dict[str, str],
                 date_order: str, *, actor) -> ImportMapping:
    """Add a mapping (``mapping`` None) or change one. ``columns`` gives their header for our
    column; an empty header means the column keeps prep_app's own name."""
    name = " ".join(text.clean(name).split())
    if not name:
        raise InputError("Give the mapping a name, such as the system's.", field="name")
    if len(name) > MAPPING_NAME_LIMIT:
        raise InputError(f"Use at most {MAPPING_NAME_LIMIT} characters.", field="name")
    if date_order not in DATE_ORDERS:
        raise InputError("Choose how the dates are written.", field="date_order")
    taken = db.session.scalar(select(ImportMapping.id).where(ImportMapping.name == name))
    if taken is not None and (mapping is None or taken != mapping.id):
        raise InputError(f"There is a mapping called {name} already: choose another name.",
                         field="name")
    cleaned: dict[str, str] = {}
    first_of: dict[str, str] = {}
    for ours in KNOWN:
        theirs = text.clean(columns.get(ours) or "")
        if not theirs:
            continue
        if len(theirs) > HEADER_LIMIT:
            raise InputError(f"Use at most {HEADER_LIMIT} characters.",
                             field=header_field(ours))
        key = _header_key(theirs)
        if key in first_of:
            raise InputError(f"{theirs} is already the header for "
                             f"{LABELS.get(first_of[key], first_of[key])}.",
                             field=header_field(ours))
        first_of[key] = ours
        cleaned[ours] = theirs
    is_new = mapping is None
    if is_new:
        mapping = ImportMapping()
        db.session.add(mapping)
    mapping.name, mapping.columns, mapping.date_order = name, cleaned, date_order
    db.session.flush()
    audit.record("import_mapping.create" if is_new else "import_mapping.update",
                 record_type="import_mapping", record_id=mapping.id, actor=actor)
    return mapping


def delete_mapping(mapping: ImportMapping, *, actor) -> None:
    audit.record("import_mapping.delete", record_type="import_mapping", record_id=mapping.id,
                 detail=f"name={mapping.name}", actor=actor)
    db.session.delete(mapping)
