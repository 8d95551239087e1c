"""The compose form: what the organizer typed, checked field by field, into a `Draft`.

Every problem is said next to its own field and everything typed comes back filled in,
so a mistake never costs the organizer their three texts. The engine checks again on
create; this layer only makes its rules readable in the browser.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiMapping

from bot.admin.i18n import gettext as _
from bot.broadcasts import MAX_TEXT_LENGTH, Draft
from bot.fanout import DELIVERABLE, Audience
from bot.messages import ChannelName
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES

CREATED_BY = "console"
SUBSCRIBED, EVERYONE = "subscribed", "everyone"
NOW, LATER = "now", "later"
# How far ahead a broadcast may be scheduled; also keeps a typo like year 9999 out.
MAX_AHEAD = timedelta(days=366)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class ComposeForm:
    """The form's values as typed (for showing again) and the problems found in them."""

    texts: dict[str, str] = field(default_factory=lambda: dict.fromkeys(LANGUAGES, ""))
    languages: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    reach: str = SUBSCRIBED
    when: str = NOW
    send_at: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def read(data: MultiMapping[Any]) -> ComposeForm:
    """The posted fields; checkboxes come as repeated names, files are ignored."""

    def text(name: str) -> str:
        value = data.get(name, "")
        return value if isinstance(value, str) else ""

    def chosen(name: str) -> list[str]:
        return [value for value in data.getall(name, []) if isinstance(value, str)]

    return ComposeForm(
        texts={language: text(f"text_{language}") for language in LANGUAGES},
        languages=chosen("languages"),
        channels=chosen("channels"),
        topics=chosen("topics"),
        reach=text("reach") or SUBSCRIBED,
        when=text("when") or NOW,
        send_at=text("send_at").strip(),
    )


def from_row(row: Any, zone: ZoneInfo) -> ComposeForm:
    """A stored draft as the form shows it, for editing."""
    audience = row.audience
    scheduled = row.send_at > row.created_at
    return ComposeForm(
        texts={language: row.texts.get(language, "") for language in LANGUAGES},
        languages=list(audience.get("languages", [])),
        channels=list(audience.get("channels", [])),
        topics=list(audience.get("topics", [])),
        reach=SUBSCRIBED if audience.get("subscribed", True) else EVERYONE,
        when=LATER if scheduled else NOW,
        send_at=row.send_at.astimezone(zone).strftime(LOCAL_FORMAT) if scheduled else "",
    )


def to_draft(
    form: ComposeForm, topic_ids: Collection[str], now: datetime, zone: ZoneInfo
) -> Draft | None:
    """The draft the form describes, or None with `form.errors` saying why, per field."""
    errors = form.errors
    for language in LANGUAGES:
        if len(form.texts[language].strip()) > MAX_TEXT_LENGTH:
            errors[f"text_{language}"] = _(
                "At most {limit} characters; this text has {n}.",
                limit=MAX_TEXT_LENGTH,
                n=len(form.texts[language].strip()),
            )
    if not form.texts[FALLBACK_LANGUAGE].strip():
        errors[f"text_{FALLBACK_LANGUAGE}"] = _(
            "Write the English text: people whose language has no text of its own get it."
        )
    if not set(form.languages) <= set(LANGUAGES):
        errors["languages"] = _("Choose among English, Spanish and Arabic.")
    if not set(form.channels) <= {channel.value for channel in DELIVERABLE}:
        errors["channels"] = _("Choose Telegram, SMS or both.")
    unknown = sorted(set(form.topics) - set(topic_ids))
    if unknown:
        errors["topics"] = _("No such topic: {topics}.", topics=", ".join(unknown))
    if form.reach not in (SUBSCRIBED, EVERYONE):
        errors["reach"] = _("Choose subscribers or everyone.")
    elif form.reach == EVERYONE and form.topics:
        errors["topics"] = _(
            "Topics choose among subscribers: clear them to reach everyone who wrote."
        )
    send_at = _send_at(form, now, zone)
    if errors:
        return None
    return Draft(
        texts=dict(form.texts),
        audience=Audience(
            languages=tuple(form.languages),
            channels=tuple(ChannelName(channel) for channel in form.channels),
            topics=tuple(form.topics),
            subscribed=form.reach == SUBSCRIBED,
        ),
        send_at=send_at,
        created_by=CREATED_BY,
    )


def _send_at(form: ComposeForm, now: datetime, zone: ZoneInfo) -> datetime | None:
    """None for "now"; else the chosen moment on the bot's clock, which must be ahead."""
    if form.when == NOW:
        return None
    if form.when != LATER:
        form.errors["when"] = _("Choose now or a date and time.")
        return None
    if not form.send_at:
        form.errors["send_at"] = _("Choose the date and time to send it.")
        return None
    try:
        typed = datetime.fromisoformat(form.send_at)
    except ValueError:
        form.errors["send_at"] = _("Write a date and time like 2026-12-01 18:00.")
        return None
    moment = typed.replace(tzinfo=zone) if typed.tzinfo is None else typed
    if moment <= now:
        form.errors["send_at"] = _("That time has passed: choose a time in the future.")
    elif moment > now + MAX_AHEAD:
        form.errors["send_at"] = _("Choose a time within a year.")
    return moment
