"""The readiness rules: one pure function of (checklist items, answers, review, check-in, now).

No database and no Flask here, so every rule is easy to test. Services turn rows into the small
frozen facts below; :func:`assess` turns facts into a status with reasons a person can act on.
Checked in is a fact of its own (``Readiness.arrival``), shown beside the status and never
instead of it: an unresolved flag or a missing driver stays visible after the patient arrives.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class Status(enum.StrEnum):
    NOT_SENT = "not_sent"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    NEEDS_ATTENTION = "needs_attention"
    AWAITING_REVIEW = "awaiting_review"
    CLEARED = "cleared"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def queue_rank(self) -> int:
        """Order of the clinician's queue: needs attention first, then awaiting review."""
        return _QUEUE_RANK.get(self, 9)


_LABELS = {
    Status.NOT_SENT: "Not sent",
    Status.NOT_STARTED: "Not started",
    Status.IN_PROGRESS: "In progress",
    Status.NEEDS_ATTENTION: "Needs attention",
    Status.AWAITING_REVIEW: "Awaiting review",
    Status.CLEARED: "Cleared",
    Status.CANCELLED: "Cancelled",
}
_QUEUE_RANK = {Status.NEEDS_ATTENTION: 0, Status.AWAITING_REVIEW: 1}
DRIVER_DECLINED = "Driver said they can't make it"
# The morning-of check: each question, the answer that needs attention, and the reason.
MORNING_CONCERNS = {
    "fasting": ("no", "Morning check: not fasting as planned"),
    "driver": ("no", "Morning check: driver not coming"),
    "unwell": ("yes", "Morning check: feeling unwell"),
}


@dataclass(frozen=True)
class ItemRule:
    """What readiness needs to know of one checklist item."""

    key: str
    kind: str
    staff_label: str
    is_blocking: bool = False
    flag_rule: str = "none"
    show_if: Mapping[str, str] | None = None
    section: str = ""


@dataclass(frozen=True)
class ReviewFacts:
    decision: str  # cleared | follow_up | not_cleared | returned
    revision: int
    answers_hash: str
    note: str = ""
    clinician_name: str = ""


@dataclass(frozen=True)
class Facts:
    """One appointment as readiness sees it. ``starts_at`` is aware (any zone)."""

    starts_at: datetime
    is_cancelled: bool = False
    checked_in_at: datetime | None = None
    is_driver_confirmed: bool = False
    link_expires_at: datetime | None = None  # of the newest link; None: no link ever
    is_link_revoked: bool = False
    is_link_locked: bool = False  # after too many wrong dates of birth
    link_sent_at: datetime | None = None  # a text or email with a link went out (the latest)
    link_opened_at: datetime | None = None  # a link was first opened (the latest of them)
    submission_status: str | None = None  # None: no submission yet
    answers: Mapping[str, str] = field(default_factory=dict)
    revision: int = 0
    answers_hash: str | None = None
    review: ReviewFacts | None = None  # the latest decision, if any
    is_moved_to_new_day: bool = False  # its answers tied to the old day are asked again
    driver_reply: str | None = None  # the driver's own answer: coming | not_coming | None
    morning_check: Mapping[str, str] | None = None  # the morning-of check's answers


@dataclass(frozen=True)
class Timing:
    timezone: str
    solid_fast_hours: int
    clear_fast_hours: int


@dataclass(frozen=True)
class Readiness:
    status: Status
    reasons: tuple[str, ...]
    flags: tuple[str, ...] = ()
    blocking: tuple[str, ...] = ()
    # "Arrived at 13:40; driver confirmed in person", or "" before the patient is checked in.
    arrival: str = ""
    # (flag, what the patient wrote): ("Takes a medication to discuss", "Clonazepam 0.5 mg")
    flag_answers: tuple[tuple[str, str], ...] = ()

    @property
    def is_checked_in(self) -> bool:
        return bool(self.arrival)


def is_shown(item: ItemRule, answers: Mapping[str, str]) -> bool:
    """An item that depends on another answer applies only when that answer matches."""
    if not item.show_if:
        return True
    return answers.get(item.show_if.get("item", ""), "") == item.show_if.get("value")


def unmet_blocking(items: Sequence[ItemRule], answers: Mapping[str, str]) -> list[str]:
    return [i.staff_label for i in _unmet(items, answers)]


def _unmet(items: Sequence[ItemRule], answers: Mapping[str, str]) -> list[ItemRule]:
    """What the session still waits for: a blocking item not answered, or a "not yet" ticked
    ("I am still arranging a ride": the driver's questions are then not asked)."""
    return [i for i in items if is_shown(i, answers) and (
        (i.is_blocking and not is_answered(i.kind, answers.get(i.key)))
        or (i.flag_rule == "blocks_if_yes" and answers.get(i.key) == "yes"))]


def raised_flags(items: Sequence[ItemRule], answers: Mapping[str, str], starts_at: datetime,
                 timing: Timing) -> list[str]:
    flags = []
    for item in items:
        value = (answers.get(item.key) or "").strip()
        if not value or not is_shown(item, answers):
            continue
        if item.flag_rule == "if_yes" and value == "yes":
            flags.append(item.staff_label)
        elif item.flag_rule == "if_answered":
            flags.append(item.staff_label)
        elif item.flag_rule in ("solid_fast", "clear_fast"):
            flag = _fasting_flag(item, value, starts_at, timing)
            if flag:
                flags.append(flag)
    return flags


def flag_details(items: Sequence[ItemRule], answers: Mapping[str, str]) -> dict[str, str]:
    """What the patient wrote behind a flag: the text itself, or for a "yes" the answers of
    the questions that follow it (the medication named)."""
    details = {}
    for item in items:
        value = (answers.get(item.key) or "").strip()
        if not value or not is_shown(item, answers):
            continue
        if item.flag_rule == "if_answered":
            details[item.staff_label] = value
        elif item.flag_rule == "if_yes" and value == "yes":
            follow = [(answers.get(other.key) or "").strip() for other in items
                      if other.show_if and other.show_if.get("item") == item.key]
            if any(follow):
                details[item.staff_label] = "; ".join(text for text in follow if text)
    return details


def assess(items: Sequence[ItemRule], facts: Facts, timing: Timing, now: datetime) -> Readiness:
    if facts.is_cancelled:
        return Readiness(Status.CANCELLED, ("Appointment cancelled",))
    readiness = _said_on_the_day(_before_arrival(items, facts, timing, now), facts)
    if readiness.flags:
        said = flag_details(items, facts.answers)
        readiness = replace(readiness, flag_answers=tuple(
            (flag, said[flag]) for flag in readiness.flags if flag in said))
    if facts.checked_in_at is None:
        return readiness
    local = facts.checked_in_at.astimezone(ZoneInfo(timing.timezone))
    arrival = f"Arrived at {local:%H:%M}"
    arrival += "; driver confirmed in person" if facts.is_driver_confirmed else ""
    return replace(readiness, arrival=arrival)


def _before_arrival(items: Sequence[ItemRule], facts: Facts, timing: Timing, now: datetime
                    ) -> Readiness:
    link_note = _link_note(facts, now)
    if facts.submission_status is None:
        if facts.is_link_locked or link_state(facts.link_expires_at, facts.is_link_revoked,
                                              now) in (LinkState.NONE, LinkState.REVOKED):
            return Readiness(Status.NOT_SENT, (link_note or "No link sent yet",))
        return Readiness(Status.NOT_STARTED,
                         (link_note or _link_progress(facts, timing, now),))

    answers = facts.answers
    blocking = tuple(unmet_blocking(items, answers))
    moved = [_moved(facts)] if facts.is_moved_to_new_day else []
    if facts.submission_status == "returned":
        reason = _returned(facts.review.note if facts.review else "")
        return Readiness(Status.NEEDS_ATTENTION, _with([reason, *moved], link_note),
                         blocking=blocking)
    if facts.submission_status == "in_progress":
        first = moved or [("Changing answers; not submitted again yet" if facts.revision
                           else "Started; not submitted yet")]
        return Readiness(Status.IN_PROGRESS,
                         _with([*first, *_missing_so_far(items, answers)], link_note),
                         blocking=blocking)

    flags = tuple(raised_flags(items, answers, facts.starts_at, timing))
    review = facts.review
    if review and review.revision == facts.revision and review.answers_hash == facts.answers_hash:
        decided = _decided(review, flags, blocking)
        if decided is not None:
            return decided
    # A review of other answers (an older revision, or answers changed since) no longer counts.
    changed = ("Changed answers after review",) if review else ()
    if blocking or flags:
        return Readiness(Status.NEEDS_ATTENTION, (*changed, *blocking, *flags), flags, blocking)
    return Readiness(Status.AWAITING_REVIEW, changed or ("Submitted; waiting for a clinician",))


def morning_concerns(answers: Mapping[str, str] | None) -> tuple[str, ...]:
    """The reasons the morning-of check's answers give: "no" to fasting or the driver, "yes" to
    feeling unwell."""
    answers = answers or {}
    return tuple(reason for key, (worry, reason) in MORNING_CONCERNS.items()
                 if answers.get(key) == worry)


def _said_on_the_day(readiness: Readiness, facts: Facts) -> Readiness:
    """What the driver or the patient said since: a driver who can't make it (until the patient
    names another) or a worry in the morning-of check needs the desk, whatever the answers
    and the review say."""
    said = (*((DRIVER_DECLINED,) if facts.driver_reply == "not_coming" else ()),
            *morning_concerns(facts.morning_check))
    if not said:
        return readiness
    return replace(readiness, status=Status.NEEDS_ATTENTION, reasons=(*said, *readiness.reasons))


def _decided(review: ReviewFacts, flags: tuple[str, ...], blocking: tuple[str, ...]
             ) -> Readiness | None:
    """Readiness from a clinician's decision on exactly the answers that stand now."""
    note = review.note
    if review.decision == "cleared":
        cleared = "Cleared" + (f" by {review.clinician_name}" if review.clinician_name else "")
        if blocking:
            # No driver, no session: a sign-off cannot stand in for a blocking item.
            return Readiness(Status.NEEDS_ATTENTION, (*blocking, cleared), flags, blocking)
        return Readiness(Status.CLEARED, (cleared,), flags=flags, blocking=blocking)
    if review.decision == "follow_up":
        reason = "Clinician asked for follow-up" + (f": {note}" if note else "")
    elif review.decision == "not_cleared":
        reason = "Not cleared: reschedule" + (f" ({note})" if note else "")
    elif review.decision == "returned":
        reason = _returned(note)
    else:
        return None
    return Readiness(Status.NEEDS_ATTENTION, (reason, *blocking, *flags), flags, blocking)


def _missing_so_far(items: Sequence[ItemRule], answers: Mapping[str, str]) -> list[str]:
    """The unmet blocking items of a checklist still being filled in: named in the sections the
    patient has reached (saved an answer in), only counted in the sections still to come."""
    reached = {item.section for item in items if (answers.get(item.key) or "").strip()}
    unmet = _unmet(items, answers)
    named = [i.staff_label for i in unmet if i.section in reached]
    to_come = len(unmet) - len(named)
    if to_come:
        named.append(f"Not finished: {to_come} required answer{'' if to_come == 1 else 's'} "
                     "to come")
    return named


def _link_progress(facts: Facts, timing: Timing, now: datetime) -> str:
    """What really happened to a working link nobody has saved anything through yet."""
    if facts.link_opened_at is not None:
        return f"Link opened {_when(facts.link_opened_at, timing, now)}; nothing saved yet"
    if facts.link_sent_at is not None:
        return f"Link sent {_when(facts.link_sent_at, timing, now)}; not opened yet"
    return "Link shown or printed, not sent; not opened yet"


def _when(moment: datetime, timing: Timing, now: datetime) -> str:
    """"at 10:32" today on the clinic's clock, else "1 Dec at 10:32"."""
    zone = ZoneInfo(timing.timezone)
    local = moment.astimezone(zone)
    day = "" if local.date() == now.astimezone(zone).date() else f"{local.day} {local:%b} "
    return f"{day}at {local:%H:%M}"


def _moved(facts: Facts) -> str:
    review = facts.review
    was_cleared = (review is not None and review.decision == "cleared"
                   and (review.revision, review.answers_hash) == (facts.revision,
                                                                  facts.answers_hash))
    voided = "clearance voided; " if was_cleared else ""
    return f"Moved to another day: {voided}waiting for new food and drink times"


def _returned(note: str) -> str:
    return "Returned to the patient to fix" + (f": {note}" if note else "")


def _with(reasons: list[str], note: str | None) -> tuple[str, ...]:
    return tuple(reasons + ([note] if note else []))


class LinkState(enum.StrEnum):
    NONE = "none"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


def link_state(expires_at: datetime | None, is_revoked: bool, now: datetime) -> LinkState:
    """A link's state at ``now`` (``expires_at`` None: there is no link). The desk's page, the
    patient's link check and the readiness reasons all read it here."""
    if expires_at is None:
        return LinkState.NONE
    if is_revoked:
        return LinkState.REVOKED
    return LinkState.EXPIRED if expires_at <= now else LinkState.ACTIVE


def _link_note(facts: Facts, now: datetime) -> str | None:
    state = link_state(facts.link_expires_at, facts.is_link_revoked, now)
    if state is LinkState.NONE:
        return None
    if state is LinkState.REVOKED:
        return "Link revoked; send a new one"
    if facts.is_link_locked:
        return "Link locked after wrong dates of birth; send a new one"
    if state is LinkState.EXPIRED:
        return "Link expired; send a new one"
    return None


def is_answered(kind: str, value: str | None) -> bool:
    """Whether an answer counts as given: a box to tick must say yes, anything else must not
    be blank. The patient's pages, the submit check and readiness all ask here."""
    value = (value or "").strip()
    if kind == "confirm":
        return value == "yes"
    return bool(value)


def _fasting_flag(item: ItemRule, value: str, starts_at: datetime, timing: Timing) -> str | None:
    try:
        gap = starts_at.astimezone(UTC) - _latest_instant(value, ZoneInfo(timing.timezone))
    except (ValueError, OverflowError):  # not a date, or so far off it leaves the calendar
        return None
    solid = item.flag_rule == "solid_fast"
    window = timing.solid_fast_hours if solid else timing.clear_fast_hours
    if gap <= timedelta(0):
        what = "Eating" if solid else "Clear liquids"
        return f"{what} planned after the session starts"
    what = "Ate" if solid else "Clear liquids"
    if gap < timedelta(hours=window):
        fast = "fasting window" if solid else "clear-liquids window"
        return f"{what} {format_gap(gap)} before: inside the {window} h {fast}"
    return None


def _latest_instant(value: str, zone: ZoneInfo) -> datetime:
    """A clinic-local answer as a UTC instant (subtracting in UTC counts real hours; two times
    in one zone would subtract as wall clocks, ignoring DST).

    A clock time that happens twice (the hour repeated when clocks go back) or never (the hour
    skipped when they go forward) is read as the later instant: the shorter fast, so a doubtful
    answer is shown to a clinician rather than passed over.
    """
    when = datetime.fromisoformat(value)
    if when.tzinfo is not None:
        return when.astimezone(UTC)
    return max(when.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))


def format_gap(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
