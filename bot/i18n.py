"""Translations and locale-aware formatting for everything a person reads.

Catalogs live in `locales/` as gettext `.po` files managed with pybabel. They are compiled
in memory when the process starts (with Babel, the same code as `pybabel compile`), so a
stale or hand-edited `.mo` can never be served. Log lines are not translated.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("en", "es", "ar")
DEFAULT_LANGUAGE = "en"

# Babel derives Arabic's Plural-Forms from CLDR with "many" and "other" swapped
# (python-babel/babel#816): 100 would pick the "many" string and 11 the "other" one.
# The .po header carries this standard gettext expression instead; tests pin it.
ARABIC_PLURAL_FORMS = (
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
)

LANGUAGE_NAMES = {"en": "English", "es": "Español", "ar": "العربية"}


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention extractors look for
    """Mark a text for translation where it is defined; it is translated where it is shown."""
    return msgid


def compile_catalog(po_path: Path) -> gettext.GNUTranslations:
    """Compile one `.po` file in memory; untranslated and fuzzy entries fall back to msgid."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """Text and formats for one language; handlers receive one in their context."""

    language: str
    translations: gettext.NullTranslations

    @property
    def rtl(self) -> bool:
        return self.language == "ar"

    def gettext(self, message: str, **params: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def date(self, moment: datetime, zone: ZoneInfo) -> str:
        """A full date, weekday first, as people write it in this language."""
        return _format_date(moment.astimezone(zone), "full", self.language)

    def short_date(self, moment: datetime, zone: ZoneInfo) -> str:
        return _format_date(moment.astimezone(zone), "long", self.language)

    def when(self, moment: datetime, zone: ZoneInfo) -> str:
        """Date, time and the zone's everyday name ("Pacific Time")."""
        local = moment.astimezone(zone)
        return self.gettext(
            "{date} at {time} ({zone})",
            date=_format_date(local, "full", self.language),
            time=_format_time(local, self.language),
            zone=_zone_name(zone, self.language),
        )


# Babel re-reads locale data on every call (~90 µs a date); the catalog has a few dozen
# dates, shown over and over, so the formatted strings are cached.
@lru_cache(maxsize=4096)
def _format_date(local: datetime, width: str, language: str) -> str:
    return format_date(local, width, locale=language)


@lru_cache(maxsize=4096)
def _format_time(local: datetime, language: str) -> str:
    return format_time(local, "short", locale=language)


@lru_cache(maxsize=256)
def _zone_name(zone: ZoneInfo, language: str) -> str:
    return get_timezone_name(zone, "long", locale=language)


def load_locale_data() -> None:
    """Load Babel's CLDR data for every language at start-up instead of on a first date.

    Babel reads a locale's data (several MB for the three, with the shared global data)
    the first time a date is formatted in it. Left lazy, the first parent to ask for a
    session pays that, and the process's memory jumps minutes into its life, which hides
    a real leak in a soak.
    """
    moment = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for language in LANGUAGES:
        format_date(moment, "full", locale=language)
        format_time(moment, "short", locale=language)
        get_timezone_name(UTC, "long", locale=language)
        format_list(["a", "b"], locale=language)


class I18n:
    """Every language's translator, compiled once at start."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translators: Mapping[str, Translator] = {
            language: Translator(
                language,
                compile_catalog(locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"),
            )
            for language in LANGUAGES
        }

    def __getitem__(self, language: str) -> Translator:
        return self._translators.get(language) or self._translators[DEFAULT_LANGUAGE]
