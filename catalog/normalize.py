"""The one normaliser every match in the bot goes through (design rule 2).

Parents type on phones: "proxima" for "próxima", "الجلسه" for "الجلسة", "٢" for "2",
with or without diacritics and tatweel. If the router and the search folded text
differently, a word could route in one place and fail to match in the other, so both
call `normalize`, and nothing else folds text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ARABIC_FOLDS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ـ": None,  # tatweel
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
        "۰": "0",
        "۱": "1",
        "۲": "2",
        "۳": "3",
        "۴": "4",
        "۵": "5",
        "۶": "6",
        "۷": "7",
        "۸": "8",
        "۹": "9",
    }
)

_WORD = re.compile(r"[^\W_]+")  # \w with the underscore, a punctuation mark, left out
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Fold `text` to the form every comparison in the bot uses.

    NFKC first (full-width letters, ligatures, presentation forms), then casefold, then
    decomposition so that Latin accents and Arabic diacritics (harakat, shadda, dagger
    alef) both fall away as combining marks, then the Arabic letter folds. The folds run
    before recomposing: dropping a tatweel can bring together two letters that compose
    (conjoining Hangul jamo), and composing them afterwards keeps the result a fixed point.
    White space is collapsed so that "  next   session " and "next session" are the same key.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    recomposed = unicodedata.normalize("NFC", stripped.translate(_ARABIC_FOLDS))
    return " ".join(recomposed.split())


def tokens(text: str) -> list[str]:
    """The normalised words of `text`, punctuation dropped."""
    return _WORD.findall(normalize(text))


def stem(token: str) -> str:
    """Strip the Arabic definite article and its fused prepositions from a normalised token.

    "المعلمين", "والمعلمين" and "للمعلمين" must all find the session about teachers; a
    light prefix strip is enough for a catalog this small and never touches Latin words.
    """
    if _ARABIC_LETTER.match(token):
        for prefix in _ARABIC_PREFIXES:
            if token.startswith(prefix) and len(token) - len(prefix) >= 2:
                return token[len(prefix) :]
    return token
