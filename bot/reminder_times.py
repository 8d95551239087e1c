"""When a reminder is due, in the session's time zone, and when it may actually go out.

"One day before" a 6 pm session means 6 pm the day before on the local clock, which is 23
or 25 hours earlier across a DST change; shorter leads ("one hour before") are plain
elapsed time. Quiet hours then move the send time; see `send_time` for the decision when
that would land after the session has started.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.quiet_hours import last_allowed_before, next_allowed

DAY_MINUTES = 24 * 60


def due_at(starts_at: datetime, session_zone: ZoneInfo, lead_minutes: int) -> datetime:
    """The moment `lead_minutes` before the start: whole days on the local calendar."""
    days, minutes = divmod(lead_minutes, DAY_MINUTES)
    wall = starts_at.astimezone(UTC)
    if days:
        # Only a calendar step goes through the wall clock: a round trip of the start
        # itself would lose which 01:30 it is when the clocks go back.
        local = starts_at.astimezone(session_zone).replace(tzinfo=None) - timedelta(days=days)
        wall = local.replace(tzinfo=session_zone).astimezone(UTC)
    return wall - timedelta(minutes=minutes)


def send_time(due: datetime, starts_at: datetime, recipient_zone: ZoneInfo) -> datetime:
    """When a reminder due at `due` goes out for someone living in `recipient_zone`.

    Inside 08:00–21:00 it goes when due. In quiet hours it waits for 08:00, unless the
    session starts before then: a reminder after the start is useless, so it goes out
    early instead, at 20:59 the evening before. Early beats never for a parent planning
    the morning, and it is still before the session.
    """
    later = next_allowed(due, recipient_zone)
    if later < starts_at:
        return later
    return last_allowed_before(due, recipient_zone)
