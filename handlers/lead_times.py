"""How long before a session someone wants a reminder, read from their own words.

"remind me 2 hours before", "recuérdame 1 día y 1 hora antes", "ذكرني قبل ساعتين": the
SUBSCRIBE request is also how people choose their lead times, so this reads the rest of
that message and finds the durations in it. It goes through the bot's one normaliser
(ASCII digits, no accents, Arabic letters folded), so the words below are folded forms.
It is pure so that the many ways of saying a duration are pinned in a table of tests.

A duration is a count and a unit. The count is a number ("2", "two", "dos", "ثلاث"), an
indefinite article ("a day", "una hora"), a fraction ("half an hour", "media hora",
"نصف ساعة"), or, in Arabic, the unit's own form: the singular is one ("قبل ساعة") and the
dual is two ("قبل ساعتين"). A bare unit is an ordinary word ("family day" is not a day),
and "the day" counts only when "before" follows it ("the day before"). Several
durations are several reminders: "1 day and 1 hour" is two, while "an hour and a half"
is one of 90 minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum, auto

from bot.store.subscriptions import MAX_LEAD_MINUTES, MAX_LEADS
from catalog.normalize import tokens

MINUTE = 1
HOUR = 60
DAY = 24 * HOUR
WEEK = 7 * DAY
# Shorter than this, a reminder arrives when the person should already be joining.
MIN_LEAD_MINUTES = 5


@dataclass(frozen=True)
class LeadTimes:
    """The durations a message names, in minutes."""

    minutes: tuple[int, ...]  # usable ones, in the order named, at most MAX_LEADS
    out_of_range: tuple[int, ...]  # named, but shorter or longer than we offer
    rest: str  # the words that are not part of a duration ("about safety before")


@dataclass(frozen=True)
class _Unit:
    minutes: int
    implied: int | None = None  # the count an Arabic singular (1) or dual (2) carries


def _units(minutes: int, words: str, implied: int | None = None) -> dict[str, _Unit]:
    return dict.fromkeys(words.split(), _Unit(minutes, implied))


_UNITS: dict[str, _Unit] = {
    **_units(MINUTE, "minute minutes min mins minuto minutos دقايق"),
    **_units(MINUTE, "دقيقه", 1),
    **_units(MINUTE, "دقيقتين دقيقتان", 2),
    **_units(HOUR, "hour hours hr hrs h hora horas ساعات"),
    **_units(HOUR, "ساعه", 1),
    **_units(HOUR, "ساعتين ساعتان", 2),
    **_units(DAY, "day days dia dias ايام"),
    **_units(DAY, "يوم", 1),
    **_units(DAY, "يومين يومان", 2),
    **_units(WEEK, "week weeks wk wks semana semanas اسابيع"),
    **_units(WEEK, "اسبوع", 1),
    **_units(WEEK, "اسبوعين اسبوعان", 2),
}


def _numbers(*groups: tuple[int, str]) -> dict[str, int]:
    return {word: value for value, words in groups for word in words.split()}


_NUMBERS = _numbers(
    (1, "one uno واحد واحده"),
    (2, "two couple dos par اثنين اثنان اثنتين اثنتان"),
    (3, "three tres ثلاث ثلاثه"),
    (4, "four cuatro اربع اربعه"),
    (5, "five cinco خمس خمسه"),
    (6, "six seis ست سته"),
    (7, "seven siete سبع سبعه"),
    (8, "eight ocho ثمان ثماني ثمانيه"),
    (9, "nine nueve تسع تسعه"),
    (10, "ten diez عشر عشره"),
    (12, "twelve doce"),
    (15, "fifteen quince"),
    (20, "twenty veinte عشرين عشرون"),
    (30, "thirty treinta ثلاثين ثلاثون"),
    (40, "forty cuarenta اربعين اربعون"),
    (50, "fifty cincuenta خمسين خمسون"),
)
_FRACTIONS = {
    **dict.fromkeys(("half", "media", "medio", "نصف", "نص"), 0.5),
    **dict.fromkeys(("quarter", "cuarto", "ربع"), 0.25),
    "ثلث": 1 / 3,
}
_INDEFINITE = frozenset({"a", "an", "un", "una"})
_DEFINITE = frozenset({"the", "el", "la"})
_LINKS = frozenset({"and", "of", "y", "e", "de", "و"})
_BEFORE = frozenset({"before", "prior", "ahead", "earlier", "antes", "anterior", "previo"})
# Arabic writes "and" and "by" joined to the next word: "ساعة ويوم", "قبل الجلسة بيوم".
_ARABIC_PREFIXES = (("وب", "و"), ("و", "و"), ("ب", ""))
_VOCABULARY = frozenset(_UNITS) | frozenset(_NUMBERS) | frozenset(_FRACTIONS)
_DIGITS_OR_LETTERS = re.compile(r"\d+|\D+")


def _words(text: str) -> list[str]:
    """Normalised words with "2h" split into "2" "h" and Arabic "و"/"ب" split off."""
    words: list[str] = []
    for token in tokens(text):
        for part in _DIGITS_OR_LETTERS.findall(token):
            words.extend(_unprefixed(part))
    return words


def _unprefixed(word: str) -> list[str]:
    if word in _VOCABULARY:
        return [word]
    for prefix, link in _ARABIC_PREFIXES:
        if word.startswith(prefix) and word[len(prefix) :] in _VOCABULARY:
            return [link, word[len(prefix) :]] if link else [word[len(prefix) :]]
    return [word]


class _Count(Enum):
    DIGITS = auto()
    WORDS = auto()  # number words add up: "twenty five", "خمسة عشر"
    INDEFINITE = auto()
    DEFINITE = auto()


@dataclass
class _Scan:
    """The reading so far: a count waiting for its unit, and the durations found."""

    found: list[float] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)
    count: float | None = None
    kind: _Count | None = None
    fraction: float = 0.0
    # The unit of the duration just read while only linking words follow it, so that
    # "and a half" can still add to it.
    last_unit: int | None = None

    def number(self, value: int, kind: _Count) -> None:
        self.settle()
        if self.kind is _Count.WORDS and kind is _Count.WORDS and self.count is not None:
            self.count += value
        else:
            self.count = value
        self.kind = kind

    def article(self, kind: _Count) -> None:
        if self.count is None:
            self.count, self.kind = 1, kind

    def unit(self, unit: _Unit, following: str | None) -> bool:
        """Read a unit word; False when it is not part of a duration after all."""
        amount: float | None
        if self.fraction:
            whole = self.kind in (_Count.DIGITS, _Count.WORDS)
            amount = (self.count if whole and self.count is not None else 0) + self.fraction
        elif self.kind is _Count.DEFINITE:
            amount = 1 if following in _BEFORE else None
        else:
            amount = self.count if self.count is not None else unit.implied
        if amount is None:
            return False
        self.found.append(amount * unit.minutes)
        self.count, self.kind, self.fraction, self.last_unit = None, None, 0.0, unit.minutes
        return True

    def other(self, word: str) -> None:
        self.settle()
        self.count, self.kind, self.last_unit = None, None, None
        self.rest.append(word)

    def settle(self) -> None:
        """A fraction with no unit of its own belongs to the duration before it."""
        if self.fraction and self.last_unit is not None:
            self.found[-1] += self.fraction * self.last_unit
            self.count, self.kind = None, None
        self.fraction = 0.0


def parse_lead_times(text: str) -> LeadTimes | None:
    """The durations named in `text`, or None when it names none (not a lead-time choice)."""
    words = _words(text)
    scan = _Scan()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else None
        # isdecimal, not isdigit ("➌" is a digit `int` refuses); six digits is a year of
        # minutes, and `int` refuses more than 4,300.
        if word.isdecimal() and len(word) <= 6:
            scan.number(int(word), _Count.DIGITS)
        elif word in _NUMBERS:
            scan.number(_NUMBERS[word], _Count.WORDS)
        elif word in _INDEFINITE:
            scan.article(_Count.INDEFINITE)
        elif word in _DEFINITE:
            scan.article(_Count.DEFINITE)
        elif word in _FRACTIONS:
            scan.fraction = _FRACTIONS[word]
        elif word in _LINKS:
            continue
        elif not (word in _UNITS and scan.unit(_UNITS[word], following)):
            scan.other(word)
    scan.settle()
    if not scan.found:
        return None
    minutes = tuple(dict.fromkeys(round(amount) for amount in scan.found))
    usable = tuple(m for m in minutes if MIN_LEAD_MINUTES <= m <= MAX_LEAD_MINUTES)
    return LeadTimes(
        minutes=usable[:MAX_LEADS],
        out_of_range=tuple(m for m in minutes if m not in usable),
        rest=" ".join(scan.rest),
    )
