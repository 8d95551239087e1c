"""The console in English and Spanish: every text extracted, translated, placeholders kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.admin import i18n
from bot.i18n import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
POT = LOCALES_DIR / "admin.pot"
SPANISH = LOCALES_DIR / "es" / "LC_MESSAGES" / "admin.po"
# `{name}` in Python code, `%(name)s` in templates.
PLACEHOLDER = re.compile(r"\{(\w*)\}|%\((\w+)\)[sd]")


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def real(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_admin_pot_is_up_to_date_with_the_console(tmp_path: Path) -> None:
    """Same command as `scripts/i18n.sh extract`: a console text added without it fails."""
    fresh = tmp_path / "admin.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            *("extract", "-F", "babel-admin.cfg", "-k", "gettext", "-k", "ngettext:1,2"),
            *("-k", "_", "--no-location", "--sort-output", "-o", str(fresh), "."),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    extracted = {message.id for message in real(load(fresh))}
    committed = {message.id for message in real(load(POT))}
    assert extracted - committed == set(), "run scripts/i18n.sh extract, then update"
    assert committed - extracted == set(), "stale msgids: run scripts/i18n.sh extract"


def test_every_console_text_is_translated_in_spanish() -> None:
    catalog = load(SPANISH)
    problems = []
    for wanted in real(load(POT)):
        found = catalog.get(wanted.id)
        strings = found.string if found is not None else None
        texts = list(strings) if isinstance(strings, tuple) else [strings]
        if found is None or found.fuzzy or not all(t and t.strip() for t in texts):
            problems.append(wanted.id)
    assert problems == []


def test_spanish_keeps_the_placeholders_of_each_text() -> None:
    problems = []
    for message in real(load(SPANISH)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(placeholders(text) for text in ids))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            got = placeholders(text)
            if not got <= wanted or (len(ids) == 1 and got != wanted):
                problems.append(f"{got} != {wanted}: {text!r}")
    assert problems == []


def test_the_console_speaks_the_chosen_language() -> None:
    token = i18n.current_language.set("es")
    try:
        assert i18n.gettext("Sign in") != "Sign in"
    finally:
        i18n.current_language.reset(token)
    assert i18n.gettext("Sign in") == "Sign in"
