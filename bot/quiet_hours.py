"""Quiet hours: bulk messages and reminders reach people between 08:00 and 21:00 their time.

Rule 4 of the design: deferred, never dropped; direct replies are exempt (the person just
wrote to us). Times are computed on the recipient's wall clock, so a DST change moves the
window with the clock, as people expect.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

OPENS = time(8, 0)
CLOSES = time(21, 0)
# The last moment counted as inside the window when a message must go out early.
LAST_CALL = time(20, 59)


def _at(day: datetime, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), clock, tzinfo=zone)


def is_quiet(moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time()
    return not OPENS <= local < CLOSES


def next_allowed(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` if it is inside the window, else the next 08:00 where the person lives."""
    local = moment.astimezone(zone)
    if OPENS <= local.time() < CLOSES:
        return moment
    day = local if local.time() < OPENS else local + timedelta(days=1)
    return _at(day, OPENS, zone)


def last_allowed_before(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` if it is inside the window, else 20:59 of the evening before it."""
    local = moment.astimezone(zone)
    if OPENS <= local.time() < CLOSES:
        return moment
    day = local if local.time() >= CLOSES else local - timedelta(days=1)
    return _at(day, LAST_CALL, zone)
