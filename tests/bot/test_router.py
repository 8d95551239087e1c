"""Text → intent on messages as parents really type them, in English, Spanish and Arabic.

Rule 1 (consent words only as the whole message) and rule 2 (one normaliser: accents,
case, Arabic letter variants, diacritics, tatweel, Arabic-Indic digits) are pinned here,
row by row and as properties.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.router import CONFIRM_DELETE, CONSENT_HINT, Intent, Match, route
from catalog.normalize import tokens

# (id, message, intent, argument or None when the argument is not part of the contract).
# The id starts with the message's language.
ROWS: list[tuple[str, str, Intent, str | None]] = [
    # --- consent inside a sentence: not an opt-out (rule 1) -------------------------------
    ("en-stop-please", "STOP please", Intent.HELP, CONSENT_HINT),
    ("en-please-stop", "please stop", Intent.HELP, CONSENT_HINT),
    ("en-stop-it", "Stop it!!", Intent.HELP, CONSENT_HINT),
    ("en-stop-sending-report", "stop sending the report", Intent.HELP, CONSENT_HINT),
    ("es-parar-por-favor", "PARAR por favor", Intent.HELP, CONSENT_HINT),
    ("ar-stop-please", "توقف من فضلك", Intent.HELP, CONSENT_HINT),
    # --- deleting one's data: the request, then the one-word confirmation -----------------
    ("en-delete-my-data", "Please delete my data", Intent.DELETE_DATA, None),
    ("en-stop-and-delete", "stop texting me and delete my data", Intent.DELETE_DATA, None),
    ("en-forget-me", "forget me", Intent.DELETE_DATA, None),
    ("en-delete-confirm", "DELETE", Intent.DELETE_DATA, CONFIRM_DELETE),
    ("en-delete-a-file", "how do I delete the slides", Intent.RESOURCES, None),
    ("es-borrar-mis-datos", "borrar mis datos", Intent.DELETE_DATA, None),
    ("es-eliminen-mis-datos", "Por favor eliminen mis datos", Intent.DELETE_DATA, None),
    ("es-olvidame", "olvídame", Intent.DELETE_DATA, None),
    ("es-borrar-confirm", "Borrar.", Intent.DELETE_DATA, CONFIRM_DELETE),
    ("ar-delete-my-data", "احذف بياناتي", Intent.DELETE_DATA, None),
    ("ar-erase-my-data", "امسحوا بياناتي من فضلك", Intent.DELETE_DATA, None),
    ("ar-delete-confirm", "احذف", Intent.DELETE_DATA, CONFIRM_DELETE),
    # --- reminders off (not all messages) -------------------------------------------------
    ("en-stop-reminders", "stop reminders", Intent.UNSUBSCRIBE, None),
    ("en-stop-sending-reminders", "Stop sending reminders", Intent.UNSUBSCRIBE, None),
    ("en-no-more-reminders", "no more reminders", Intent.UNSUBSCRIBE, None),
    ("en-cancel-subscription", "cancel my subscription", Intent.UNSUBSCRIBE, None),
    ("en-turn-off-reminders", "turn off reminders", Intent.UNSUBSCRIBE, None),
    ("en-dont-want", "I don't want reminders anymore", Intent.UNSUBSCRIBE, None),
    ("en-dont-remind-me", "don't remind me", Intent.UNSUBSCRIBE, None),
    ("en-unsubscribe-me", "unsubscribe me please", Intent.UNSUBSCRIBE, None),
    ("es-no-quiero-mas", "No quiero más recordatorios", Intent.UNSUBSCRIBE, None),
    ("es-cancelar-suscripcion", "Cancelar mi suscripción", Intent.UNSUBSCRIBE, None),
    ("es-no-me-recuerdes", "no me recuerdes", Intent.UNSUBSCRIBE, None),
    ("es-sin-recordatorios", "sin recordatorios", Intent.UNSUBSCRIBE, None),
    ("ar-cancel-reminder", "إلغاء التذكير", Intent.UNSUBSCRIBE, None),
    ("ar-stop-reminders", "أوقف التذكيرات", Intent.UNSUBSCRIBE, None),
    ("ar-dont-want-reminders", "لا أريد التذكيرات", Intent.UNSUBSCRIBE, None),
    ("ar-cancel-subscription-harakat", "ألغِ الاشتراك", Intent.UNSUBSCRIBE, None),
    # --- reminders on -----------------------------------------------------------------------
    ("en-remind-me", "remind me", Intent.SUBSCRIBE, ""),
    ("en-topic", "remind me about teachers", Intent.SUBSCRIBE, "about teachers"),
    ("en-typo-reminderz", "reminderz", Intent.SUBSCRIBE, ""),
    ("en-not-a-cancel", "I did not get the reminder", Intent.SUBSCRIBE, None),
    ("es-suscribeme", "suscríbeme", Intent.SUBSCRIBE, ""),
    ("es-quiero-recordatorios", "quiero recordatorios", Intent.SUBSCRIBE, None),
    ("es-not-a-cancel", "No recibí el recordatorio", Intent.SUBSCRIBE, None),
    ("ar-remind-me", "ذكرني", Intent.SUBSCRIBE, ""),
    # --- numbers pick a menu item, in ASCII -------------------------------------------------
    ("num-ascii", "2", Intent.CHOOSE, "2"),
    ("num-arabic-indic", "٢", Intent.CHOOSE, "2"),
    ("num-persian", "۳", Intent.CHOOSE, "3"),
    ("num-arabic-indic-two-digits", "١٢", Intent.CHOOSE, "12"),
    ("num-hash", "#3", Intent.CHOOSE, "3"),
    ("num-dot", "3.", Intent.CHOOSE, "3"),
    ("num-paren-spaces", " 4) ", Intent.CHOOSE, "4"),
    ("num-fullwidth", "１", Intent.CHOOSE, "1"),
    # --- language: a name alone or with fillers -------------------------------------------
    ("es-espanol", "español", Intent.SET_LANGUAGE, "es"),
    ("es-espanol-no-accent", "Espanol", Intent.SET_LANGUAGE, "es"),
    ("es-espanol-por-favor", "español por favor", Intent.SET_LANGUAGE, "es"),
    ("es-hablas-espanol", "¿Hablas español?", Intent.SET_LANGUAGE, "es"),
    ("es-escribirme", "puedes escribirme en español", Intent.SET_LANGUAGE, "es"),
    ("en-spanish", "Spanish", Intent.SET_LANGUAGE, "es"),
    ("en-in-english-please", "in English please", Intent.SET_LANGUAGE, "en"),
    ("en-english-caps", "ENGLISH", Intent.SET_LANGUAGE, "en"),
    ("en-pls", "in english pls", Intent.SET_LANGUAGE, "en"),
    ("es-ingles", "Inglés", Intent.SET_LANGUAGE, "en"),
    ("es-en-arabe", "en árabe", Intent.SET_LANGUAGE, "ar"),
    ("en-arabic-please", "Arabic please", Intent.SET_LANGUAGE, "ar"),
    ("ar-bilarabi", "بالعربي", Intent.SET_LANGUAGE, "ar"),
    ("ar-alarabiya", "العربية", Intent.SET_LANGUAGE, "ar"),
    ("ar-bilarabi-please", "بالعربي لو سمحت", Intent.SET_LANGUAGE, "ar"),
    ("ar-english-hamza", "بالإنجليزي", Intent.SET_LANGUAGE, "en"),
    # ... but a language named inside another request is that request
    ("en-recordings-in-spanish", "recordings in spanish", Intent.LIST, "in spanish"),
    ("es-grabaciones-en-espanol", "grabaciones en español", Intent.LIST, None),
    ("en-slides-in-english", "slides in english", Intent.RESOURCES, None),
    # --- language menu ------------------------------------------------------------------------
    ("en-language", "language", Intent.LANGUAGE_MENU, ""),
    ("es-cambiar-idioma", "cambiar idioma", Intent.LANGUAGE_MENU, None),
    ("ar-change-language", "تغيير اللغة", Intent.LANGUAGE_MENU, None),
    # --- next session: accents, diacritics, letter variants, typos --------------------------
    ("en-when-next", "When is the next session?", Intent.NEXT, None),
    ("en-whats-next", "what's next", Intent.NEXT, None),
    ("en-upcoming-sessions", "upcoming sessions", Intent.NEXT, None),
    ("es-proxima-accents", "¿Cuándo es la próxima sesión?", Intent.NEXT, None),
    ("es-proxima-no-accents", "cuando es la proxima sesion", Intent.NEXT, None),
    ("es-proxima-caps", "CUÁNDO ES LA PRÓXIMA", Intent.NEXT, None),
    ("es-typo-proxma", "proxma sesion", Intent.NEXT, None),
    ("es-siguiente", "la siguiente sesión", Intent.NEXT, None),
    ("ar-next-ta-marbuta", "متى الجلسة القادمة؟", Intent.NEXT, None),
    ("ar-next-yeh-heh", "متي الجلسه القادمه", Intent.NEXT, None),
    ("ar-next-diacritics", "مَتَى الجَلْسَةُ القَادِمَةُ", Intent.NEXT, None),
    ("ar-next-tatweel", "متــى الجلســة القادمــة", Intent.NEXT, None),
    ("ar-next-alef-hamza", "أريد موعد الجلسة القادمة", Intent.NEXT, None),
    ("ar-next-taliya", "ما هي الجلسة التالية", Intent.NEXT, None),
    # --- all sessions and recordings ---------------------------------------------------------
    ("en-sessions", "sessions", Intent.LIST, ""),
    ("en-typo-sesions", "sesions", Intent.LIST, ""),
    ("en-what-sessions", "what sessions do you have", Intent.LIST, None),
    ("es-hay-grabaciones", "¿Hay grabaciones?", Intent.LIST, None),
    ("es-typo-grabasiones", "grabasiones", Intent.LIST, ""),
    ("ar-sessions", "الجلسات", Intent.LIST, ""),
    ("ar-where-recordings", "أين التسجيلات", Intent.LIST, None),
    # --- resources ------------------------------------------------------------------------
    ("en-resources", "resources", Intent.RESOURCES, ""),
    ("en-slides-topic", "slides from the teachers session", Intent.RESOURCES, None),
    ("es-informe", "¿Dónde está el informe?", Intent.RESOURCES, None),
    ("es-recurso", "recurso", Intent.RESOURCES, ""),
    ("ar-resources", "أريد الموارد", Intent.RESOURCES, None),
    # --- help, more, greetings, thanks -----------------------------------------------------
    ("en-what-can-you-do", "what can you do?", Intent.HELP, ""),
    ("en-need-help", "I need help", Intent.HELP, None),
    ("es-necesito-ayuda", "necesito ayuda", Intent.HELP, None),
    ("es-typo-ayudaa", "ayudaa", Intent.HELP, None),
    ("ar-help-me", "ساعدني", Intent.HELP, None),
    ("en-more", "more", Intent.MORE, ""),
    ("es-mas-caps", "MÁS", Intent.MORE, ""),
    ("es-mas-por-favor", "más por favor", Intent.MORE, ""),
    ("ar-more", "المزيد", Intent.MORE, ""),
    ("en-hi", "hi there", Intent.GREETING, None),
    ("es-hola", "¡Hola! buenas tardes", Intent.GREETING, None),
    ("ar-salam", "السلام عليكم", Intent.GREETING, None),
    ("en-thank-you", "Thank you!", Intent.THANKS, None),
    ("es-gracias", "muchas gracias", Intent.THANKS, None),
    ("ar-shukran-tanween", "شكراً", Intent.THANKS, None),
    # --- seeing one's reminders; organizers' broadcasts -----------------------------------
    ("en-my-reminders", "my reminders", Intent.MY_REMINDERS, ""),
    ("es-mis-recordatorios", "¿Mis recordatorios?", Intent.MY_REMINDERS, ""),
    ("ar-my-reminders", "تذكيراتي", Intent.MY_REMINDERS, ""),
    ("en-cancel-my-subscriptions", "cancel my subscriptions", Intent.UNSUBSCRIBE, ""),
    ("en-broadcast-command", "/broadcast", Intent.BROADCAST, ""),
    ("en-broadcast-status", "/broadcast status", Intent.BROADCAST, "status"),
    ("es-difundir", "difundir", Intent.BROADCAST, ""),
    ("ar-broadcast", "بث", Intent.BROADCAST, ""),
    # --- anything else is a catalog search (the explicit fallback) --------------------------
    ("en-search-restorative", "restorative", Intent.SEARCH, "restorative"),
    ("en-search-two", "restorative justice", Intent.SEARCH, "restorative justice"),
    ("es-search-maestros", "maestros", Intent.SEARCH, "maestros"),
    ("es-search-salud-mental", "Salud Mental", Intent.SEARCH, "salud mental"),
    ("ar-search-teachers", "المعلمين", Intent.SEARCH, "المعلمين"),
    ("ar-search-mental-health", "الصحة النفسية", Intent.SEARCH, "الصحه النفسيه"),
    ("num-too-long-is-a-search", "1000", Intent.SEARCH, "1000"),
    # --- nothing readable ---------------------------------------------------------------------
    ("empty", "", Intent.EMPTY, ""),
    ("blank", "   \n\t", Intent.EMPTY, ""),
    ("emoji", "🙂👍", Intent.EMPTY, ""),
    ("punctuation", "???", Intent.EMPTY, ""),
    ("only-tatweel", "ـــ", Intent.EMPTY, ""),
]


CASES = [pytest.param(text, intent, argument, id=name) for name, text, intent, argument in ROWS]


@pytest.mark.parametrize(("text", "intent", "argument"), CASES)
def test_route_understands_real_messages(text: str, intent: Intent, argument: str | None) -> None:
    match = route(text)

    assert match.intent is intent, (text, match)
    if argument is not None:
        assert match.argument == argument, (text, match)


def test_the_table_covers_every_intent_in_three_languages() -> None:
    covered = {intent for _, _, intent, _ in ROWS} | {Intent.OPT_OUT, Intent.OPT_IN}  # below
    for language in ("en", "es", "ar"):
        rows = [row for row in ROWS if row[0].startswith(f"{language}-")]
        assert len(rows) >= 15, language
    assert covered == set(Intent)
    assert len({name for name, *_ in ROWS}) == len(ROWS) >= 60


# --- consent words as the whole message (rule 1) ---------------------------------------------

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ALTO", "PARAR", "BAJA"]
OPT_OUT_AR = {"توقف": "tawaqqaf", "الغاء": "ilgha", "إلغاء": "ilgha-hamza"}
OPT_IN = ["START", "UNSTOP", "YES", "SÍ", "SI", "INICIAR"]
OPT_IN_AR = {"ابدأ": "ibda", "ابدا": "ibda-no-hamza", "نعم": "naam"}
HELP = ["HELP", "AYUDA"]
HELP_AR = {"مساعدة": "musaada", "مساعده": "musaada-heh"}

SHAPES: dict[str, Callable[[str], str]] = {
    "as-is": lambda word: word,
    "lower": str.lower,
    "title": str.title,
    "spaces": lambda word: f"  {word} \n",
    "bang": lambda word: f"{word}!",
    "dot": lambda word: f"{word}.",
    "spanish-marks": lambda word: f"¡{word}!",
}


def consent_params(latin: list[str], arabic: dict[str, str]) -> list[object]:
    """Every word in every shape; Arabic has no case, so its case shapes are left out."""
    params: list[object] = []
    for word, name in [(word, word.lower()) for word in latin] + list(arabic.items()):
        seen: set[str] = set()
        for shape_name, shape in SHAPES.items():
            if (text := shape(word)) not in seen:
                seen.add(text)
                params.append(pytest.param(text, id=f"{name}-{shape_name}"))
    return params


@pytest.mark.parametrize("text", consent_params(OPT_OUT, OPT_OUT_AR))
def test_an_opt_out_word_alone_opts_out_in_any_case_and_punctuation(text: str) -> None:
    assert route(text).intent is Intent.OPT_OUT


@pytest.mark.parametrize("text", consent_params(OPT_IN, OPT_IN_AR))
def test_an_opt_in_word_alone_opts_back_in(text: str) -> None:
    assert route(text).intent is Intent.OPT_IN


@pytest.mark.parametrize("text", consent_params(HELP, HELP_AR))
def test_a_help_word_alone_asks_for_help(text: str) -> None:
    assert route(text) == Match(Intent.HELP)


opt_out_word = st.sampled_from([*OPT_OUT, *OPT_OUT_AR]).flatmap(
    lambda word: st.sampled_from([word, word.lower(), word.title()])
)
letters_word = st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(word=opt_out_word, extra=letters_word, before=st.booleans())
def test_an_opt_out_word_with_any_other_word_is_never_an_opt_out(
    word: str, extra: str, before: bool
) -> None:
    assume(tokens(extra))  # not a lone tatweel: a letter the normaliser drops, not a word
    text = f"{extra} {word}" if before else f"{word} {extra}"

    assert route(text).intent is not Intent.OPT_OUT


# --- totality and determinism ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_route_never_raises_and_always_answers_with_an_intent(text: str) -> None:
    match = route(text)

    assert isinstance(match, Match)
    assert isinstance(match.intent, Intent)
    assert isinstance(match.argument, str)
    assert route(text) == match


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*OPT_OUT, "reminders", "next", "español", "٣", "!"]), max_size=4))
def test_route_is_total_on_mixtures_of_keywords(words: list[str]) -> None:
    text = " ".join(words)
    readable = [word for word in words if word != "!"]
    alone = len(readable) == 1 and readable[0] in OPT_OUT

    assert route(text) == route(text)
    assert (route(text).intent is Intent.OPT_OUT) == alone
