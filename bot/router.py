"""Text → intent: one normaliser, one trilingual keyword table, first match wins.

The order of `RULES` is the precedence. Consent words come first and only as the whole
message (rule 1: "STOP" opts out, "stop sending me the report" does not). Free text that
matches nothing becomes a catalog search: the explicit fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz, process

from catalog.normalize import normalize, stem, tokens


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    CHOOSE = "choose"  # a bare number picks an item of the last menu
    MORE = "more"
    SET_LANGUAGE = "set_language"
    LANGUAGE_MENU = "language_menu"
    UNSUBSCRIBE = "unsubscribe"
    DELETE_DATA = "delete_data"  # "delete my data": asks, then erases on DELETE
    MY_REMINDERS = "my_reminders"
    SUBSCRIBE = "subscribe"
    BROADCAST = "broadcast"  # organizers only: "/broadcast", "broadcast status", …
    RESOURCES = "resources"
    NEXT = "next"
    LIST = "list"
    GREETING = "greeting"
    THANKS = "thanks"
    SEARCH = "search"
    EMPTY = "empty"  # nothing readable: emoji, punctuation, blank


@dataclass(frozen=True)
class Match:
    intent: Intent
    argument: str = ""  # the rest of the message (a search query), a number or a language


def _spelt(*words: str) -> frozenset[str]:
    """The words as the normaliser spells them ("استئناف" → "استيناف"), whatever we typed."""
    return frozenset(" ".join(tokens(word)) for word in words)


# Whole-message words (design rule 1). Checked on the normalised, punctuation-free text.
OPT_OUT_WORDS = _spelt(
    *("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "alto", "parar", "baja"),
    *("توقف", "إلغاء"),
)
OPT_IN_WORDS = _spelt(
    *("start", "unstop", "yes", "sí", "alta", "iniciar", "comenzar", "reanudar"),
    *("ابدأ", "نعم", "استئناف"),
)
HELP_WORDS = _spelt("help", "ayuda", "info", "menu", "مساعدة", "القائمة")
MORE_WORDS = _spelt("more", "más", "المزيد", "أكثر", "more please", "más por favor")
# A whole-message confirmation of a pending "delete my data" (Match.argument CONFIRM_DELETE).
# Not "yes"/"sí"/"نعم": those are opt-in words and keep that meaning (rule 1).
DELETE_CONFIRM_WORDS = _spelt("delete", "borrar", "eliminar", "borrarlos", "احذف", "حذف")
# Punctuation never survives `tokens`, so no request's remaining words can read like this.
CONFIRM_DELETE = "<confirm>"
# As the first word only: what follows is the organizer's sub-command ("status", "send").
BROADCAST_WORDS = _spelt("broadcast", "difundir", "difusión", "بث")

LANGUAGE_WORDS = {
    "en": ("english", "ingles", "in english", "en ingles", "انجليزي", "الانجليزيه", "بالانجليزي"),
    "es": (
        "espanol",
        "spanish",
        "castellano",
        "in spanish",
        "en espanol",
        "اسباني",
        "الاسبانيه",
        "بالاسباني",
    ),
    "ar": ("arabic", "arabe", "in arabic", "en arabe", "عربي", "العربيه", "بالعربي", "بالعربيه"),
}

# (intent, phrases). A phrase matches when its words appear consecutively in the message.
# DELETE_DATA and UNSUBSCRIBE come first: they are the requests allowed to contain a STOP
# word ("stop texting me and delete my data", "stop reminders"); any other message with
# one gets the consent hint instead.
RULES: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    (
        Intent.DELETE_DATA,
        (
            "delete my data",
            "delete all my data",
            "delete my information",
            "delete my info",
            "delete my details",
            "delete my number",
            "delete my account",
            "erase my data",
            "remove my data",
            "forget me",
            "borrar mis datos",
            "borra mis datos",
            "borren mis datos",
            "borrar todos mis datos",
            "eliminar mis datos",
            "elimina mis datos",
            "eliminen mis datos",
            "borrar mi informacion",
            "eliminar mi informacion",
            "borrar mi numero",
            "eliminar mi numero",
            "olvidame",
            "احذف بياناتي",
            "احذفوا بياناتي",
            "حذف بياناتي",
            "امسح بياناتي",
            "امسحوا بياناتي",
            "مسح بياناتي",
            "احذف معلوماتي",
            "حذف معلوماتي",
            "احذف رقمي",
        ),
    ),
    (
        Intent.UNSUBSCRIBE,
        (
            "unsubscribe",
            "desuscribir",
            "desuscribirme",
            "cancelar suscripcion",
            "stop reminders",
            "stop all reminders",
            "no reminders",
            "no more reminders",
            "cancel reminders",
            "unsubscribe from reminders",
            "sin recordatorios",
            "no mas recordatorios",
            "cancelar recordatorios",
            "quitar recordatorios",
            "ya no quiero recordatorios",
            "darme de baja",
            "no me recuerdes",
            "don t remind me",
            "dont remind me",
            "do not remind me",
            "لا تذكرني",
            "الغاء التذكير",
            "الغاء التذكيرات",
            "ايقاف التذكير",
            "لا اريد تذكير",
            "الغاء الاشتراك",
        ),
    ),
    (
        Intent.MY_REMINDERS,
        (
            "my reminders",
            "my subscriptions",
            "my subscription",
            "mis recordatorios",
            "mis suscripciones",
            "mi suscripcion",
            "تذكيراتي",
            "اشتراكاتي",
            "اشتراكي",
        ),
    ),
    (
        Intent.LANGUAGE_MENU,
        ("language", "languages", "idioma", "idiomas", "lengua", "اللغه", "لغه", "اللغات"),
    ),
    (
        Intent.SUBSCRIBE,
        (
            "subscribe",
            "remind me",
            "reminder",
            "reminders",
            "notify me",
            "sign me up",
            "suscribir",
            "suscribirme",
            "suscribete",
            "suscripcion",
            "recordatorio",
            "recordatorios",
            "recuerdame",
            "avisame",
            "اشترك",
            "اشتراك",
            "ذكرني",
            "تذكير",
            "تذكيرات",
            "نبهني",
        ),
    ),
    (
        Intent.RESOURCES,
        (
            "resources",
            "resource",
            "report",
            "slides",
            "slide deck",
            "materials",
            "documents",
            "handouts",
            "recursos",
            "informe",
            "reporte",
            "diapositivas",
            "presentacion",
            "materiales",
            "documentos",
            "موارد",
            "مصادر",
            "تقرير",
            "شرائح",
            "مواد",
            "عرض تقديمي",
        ),
    ),
    (
        Intent.NEXT,
        (
            "next",
            "upcoming",
            "when",
            "proxima",
            "proximo",
            "siguiente",
            "cuando",
            "قادمه",
            "قادم",
            "متي",
            "موعد",
            "تاليه",
            "جايه",
        ),
    ),
    (
        Intent.LIST,
        (
            "sessions",
            "list",
            "schedule",
            "calendar",
            "recordings",
            "videos",
            "sesiones",
            "lista",
            "calendario",
            "grabaciones",
            "جلسات",
            "قائمه",
            "جدول",
            "تسجيلات",
            "فيديوهات",
        ),
    ),
    (
        Intent.HELP,
        (
            "help",
            "what can you do",
            "how does this work",
            "ayuda",
            "ayudame",
            "que puedes hacer",
            "como funciona",
            "مساعده",
            "ساعدني",
            "ماذا تستطيع",
            "كيف يعمل",
        ),
    ),
    (
        Intent.GREETING,
        (
            "hi",
            "hello",
            "hey",
            "good morning",
            "good afternoon",
            "good evening",
            "hola",
            "buenos dias",
            "buenas tardes",
            "buenas noches",
            "buenas",
            "saludos",
            "مرحبا",
            "السلام عليكم",
            "سلام",
            "اهلا",
            "صباح الخير",
            "مساء الخير",
        ),
    ),
    (
        Intent.THANKS,
        (
            "thanks",
            "thank you",
            "thx",
            "ok",
            "okay",
            "gracias",
            "muchas gracias",
            "vale",
            "شكرا",
            "تمام",
            "حسنا",
        ),
    ),
)

# Words that may surround a language name without making it a different request:
# "español por favor", "in English please", "بالعربي لو سمحت".
LANGUAGE_FILLERS = frozenset(
    _word
    for _phrase_text in (
        "please pls plz speak talk write reply answer to me in can you do i want prefer",
        "por favor habla hablame escribe escribeme responde en quiero prefiero puedes",
        "hablas hablar hablarme escribir escribirme responder respondeme",
        "من فضلك لو سمحت تكلم تكلمني اكتب رد ب اريد ممكن هل يمكن",
    )
    for _word in normalize(_phrase_text).split()
)

# Words that, somewhere before a SUBSCRIBE phrase, make it an UNSUBSCRIBE: "cancel my
# subscription", "stop sending reminders", "no quiero recordatorios", "أوقف التذكيرات".
# A bare "no"/"not"/"لا" is not one: "I did not get the reminder" must not cancel it.
UNSUBSCRIBE_LEADS = (
    "cancel",
    "stop",
    "end",
    "quit",
    "turn off",
    "switch off",
    "no more",
    "no longer",
    "don t want",
    "dont want",
    "do not want",
    "don t send",
    "dont send",
    "do not send",
    "cancelar",
    "parar",
    "alto",
    "para de",
    "deja de",
    "dejen de",
    "quitar",
    "quitame",
    "quiten",
    "no quiero",
    "no mas",
    "no me manden",
    "no me envien",
    "الغاء",
    "الغ",
    "الغي",
    "ايقاف",
    "اوقف",
    "اوقفوا",
    "توقف",
    "توقفوا",
    "لا اريد",
    "لا ترسل",
    "لا ترسلوا",
)

CONSENT_HINT = "consent"
# Opt-out words that, inside a longer message, still signal "make it stop". Words such
# as "end" or "cancel" are left out: "when does the session end?" is a question.
STOP_IN_SENTENCE = frozenset({"stop", "stopall", "unsubscribe", "alto", "parar", "توقف"})

_MAY_SAY_STOP = frozenset({Intent.DELETE_DATA, Intent.UNSUBSCRIBE})
_NUMBER = re.compile(r"^#?\s*(\d{1,3})\s*[.)]?$")
_FUZZY_MIN_LENGTH = 5
_FUZZY_SCORE = 84.0


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens(text))


_RULE_PHRASES = tuple((intent, tuple(_phrase(p) for p in phrases)) for intent, phrases in RULES)
_LANGUAGE_PHRASES = {lang: {_phrase(p) for p in words} for lang, words in LANGUAGE_WORDS.items()}
_UNSUBSCRIBE_LEADS = tuple(_phrase(p) for p in UNSUBSCRIBE_LEADS)
_SUBSCRIBE_PHRASES = next(
    phrases for intent, phrases in _RULE_PHRASES if intent is Intent.SUBSCRIBE
)
# Every word the router knows, fillers included, so that a real word is never "corrected"
# into a keyword ("escribirme" is not a typo of "desuscribirme").
_VOCABULARY = sorted(
    {word for _, phrases in _RULE_PHRASES for phrase in phrases for word in phrase}
    | {word for phrases in _LANGUAGE_PHRASES.values() for phrase in phrases for word in phrase}
    | {word for phrase in _UNSUBSCRIBE_LEADS for word in phrase}
    | LANGUAGE_FILLERS
)


@lru_cache(maxsize=16384)
def _correct(word: str) -> str:
    """Map a misspelt long word onto the keyword it most resembles ("sesiones" → itself,
    "reminderz" → "reminders"); short words are left alone to avoid false friends."""
    if len(word) < _FUZZY_MIN_LENGTH or word.isdigit():
        return word
    best = process.extractOne(word, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=_FUZZY_SCORE)
    return word if best is None else best[0]


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    """Index just past the first occurrence of `phrase` in `words`, or -1."""
    size = len(phrase)
    for start in range(len(words) - size + 1):
        if words[start : start + size] == phrase:
            return start
    return -1


def _cancels_subscription(words: tuple[str, ...]) -> bool:
    """A cancel word before a subscription phrase: "turn off reminders", "لا أريد التذكيرات"."""
    for phrase in _SUBSCRIBE_PHRASES:
        start = _contains(words, phrase)
        if start > 0 and _led_by_cancel(words, start):
            return True
    return False


def _led_by_cancel(words: tuple[str, ...], start: int) -> bool:
    return any(_contains(words[:start], lead) >= 0 for lead in _UNSUBSCRIBE_LEADS)


def _rest(words: tuple[str, ...], start: int, size: int) -> str:
    return " ".join(words[:start] + words[start + size :])


def route(text: str) -> Match:
    """The intent of one inbound message; total (never raises), deterministic."""
    whole = " ".join(tokens(text))
    if not whole:
        return Match(Intent.EMPTY)
    if whole in OPT_OUT_WORDS:
        return Match(Intent.OPT_OUT, whole)
    if whole in OPT_IN_WORDS:
        return Match(Intent.OPT_IN, whole)
    if whole in HELP_WORDS:
        return Match(Intent.HELP)
    if whole in MORE_WORDS:
        return Match(Intent.MORE)
    if whole in DELETE_CONFIRM_WORDS:
        return Match(Intent.DELETE_DATA, CONFIRM_DELETE)
    number = _NUMBER.match(normalize(text).strip())
    if number:
        return Match(Intent.CHOOSE, number.group(1))
    first, _, rest = whole.partition(" ")
    if first in BROADCAST_WORDS:
        return Match(Intent.BROADCAST, rest)

    original = tuple(whole.split())
    words = tuple(_correct(stem(t)) for t in original)
    # Most phrases cannot match because their first word is absent: skip them cheaply.
    present = frozenset(words)
    for language, names in _LANGUAGE_PHRASES.items():
        for phrase in names:
            if phrase[0] not in present:
                continue
            start = _contains(words, phrase)
            if start >= 0 and all(
                w in LANGUAGE_FILLERS for w in _rest(words, start, len(phrase)).split()
            ):
                return Match(Intent.SET_LANGUAGE, language)
    for intent, phrases in _RULE_PHRASES:
        if intent not in _MAY_SAY_STOP and STOP_IN_SENTENCE.intersection(original):
            # "STOP please" is not an opt-out (rule 1), but the person clearly wants
            # something to stop: explain how, rather than answer the rest of the sentence.
            return Match(Intent.HELP, CONSENT_HINT)
        for phrase in phrases:
            if phrase[0] not in present:
                continue
            start = _contains(words, phrase)
            if start >= 0:
                if intent is Intent.MY_REMINDERS and _led_by_cancel(words, start):
                    return Match(Intent.UNSUBSCRIBE)  # "cancel my subscriptions"
                return Match(intent, _rest(original, start, len(phrase)))
        if intent is Intent.UNSUBSCRIBE and _cancels_subscription(words):
            return Match(Intent.UNSUBSCRIBE)
    return Match(Intent.SEARCH, whole)
