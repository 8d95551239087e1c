"""Fuzz the router, then whole conversation turns, with random messages; any exception fails.

Phase 1 sends --count inputs through `bot.router.route`. Phase 2 sends --turns of them
through `Conversation.handle` on a temporary SQLite database with the bundled catalog, as
Telegram, SMS and terminal contacts, and turns each reply into what its channel would send
(Telegram HTML parts and keyboard, SMS text and segments). A turn that fails is answered
with an apology and logged, not raised, so logged errors count as exceptions too; so do
replies that break a channel's promise (an empty text, an SMS page over 3 segments, a
Telegram part over 4096 UTF-16 units).

Inputs mix random code points of every plane, lone surrogates (JSON's "\\ud800" reaches
`update_from_json` as one), control characters, bidi marks, Arabic with harakat, tatweel and
Arabic-Indic digits, Spanish accents, emoji ZWJ sequences, words of the router's own tables
mutated (case, accents, typos, hamza, spacing, punctuation), and 10,000-character pastes.
The same --seed gives the same inputs.

    .venv/bin/python bench/fuzz.py                          # seed 0, 100,000 + 5,000
    .venv/bin/python bench/fuzz.py --seed 7 --count 300000 --turns 0
    .venv/bin/python bench/fuzz.py --no-surrogates          # leave lone surrogates out
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shlex
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import router
from bot.channels.sms_text import segment_report, sms_safe
from bot.channels.telegram_text import render_html, reply_markup, split_message
from bot.config import Settings
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage
from bot.router import Intent, Match, route
from bot.runtime import open_runtime, utc_now
from bot.sms_paging import MAX_SEGMENTS
from catalog.io import BUNDLED_CATALOG, load_catalog
from catalog.normalize import tokens
from handlers import HANDLERS

TELEGRAM_LIMIT = 4096
SHOWN_FAILURES = 8
ROOT = Path(__file__).resolve().parent.parent
ORGANIZER_PHONE = "+15550100000"
ORGANIZER_TELEGRAM = "900"

# --- the pieces inputs are made of -------------------------------------------------------------

CONTROL = [chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
BIDI = list("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = list("\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u180e")
SPACES = list(" \t\n\r\u00a0\u2007\u2009\u202f\u3000\u2028\u2029\x0b\x0c\x85")
PUNCTUATION = list("!?.,;:¿¡،؛؟…«»“”‘’—–-()[]{}#@/\\'\"*&<>%$€£+=_~^|")
ARABIC_LETTERS = [chr(code) for code in range(0x0621, 0x064B) if code != 0x0640]
HARAKAT = [chr(code) for code in range(0x064B, 0x0660)] + ["\u0670"]
TATWEEL = "\u0640"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EXTENDED_ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹"
ALEF_FORMS = "اأإآٱ"
SPANISH = list("áéíóúüñÁÉÍÓÚÜÑ¿¡")
LATIN_ACCENTS = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0308", "\u0327"]
PEOPLE = ["👨", "👩", "👧", "👦", "🧑", "👶", "🧒"]
SKIN_TONES = [chr(code) for code in range(0x1F3FB, 0x1F400)]
EMOJI = ["😀", "👍", "🛑", "✋", "❤️", "🎉", "🙏", "☎️", "📅", "🫨", "🇲🇽", "🏳️\u200d🌈", "#️⃣"]
# Other decimal digits, and characters that are digits to str.isdigit() but not to int().
OTHER_DIGITS = "०१२३४५६७८९" + "০১২৩৪৫৬৭৮৯" + "０１２３４５６７８９" + "𝟎𝟏𝟐𝟑" + "²³¹①②➊➌⑴"
COMMANDS = ["/start", "/help", "/next", "/sessions", "/language", "/subscribe", "/stop"]
COMMANDS += ["/broadcast", "/start s1", "/next@SessionsBot", "/start " + "x" * 80]


def router_vocabulary() -> list[str]:
    """Every word and phrase of the router's tables, whatever tables it has today."""
    phrases: set[str] = set()
    for name, value in vars(router).items():
        if name.startswith("_") or not name.isupper():
            continue
        if name == "RULES":
            phrases.update(phrase for _, group in value for phrase in group)
        elif isinstance(value, dict):
            for group in value.values():
                phrases.update(item for item in group if isinstance(item, str))
        elif isinstance(value, frozenset | set | tuple):
            phrases.update(item for item in value if isinstance(item, str))
    return sorted(phrases)


def catalog_vocabulary() -> list[str]:
    """Words of the bundled catalog's titles and summaries: what a search finds."""
    catalog = load_catalog(BUNDLED_CATALOG)
    words: set[str] = set()
    for item in (*catalog.sessions, *catalog.resources):
        for text in (*item.title.values.values(), *item.summary.values.values()):
            words.update(text.split())
    return sorted(words)


@dataclass
class Inputs:
    """A seeded source of random messages of many kinds."""

    rng: random.Random
    surrogates: bool = True
    vocabulary: list[str] = field(default_factory=router_vocabulary)
    catalog_words: list[str] = field(default_factory=catalog_vocabulary)
    kinds: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        makers: list[tuple[Callable[[], str], int]] = [
            (self.keyword, 30),
            (self.sentence, 14),
            (self.unicode, 10),
            (self.arabic, 8),
            (self.spanish, 6),
            (self.emoji, 6),
            (self.number, 6),
            (self.controls, 4),
            (self.bidi, 4),
            (self.search, 5),
            (self.command, 3),
            (self.reminder, 3),
            (self.mixture, 4),
            (self.long, 1),
        ]
        if self.surrogates:
            makers.append((self.surrogate, 2))
        self._makers = [maker for maker, _ in makers]
        self._weights = [weight for _, weight in makers]

    def __call__(self) -> str:
        [maker] = self.rng.choices(self._makers, self._weights)
        self.kinds[maker.__name__] += 1
        return maker()

    # -- kinds --------------------------------------------------------------------------------

    def keyword(self) -> str:
        """A word or phrase of the router's tables, dressed or damaged as people type it."""
        return self.mutate(self.rng.choice(self.vocabulary))

    def sentence(self) -> str:
        words = [self.rng.choice(self.vocabulary) for _ in range(self.rng.randint(2, 6))]
        if self.rng.random() < 0.5:
            words.insert(self.rng.randrange(len(words)), self.rng.choice(self.catalog_words))
        return self.mutate(" ".join(words))

    def unicode(self) -> str:
        return "".join(self.code_point() for _ in range(self.rng.randint(0, 40)))

    def arabic(self) -> str:
        out: list[str] = []
        for _ in range(self.rng.randint(1, 6)):
            word = "".join(self.rng.choice(ARABIC_LETTERS) for _ in range(self.rng.randint(1, 8)))
            if self.rng.random() < 0.5:
                word = self.vocabulary_in_script(arabic=True)
            out.append(self.arabize(word))
        if self.rng.random() < 0.3:
            out.append(
                "".join(self.rng.choice(ARABIC_INDIC) for _ in range(self.rng.randint(1, 4)))
            )
        return self.rng.choice([" ", "  ", "، ", "\u200f "]).join(out) + self.rng.choice(
            ["", "؟", "!", ".", "\u200f"]
        )

    def spanish(self) -> str:
        words = [self.vocabulary_in_script(arabic=False) for _ in range(self.rng.randint(1, 5))]
        text = " ".join(self.accent(word) for word in words)
        return self.rng.choice(["", "¿", "¡"]) + text + self.rng.choice(["", "?", "!", "..."])

    def emoji(self) -> str:
        pieces: list[str] = []
        for _ in range(self.rng.randint(1, 5)):
            roll = self.rng.random()
            if roll < 0.3:  # a family: people joined by ZERO WIDTH JOINER, maybe toned
                members = self.rng.sample(PEOPLE, self.rng.randint(2, 4))
                pieces.append(
                    "\u200d".join(
                        member + (self.rng.choice(SKIN_TONES) if self.rng.random() < 0.3 else "")
                        for member in members
                    )
                )
            elif roll < 0.45:  # a flag: two regional indicators, real or not
                pieces.append("".join(chr(self.rng.randint(0x1F1E6, 0x1F1FF)) for _ in range(2)))
            elif roll < 0.55:  # a subdivision flag: black flag, tag letters, cancel tag
                tags = "".join(chr(0xE0061 + self.rng.randrange(26)) for _ in range(5))
                pieces.append(f"🏴{tags}\U000e007f")
            else:
                pieces.append(self.rng.choice(EMOJI) + self.rng.choice(["", "\ufe0f", "\ufe0e"]))
        text = "".join(pieces)
        if self.rng.random() < 0.4:
            text = (
                f"{self.keyword()} {text}"
                if self.rng.random() < 0.5
                else f"{text} {self.keyword()}"
            )
        return text

    def number(self) -> str:
        digits = str(self.rng.choice([0, 1, 2, 3, 5, 9, 10, 12, 99, 100, 999, 1000, 10**12]))
        if self.rng.random() < 0.01:  # longer than int() converts (4,300 digits)
            digits = "9" * self.rng.randint(4_000, 6_000)
        style = self.rng.random()
        if style < 0.3:
            digits = digits.translate(str.maketrans("0123456789", ARABIC_INDIC))
        elif style < 0.4:
            digits = digits.translate(str.maketrans("0123456789", EXTENDED_ARABIC_INDIC))
        elif style < 0.5:
            digits = "".join(self.rng.choice(OTHER_DIGITS) for _ in digits)
        return (
            self.rng.choice(["", "#", "# ", " ", "no. "])
            + digits
            + self.rng.choice(["", ".", ")", " ", " .", "!", "\u200f"])
        )

    def controls(self) -> str:
        text = self.keyword()
        for _ in range(self.rng.randint(1, 6)):
            at = self.rng.randint(0, len(text))
            text = text[:at] + self.rng.choice(CONTROL) + text[at:]
        return text

    def bidi(self) -> str:
        text = self.rng.choice([self.keyword, self.arabic, self.number])()
        marks = BIDI + INVISIBLE
        return self.rng.choice(marks) + text + "".join(self.rng.sample(marks, 2))

    def search(self) -> str:
        words = self.rng.sample(self.catalog_words, self.rng.randint(1, 4))
        return self.mutate(" ".join(words))

    def command(self) -> str:
        command = self.rng.choice(COMMANDS)
        if self.rng.random() < 0.5:
            command += " " + self.rng.choice([self.keyword, self.unicode, self.number])()
        return command

    def reminder(self) -> str:
        """A lead-time choice, "remind me 2 hours before", with any kind of number in it."""
        ask = self.rng.choice(["remind me", "recuérdame", "ذكرني", "reminder", "avísame"])
        unit = self.rng.choice(["hours", "day", "minutes", "horas", "días", "ساعات", "يوم", "h"])
        before = self.rng.choice(["before", "antes", "قبل", ""])
        return self.mutate(f"{ask} {self.number().strip()} {unit} {before}")

    def mixture(self) -> str:
        makers = [self.keyword, self.unicode, self.arabic, self.emoji, self.number, self.spanish]
        return self.rng.choice(["", " ", "\n"]).join(
            self.rng.choice(makers)() for _ in range(self.rng.randint(2, 4))
        )

    def long(self) -> str:
        """A paste of about 10,000 characters: one chunk repeated, or random code points."""
        size = self.rng.randint(4_000, 10_000)
        if self.rng.random() < 0.3:
            return "".join(self.code_point() for _ in range(size))
        chunk = self.rng.choice([self.sentence, self.arabic, self.emoji, self.spanish])()
        chunk += self.rng.choice(["", " ", "\n"])
        return (chunk * (size // max(1, len(chunk)) + 1))[:size]

    def surrogate(self) -> str:
        """What a JSON "\\ud83d" (half an emoji) or "\\udc00" leaves in a decoded string."""
        text = self.rng.choice([self.keyword, self.emoji, self.arabic])()
        lone = chr(self.rng.randint(0xD800, 0xDFFF))
        at = self.rng.randint(0, len(text))
        return text[:at] + lone + text[at:]

    # -- helpers ------------------------------------------------------------------------------

    def code_point(self) -> str:
        plane = self.rng.random()
        if plane < 0.6:
            code = self.rng.randint(0, 0xFFFF)
            if 0xD800 <= code <= 0xDFFF and not (self.surrogates and self.rng.random() < 0.1):
                code = self.rng.randint(0xE000, 0xFFFF)
            return chr(code)
        if plane < 0.85:
            return chr(self.rng.randint(0x10000, 0x1FFFF))  # emoji, historic scripts, math
        if plane < 0.9:
            return chr(self.rng.randint(0x20000, 0x3FFFF))  # CJK extensions
        if plane < 0.95:
            return chr(self.rng.randint(0xE0000, 0xE01EF))  # tags, variation selectors
        return chr(self.rng.randint(0xF0000, 0x10FFFF))  # private use

    def vocabulary_in_script(self, *, arabic: bool) -> str:
        for _ in range(20):
            word = self.rng.choice(self.vocabulary)
            if any("\u0600" <= char <= "\u06ff" for char in word) == arabic:
                return word
        return word

    def arabize(self, word: str) -> str:
        out: list[str] = []
        for char in word:
            if char == "ا" and self.rng.random() < 0.4:
                char = self.rng.choice(ALEF_FORMS)
            elif char == "ه" and self.rng.random() < 0.4:
                char = "ة"
            elif char == "ي" and self.rng.random() < 0.3:
                char = self.rng.choice("ىئ")
            out.append(char)
            if "\u0621" <= char <= "\u064a":
                if self.rng.random() < 0.3:
                    out.append(self.rng.choice(HARAKAT))
                if self.rng.random() < 0.1:
                    out.append(TATWEEL * self.rng.randint(1, 4))
        text = "".join(out)
        if self.rng.random() < 0.3:
            text = text.translate(str.maketrans("0123456789", ARABIC_INDIC))
        return text

    def accent(self, word: str) -> str:
        out: list[str] = []
        for char in word:
            if char in "aeiouAEIOUnNc" and self.rng.random() < 0.3:
                if self.rng.random() < 0.5:
                    char = self.rng.choice(SPANISH) if char.isalpha() else char
                else:
                    char += self.rng.choice(LATIN_ACCENTS)
            out.append(char)
        return "".join(out)

    def mutate(self, text: str) -> str:
        for _ in range(self.rng.randint(0, 3)):
            text = self.rng.choice(self._mutations)(self, text)
        return text

    def _case(self, text: str) -> str:
        style = self.rng.random()
        if style < 0.3:
            return text.upper()
        if style < 0.5:
            return text.title()
        return "".join(char.upper() if self.rng.random() < 0.5 else char for char in text)

    def _accents(self, text: str) -> str:
        arabic = any("\u0600" <= char <= "\u06ff" for char in text)
        return self.arabize(text) if arabic else self.accent(text)

    def _typo(self, text: str) -> str:
        if len(text) < 2:
            return text + text
        at = self.rng.randrange(len(text) - 1)
        operation = self.rng.randrange(4)
        if operation == 0:  # drop a letter
            return text[:at] + text[at + 1 :]
        if operation == 1:  # double a letter
            return text[: at + 1] + text[at:]
        if operation == 2:  # swap two letters
            return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        return text[:at] + self.rng.choice("aeiosnrtlxzق") + text[at + 1 :]

    def _wrap(self, text: str) -> str:
        around = PUNCTUATION + SPACES + BIDI + EMOJI
        before, after = ("".join(self.rng.choices(around, k=self.rng.randint(0, 3))) for _ in "ab")
        return before + text + after

    def _spacing(self, text: str) -> str:
        return "".join(
            "".join(self.rng.choices(SPACES, k=self.rng.randint(1, 3))) if char == " " else char
            for char in text
        )

    def _invisible(self, text: str) -> str:
        at = self.rng.randint(0, len(text))
        return text[:at] + self.rng.choice(INVISIBLE + BIDI) + text[at:]

    def _fullwidth(self, text: str) -> str:
        return "".join(
            chr(ord(char) - 0x21 + 0xFF01) if "!" <= char <= "~" else char for char in text
        )

    def _digits(self, text: str) -> str:
        return text + " " + self.number() if self.rng.random() < 0.5 else self.number() + " " + text

    def _join(self, text: str) -> str:
        other = self.rng.choice(self.vocabulary)
        return f"{text} {other}" if self.rng.random() < 0.5 else f"{other} {text}"

    _mutations = (_case, _accents, _typo, _wrap, _spacing, _invisible, _fullwidth, _digits, _join)


# --- counting failures ----------------------------------------------------------------------


@dataclass
class Failures:
    """Exceptions and broken promises, grouped by where they happened, with first examples."""

    exceptions: int = 0
    broken: int = 0
    groups: Counter[str] = field(default_factory=Counter)
    examples: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.exceptions + self.broken

    def add(self, where: str, text: str) -> None:
        """A broken promise: a wrong answer rather than an exception."""
        self.broken += 1
        self._group(where, text)

    def add_exception(self, error: BaseException, text: str) -> None:
        """Grouped by type and by the project's last frames, so one bug is one line."""
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename.startswith(str(ROOT)) and ".venv" not in frame.filename
        ]
        place = " > ".join(f"{Path(f.filename).name}:{f.lineno}" for f in frames[-3:])
        self.exceptions += 1
        self._group(f"{type(error).__name__} at {place or '?'}", text, f"{error}"[:160])

    def _group(self, where: str, text: str, detail: str = "") -> None:
        self.groups[where] += 1
        self.examples.setdefault(where, (text, detail))

    def report(self, title: str) -> None:
        for where, number in self.groups.most_common(SHOWN_FAILURES):
            text, detail = self.examples[where]
            print(f"  {title} x{number}: {where}" + (f": {detail}" if detail else ""))
            print(f"    first input: {ascii(text)[:300]}")


class LoggedErrors(logging.Handler):
    """Turns that fail are logged and answered with an apology: count those logs."""

    def __init__(self, failures: Failures) -> None:
        super().__init__(logging.ERROR)
        self.failures = failures
        self.current = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.failures.add_exception(record.exc_info[1], self.current)
        else:
            self.failures.add(f"logged error: {record.getMessage()[:90]}", self.current)


# --- phase 1: the router ---------------------------------------------------------------------


def check_route(text: str, match: Match) -> str | None:
    """What every caller of `route` relies on; a description of the first thing wrong."""
    if not isinstance(match, Match) or not isinstance(match.intent, Intent):
        return f"not a Match with an Intent: {match!r}"
    whole = " ".join(tokens(text))
    if (match.intent is Intent.OPT_OUT) != (whole in router.OPT_OUT_WORDS):
        return "OPT_OUT without the whole message being an opt-out word, or the reverse"
    if match.intent is Intent.CHOOSE and not (
        match.argument.isdigit() and len(match.argument) <= 3
    ):
        return f"CHOOSE with argument {match.argument!r}"
    return None


def fuzz_router(inputs: Inputs, count: int) -> tuple[Failures, float]:
    failures = Failures()
    texts = [inputs() for _ in range(count)]
    started = time.perf_counter()
    for index, text in enumerate(texts):
        try:
            match = route(text)
            problem = check_route(text, match)
            if problem is None and index % 10 == 0 and route(text) != match:
                problem = "a second call answered differently"
        except Exception as error:  # the router must be total: every exception is a finding
            failures.add_exception(error, text)
            continue
        if problem is not None:
            failures.add(problem, text)
    return failures, time.perf_counter() - started


# --- phase 2: whole conversation turns --------------------------------------------------------


def addresses(rng: random.Random, contacts: int) -> list[Address]:
    pool = [
        Address(ChannelName.SMS, ORGANIZER_PHONE),
        Address(ChannelName.TELEGRAM, ORGANIZER_TELEGRAM),
    ]
    for number in range(contacts):
        channel = rng.choice(list(ChannelName))
        if channel is ChannelName.TELEGRAM:
            pool.append(Address(channel, str(10_000 + number)))
        elif channel is ChannelName.SMS:
            pool.append(Address(channel, f"+1555{number:07d}"))
        else:
            pool.append(Address(channel, f"fuzz-{number}"))
    return pool


def check_outgoing(message: OutboundMessage, failures: Failures, text: str) -> None:
    """Turn a reply into what its channel sends, as the real channels do."""
    if not message.text.strip():
        failures.add(f"an empty {message.address.channel} reply", text)
        return
    if message.address.channel is ChannelName.TELEGRAM:
        parts = split_message(render_html(message.text, message.locale))
        reply_markup(message.buttons)
        if not parts or any(
            len(part.encode("utf-16-le", "surrogatepass")) // 2 > TELEGRAM_LIMIT for part in parts
        ):
            failures.add("a Telegram part over 4096 UTF-16 units", text)
    elif message.address.channel is ChannelName.SMS:
        body = sms_safe(message.text, message.locale)
        if segment_report(body).segments > MAX_SEGMENTS:
            failures.add(f"an SMS reply over {MAX_SEGMENTS} segments", text)


async def fuzz_turns(
    inputs: Inputs, rng: random.Random, turns: int, contacts: int
) -> tuple[Failures, float]:
    failures = Failures()
    logged = LoggedErrors(failures)
    root = logging.getLogger()
    root.addHandler(logged)  # also keeps Python's last-resort handler from printing
    root.setLevel(logging.ERROR)
    pool = addresses(rng, contacts)
    hints = [None, None, "en", "es", "ar", "es-MX", "pt-BR", "zz", ""]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{folder}/fuzz.db",
            organizers=frozenset({ORGANIZER_PHONE, ORGANIZER_TELEGRAM}),
            flood_limit_per_minute=0,  # every turn answered, however often a contact writes
        )
        runtime = await open_runtime(settings, HANDLERS)
        try:
            started = time.perf_counter()
            for number in range(turns):
                text = inputs()
                name = rng.choice([None, "Ana", inputs()[:64]])
                logged.current = text if name is None else f"{text} (display name {name!r})"
                address = rng.choice(pool)
                message = InboundMessage(
                    address,
                    text,
                    utc_now(),
                    external_id=f"fuzz-{number}" if rng.random() < 0.9 else None,
                    language_hint=rng.choice(hints),
                    display_name=name,
                    deep_link=rng.choice([None] * 9 + [text[:64]]),
                )
                try:
                    for outgoing in await runtime.conversation.handle(message):
                        check_outgoing(outgoing, failures, text)
                except Exception as error:
                    failures.add_exception(error, logged.current)
            elapsed = time.perf_counter() - started
        finally:
            await runtime.close()
            root.removeHandler(logged)
    return failures, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=100_000, help="inputs through the router")
    parser.add_argument("--turns", type=int, default=5_000, help="inputs through whole turns")
    parser.add_argument("--contacts", type=int, default=300, help="people the turns come from")
    parser.add_argument(
        "--no-surrogates", action="store_true", help="leave lone surrogates out of the inputs"
    )
    args = parser.parse_args()
    command = shlex.join([os.path.relpath(sys.executable), *sys.argv])

    inputs = Inputs(random.Random(f"{args.seed}-router"), surrogates=not args.no_surrogates)
    router_failures, router_seconds = fuzz_router(inputs, args.count)
    summary = (
        f"fuzz seed {args.seed}: router {args.count} inputs, {router_failures.exceptions} "
        f"exceptions, {router_failures.broken} wrong answers, {router_seconds:.1f} s, "
        f"{args.count / max(router_seconds, 1e-9):.0f} inputs/s"
    )
    turn_failures = Failures()
    if args.turns:
        rng = random.Random(f"{args.seed}-turns")
        turn_inputs = Inputs(rng, surrogates=not args.no_surrogates)
        turn_failures, turn_seconds = asyncio.run(
            fuzz_turns(turn_inputs, rng, args.turns, args.contacts)
        )
        summary += (
            f"; conversation {args.turns} turns, {turn_failures.exceptions} exceptions, "
            f"{turn_failures.broken} broken replies, {turn_seconds:.1f} s, "
            f"{args.turns / max(turn_seconds, 1e-9):.0f} turns/s"
        )
    print(summary)
    print(f"command: {command}")
    print(
        "router inputs by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(inputs.kinds.items()))
    )
    router_failures.report("router")
    turn_failures.report("turn")
    return 1 if router_failures.count or turn_failures.count else 0


if __name__ == "__main__":
    sys.exit(main())
