"""Free-text search over one catalog snapshot, forgiving of typos, accents and language.

Parents text "restorativ", "maestros", "المعلمين" or "salud mentl" and expect the session
they mean, whatever language the catalog text they need happens to be in. So every item is
indexed under the words of all its languages at once, and each query word is matched
against that vocabulary exactly, by prefix, or by edit similarity. The search runs on every
search message, so all the per-catalog work happens once in `CatalogIndex.__init__` and the
per-word fuzzy work is cached: a bot's traffic repeats the same few words endlessly.

Scores lie in 0..1: the share of the query's content words the item matches (each weighted
by how closely and where it matched), plus a bonus when the words appear together as a
phrase, so "salud mental" ranks the item that says "salud mental" above one that merely
mentions "salud" and "mental" apart.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import TypeAlias

from rapidfuzz import fuzz, process

from catalog.models import Catalog, Resource, Session
from catalog.normalize import stem, tokens

# Below five letters one wrong letter changes the word ("mes", "mas", "más" read
# differently), and in Arabic most short words are one letter apart, so short words match
# only exactly or as the start of a longer word. From five letters on, fuzz.ratio >= 80
# forgives one slip (insertion, deletion, substitution or swap) in a five- to eight-letter
# word and two in longer ones: "maestors", "cordinator", "restorativ", "معلمبن".
_FUZZY_MIN_LENGTH = 5
_FUZZY_CUTOFF = 80.0
# "coord" for "coordinator": three letters are the least that still say something.
_PREFIX_MIN_LENGTH = 3
_PREFIX_SCORE = 0.85
# A word found only in a summary counts a little less than one in a title or topic,
# which say what the item is about rather than mention it in passing.
_TITLE_WEIGHT = 1.0
_SUMMARY_WEIGHT = 0.9
_PHRASE_BONUS = 0.15
# About half the content words must match: one stray word ("pizza party at school") must not
# drag in a session, while "restorative pizza" still finds the restorative one.
_MIN_SCORE = 0.4
_CACHE_SIZE = 8192

# Clause boundaries, so that a phrase bonus never spans two keywords ("circles, discipline")
# or two sentences.
_CLAUSE = re.compile(r"[,;:.!?،؛؟\n]")

# Words that say nothing about which item is meant. Curated by hand and short on purpose:
# anything topical here would become unsearchable. One-letter words ("a", "y", "و") need
# no entry: `_terms` drops them all.
_STOPWORD_TEXT = """
    an the of and or about for on in at to with by from is are was be my me you your
    any some what when where which who how do does there please want need know
    info information session sessions next upcoming
    de del la el los las lo un una unos unas sobre en para por con al que es son mi mis
    tu su sus hay cual cuando donde como quiero necesito saber información favor
    sesión sesiones próxima próximo
    عن في من على إلى مع او ما ماذا متى اين كيف هل هناك هذا هذه ذلك التي الذي
    أريد معلومات الجلسة الجلسات جلسة جلسات القادمة لو سمحت
"""
_STOPWORDS = frozenset(stem(token) for token in tokens(_STOPWORD_TEXT))

Item: TypeAlias = Session | Resource
Postings: TypeAlias = tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. Scores are on one 0..1 scale for every query, so a caller can compare
    hits from different searches or ask for a higher bar than the index's own minimum."""

    item: Item
    score: float


def _terms(text: str) -> list[str]:
    """The words of `text` that can tell items apart, in the form the index stores."""
    terms = (stem(token) for token in tokens(text))
    return [t for t in terms if len(t) > 1 and not t.isdigit() and t not in _STOPWORDS]


def _fields(catalog: Catalog, item: Item) -> Iterator[tuple[str, float]]:
    """Every text that describes `item`, in every language, with the weight of a match in it."""
    for text in item.title.values.values():
        yield text, _TITLE_WEIGHT
    for text in item.summary.values.values():
        yield text, _SUMMARY_WEIGHT
    for topic_id in item.topics:
        topic = catalog.topic(topic_id)
        if topic is None:
            continue
        for text in (*topic.name.values.values(), *topic.keywords.values.values()):
            yield text, _TITLE_WEIGHT


def _rank(item: Item) -> tuple[int, float, str]:
    """Order among equal scores: sessions before resources, the newest session first."""
    if isinstance(item, Session):
        return 0, -item.starts_at.timestamp(), item.id
    return 1, 0.0, item.id


class CatalogIndex:
    """The searchable form of one catalog snapshot; build a new one when the catalog changes."""

    def __init__(self, catalog: Catalog) -> None:
        items: list[Item] = sorted((*catalog.sessions, *catalog.resources), key=_rank)
        weights: dict[str, dict[int, float]] = {}
        phrases: list[str] = []
        for position, item in enumerate(items):
            clauses: list[str] = []
            for text, weight in _fields(catalog, item):
                for clause in _CLAUSE.split(text):
                    terms = _terms(clause)
                    if terms:
                        clauses.append(" ".join(terms))
                    for term in terms:
                        found = weights.setdefault(term, {})
                        found[position] = max(found.get(position, 0.0), weight)
            # One string per item, clauses apart, so a phrase test is one substring search.
            phrases.append(f" {' | '.join(clauses)} ")
        self._items = tuple(items)
        self._phrases = tuple(phrases)
        self._postings: dict[str, Postings] = {t: tuple(w.items()) for t, w in weights.items()}
        self._vocabulary = sorted(self._postings)
        self._matches = lru_cache(maxsize=_CACHE_SIZE)(self._match)

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """The items `query` most likely means, best first; [] when nothing fits well."""
        terms = _terms(query)
        if not terms or limit < 1:
            return []
        totals: dict[int, float] = {}
        for term in terms:
            for position, score in self._matches(term):
                totals[position] = totals.get(position, 0.0) + score
        phrase = f" {' '.join(terms)} "
        scored: list[tuple[float, int]] = []
        for position, total in totals.items():
            score = (1 - _PHRASE_BONUS) * total / len(terms)
            if phrase in self._phrases[position]:
                score += _PHRASE_BONUS
            if score >= _MIN_SCORE:
                # Rounded so that float noise cannot outweigh the session-first tie-break;
                # items are stored in tie-break order, so the position settles ties.
                scored.append((-round(score, 6), position))
        scored.sort()
        return [Hit(self._items[position], -score) for score, position in scored[:limit]]

    def _match(self, term: str) -> Postings:
        """How well `term` matches each item: its best similarity to any of the item's words."""
        similar: dict[str, float] = {term: 1.0} if term in self._postings else {}
        if len(term) >= _PREFIX_MIN_LENGTH:
            start = bisect_left(self._vocabulary, term)
            for word in islice(self._vocabulary, start, None):
                if not word.startswith(term):
                    break
                similar.setdefault(word, _PREFIX_SCORE)
        if len(term) >= _FUZZY_MIN_LENGTH:
            for word, ratio, _ in process.extract(
                term, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
            ):
                similar[word] = max(similar.get(word, 0.0), ratio / 100)
        best: dict[int, float] = {}
        for word, similarity in similar.items():
            for position, weight in self._postings[word]:
                best[position] = max(best.get(position, 0.0), similarity * weight)
        return tuple(best.items())
