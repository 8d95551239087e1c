"""What an SMS really carries, and what it costs (design rule 6).

A carrier bills per segment, and the encoding decides how big a segment is: GSM-7 packs 160
characters into one message, UCS-2 only 70. A single character outside GSM 03.38 (one "ó",
one curly quote, the narrow no-break space Babel puts in "4:00 PM", the right-to-left mark in
an Arabic date, an emoji) turns the whole message into UCS-2 and can double or triple its
price. So English and Spanish text is rewritten into GSM-7 wherever that keeps its meaning,
every reply is measured before it is sent, and long answers are cut into pages a parent asks
for with "MORE" instead of one message that costs ten segments.

Everything here is pure: no settings, no I/O. Callers pass the language, the accent policy
(`SMS_ACCENTS`) and the translated "reply MORE" hint.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

# Distinct reply texts worth remembering; each is a few hundred characters.
_CACHE_SIZE = 4096

# GSM 03.38 basic character set, without ESC (0x1B), which only introduces the extension table.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through ESC, so each costs two septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7 = _GSM7_BASIC | _GSM7_EXTENSION

# (single message, each part of a concatenated one): the user-data header of a concatenated
# message takes 6 octets, i.e. 7 septets or 3 UTF-16 units, from every part.
_GSM7_LIMITS = (160, 153)
_UCS2_LIMITS = (70, 67)

# Line separators other than \n and \r: a phone shows them as a line break, or as garbage.
_LINE_BREAKS = frozenset("\v\f\x85\u2028\u2029")
# Invisible characters that render as nothing yet cost a unit and force UCS-2: bidi marks,
# embeddings, overrides and isolates, zero-width space, word joiner, BOM, soft hyphen.
_INVISIBLE = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u2060\ufeff\u00ad"
)
# Typography that word processors, translators and Babel add, with its GSM-7 spelling.
# Characters NFKC already spells in GSM-7 (fullwidth forms, ligatures, ª º ² ½, ‼) need no entry.
_TYPOGRAPHY = {
    **dict.fromkeys("‘’‚‛′‵‹›`´ʼ", "'"),
    **dict.fromkeys("“”„‟″‶«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
    **dict.fromkeys("•‣◦∙·▪●", "-"),
    **dict.fromkeys("⁄∕÷", "/"),
    "…": "...",
    "×": "x",
    "±": "+/-",
    "©": "(c)",
    "®": "(R)",
    "™": "TM",
    "¢": "c",
    "µ": "u",
    "¦": "|",
    # NFKC would make "10²" read "102".
    **{superscript: f"^{digit}" for digit, superscript in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")},
}
# Letters that carry no separable accent, so NFD cannot fold them.
_LETTER_FOLDS = {
    "Ð": "D",
    "ð": "d",
    "Đ": "D",
    "đ": "d",
    "Þ": "Th",
    "þ": "th",
    "Ł": "L",
    "ł": "l",
    "Œ": "OE",
    "œ": "oe",
    "ı": "i",
}


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SegmentReport:
    """The price of a text as a carrier sees it; organizers see it before a broadcast.

    `units` are GSM-7 septets (extension-table characters count 2) or UTF-16 code units
    (characters beyond the BMP, such as emoji, count 2); `characters` are code points.
    """

    encoding: Encoding
    segments: int
    units: int
    characters: int


class AccentMode(StrEnum):
    """`SMS_ACCENTS`: how much Spanish spelling to trade for price (á í ó ú are not GSM-7)."""

    KEEP = "keep"
    AUTO = "auto"
    STRIP = "strip"


@lru_cache(maxsize=_CACHE_SIZE)
def segment_report(text: str) -> SegmentReport:
    """Count segments the way the carrier bills them.

    Parts of a long message are filled greedily and never split an extension-table escape or
    a surrogate pair, as Twilio does, so near a boundary the count can be one higher than
    units divided by the part size. An empty text is 0 segments: there is nothing to send.
    Cached, like `sms_safe`: the same replies are measured for every parent, several times
    on the way out (paging, the rate limit's cost, the send).
    """
    characters = set(text)
    if characters <= _GSM7:
        encoding, (single, part) = Encoding.GSM7, _GSM7_LIMITS
        wide = characters & _GSM7_EXTENSION
        sizes = [2 if char in wide else 1 for char in text] if wide else None
    else:
        encoding, (single, part) = Encoding.UCS2, _UCS2_LIMITS
        astral = any(ord(char) > 0xFFFF for char in characters)
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text] if astral else None
    if sizes is None:  # every character is one unit: parts are plain slices
        units = len(text)
        if units <= single:
            return SegmentReport(encoding, 1 if text else 0, units, len(text))
        return SegmentReport(encoding, -(-units // part), units, len(text))
    units = sum(sizes)
    if not text:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments, used = 1, 0
        for size in sizes:
            if used + size > part:
                segments, used = segments + 1, 0
            used += size
    return SegmentReport(encoding, segments, units, len(text))


@lru_cache(maxsize=_CACHE_SIZE)
def sms_safe(text: str, language: str, accents: AccentMode = AccentMode.AUTO) -> str:
    """The text to hand the SMS provider, as cheap as its meaning allows.

    English and Spanish lose typography, emoji and other symbols outside GSM-7 (they would make
    the whole message UCS-2) and, per `accents`, the accents GSM-7 lacks. Arabic is UCS-2
    anyway, so only its invisible marks and odd spaces go and its own punctuation and digits
    stay; but when an Arabic reply is in fact Latin text (the English fallback of rule 8) it
    gets the English treatment, because for that text GSM-7 is within reach. Only when that
    costs no more, though: GSM-7 spells "…" or "±" in three characters, and the last page of
    an Arabic reply full of them would grow from three segments to four.
    The result may be empty when the text held nothing but emoji: callers must not send it.
    Applying it twice changes nothing.
    """
    latin = _latin(text, accents)
    if language.replace("_", "-").split("-")[0].lower() != "ar":
        return latin
    arabic = _collapse(_pieces(text, latin=False))
    report = segment_report(latin)
    if report.encoding is Encoding.GSM7 and report.segments <= segment_report(arabic).segments:
        return latin
    return arabic


def paginate(text: str, *, more_hint: str, max_segments: int = 3) -> list[str]:
    """Cut a long `sms_safe` reply into pages a parent pulls one by one with "MORE".

    Every page, with `more_hint` on its own last line for all but the final page, fits in
    `max_segments`. Cuts fall at the last line break in the second half of a page (so list
    items stay whole), else at the last space; a run without whitespace (a word, a URL) is cut
    only when it is longer than a whole page. Only whitespace at a cut is dropped. A text of
    nothing but whitespace gives no pages: an empty SMS must never go out.
    """
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, not {max_segments}")
    pages: list[str] = []
    rest = text
    while rest.strip():
        if segment_report(rest).segments <= max_segments:
            pages.append(rest)
            break
        cut = _cut(rest, more_hint, max_segments)
        pages.append(f"{rest[:cut].rstrip()}\n{more_hint}")
        rest = rest[cut:].lstrip()
    return pages


def _cut(text: str, more_hint: str, max_segments: int) -> int:
    """Where the next page of `text` ends, knowing it does not fit whole."""

    def fits(length: int) -> bool:
        page = f"{text[:length]}\n{more_hint}"
        return segment_report(page).segments <= max_segments

    low, high = 0, len(text) - 1  # the longest prefix that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    if low == 0:
        raise ValueError(f"more_hint leaves no room for text in {max_segments} segment(s)")
    newline = text.rfind("\n", 0, low + 1)
    if newline >= low // 2 and text[:newline].strip():
        return newline
    for space in range(low, 0, -1):
        if text[space].isspace() and text[:space].strip():
            return space
    cut = low
    while cut > 1 and unicodedata.category(text[cut]).startswith("M"):
        cut -= 1  # keep an accent or a haraka with its letter
    return cut


# A piece of rewritten text and whether the rewrite made it (a dropped character is "", a
# space-like character became " "); only such pieces may have whitespace collapsed around them.
_Piece = tuple[str, bool]
_DROPPED: _Piece = ("", True)


def _latin(text: str, accents: AccentMode) -> str:
    kept = unicodedata.normalize("NFC", _collapse(_pieces(text, latin=True)))
    if accents == AccentMode.KEEP:
        return kept
    folded = _fold(kept)
    if accents == AccentMode.STRIP:
        return folded
    cheaper = segment_report(folded).segments < segment_report(kept).segments
    return folded if cheaper else kept


def _pieces(text: str, *, latin: bool) -> list[_Piece]:
    """Rewrite character by character; `latin` adds the GSM-7 rewrites for English and Spanish.

    A combining mark survives only right after a letter or mark kept as it was: one left
    behind by a dropped emoji could otherwise combine with its new neighbour (= and U+0338
    make ≠), and a second pass would not give the same text.
    """
    pieces: list[_Piece] = []
    mark_may_follow = False
    for char in text:
        category = unicodedata.category(char)
        piece: _Piece = (char, False)
        may_follow = False
        if char in "\n\r ":
            pass
        elif char in _LINE_BREAKS:
            piece = ("\n", True)
        elif char.isspace():
            piece = (" ", True)
        elif char in _INVISIBLE or category in ("Cc", "Cs"):
            piece = _DROPPED
        elif not latin:
            pass
        elif char in _GSM7:
            may_follow = category.startswith("L")
        elif char in _TYPOGRAPHY:
            piece = (_TYPOGRAPHY[char], False)
        elif category.startswith("M"):
            piece = (char, False) if mark_may_follow else _DROPPED
            may_follow = mark_may_follow
        elif (compatible := unicodedata.normalize("NFKC", char)) != char and (
            compatible == compatible.strip()
        ):
            if "\u2044" in compatible and pieces and pieces[-1][0][-1:].isdigit():
                pieces.append((" ", True))  # "3½" must read "3 1/2", not "31/2"
            pieces.extend(_pieces(compatible, latin=True))
            mark_may_follow = False
            continue
        elif category[0] in "SPC":  # emoji, symbols, other punctuation, unassigned, private
            piece = _DROPPED
        else:
            may_follow = category.startswith("L")
        pieces.append(piece)
        mark_may_follow = may_follow
    return pieces


def _collapse(pieces: list[_Piece]) -> str:
    """Join pieces, tidying only the whitespace that dropping or replacing characters made.

    "Hi 👋 there" must not become "Hi  there", nor "🎉 Welcome" start with a space; the
    author's own spacing (indented list items) stays as written.
    """
    out: list[str] = []
    index = 0
    while index < len(pieces):
        text = pieces[index][0]
        if text not in ("", " "):
            out.append(text)
            index += 1
            continue
        end = index
        while end < len(pieces) and pieces[end][0] in ("", " "):
            end += 1
        run = pieces[index:end]
        if not any(made for _, made in run):
            out.append("".join(piece for piece, _ in run))
        else:
            line_start = not out or out[-1].endswith(("\n", "\r"))
            line_end = end == len(pieces) or pieces[end][0].startswith(("\n", "\r"))
            if not (line_start or line_end) and any(piece == " " for piece, _ in run):
                out.append(" ")
        index = end
    return "".join(out)


def _fold(text: str) -> str:
    """Spell non-GSM-7 letters with their GSM-7 base letter (á→a, ç→c, but é ñ ü Ç stay)."""
    out: list[str] = []
    for char in text:
        if char in _GSM7:
            out.append(char)
        elif char in _LETTER_FOLDS:
            out.append(_LETTER_FOLDS[char])
        elif unicodedata.category(char).startswith("M"):
            if not (out and out[-1][-1:] in _GSM7):
                out.append(char)  # a mark on a letter GSM-7 cannot spell anyway stays with it
        else:
            base = "".join(
                part
                for part in unicodedata.normalize("NFD", char)
                if not unicodedata.category(part).startswith("M")
            )
            out.append(base if base and all(part in _GSM7 for part in base) else char)
    return "".join(out)
