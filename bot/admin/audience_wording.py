"""How the dashboard and the subscribers pages word times, lead times, topics and languages.

Organizers read times on the bot's clock (BOT_TIMEZONE) and everything in the console's
language; lead times are said as the bot says them to parents ("1 day before"); a topic
is named from the catalog in the console's language, else in English.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from bot.admin.i18n import current_language, ngettext
from bot.admin.i18n import gettext as _
from bot.store.subscriptions import ALL_SESSIONS
from catalog.models import Catalog

HOUR = 60
DAY = 24 * HOUR
WEEK = 7 * DAY
# Product names, the same in every language.
CHANNEL_NAMES = {"telegram": "Telegram", "sms": "SMS"}


def moment(value: datetime, zone: ZoneInfo, *, with_year: bool = False) -> str:
    """`Sat 21 Nov 18:00` (with the year for history, which spans years)."""
    pattern = "EEE d MMM y, HH:mm" if with_year else "EEE d MMM HH:mm"
    return format_datetime(value.astimezone(zone), pattern, locale=current_language.get())


def lead(minutes: int) -> str:
    """One lead time in the largest unit that states it exactly: "1 day before"."""
    if minutes % WEEK == 0:
        return ngettext("{n} week before", "{n} weeks before", minutes // WEEK)
    if minutes % DAY == 0:
        return ngettext("{n} day before", "{n} days before", minutes // DAY)
    if minutes % HOUR == 0:
        return ngettext("{n} hour before", "{n} hours before", minutes // HOUR)
    return ngettext("{n} minute before", "{n} minutes before", minutes)


def topic_name(catalog: Catalog, topic_id: str) -> str:
    """A topic in the console's language (else English); one since removed, by its id."""
    if topic_id == ALL_SESSIONS:
        return _("Every session")
    topic = catalog.topic(topic_id)
    if topic is None:
        return topic_id
    return topic.name.get(current_language.get()) or topic_id


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel)


def language_name(code: str | None) -> str:
    """A parent's language named in the console's language ("Arabic", "árabe")."""
    if not code:
        return _("Not settled yet")
    name = Locale.parse(code).get_display_name(current_language.get()) or code
    return name[:1].upper() + name[1:]


def number(value: int) -> str:
    return format_decimal(value, locale=current_language.get())


def percent(fraction: float | None) -> str:
    """`97.5%`, or a dash when there is nothing to divide by."""
    if fraction is None:
        return "—"
    return format_percent(fraction, "#,##0.#%", locale=current_language.get())
