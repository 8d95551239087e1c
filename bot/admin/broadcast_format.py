"""How the broadcasts pages say money, time, progress and SMS counts, in the console's language.

Babel does the formatting so an organizer reading Spanish sees "0,25 US$" and "dom, 22 nov",
and the words come from the console's own catalog. The same functions feed the pages and
the JSON the live parts poll, so a figure never reads one way on load and another a second
later.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, format_timedelta
from babel.numbers import format_currency, format_percent

from bot.admin.i18n import current_language, gettext, ngettext
from bot.broadcasts import BroadcastStatus, LanguagePreview, Progress
from bot.channels.sms_text import Encoding

# Below a dollar, cents hide the price of a handful of segments ($0.0083 each by default).
EXACT_BELOW = 1.0


def money(amount: float) -> str:
    """US dollars: to the cent from a dollar up, to a hundredth of a cent below."""
    language = current_language.get()
    if amount < EXACT_BELOW:
        return format_currency(round(amount, 4), "USD", locale=language, decimal_quantization=False)
    return format_currency(amount, "USD", locale=language)


def duration(seconds: float) -> str:
    """ "about 3 minutes": the rate limits make it an estimate, never less than a second."""
    span = format_timedelta(
        timedelta(seconds=max(1.0, seconds)), threshold=1.1, locale=current_language.get()
    )
    return gettext("about {duration}", duration=span)


def moment(when: datetime, zone: ZoneInfo) -> str:
    """A date and time on the bot's clock, ordered as the console's language writes them."""
    language = current_language.get()
    pattern = str(Locale.parse(language).datetime_formats["medium"])
    day = format_skeleton("yMMMEd", when, tzinfo=zone, locale=language)
    return pattern.format(format_time(when, "short", tzinfo=zone, locale=language), day)


def percent(fraction: float) -> str:
    """Rounded down, so "100%" means every message is settled, not 99.6% of them."""
    whole = math.floor(min(1.0, max(0.0, fraction)) * 100)
    return format_percent(whole / 100, locale=current_language.get())


def encoding_name(encoding: Encoding) -> str:
    return "GSM-7" if encoding is Encoding.GSM7 else "Unicode (UCS-2)"


def sms_count(characters: int, encoding: Encoding, segments: int) -> str:
    """ "123 characters · GSM-7 · 1 SMS segment": the line under each text while typing."""
    return " · ".join(
        (
            ngettext("{n} character", "{n} characters", characters),
            encoding_name(encoding),
            ngettext("{n} SMS segment", "{n} SMS segments", segments),
        )
    )


def preview_count(item: LanguagePreview) -> str:
    return sms_count(item.characters, item.encoding, item.segments)


def status_label(status: BroadcastStatus) -> str:
    labels = {
        BroadcastStatus.DRAFT: gettext("Draft"),
        BroadcastStatus.SCHEDULED: gettext("Scheduled"),
        BroadcastStatus.SENDING: gettext("Sending"),
        BroadcastStatus.DONE: gettext("Done"),
        BroadcastStatus.CANCELLED: gettext("Cancelled"),
    }
    return labels[status]


def status_badge(status: BroadcastStatus) -> str:
    """The admin.css badge variant that colours a status."""
    return {
        BroadcastStatus.DONE: "ok",
        BroadcastStatus.CANCELLED: "bad",
        BroadcastStatus.SENDING: "warn",
        BroadcastStatus.SCHEDULED: "warn",
    }.get(status, "")


def progress_json(progress: Progress) -> dict[str, object]:
    """What the live progress view shows; every number the page prints is here.

    Nothing queued yet (scheduled, or cancelled before its time) is 0%, not the 100% of
    "all of nobody is settled".
    """
    fraction = progress.fraction
    if not progress.recipients and progress.status is not BroadcastStatus.DONE:
        fraction = 0.0
    return {
        "id": progress.broadcast_id,
        "status": progress.status.value,
        "status_label": status_label(progress.status),
        "badge": status_badge(progress.status),
        "finished": progress.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED),
        "recipients": progress.recipients,
        "sent": progress.sent,
        "delivered": progress.delivered,
        "failed": progress.failed,
        "opted_out": progress.opted_out,
        "cancelled": progress.cancelled,
        "to_go": progress.queued + progress.sending,
        "settled": progress.settled,
        "fraction": fraction,
        "percent": percent(fraction),
    }
