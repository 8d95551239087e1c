"""Guess which of the bot's three languages a contact wrote in.

The bot answers in the language of a contact's first message and remembers it. The
caller applies the precedence: stored preference, then the Telegram `language_code`
(`language_from_code`), then `detect_language` here, which tries the cheap,
explainable signals first (Arabic script, then Spanish/English keywords) and only asks
the statistical model when those are silent or tied. First messages are short ("hola",
"شكرا", "when is the next session?"), which is exactly where n-gram models are weakest
and where a curated word list is strongest.

Keyword matching goes through `catalog.normalize.tokens`, so "próxima", "proxima" and
"PRÓXIMA" are the same word here as they are in the router and in search.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from catalog.normalize import tokens

Source = Literal["script", "keywords", "model", "none"]


@dataclass(frozen=True, slots=True)
class Detection:
    """A guessed language and which rule produced it.

    `source` is kept so that logs can tell a confident script match from a model guess
    when a parent complains about being answered in the wrong language. `language` is
    None when there is nothing to go on (source "none": no letters at all) or when the
    model is unsure (source "model"); the caller then falls back to English.
    """

    language: str | None
    source: Source


# --- language codes ---------------------------------------------------------------------

# Primary subtags only: "es-MX", "es-419" and "es_US" are all Spanish to us. The
# three-letter codes cover ISO 639-2/3 senders; the Arabic dialect codes are valid
# BCP 47 primary subtags some clients send instead of "ar".
_CODE_LANGUAGES: Final[dict[str, str]] = {
    "en": "en",
    "eng": "en",
    "es": "es",
    "spa": "es",
    "ar": "ar",
    "ara": "ar",
    "arb": "ar",  # Modern Standard Arabic
    "arz": "ar",  # Egyptian
    "apc": "ar",  # Levantine
    "ajp": "ar",  # South Levantine
    "acm": "ar",  # Mesopotamian
    "afb": "ar",  # Gulf
    "ars": "ar",  # Najdi
    "ary": "ar",  # Moroccan
    "arq": "ar",  # Algerian
    "aeb": "ar",  # Tunisian
}


def language_from_code(code: str | None) -> str | None:
    """Map a Telegram/IETF language code to one of the bot's languages.

    Only the primary subtag matters: the region ("MX", "SA", "US") never changes which
    of our three translations a parent should get. Anything else ("pt-BR", "und", "")
    is None so the caller moves on to looking at the text itself.
    """
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return _CODE_LANGUAGES.get(primary)


# --- keywords ---------------------------------------------------------------------------

# Short words parents actually send a school-community bot. Words that are common in
# both languages ("no", "me", "a", "son", "he", "info", "ok", "mama") are deliberately
# absent from both lists: they would only manufacture ties or wrong wins.
_SPANISH_WORDS: Final = """
    hola buenas buenos dias tardes noches gracias muchas adios saludos disculpe oiga
    cuando cuándo proxima próxima proximo próximo sesion sesión sesiones clase clases
    taller talleres ayuda ayudar quiero quisiera necesito informacion información
    escuela maestros maestro maestra maestras hijo hija hijos hijas niños niño niña
    favor porfa porfavor plis sí si español espanol ingles inglés hablo habla hablan
    que qué cual cuál cuales cuáles donde dónde como cómo cuanto cuánto cuesta hay
    tiene tienen tengo puedo puede podria podría saber sabe mas más hora horas
    horario horarios dia día semana hoy mañana manana ahora tambien también todavia
    todavía esta está este esto estos estas es el la los las un una unos unas de del al
    en con por para y mi mis su sus tu nos lo le les se pero muy bien bueno vale claro
    pues ya soy estoy usted ustedes inscribir inscribirme registrarme apuntarme
    padres familia familias papás mamás gratis
"""

_ENGLISH_WORDS: Final = """
    hi hello hey thanks thank thx ty you your please pls plz yes yeah yep
    when what where which who how why is are was will can could would should do does
    did the an of to for with about from at on in it this that there these those
    and or but not any some my our we i im need want know like get have
    next session sessions class classes workshop workshops help information
    school teacher teachers kid kids child children daughter sign up register
    english spanish arabic speak time times date today tomorrow week morning
    afternoon evening night good great okay sure more start starts
"""

# Normalised at import through the one normaliser, so the lists can be written the way
# people spell the words and still match folded input.
_SPANISH: Final[frozenset[str]] = frozenset(tokens(_SPANISH_WORDS))
_ENGLISH: Final[frozenset[str]] = frozenset(tokens(_ENGLISH_WORDS)) - _SPANISH

# Letters English text essentially never carries, so one of them in a word is as good as
# a Spanish keyword (a "José" in an English sentence is outvoted by the other words).
_SPANISH_MARKED: Final = re.compile(r"[ñáéíóúü]", re.IGNORECASE)
_SPANISH_PUNCT: Final = re.compile(r"[¿¡]")
_RAW_WORD: Final = re.compile(r"\w+")

# Links, addresses and handles are Latin-script noise in any language: "متى الجلسة؟
# https://school.example.org/sessions" is an Arabic message.
DETECTED_CHARACTERS: Final = 1000
_NOISE: Final = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@\w+|\b[\w.-]+\.(?:com|org|net|edu|gov|us|io)\b\S*",
    re.IGNORECASE,
)


def _is_arabic_letter(ch: str) -> bool:
    """Whether `ch` is in any Arabic-script block, not just the basic one.

    Supplement/Extended-A letters (Persian, Urdu) and presentation forms (what some
    keyboards and copy-pastes emit) still mean a right-to-left Arabic-script writer,
    and Arabic is the only such language the bot serves.
    """
    cp = ord(ch)
    return (
        0x0600 <= cp <= 0x06FF
        or 0x0750 <= cp <= 0x077F
        or 0x08A0 <= cp <= 0x08FF
        or 0xFB50 <= cp <= 0xFDFF
        or 0xFE70 <= cp <= 0xFEFF
    )


# --- model ------------------------------------------------------------------------------

_LINGUA_LANGUAGES: Final[dict[Language, str]] = {
    Language.ENGLISH: "en",
    Language.SPANISH: "es",
    Language.ARABIC: "ar",
}

# Low-accuracy (trigram-only) mode is overconfident on one or two words: "yes" comes out
# Spanish at 0.59. Below this the guess is no better than the caller's English default,
# and a wrong Spanish or Arabic first answer is worse than an English one.
_MIN_MODEL_CONFIDENCE: Final = 0.70


@cache
def _detector() -> LanguageDetector:
    """Build the lingua detector once, on first need.

    Restricting it to our three languages keeps memory small and stops it from answering
    "Portuguese" or "Italian" for Spanish. Low-accuracy mode skips the large 4- and
    5-gram models; the keyword rules already carry the short messages it would help on.
    Lingua loads the n-gram models lazily on the first detection, so see `warm_up`.
    """
    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH, Language.ARABIC)
        .with_low_accuracy_mode()
        .build()
    )


def warm_up() -> None:
    """Build the detector and load its models at start-up instead of on a first message.

    The first model call pays tens of milliseconds of model loading; calling this from
    the application's start-up keeps that off a parent's first reply.
    """
    _detector().compute_language_confidence_values("warm up")


def _model_language(text: str) -> str | None:
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]  # lingua returns them sorted, most likely first
    if best.value < _MIN_MODEL_CONFIDENCE:
        return None
    return _LINGUA_LANGUAGES.get(best.language)


# --- detection --------------------------------------------------------------------------


def detect_language(text: str) -> Detection:
    """Guess the language of one incoming message.

    Script first because it is unambiguous: a parent who types Arabic letters wants
    Arabic even when a link or an English school name is mixed in. Then keywords,
    because the model is unreliable on the one- to three-word first messages parents
    send. The model only breaks ties and handles messages no list covers.

    Only the first `DETECTED_CHARACTERS` are read: they tell the language as well as
    more would, and the link-stripping pattern backtracks on one long run of letters
    (a 60,000-letter "word" held the event loop for 4 s).
    """
    clean = _NOISE.sub(" ", text[:DETECTED_CHARACTERS])
    # Count words, not letters: "Lincoln Elementary ابني في مدرسة" is an Arabic message
    # about an English-named school, and long Latin names would outweigh it letter by
    # letter. A word with any Arabic letter is an Arabic word.
    arabic = other = 0
    for chunk in clean.split():
        letters = [ch for ch in chunk if ch.isalpha()]
        if any(_is_arabic_letter(ch) for ch in letters):
            arabic += 1
        elif letters:
            other += 1
    if arabic == 0 and other == 0:
        return Detection(None, "none")
    if arabic >= other:
        return Detection("ar", "script")

    spanish = english = 0
    # NFC so that a decomposed "o" + U+0301 is one word with its accent, not two words.
    for word in _RAW_WORD.findall(unicodedata.normalize("NFC", clean)):
        folded = tokens(word)
        if _SPANISH_MARKED.search(word) or any(t in _SPANISH for t in folded):
            spanish += 1
        elif any(t in _ENGLISH for t in folded):
            english += 1
    if _SPANISH_PUNCT.search(clean):
        spanish += 1
    if spanish != english:
        return Detection("es" if spanish > english else "en", "keywords")

    return Detection(_model_language(clean), "model")
