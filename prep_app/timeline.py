"""The patient's personal prep timeline, computed in the clinic's time zone.

Pure: the session time, the clinic's hours and "now" in, the moments out. Every moment is worked
out in UTC and then shown on the clinic's clock, so a daylight-saving change between, say, the
fasting cut-off and the session is handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# From this hour on the evening before, until this hour on the session's day, a moment is in
# "the night before" (a 7:30 AM session with a 6 h fast: the last food is at 1:30 AM).
EVENING, MORNING = 21, 5


@dataclass(frozen=True)
class Moment:
    # no_alcohol | no_solid_food | clear_liquids_until | arrive | session | session_end |
    # pick_up | no_driving
    key: str
    at: datetime  # clinic-local, aware
    is_past: bool = False  # already gone by "now"
    is_night: bool = False  # in the night before the session: say so next to the time


def session_end(starts_at: datetime, session_minutes: int) -> datetime:
    """When the session is expected to end: the driver's pick-up time (UTC in, UTC out)."""
    return starts_at.astimezone(UTC) + timedelta(minutes=session_minutes)


def prep_timeline(starts_at: datetime, timezone: str, solid_fast_hours: int,
                  clear_fast_hours: int, arrive_early_minutes: int, *,
                  session_minutes: int | None = None, pick_up: time | None = None,
                  now: datetime | None = None) -> list[Moment]:
    """The moments of the day. ``session_minutes`` adds the expected end, ``pick_up`` (a time
    on the session's day, the driver's) the pick-up, ``now`` marks the moments gone by."""
    zone = ZoneInfo(timezone)
    start = starts_at.astimezone(UTC)
    local_start = start.astimezone(zone)

    def before(**delta) -> datetime:
        return (start - timedelta(**delta)).astimezone(zone)

    next_morning = (local_start + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0)
    moments = [
        ("no_alcohol", before(hours=24)),
        ("no_solid_food", before(hours=solid_fast_hours)),
        ("clear_liquids_until", before(hours=clear_fast_hours)),
        ("arrive", before(minutes=arrive_early_minutes)),
        ("session", local_start),
        ("no_driving", next_morning),
    ]
    if session_minutes:
        moments.append(("session_end", (start + timedelta(minutes=session_minutes))
                        .astimezone(zone)))
    if pick_up is not None:
        moments.append(("pick_up", datetime.combine(local_start.date(), pick_up, tzinfo=zone)))
    gone = now.astimezone(UTC) if now is not None else None
    return sorted((Moment(key, at, is_past=gone is not None and at.astimezone(UTC) < gone,
                          is_night=_is_night_before(at, local_start))
                   for key, at in moments), key=lambda m: m.at)


def _is_night_before(at: datetime, local_start: datetime) -> bool:
    if at >= local_start:
        return False
    day = local_start.date()
    return ((at.date() == day and at.hour < MORNING)
            or (at.date() == day - timedelta(days=1) and at.hour >= EVENING))
