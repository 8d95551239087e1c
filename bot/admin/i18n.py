"""The console's own translations (gettext domain `admin`), chosen per request.

Organizers read English or Spanish; parents' texts live in the `messages` domain and are
shown in the simulator as the bot sends them. The language of the request being served
sits in a context variable, so templates and Python code translate with plain `_()`
and no request threaded through every helper.
"""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from functools import cache

from babel import Locale, negotiate_locale

from bot.i18n import LOCALES_DIR, compile_catalog

DOMAIN = "admin"
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "admin_lang"

current_language: ContextVar[str] = ContextVar("admin_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The compiled catalog of `language` (English is the msgids themselves)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return gettext_module.NullTranslations()
    return compile_catalog(path)


def gettext(message: str, **params: object) -> str:
    """`message` in the request's language, with `{name}` fields filled in."""
    text = translations(current_language.get()).gettext(message)
    return text.format(**params) if params else text


_ = gettext


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_language.get()).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def lookup(message: str) -> str:
    """For Jinja's i18n extension, which fills in `%(name)s` fields itself (new style)."""
    return translations(current_language.get()).gettext(message)


def lookup_plural(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The organizer's choice if they made one, else their browser's preference."""
    if cookie in LANGUAGES:
        return cookie
    wanted = [
        part.split(";")[0].strip().replace("-", "_")
        for part in (accept_language or "").split(",")
        if part.strip()
    ]
    return negotiate_locale(wanted, LANGUAGES, sep="_") or DEFAULT_LANGUAGE


def language_name(language: str) -> str:
    """A language as its speakers write it ("Español"), for the language switch."""
    name = Locale.parse(language).get_display_name(language) or language
    return name.capitalize()
