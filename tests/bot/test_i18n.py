"""Translations and formatting: what a parent reads, in their language, never empty (rule 8).

The catalog tests are the CI gate for translators and developers alike: a text added to the
code without `scripts/i18n.sh extract`, a msgid left untranslated or fuzzy, or a
translation that loses a `{placeholder}` fails here rather than in front of a parent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

import babel.localedata
import pytest
from babel.lists import format_list
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.i18n import ARABIC_PLURAL_FORMS, LOCALES_DIR, I18n, load_locale_data

ROOT = Path(__file__).resolve().parents[2]
POT = LOCALES_DIR / "messages.pot"
TRANSLATED = ("es", "ar")
PACIFIC = ZoneInfo("America/Los_Angeles")


def po_path(language: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / "messages.po"


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def real_messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def plural_message() -> Message:
    plurals = [
        message
        for message in real_messages(load(POT))
        if message.pluralizable
        and placeholders(message.id[0]) | placeholders(message.id[1]) <= {"n"}
    ]
    assert plurals, "messages.pot has no msgid_plural any more: update this test"
    return plurals[0]


def plural_ids() -> tuple[str, str]:
    """The project's real (msgid, msgid_plural)."""
    ids = plural_message().id
    assert isinstance(ids, tuple)
    singular, plural = ids
    return singular, plural


def forms(message: Message) -> tuple[str, ...]:
    """Every msgstr of `message`: one, or one per plural form ("" where missing)."""
    string = message.string
    if isinstance(string, str):
        return (string,)
    return tuple(text or "" for text in string or ("",))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n()


# --- plurals ---------------------------------------------------------------------------


def test_arabic_po_header_carries_the_project_plural_expression() -> None:
    """The ar header must say exactly `ARABIC_PLURAL_FORMS`, not what Babel would write.

    Babel derives Arabic's Plural-Forms from CLDR with the "many" and "other" categories
    swapped (python-babel/babel#816): with `pybabel init -l ar` 11 picks the string meant
    for 100 and 100 the one meant for 11. The project writes the standard gettext
    expression into the header by hand; an `init` or a tool that "repairs" the header
    would silently bring the swap back, so the header text is pinned here.
    """
    header = po_path("ar").read_text(encoding="utf-8")
    found = re.findall(r'^"Plural-Forms: (.*)\\n"$', header, flags=re.MULTILINE)

    assert found == [ARABIC_PLURAL_FORMS]


def test_the_compiled_arabic_catalog_serves_the_project_plural_expression(i18n: I18n) -> None:
    assert i18n["ar"].translations.info()["plural-forms"] == ARABIC_PLURAL_FORMS


_PLURAL_MSGSTR = re.compile(r'^msgstr\[(\d)\] ".*"\n(?:".*"\n)*', flags=re.MULTILINE)


def marker_locales(tmp_path: Path) -> Path:
    """A copy of `locales/` whose Arabic plural forms say which one was chosen.

    Only the msgstr[i] lines are rewritten, as text: the header stays byte for byte the
    shipped one, so the expression under test is the real one.
    """
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    path = po_path("ar", locales)
    text = path.read_text(encoding="utf-8")
    marked = _PLURAL_MSGSTR.sub(r'msgstr[\1] "form \1 n={n}"\n', text)
    assert marked.count("form 5 n={n}") >= 1
    path.write_text(marked, encoding="utf-8")
    return locales


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (10, 3),
        (11, 4),
        (99, 4),
        (100, 5),
        (101, 5),
        (102, 5),
        (103, 3),
        (111, 4),
        (1000, 5),
    ],
    ids=lambda value: str(value),
)
def test_arabic_picks_the_plural_form_cldr_prescribes(tmp_path: Path, n: int, form: int) -> None:
    """0 zero, 1 one, 2 two, 3-10 few, 11-99 many, 100-102 other (by n % 100).

    The real ar header and the real plural msgid, with each form replaced by its index:
    the shipped translation writes forms 4 and 5 with the same letters (جلسة after 11 and
    after 100 differ only in unwritten case endings), so only markers can tell them apart.
    """
    singular, plural = plural_ids()
    translator = I18n(marker_locales(tmp_path))["ar"]

    assert translator.ngettext(singular, plural, n) == f"form {form} n={n}"


def test_arabic_real_translation_follows_the_six_forms(i18n: I18n) -> None:
    singular, plural = plural_ids()
    shipped = forms(load(po_path("ar"))[singular])
    texts = {n: i18n["ar"].ngettext(singular, plural, n) for n in (0, 1, 2, 3, 11, 100)}

    assert len(shipped) == 6
    assert len({texts[0], texts[1], texts[2], texts[3], texts[11]}) == 5
    assert texts[11] == shipped[4].format(n=11)
    assert texts[100] == shipped[5].format(n=100)
    assert "3" in texts[3] and "11" in texts[11] and "100" in texts[100]


@pytest.mark.parametrize("language", ["en", "es"])
def test_one_is_singular_and_zero_and_two_are_plural(i18n: I18n, language: str) -> None:
    singular, plural = plural_ids()
    if language == "en":
        one_form, other_form = singular, plural
    else:
        one_form, other_form = forms(load(po_path(language))[singular])
    translator = i18n[language]

    assert one_form != other_form
    assert translator.ngettext(singular, plural, 1) == one_form.format(n=1)
    assert translator.ngettext(singular, plural, 0) == other_form.format(n=0)
    assert translator.ngettext(singular, plural, 2) == other_form.format(n=2)


# --- catalog completeness ---------------------------------------------------------------


def test_every_msgid_is_translated_in_spanish_and_arabic() -> None:
    template = real_messages(load(POT))
    problems: list[str] = []
    for language in TRANSLATED:
        catalog = load(po_path(language))
        for wanted in template:
            found = catalog.get(wanted.id)
            if found is None:
                problems.append(f"{language}: missing {wanted.id!r}")
            elif found.fuzzy:
                problems.append(f"{language}: fuzzy {wanted.id!r}")
            elif not all(text.strip() for text in forms(found)):
                problems.append(f"{language}: empty form in {wanted.id!r}")
            elif wanted.pluralizable and len(forms(found)) != catalog.num_plurals:
                problems.append(f"{language}: {len(forms(found))} plural forms {wanted.id!r}")

    assert problems == []


def test_translations_keep_exactly_the_placeholders_of_the_msgid() -> None:
    """`{date}` dropped or `{fecha}` invented would crash `.format()` or lose the date.

    The one allowance: a plural form may leave out `{n}` ("one session", "two sessions"
    are written as words in Arabic); it may not leave out anything else.
    """
    problems: list[str] = []
    for language in TRANSLATED:
        catalog = load(po_path(language))
        for message in real_messages(catalog):
            if message.pluralizable:
                wanted = placeholders(message.id[0]) | placeholders(message.id[1])
                for index, text in enumerate(forms(message)):
                    got = placeholders(text)
                    if not (wanted - {"n"} <= got <= wanted):
                        problems.append(f"{language}[{index}]: {got} != {wanted} {text!r}")
            else:
                wanted = placeholders(str(message.id))
                got = placeholders(str(message.string))
                if got != wanted:
                    problems.append(f"{language}: {got} != {wanted} {message.string!r}")

    assert problems == []


def test_messages_pot_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    """Same command as `scripts/i18n.sh extract`: a text added without extracting fails."""
    pybabel = Path(sys.executable).with_name("pybabel")
    fresh = tmp_path / "messages.pot"
    command = ["extract", "-F", "babel.cfg", "-k", "gettext", "-k", "ngettext:1,2", "-k", "N_"]
    # The console (bot/admin) has its own domain: tests/web/test_admin_i18n.py.
    command.append("--ignore-dirs=.* ._ admin")
    subprocess.run(
        [str(pybabel), *command, "--no-location", "--sort-output", "-o", str(fresh), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )

    extracted = {message.id for message in real_messages(load(fresh))}
    committed = {message.id for message in real_messages(load(POT))}

    assert extracted - committed == set(), "run scripts/i18n.sh extract, then update"
    assert committed - extracted == set(), "stale msgids: run scripts/i18n.sh extract"


# --- fallbacks ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_an_unknown_msgid_comes_back_in_english(i18n: I18n, language: str) -> None:
    assert i18n[language].gettext("No such text {x}", x=1) == "No such text 1"


@pytest.mark.parametrize("language", ["fr", "", "EN", "zz-Latn"])
def test_an_unsupported_language_gets_the_english_translator(i18n: I18n, language: str) -> None:
    assert i18n[language] is i18n["en"]


def test_a_known_msgid_is_translated(i18n: I18n) -> None:
    text = "Send HELP to see what I can do."

    assert i18n["en"].gettext(text) == text
    assert i18n["es"].gettext(text) not in ("", text)
    assert i18n["ar"].gettext(text) not in ("", text)


# --- dates and direction ------------------------------------------------------------------

WINTER = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # Wed Dec 2, 17:30 PST (UTC-8)
SUMMER = datetime(2026, 7, 15, 1, 30, tzinfo=UTC)  # Tue Jul 14, 18:30 PDT (UTC-7)


@pytest.mark.parametrize(
    ("language", "weekday", "day", "hour", "zone"),
    [
        ("en", "Wednesday", "December 2", "5:30", "Pacific Time"),
        ("es", "miércoles", "2 de diciembre", "17:30", "hora del Pacífico"),
        ("ar", "الأربعاء", "2 ديسمبر", "5:30", "توقيت المحيط الهادي"),
    ],
)
def test_when_shows_local_date_time_weekday_and_everyday_zone_name(
    i18n: I18n, language: str, weekday: str, day: str, hour: str, zone: str
) -> None:
    text = i18n[language].when(WINTER, PACIFIC)

    assert weekday in text
    assert day in text
    assert hour in text
    assert f"({zone})" in text


@pytest.mark.parametrize(
    ("language", "weekday", "hour", "zone"),
    [
        ("en", "Tuesday", "6:30", "Pacific Time"),
        ("es", "martes", "18:30", "hora del Pacífico"),
        ("ar", "الثلاثاء", "6:30", "توقيت المحيط الهادي"),
    ],
)
def test_summer_time_keeps_the_everyday_zone_name_and_shifts_the_hour(
    i18n: I18n, language: str, weekday: str, hour: str, zone: str
) -> None:
    text = i18n[language].when(SUMMER, PACIFIC)

    assert weekday in text
    assert hour in text
    assert f"({zone})" in text


def test_when_in_english_reads_naturally(i18n: I18n) -> None:
    text = i18n["en"].when(WINTER, PACIFIC).replace("\u202f", " ")

    assert text == "Wednesday, December 2, 2026 at 5:30 PM (Pacific Time)"


@pytest.mark.parametrize(("language", "rtl"), [("en", False), ("es", False), ("ar", True)])
def test_only_arabic_is_right_to_left(i18n: I18n, language: str, rtl: bool) -> None:
    assert i18n[language].rtl is rtl


def test_locale_data_is_loaded_at_start_not_on_a_parents_first_date(
    i18n: I18n, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(babel.localedata, "_cache", {})
    load_locale_data()
    loaded_at_start = set(babel.localedata._cache)

    for language in ("en", "es", "ar"):
        i18n[language].when(datetime(2031, 5, 6, 7, 8, tzinfo=UTC), PACIFIC)
        format_list(["a", "b", "c"], locale=language)

    assert loaded_at_start >= {"en", "es", "ar"}
    assert set(babel.localedata._cache) == loaded_at_start
