"""Database models. No request code here: services change data, blueprints call services.

Times are timezone-aware UTC (``*_at`` columns). An appointment's clock is its location's
(``appointment.location.zone``); the staff pages' is the clinic's main location's.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Role(enum.StrEnum):
    FRONT_DESK = "front_desk"
    CLINICIAN = "clinician"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"front_desk": "Front desk", "clinician": "Clinician", "admin": "Clinic admin"}[
            self.value
        ]


class ItemKind(enum.StrEnum):
    CONFIRM = "confirm"  # a tick box the patient confirms
    YES_NO = "yes_no"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    PHONE = "phone"  # a mobile number, validated and stored in E.164
    CHOICE = "choice"  # one of ``options``
    TIME = "time"  # a time of day on the session's day (HH:MM)
    DATETIME = "datetime"  # a local date and time in the clinic's zone (YYYY-MM-DDTHH:MM)


class FlagRule(enum.StrEnum):
    NONE = "none"
    IF_YES = "if_yes"  # a yes answer needs a clinician's eyes
    IF_ANSWERED = "if_answered"  # any text at all needs a clinician's eyes
    SOLID_FAST = "solid_fast"  # a time inside the solid-food fasting window
    CLEAR_FAST = "clear_fast"  # a time inside the clear-liquids window
    # Not a flag: a tick here ("I am still arranging a ride") lets the patient submit the rest
    # while the session keeps waiting for it, as for an unmet blocking item.
    BLOCKS_IF_YES = "blocks_if_yes"


class SubmissionStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"


class CancelReason(enum.StrEnum):
    NO_DRIVER = "no_driver"
    PATIENT_REQUEST = "patient_request"
    CLINICAL = "clinical"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class DriverReply(enum.StrEnum):
    """The driver's answer on their own page."""

    COMING = "coming"  # "I'll be there"
    NOT_COMING = "not_coming"  # "I can't make it"


class Decision(enum.StrEnum):
    CLEARED = "cleared"
    FOLLOW_UP = "follow_up"
    NOT_CLEARED = "not_cleared"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return {
            "cleared": "Cleared",
            "follow_up": "Needs follow-up",
            "not_cleared": "Not cleared (reschedule)",
            "returned": "Returned to the patient",
        }[self.value]


class ClinicSettings(db.Model):
    """One row (id 1): what the clinic admin can change."""

    __tablename__ = "clinic_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="Cedar City Ketamine Clinic")
    country: Mapped[str] = mapped_column(String(2), default="US")
    arrive_early_minutes: Mapped[int] = mapped_column(Integer, default=15)
    session_minutes: Mapped[int] = mapped_column(Integer, default=60)
    link_grace_hours: Mapped[int] = mapped_column(Integer, default=24)
    is_dob_check_on: Mapped[bool] = mapped_column(Boolean, default=True)
    # The morning-of check (services/morning_check.py): off unless the clinic turns it on; sent
    # at this hour on the session's day.
    is_morning_check_on: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())
    morning_check_hour: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    idle_timeout_minutes: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    # Loaded with the settings in one query (services/settings.get), so an appointment's
    # ``location`` is then found in the session without a query of its own.
    locations: Mapped[list[Location]] = relationship(order_by="Location.name")

    __mapper_args__ = {"version_id_col": version}

    @property
    def main_location(self) -> Location:
        """The first location set up: its clock is the staff pages' (the board's today, the
        audit log) and its phone the one a patient sees before a link says which is theirs."""
        return min(self.locations, key=lambda place: place.id)


class Location(db.Model):
    """One of the clinic's sites. Each appointment is at one: the patient sees its address and
    phone, and its time zone and fasting hours make the patient's timeline and readiness.
    Staff belong to the whole clinic, not to a location."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic_settings.id"), default=1)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="(435) 555-0100")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Denver")
    solid_fast_hours: Mapped[int] = mapped_column(Integer, default=6)
    clear_fast_hours: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_local(self, moment: datetime) -> datetime:
        """``moment`` on this location's clock."""
        return moment.astimezone(self.zone)


class User(db.Model):
    """A member of staff. Patients have no account: they use a link."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on logout, deactivation and password change: every older session cookie dies.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


class Patient(db.Model):
    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("name_key", "date_of_birth"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Lower-cased, single-spaced name: with the date of birth it keeps patients unique.
    name_key: Mapped[str] = mapped_column(String(120), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # The patient's id in the practice-management system the schedule is imported from.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The language the patient prefers (a code like "en" or "es"), as the schedule gives it.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appointments: Mapped[list[Appointment]] = relationship(back_populates="patient")


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    # Where the session is: its clock, fasting hours, address and phone (``location.zone``...).
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The booking's id in the practice-management system (a re-import finds it by this).
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_type: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # Who runs the session: a member of staff when the name matches one, else the name as given.
    clinician_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_driver_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Checked in with an open flag or no driver named: who confirmed that a clinician knows.
    clinician_knows_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The latest move: where the session was before, why it moved, and who moved it.
    moved_from_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    move_reason: Mapped[str | None] = mapped_column(String(200))
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[CancelReason | None] = mapped_column(_enum(CancelReason))
    # The desk's note for the day ("driver cancelled, called 09:10"), with who and when.
    desk_note: Mapped[str | None] = mapped_column(String(200))
    desk_note_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    desk_note_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Closing the day: the patient never came, or left with someone at a time; who said so.
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_with: Mapped[str | None] = mapped_column(String(120))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Cleared by a clinician when checked in (None: checked in before this was kept).
    ready_on_arrival: Mapped[bool | None] = mapped_column(Boolean)
    # The patient's answer on the ride page: may the clinic text the driver? (None: not asked,
    # no mobile number given.) And the driver's own answer on their page, with when.
    is_driver_text_allowed: Mapped[bool | None] = mapped_column(Boolean)
    driver_reply: Mapped[DriverReply | None] = mapped_column(_enum(DriverReply))
    driver_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The morning-of check's answers ({"fasting": "yes", "driver": "yes", "unwell": "no"}), when.
    morning_check: Mapped[dict | None] = mapped_column(JSON)
    morning_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When anything about this appointment last happened (a save, a link, a review): the board.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    patient: Mapped[Patient] = relationship(back_populates="appointments")
    # Joined to every appointment read: its clock and fasting hours need no query of their own.
    location: Mapped[Location] = relationship(lazy="joined", innerjoin=True)
    links: Mapped[list[PatientLink]] = relationship(back_populates="appointment")
    submission: Mapped[Submission | None] = relationship(back_populates="appointment",
                                                         uselist=False)
    clinician_knows_confirmed_by: Mapped[User | None] = relationship(
        foreign_keys=[clinician_knows_confirmed_by_id])
    moved_by: Mapped[User | None] = relationship(foreign_keys=[moved_by_id])
    desk_note_by: Mapped[User | None] = relationship(foreign_keys=[desk_note_by_id])

    __mapper_args__ = {"version_id_col": version}


class TokenLinkColumns:
    """What a patient's and a driver's link share: one appointment, the SHA-256 hash of a token
    shown once, and when it was made, expires, was revoked and first used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PatientLink(TokenLinkColumns, db.Model):
    """A patient's personal, expiring, revocable access to one appointment.

    Only the SHA-256 hash of the token is stored; the token itself is shown once.
    """

    __tablename__ = "patient_links"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    failed_dob_attempts: Mapped[int] = mapped_column(Integer, default=0)
    dob_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every wrong date of birth on this link, never reset: enough of them lock it for good.
    dob_failures_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    appointment: Mapped[Appointment] = relationship(back_populates="links")


class DriverLink(TokenLinkColumns, db.Model):
    """The driver's own link to one appointment's ride home, sent by text when the patient
    agreed: the same machinery as a patient's link (only the SHA-256 hash of the token is
    stored), its own expiry (the end of the session's day), and it reaches only the driver's
    page. A new driver or number revokes it."""

    __tablename__ = "driver_links"

    appointment: Mapped[Appointment] = relationship()


class Checklist(db.Model):
    __tablename__ = "checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    versions: Mapped[list[ChecklistVersion]] = relationship(
        back_populates="checklist", order_by="ChecklistVersion.number")


class ChecklistVersion(db.Model):
    """A published, frozen set of items. Submissions keep the version they answered."""

    __tablename__ = "checklist_versions"
    __table_args__ = (UniqueConstraint("checklist_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id"))
    number: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    # Ordered section keys with their titles and intros, and those in other languages:
    # [{"key", "title", "intro", "translations": {"es": {"title", "intro"}}}, ...]
    sections: Mapped[list] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checklist: Mapped[Checklist] = relationship(back_populates="versions")
    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="version", order_by="ChecklistItem.position")


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    section: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind))
    options: Mapped[list | None] = mapped_column(JSON)  # [[value, label], ...] for CHOICE
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    is_blocking: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_rule: Mapped[FlagRule] = mapped_column(_enum(FlagRule), default=FlagRule.NONE)
    # Shown only when another item (a yes/no or choice) has this value: {"item": key, "value": v}
    show_if: Mapped[dict | None] = mapped_column(JSON)
    # Short staff-facing words for a reason: "No driver named", "Alcohol or cannabis".
    staff_label: Mapped[str] = mapped_column(String(120), default="")
    # The patient-facing words in other languages, by language code:
    # {"es": {"label": ..., "help_text": ..., "options": {value: label}}}. English is above.
    translations: Mapped[dict | None] = mapped_column(JSON)

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")


class Submission(db.Model):
    """One patient's answers to one checklist version for one appointment."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus),
                                                     default=SubmissionStatus.IN_PROGRESS)
    # How many times it has been submitted; the latest revision holds those answers.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    answers_hash: Mapped[str | None] = mapped_column(String(64))  # of the submitted answers
    attested_name: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_message: Mapped[str | None] = mapped_column(Text)
    # The session moved to another day: its time answers were asked again (until the next submit).
    time_answers_reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_section: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    appointment: Mapped[Appointment] = relationship(back_populates="submission")
    checklist_version: Mapped[ChecklistVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="submission",
                                                 cascade="all, delete-orphan")
    revisions: Mapped[list[SubmissionRevision]] = relationship(
        back_populates="submission", order_by="SubmissionRevision.number")
    reviews: Mapped[list[Review]] = relationship(back_populates="submission",
                                                 order_by="Review.sequence")

    __mapper_args__ = {"version_id_col": version}


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("submission_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="answers")
    item: Mapped[ChecklistItem] = relationship()


class SubmissionRevision(db.Model):
    """A frozen copy of the answers as submitted, kept so changes can be shown."""

    __tablename__ = "submission_revisions"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict] = mapped_column(JSON)  # {item key: value}
    answers_hash: Mapped[str] = mapped_column(String(64))
    attested_name: Mapped[str] = mapped_column(String(120))
    # The submit form's one-time key: a double-clicked submit writes once.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="revisions")


class Review(db.Model):
    """A clinician's decision, bound to the exact revision and answers it saw."""

    __tablename__ = "reviews"
    # ``sequence`` is the decision's place in line: two clinicians deciding at once race for
    # the same number, and the unique constraint lets exactly one win.
    __table_args__ = (UniqueConstraint("submission_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    answers_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    note: Mapped[str] = mapped_column(Text, default="")
    message_to_patient: Mapped[str] = mapped_column(Text, default="")
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="reviews")
    clinician: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Who did what to which record, when. Append-only: the app never updates or deletes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # staff | patient_link | driver_link | api_token | system
    actor_type: Mapped[str] = mapped_column(String(20))
    # users.id, links.id (a patient's or a driver's) or api_tokens.id
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    request_id: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_change(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit events are never changed or deleted")


# The database refuses too, whatever the client: a trigger on each dialect. The migration
# creates the same triggers (see migrations/versions), and create_all() here.
AUDIT_TRIGGERS = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
}


@event.listens_for(AuditEvent.__table__, "after_create")
def _create_audit_triggers(table, connection, **kw):
    for statement in AUDIT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


# Schedule import ---------------------------------------------------------------------------
# The day's bookings come from the clinic's practice-management system as a CSV file; each
# system names its columns its own way, so a clinic keeps a mapping per system it uses.


class ImportMapping(db.Model):
    """How one practice-management system's schedule export reads: its header for each of
    prep_app's columns, and how it writes dates."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # "SimplePractice"
    columns: Mapped[dict] = mapped_column(JSON, default=dict)  # {our column: their header}
    date_order: Mapped[str] = mapped_column(String(8), default="mdy")  # mdy | dmy
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ApiToken(db.Model):
    """A read-only key for one integration (the EHR's interface engine) to the FHIR API, sent
    as a Bearer token. Only its SHA-256 hash is stored: the token is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # "Epic interface engine"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


# --- Messages: texts and emails to patients and drivers -----------------------------------
# One row per planned message, written in the same transaction as the booking or change that
# caused it: the record the board shows and the truth of what is due. The job worker claims due
# rows with a compare-and-set update (see services/messages.py).


class MessageStatus(enum.StrEnum):
    PLANNED = "planned"  # waiting for its due time
    SENDING = "sending"  # claimed by a worker; picked up again if it stays here too long
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider says it arrived
    FAILED = "failed"  # tried and gave up for now (the last error says why)
    UNDELIVERABLE = "undeliverable"  # never will arrive (invalid number, opted out)
    SUPPRESSED = "suppressed"  # not sent on purpose (a stop rule, quiet hours passed, the cap)
    CANCELLED = "cancelled"  # no longer wanted (the appointment was cancelled)


class MessageRecipient(enum.StrEnum):
    PATIENT = "patient"
    DRIVER = "driver"


class MessageChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessagePurpose(enum.StrEnum):
    LINK = "link"  # the personal link, when booked or when the desk presses "Send link"
    DRIVER_LINK = "driver_link"  # the driver's own link, when the patient agreed to texts
    MORNING_CHECK = "morning_check"  # the morning-of check, when the clinic has it on
    REMINDER = "reminder"  # before the session, while the checklist is not submitted


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    recipient: Mapped[MessageRecipient] = mapped_column(_enum(MessageRecipient))
    channel: Mapped[MessageChannel] = mapped_column(_enum(MessageChannel))
    purpose: Mapped[MessagePurpose] = mapped_column(_enum(MessagePurpose))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus),
                                                  default=MessageStatus.PLANNED)
    # Where it went (the number or address at the moment of sending), for the board.
    to_address: Mapped[str | None] = mapped_column(String(254))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last status change
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    appointment: Mapped[Appointment] = relationship()


class TextOptOut(db.Model):
    """A phone number's answer to our texts: STOP (and its synonyms) opts it out, START opts it
    back in. One row per number, with when and by which word; never the text itself."""

    __tablename__ = "text_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    keyword: Mapped[str] = mapped_column(String(16))  # STOP, START, ... (upper case)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
