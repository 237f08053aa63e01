"""The patient's personal prep timeline, computed in the clinic's time zone.

Pure: the session time and the clinic's hours in, the moments out. Every moment is worked out
in UTC and then shown on the clinic's clock, so a daylight-saving change between, say, the
fasting cut-off and the session is handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Moment:
    key: str  # no_alcohol | no_solid_food | clear_liquids_until | arrive | session | no_driving
    at: datetime  # clinic-local, aware


def prep_timeline(starts_at: datetime, timezone: str, solid_fast_hours: int,
                  clear_fast_hours: int, arrive_early_minutes: int) -> list[Moment]:
    zone = ZoneInfo(timezone)
    start = starts_at.astimezone(UTC)

    def before(**delta) -> datetime:
        return (start - timedelta(**delta)).astimezone(zone)

    next_morning = (start.astimezone(zone) + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0)
    moments = [
        Moment("no_alcohol", before(hours=24)),
        Moment("no_solid_food", before(hours=solid_fast_hours)),
        Moment("clear_liquids_until", before(hours=clear_fast_hours)),
        Moment("arrive", before(minutes=arrive_early_minutes)),
        Moment("session", start.astimezone(zone)),
        Moment("no_driving", next_morning),
    ]
    return sorted(moments, key=lambda m: m.at)
