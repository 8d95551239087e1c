"""How catalog values read on the console's pages: names, dates, missing translations.

Organizers are community staff: they see "Spanish missing" and "Tue, Dec 1, 2026 6:00 PM
PST", never a language code or an ISO timestamp. Labels are built per request, so they
come out in the console's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_skeleton, format_time, get_timezone_name

from bot.admin.i18n import current_language
from bot.admin.i18n import gettext as _
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES, Localized, ResourceKind, Session

# The zones US community organizers run sessions in; the session's own and the bot's
# zone are always offered too.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)
# The texts every session and resource has in each language, in the order shown.
TEXT_FIELDS = ("title", "summary", "link")
TRANSLATIONS = tuple(lang for lang in LANGUAGES if lang != FALLBACK_LANGUAGE)


def language_names() -> dict[str, str]:
    return {"en": _("English"), "es": _("Spanish"), "ar": _("Arabic")}


def field_names() -> dict[str, str]:
    return {"title": _("Title"), "summary": _("Summary"), "link": _("Link"), "name": _("Name")}


def kind_names() -> dict[str, str]:
    names = {
        ResourceKind.REPORT: _("Report"),
        ResourceKind.SLIDES: _("Slides"),
        ResourceKind.SCHOOL_OVERVIEW: _("School overview"),
        ResourceKind.BACKGROUND: _("Background reading"),
        ResourceKind.PAGE: _("Web page"),
    }
    return {kind.value: name for kind, name in names.items()}


def status_names() -> dict[str, str]:
    return {"scheduled": _("Going ahead"), "cancelled": _("Called off")}


def missing_translations(texts: Mapping[str, Localized]) -> list[tuple[str, str]]:
    """(language, which texts) for each language some text lacks, named for the page.

    Only texts whose English exists count: the bot sends the English there. A text with
    no English at all (an optional summary left empty) has nothing to translate.
    """
    languages, fields = language_names(), field_names()
    found = []
    for lang in TRANSLATIONS:
        lacking = [
            fields.get(name, name)
            for name, text in texts.items()
            if text.values.get(FALLBACK_LANGUAGE, "").strip() and lang in text.missing()
        ]
        if lacking:
            found.append((languages[lang], ", ".join(lacking)))
    return found


def when(session: Session) -> str:
    """The session's start on its own clock, in the console's language."""
    local = session.local_start
    language = current_language.get()
    date = format_skeleton("yMMMEd", local, locale=language)
    return f"{date} {format_time(local, 'short', locale=language)} {local.tzname()}"


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    """The value of a datetime-local input: wall-clock time to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_name(zone: str) -> str:
    """A zone as people say it ("Pacific Time"), in the console's language."""
    return str(get_timezone_name(ZoneInfo(zone), "long", locale=current_language.get()))


def zone_choices(*also: str) -> list[tuple[str, str]]:
    """(zone, label) for the time zone select: the common ones and `also` (the current)."""
    zones = dict.fromkeys([*COMMON_ZONES, *(zone for zone in also if zone in known_zones())])
    return [(zone, f"{zone_name(zone)} ({zone})") for zone in zones]


def in_console_language(text: Localized) -> str:
    """A catalog text in the console's language where it exists, else in English."""
    return text.get(current_language.get())


def topic_names(topics: Iterable[tuple[str, Localized]]) -> list[tuple[str, str]]:
    """(id, name) of topics, named in the console's language where the catalog has it."""
    return [(topic_id, in_console_language(name) or topic_id) for topic_id, name in topics]
