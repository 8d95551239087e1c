"""Plain reply text turned into what Telegram's HTML parse mode accepts (DESIGN.md §4 rule 6).

Handlers write plain text and catalog entries may contain `<`, `&` or `>`; sent raw in HTML
mode they either vanish as tags or make Telegram reject the whole message, so everything is
escaped here and nowhere else. Telegram links plain URLs by itself, so no `<a>` is added.

Arabic is right-to-left, but numbers and URLs are left-to-right runs, and left alone the
bidi algorithm resolves their spaces and punctuation by the Arabic around them: "+1 555 0100"
shows its digit groups in reverse with the "+" at the far end, and a URL's trailing "/" jumps
to its other side. Each run is put in a LEFT-TO-RIGHT ISOLATE, so it is laid out on its own
and sits in the sentence as one unit.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from html import escape
from itertools import accumulate

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.messages import Button

LRI = "\u2066"
PDI = "\u2069"
_ISOLATE_OPENERS = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI all end at a PDI

# Where TDLib ends an auto-detected link: whitespace, <, >, ", « », and the General
# Punctuation block (which holds the isolates, so a PDI closes the link Telegram draws).
_URL = re.compile(r"https?://[^\s<>\"«»\u2000-\u200b\u200e-\u200f\u2016-\u206f]+", re.IGNORECASE)
# Punctuation that ends the sentence rather than the URL; the Arabic marks are included so the
# isolate, and with it Telegram's link, stops before them.
_URL_TRAILING = ".,:;!?'(`،؛؟"

# A number with its inner separators ("4:00", "2024-11-22", "+1 555 0100"). A sentence's full
# stop stays outside, where the right-to-left paragraph puts it. Digits that belong to a Latin
# token ("COVID-19", "zoom.us/j/123", "9am") are left alone: the token's letters already make
# it left-to-right, and an isolate in the middle would tear it apart. Digits touching an
# isolate are left alone too, so a second pass finds nothing the first did not.
_NUMBER = (
    r"(?<![A-Za-z0-9_\u2066-\u2069])(?<![A-Za-z0-9_][-./:@#])"
    r"\+?[0-9]++(?:[ .,:/-][0-9]++)*+(?![A-Za-z_\u2066-\u2069])"
)
_LTR_RUN = re.compile(rf"(?P<url>{_URL.pattern})|{_NUMBER}", re.IGNORECASE)

_RTL_LANGUAGES = frozenset({"ar"})

# The only named entities Telegram understands, plus numeric ones. Numbers are capped so the
# longest entity is 10 characters, and any limit of at least that can always make progress.
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_LONGEST_ENTITY = 10
# Break at whitespace, but never at a no-break space: Babel puts U+202F inside "4:00 PM".
_BREAK = re.compile(r"[^\S\u00a0\u2007\u202f]+")

_SHORT_LABEL = 12
_BUTTONS_PER_ROW = 3


def render_html(text: str, language: str) -> str:
    """Escape `text` for HTML parse mode, isolating left-to-right runs in Arabic.

    Runs already inside an isolate are kept as they are, so text a translator or an earlier
    pass has isolated is not wrapped twice.
    """
    if language in _RTL_LANGUAGES:
        isolates = _isolate_spans(text)
        text = _LTR_RUN.sub(
            lambda run: run.group() if _enclosing(isolates, run.start()) else _isolate(run), text
        )
    return escape(text, quote=False)


def split_message(html: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut rendered text into messages of at most `limit` UTF-16 code units.

    Telegram counts length in UTF-16 units, so an emoji costs two. Cuts prefer the last
    paragraph break that fits, then a line break, then a space, and the whitespace at a cut is
    dropped (Telegram trims it anyway, and a blank message is rejected). A cut never lands in
    an entity, which would show "&am" and "p;", nor, while there is any other choice, in a URL
    or an isolate. The input is expected to be `render_html` output: entities, no tags.
    """
    if limit < _LONGEST_ENTITY:
        raise ValueError(f"limit {limit} is too small to hold an HTML entity")
    text = html.strip()
    units = [0, *accumulate(2 if ord(char) > 0xFFFF else 1 for char in text)]
    isolates = _isolate_spans(text)
    urls = [match.span() for match in _URL.finditer(text)]
    entities = [match.span() for match in _ENTITY.finditer(text)]
    # A paragraph break (two newlines) beats a line break, which beats a space.
    breaks = [
        (match.start(), match.end(), min(match.group().count("\n"), 2))
        for match in _BREAK.finditer(text)
        if _enclosing(isolates, match.start()) is None
    ]

    parts: list[str] = []
    start = 0
    next_break = 0
    while units[-1] - units[start] > limit:
        budget = units[start] + limit
        while next_break < len(breaks) and breaks[next_break][0] <= start:
            next_break += 1
        best: dict[int, tuple[int, int]] = {}
        candidate = next_break
        while candidate < len(breaks) and units[breaks[candidate][0]] <= budget:
            cut, resume, rank = breaks[candidate]
            best[rank] = (cut, resume)
            candidate += 1
        if best:
            cut, resume = best[max(best)]
        else:
            cut = resume = _hard_cut(bisect_right(units, budget) - 1, start, isolates, urls)
            entity = _enclosing(entities, cut)
            if entity is not None:
                cut = resume = entity[0]
        parts.append(text[start:cut].rstrip())
        while text[resume].isspace():  # the stripped text ends in a non-space
            resume += 1
        start = resume
    if start < len(text):
        parts.append(text[start:])
    return parts


def reply_markup(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Inline keyboard for a reply's quick answers; a press sends back the payload.

    Short labels (language names, yes/no) share a row so the keyboard stays small; longer ones
    get a row each, because Telegram truncates labels that do not fit the row's width.
    """
    if not buttons:
        return None
    for button in buttons:
        size = len(button.payload.encode("utf-8"))
        if not 1 <= size <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            raise ValueError(
                f"button payload {button.payload!r} is {size} bytes; Telegram accepts "
                f"1 to {InlineKeyboardButtonLimit.MAX_CALLBACK_DATA}"
            )
    keys = [InlineKeyboardButton(button.label, callback_data=button.payload) for button in buttons]
    per_row = (
        _BUTTONS_PER_ROW if all(len(button.label) <= _SHORT_LABEL for button in buttons) else 1
    )
    return InlineKeyboardMarkup(
        [keys[index : index + per_row] for index in range(0, len(keys), per_row)]
    )


def _isolate(match: re.Match[str]) -> str:
    run = match.group()
    if match.group("url") is None:
        return f"{LRI}{run}{PDI}"
    end = len(run)
    while end and (
        run[end - 1] in _URL_TRAILING
        or _unbalanced(run[:end], "(", ")")
        or _unbalanced(run[:end], "[", "]")
    ):
        end -= 1
    return f"{LRI}{run[:end]}{PDI}{run[end:]}"


def _unbalanced(url: str, opening: str, closing: str) -> bool:
    """Whether `url` ends in a bracket it never opened, as in "(see https://x.org/a)"."""
    return url.endswith(closing) and url.count(opening) < url.count(closing)


def _isolate_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` already has isolates, each from its opener to the matching PDI.

    Like the bidi algorithm, an opener left unmatched ends at the paragraph separator or at
    the end of the text.
    """
    spans: list[tuple[int, int]] = []
    opened = 0
    depth = 0
    for index, char in enumerate(text):
        if char in _ISOLATE_OPENERS:
            if depth == 0:
                opened = index
            depth += 1
        elif depth and char == PDI:
            depth -= 1
            if depth == 0:
                spans.append((opened, index + 1))
        elif depth and unicodedata.bidirectional(char) == "B":
            depth = 0
            spans.append((opened, index))
    if depth:
        spans.append((opened, len(text)))
    return spans


def _enclosing(spans: list[tuple[int, int]], index: int) -> tuple[int, int] | None:
    """The span of sorted, non-overlapping `spans` that `index` falls strictly inside."""
    position = bisect_left(spans, (index,)) - 1
    if position >= 0 and index < spans[position][1]:
        return spans[position]
    return None


def _hard_cut(
    cut: int, start: int, isolates: list[tuple[int, int]], urls: list[tuple[int, int]]
) -> int:
    """Move a forced cut back to the start of the isolate or URL it would split, if any.

    A URL may sit inside an isolate, so the outermost span that starts after `start` wins; a
    span that starts the part and is still too long has to be cut where it is.
    """
    openings = [
        span[0]
        for span in (_enclosing(isolates, cut), _enclosing(urls, cut))
        if span is not None and span[0] > start
    ]
    return min(openings, default=cut)
