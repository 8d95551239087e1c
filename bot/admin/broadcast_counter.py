"""The live SMS counter under each text of the compose form.

It measures with `broadcasts.language_previews`, the very function the preview and the
bill use, after the same trimming `broadcasts.create` does, so what the organizer sees
while typing is what the preview will say and what the carrier will charge.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.admin.broadcast_format import encoding_name, sms_count
from bot.admin.i18n import gettext
from bot.broadcasts import MAX_TEXT_LENGTH, language_previews
from bot.config import Settings
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES


class CounterError(ValueError):
    """The request is not {"texts": {language: text}}; said back as a 400."""


def texts_of(body: object) -> dict[str, str]:
    """The texts of a counter request, refusing anything but strings for en, es, ar."""
    if not isinstance(body, Mapping) or not isinstance(body.get("texts"), Mapping):
        raise CounterError('expected {"texts": {"en": "...", "es": "...", "ar": "..."}}')
    texts = body["texts"]
    unknown = sorted(str(key) for key in texts if key not in LANGUAGES)
    if unknown:
        raise CounterError(f"unknown language(s): {', '.join(unknown)}")
    if not all(isinstance(text, str) for text in texts.values()):
        raise CounterError("every text must be a string")
    return {language: str(text) for language, text in texts.items()}


def count(texts: Mapping[str, str], settings: Settings) -> dict[str, dict[str, object]]:
    """Per language: characters, encoding, segments, whether it falls back to English.

    A text over the length limit is not measured (it cannot be sent) but said to be too
    long; the languages falling back to it are measured as empty.
    """
    cleaned = {language: text.strip() for language, text in texts.items()}
    too_long = {language for language, text in cleaned.items() if len(text) > MAX_TEXT_LENGTH}
    measured = {lang: text for lang, text in cleaned.items() if text and lang not in too_long}
    measured.setdefault(FALLBACK_LANGUAGE, "")
    result: dict[str, dict[str, object]] = {}
    for item in language_previews(measured, settings):
        if item.language in too_long:
            characters = len(cleaned[item.language])
            result[item.language] = {
                "characters": characters,
                "encoding": None,
                "encoding_name": None,
                "segments": None,
                "fallback": False,
                "too_long": True,
                "label": gettext(
                    "Too long: {n} characters, at most {limit}",
                    n=characters,
                    limit=MAX_TEXT_LENGTH,
                ),
            }
            continue
        label = sms_count(item.characters, item.encoding, item.segments)
        if item.fallback and item.language != FALLBACK_LANGUAGE:
            label = gettext("No text: gets the English one") + " · " + label
        result[item.language] = {
            "characters": item.characters,
            "encoding": item.encoding.value,
            "encoding_name": encoding_name(item.encoding),
            "segments": item.segments,
            "fallback": item.fallback and item.language != FALLBACK_LANGUAGE,
            "too_long": False,
            "label": label,
        }
    return result
