"""What the broadcasts templates show, built from the engine's rows, previews and progress.

Templates only lay these values out; every figure and word is decided here, in the
console's language, so the history, the preview and the live JSON agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale

from bot.admin import broadcast_format as fmt
from bot.admin.broadcast_store import HistoryItem, was_scheduled
from bot.admin.i18n import current_language, gettext
from bot.broadcasts import BroadcastStatus, Preview, language_previews
from bot.config import Settings
from bot.fanout import DELIVERABLE
from bot.messages import ChannelName
from catalog.models import LANGUAGES, Catalog

# The history shows the start of the English text, enough to recognize it.
FIRST_WORDS = 60
CHANNEL_NAMES = {ChannelName.TELEGRAM: "Telegram", ChannelName.SMS: "SMS"}


def language_name(code: str) -> str:
    """ "Arabic" in an English console, "Árabe" in a Spanish one."""
    name = str(Locale.parse(current_language.get()).languages.get(code, code))
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in LANGUAGES]


def channel_choices() -> list[tuple[str, str]]:
    return [(channel.value, CHANNEL_NAMES[channel]) for channel in DELIVERABLE]


def topic_choices(catalog: Catalog, chosen: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The catalog's topics, plus any chosen one it no longer has, so it can be unchecked."""
    language = current_language.get()
    choices = [(topic.id, topic.name.get(language) or topic.id) for topic in catalog.topics]
    known = {topic_id for topic_id, _ in choices}
    return choices + [(topic_id, topic_id) for topic_id in chosen if topic_id not in known]


def first_words(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= FIRST_WORDS else flat[: FIRST_WORDS - 1].rstrip() + "…"


def audience_summary(audience: Mapping[str, Any], catalog: Catalog) -> str:
    """One line: who, which languages, which channels (and topics when chosen)."""
    topics = dict(topic_choices(catalog))
    chosen_topics = [topics.get(topic, topic) for topic in audience.get("topics", [])]
    if chosen_topics:
        who = gettext("Subscribers of {topics}", topics=", ".join(chosen_topics))
    elif audience.get("subscribed", True):
        who = gettext("Subscribers")
    else:
        who = gettext("Everyone who wrote")
    languages = audience.get("languages", [])
    channels = audience.get("channels", [])
    return " · ".join(
        (
            who,
            ", ".join(language_name(code) for code in languages)
            if languages
            else gettext("all languages"),
            ", ".join(CHANNEL_NAMES.get(ChannelName(c), c) for c in channels)
            if channels
            else gettext("Telegram and SMS"),
        )
    )


def history_rows(items: Sequence[HistoryItem], catalog: Catalog, zone: ZoneInfo) -> list[Any]:
    rows = []
    for item in items:
        row, progress = item.row, item.progress
        status = BroadcastStatus(row.status)
        rows.append(
            {
                "id": row.id,
                "created": fmt.moment(row.created_at, zone),
                "text": first_words(row.texts.get("en", "")),
                "audience": audience_summary(row.audience, catalog),
                "status": fmt.status_label(status),
                "badge": fmt.status_badge(status),
                "progress": fmt.progress_json(progress),
            }
        )
    return rows


def texts(stored: Mapping[str, str], settings: Settings) -> list[dict[str, Any]]:
    """Each language's text as it will go out, with its SMS count; Arabic right to left."""
    return [
        {
            "language": item.language,
            "name": language_name(item.language),
            "text": item.text,
            "fallback": item.fallback,
            "count": fmt.preview_count(item),
            "dir": "rtl" if item.language == "ar" and not item.fallback else "auto",
        }
        for item in language_previews(stored, settings)
    ]


def preview_context(preview: Preview, settings: Settings) -> dict[str, Any]:
    """Recipients per language and channel, SMS segments, cost, duration, first send."""
    table = []
    for code in LANGUAGES:
        by_channel = [preview.counts.get((code, channel), 0) for channel in DELIVERABLE]
        table.append({"name": language_name(code), "counts": by_channel, "total": sum(by_channel)})
    channel_totals = [
        sum(n for (_, channel), n in preview.counts.items() if channel is wanted)
        for wanted in DELIVERABLE
    ]
    return {
        "channels": [CHANNEL_NAMES[channel] for channel in DELIVERABLE],
        "table": table,
        "channel_totals": channel_totals,
        "total": preview.total,
        "sms_segments": preview.sms_segments,
        "cost": fmt.money(preview.cost),
        "price": fmt.money(settings.sms_price_per_segment),
        "duration": fmt.duration(preview.seconds),
        "first_send": fmt.moment(preview.first_send, settings.zone),
    }


def header(row: Any, zone: ZoneInfo) -> dict[str, Any]:
    status = BroadcastStatus(row.status)
    return {
        "id": row.id,
        "status": status.value,
        "status_label": fmt.status_label(status),
        "badge": fmt.status_badge(status),
        "created": fmt.moment(row.created_at, zone),
        "send_at": fmt.moment(row.send_at, zone),
        "scheduled": was_scheduled(row),
        "started": fmt.moment(row.started_at, zone) if row.started_at else None,
        "finished": fmt.moment(row.finished_at, zone) if row.finished_at else None,
    }
