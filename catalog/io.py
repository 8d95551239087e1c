"""Reading and writing catalog files (YAML and CSV), reporting every mistake at once.

Organizers write these files by hand or in a spreadsheet and import them from the
command line or the web console. A reader that stopped at the first mistake would make
them fix one line per attempt, so the readers collect every problem with its file, line
and field, and only a file with no errors becomes a `Catalog`: the bot never serves half
an import.

Both formats are first read into the same plain `_Item`s (text cells that remember
their line), and one validator turns those into models, so YAML and CSV cannot drift
apart in what they accept.

YAML has three sections, `topics`, `sessions` and `resources`, each a list of items;
texts are mappings per language (`title: {en: ..., es: ..., ar: ...}`) and references
are lists of ids (`topics: [a, b]`). CSV is one sheet with the header `CSV_COLUMNS`, a
`type` column (topic, session or resource), lists separated by ";", and a topic's name in
the `title_*` columns; problems give the line where the record starts (header = 1).

Times: a naive `starts_at` is wall-clock time in the item's `timezone` (what an
organizer reads off a flyer); one with an offset is taken as that instant. Sessions keep
`starts_at` in UTC and the zone name beside it. Exports write the same wall-clock
time without an offset, so an organizer who moves a session from May to December in a
spreadsheet gets the hour they typed; only a time inside the hour that repeats when the
clocks go back carries its offset, the one case a wall-clock time cannot pin down.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from catalog.errors import CatalogError, Problem, Severity
from catalog.models import (
    LANGUAGES,
    Catalog,
    Localized,
    Resource,
    ResourceKind,
    Session,
    SessionStatus,
    Topic,
)

__all__ = [
    "BUNDLED_CATALOG",
    "CSV_COLUMNS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "Format",
    "check_catalog",
    "check_catalog_text",
    "dump_catalog",
    "dump_catalog_text",
    "format_of",
    "load_catalog",
    "load_catalog_text",
]

Format = Literal["yaml", "csv"]

BUNDLED_CATALOG = Path(__file__).parent / "data" / "catalog.yaml"

CSV_COLUMNS = (
    "type",
    "id",
    "starts_at",
    "timezone",
    "duration_minutes",
    "status",
    "kind",
    "topics",
    "sessions",
    "title_en",
    "title_es",
    "title_ar",
    "summary_en",
    "summary_es",
    "summary_ar",
    "link_en",
    "link_es",
    "link_ar",
    "keywords_en",
    "keywords_es",
    "keywords_ar",
)

DEFAULT_DURATION_MINUTES = 90
MAX_DURATION_MINUTES = 24 * 60
# Any real session falls well inside; a start at the ends of the calendar (year 1, year
# 9999) loads but then breaks every reminder and "next" answer that adds a day to it.
FIRST_YEAR, LAST_YEAR = 2000, 2100

_Kind = Literal["topic", "session", "resource"]
_SECTIONS: dict[str, _Kind] = {"topics": "topic", "sessions": "session", "resources": "resource"}
_KINDS: dict[str, _Kind] = {kind: kind for kind in _SECTIONS.values()}

# The fields each kind of item may have, by shape. Anything else in a file is an error,
# because an unknown key is almost always a typo of a known one.
_SCALARS: dict[_Kind, tuple[str, ...]] = {
    "topic": ("id",),
    "session": ("id", "starts_at", "timezone", "duration_minutes", "status"),
    "resource": ("id", "kind"),
}
_LISTS: dict[_Kind, tuple[str, ...]] = {
    "topic": (),
    "session": ("topics",),
    "resource": ("sessions", "topics"),
}
_TEXTS: dict[_Kind, tuple[str, ...]] = {
    "topic": ("name", "keywords"),
    "session": ("title", "summary", "link"),
    "resource": ("title", "summary", "link"),
}

_LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "ar": "Arabic"}
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_CSV_TEXT_COLUMN = re.compile(r"(title|summary|link|keywords)_(\w+)")
_NULL_TAG = "tag:yaml.org,2002:null"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): the
# export puts an apostrophe in front, which the reader takes off again.
_FORMULA_STARTS = frozenset("=+-@\t\r")

_Choice = TypeVar("_Choice", SessionStatus, ResourceKind)


# --- public API ---------------------------------------------------------------------------


def format_of(path: Path) -> Format | None:
    """The catalog format a file name announces, or None when it announces neither."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    return None


def check_catalog_text(
    text: str | bytes, fmt: Format, name: str, base: Catalog | None = None
) -> tuple[Catalog | None, list[Problem]]:
    """Validate a catalog file's content; the catalog is None when there is any error.

    Bytes are accepted because uploads arrive as bytes and decoding them is where a
    spreadsheet's non-UTF-8 export fails; that failure is reported like any other
    problem. `name` is what problems call the file. `base` is the catalog the file will
    be merged into: its topics and sessions may be referenced without being repeated,
    so an organizer can import a file that only adds one session.
    """
    report = _Report(name)
    catalog: Catalog | None = None
    decoded = _decode(text, report)
    if decoded is not None:
        items = _read_yaml(decoded, report) if fmt == "yaml" else _read_csv(decoded, report)
        catalog = _Validator(report, fmt, base or Catalog()).build(items)
    problems = sorted(report.problems, key=lambda p: p.row or 0)
    return (None if report.has_errors else catalog), problems


def load_catalog_text(
    text: str | bytes, fmt: Format, name: str, base: Catalog | None = None
) -> Catalog:
    """The catalog in `text`; raises `CatalogError` listing every error otherwise."""
    catalog, problems = check_catalog_text(text, fmt, name, base)
    if catalog is None:
        raise CatalogError(p for p in problems if p.severity == "error")
    return catalog


def check_catalog(path: Path, base: Catalog | None = None) -> tuple[Catalog | None, list[Problem]]:
    """Like `check_catalog_text`, for a file chosen by its suffix (.yaml, .yml, .csv)."""
    name = str(path)
    fmt = format_of(path)
    if fmt is None:
        return None, [Problem(name, None, None, "unknown catalog format; use .yaml, .yml or .csv")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, None, f"cannot read the file ({exc.strerror})")]
    return check_catalog_text(data, fmt, name, base)


def load_catalog(path: Path, base: Catalog | None = None) -> Catalog:
    """The catalog in the file at `path`; raises `CatalogError` listing every error."""
    catalog, problems = check_catalog(path, base)
    if catalog is None:
        raise CatalogError(p for p in problems if p.severity == "error")
    return catalog


def _written_start(session: Session) -> str:
    """Wall-clock start for files; with its offset only inside a repeated DST hour."""
    local = session.local_start
    ambiguous = local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()
    return local.isoformat() if ambiguous else local.replace(tzinfo=None).isoformat()


def dump_catalog_text(catalog: Catalog, fmt: Format) -> str:
    """The catalog as file content that `load_catalog_text` reads back to an equal catalog.

    Equality holds for every catalog the loaders produce (texts stripped, empty
    translations absent, items in `Catalog.of` order). `version` is not written: the
    database owns it.
    """
    return _dump_yaml(catalog) if fmt == "yaml" else _dump_csv(catalog)


def dump_catalog(catalog: Catalog, path: Path) -> None:
    """Write the catalog in the format the suffix names; ValueError for another suffix."""
    fmt = format_of(path)
    if fmt is None:
        raise ValueError(f"{path}: unknown catalog format; use .yaml, .yml or .csv")
    path.write_text(dump_catalog_text(catalog, fmt), encoding="utf-8", newline="")


# --- what the readers produce -------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    text: str
    line: int


@dataclass(frozen=True)
class _ListCell:
    ids: tuple[str, ...]
    line: int


@dataclass
class _Item:
    """One topic, session or resource as written, before any value is checked.

    Keys are the YAML spelling (`starts_at`, `title.es`); absent and empty values are
    simply missing, so the validator has one notion of "not given" for both formats.
    A value of the wrong shape is reported by the reader and remembered in `malformed`,
    so that one mistake does not also come back as "required".
    """

    kind: _Kind
    line: int
    texts: dict[str, _Cell] = field(default_factory=dict)
    lists: dict[str, _ListCell] = field(default_factory=dict)
    malformed: set[str] = field(default_factory=set)


@dataclass
class _Report:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, row: int | None, where: str | None, message: str) -> None:
        self._add(row, where, message, "error")

    def warning(self, row: int | None, where: str | None, message: str) -> None:
        self._add(row, where, message, "warning")

    def _add(self, row: int | None, where: str | None, message: str, severity: Severity) -> None:
        self.problems.append(Problem(self.file, row, where, message, severity))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _decode(data: str | bytes, report: _Report) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        # utf-8-sig: spreadsheets put a byte-order mark in front of "CSV UTF-8" exports.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        report.error(
            line,
            None,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8 (in a spreadsheet: CSV UTF-8)",
        )
        return None


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


# --- YAML ---------------------------------------------------------------------------------


def _read_yaml(text: str, report: _Report) -> list[_Item]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = f"{exc.context}: " if exc.context else ""
        report.error(
            mark.line + 1 if mark else None, None, f"not valid YAML: {context}{exc.problem}"
        )
        return []
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        report.error(line, None, f"not valid YAML: character U+{exc.character:04X} is not allowed")
        return []
    except RecursionError:
        # PyYAML composes nested lists and mappings recursively; a catalog is three levels.
        report.error(None, None, "not valid YAML: lists or mappings nested too deeply")
        return []
    if root is None:
        report.error(None, None, "the file is empty")
        return []
    if not isinstance(root, yaml.MappingNode):
        report.error(_line(root), None, "expected the sections topics:, sessions: and resources:")
        return []
    items: list[_Item] = []
    for section, line, node in _entries(root, report, ""):
        kind = _SECTIONS.get(section)
        if kind is None:
            report.error(line, section, f"unknown section{_suggest(section, _SECTIONS)}")
        elif isinstance(node, yaml.SequenceNode):
            for item_node in node.value:
                if isinstance(item_node, yaml.MappingNode):
                    items.append(_yaml_item(kind, item_node, report))
                else:
                    report.error(_line(item_node), section, "expected an item (id: ..., ...)")
        elif not _is_null(node):
            report.error(_line(node), section, "expected a list of items (- id: ...)")
    return items


def _yaml_item(kind: _Kind, node: yaml.MappingNode, report: _Report) -> _Item:
    item = _Item(kind, _line(node))
    allowed = (*_SCALARS[kind], *_LISTS[kind], *_TEXTS[kind])
    for key, key_line, value in _entries(node, report, ""):
        if key in _SCALARS[kind]:
            _yaml_scalar(item, key, value, report)
        elif key in _LISTS[kind]:
            _yaml_list(item, key, value, report)
        elif key in _TEXTS[kind]:
            _yaml_texts(item, key, value, report)
        else:
            report.error(key_line, key, f"unknown key for a {kind}{_suggest(key, allowed)}")
    return item


def _yaml_scalar(item: _Item, key: str, node: yaml.Node, report: _Report) -> None:
    if not isinstance(node, yaml.ScalarNode):
        report.error(_line(node), key, "expected a single value")
        item.malformed.add(key)
    elif text := _scalar_text(node):
        item.texts[key] = _Cell(text, _line(node))


def _yaml_list(item: _Item, key: str, node: yaml.Node, report: _Report) -> None:
    if _is_null(node):
        return
    if not isinstance(node, yaml.SequenceNode):
        report.error(_line(node), key, "expected a list of ids, e.g. [first-id, second-id]")
        return
    ids: list[str] = []
    for element in node.value:
        text = _scalar_text(element) if isinstance(element, yaml.ScalarNode) else None
        if text is None:
            report.error(_line(element), key, "expected an id")
        else:
            ids.append(text)
    item.lists[key] = _ListCell(tuple(ids), _line(node))


def _yaml_texts(item: _Item, key: str, node: yaml.Node, report: _Report) -> None:
    if _is_null(node):
        return
    if not isinstance(node, yaml.MappingNode):
        report.error(
            _line(node), key, "expected one text per language: {en: ..., es: ..., ar: ...}"
        )
        item.malformed.add(key)
        return
    for language, line, value in _entries(node, report, f"{key}."):
        where = f"{key}.{language}"
        if language not in LANGUAGES:
            report.error(line, where, f'unknown language "{language}" (use en, es or ar)')
        elif not isinstance(value, yaml.ScalarNode):
            report.error(_line(value), where, "expected a text")
            item.malformed.add(where)
        elif text := _scalar_text(value):
            item.texts[where] = _Cell(text, _line(value))


def _entries(
    node: yaml.MappingNode, report: _Report, prefix: str
) -> Iterator[tuple[str, int, yaml.Node]]:
    """The (key, key line, value) pairs of a mapping, reporting keys given twice.

    PyYAML would silently keep the last of two equal keys; in a hand-edited file the
    first one is often the one the organizer meant, so neither is guessed.
    """
    seen: set[str] = set()
    for key_node, value in node.value:
        line = _line(key_node)
        if not isinstance(key_node, yaml.ScalarNode):
            report.error(line, prefix or None, "expected a name before the colon")
            continue
        key = str(key_node.value)
        if key in seen:
            report.error(line, prefix + key, "given twice")
            continue
        seen.add(key)
        yield key, line, value


def _scalar_text(node: yaml.ScalarNode) -> str | None:
    """The text as typed, whatever YAML would have made of it.

    Taking the raw text means `es: No` stays the word "No" instead of becoming False,
    and dates are parsed by our rules (zone-aware) rather than YAML's.
    """
    if node.tag == _NULL_TAG:
        return None
    return str(node.value).strip() or None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line texts and indented lists, so exports read like the
    hand-written bundled catalog; flow style for id lists (`topics: [a, b]`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_ids(dumper: yaml.SafeDumper, ids: tuple[str, ...]) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", ids, flow_style=True)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(tuple, _represent_ids)


def _dump_yaml(catalog: Catalog) -> str:
    document = {
        "topics": [
            _without_empty(id=t.id, name=_languages(t.name), keywords=_languages(t.keywords))
            for t in catalog.topics
        ],
        "sessions": [
            _without_empty(
                id=s.id,
                starts_at=_written_start(s),
                timezone=s.timezone,
                duration_minutes=s.duration_minutes,
                status=s.status.value,
                topics=s.topics,
                title=_languages(s.title),
                summary=_languages(s.summary),
                link=_languages(s.link),
            )
            for s in catalog.sessions
        ],
        "resources": [
            _without_empty(
                id=r.id,
                kind=r.kind.value,
                title=_languages(r.title),
                summary=_languages(r.summary),
                link=_languages(r.link),
                sessions=r.session_ids,
                topics=r.topics,
            )
            for r in catalog.resources
        ],
    }
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1 << 16)


def _languages(text: Localized) -> dict[str, str]:
    return {lang: text.values[lang] for lang in LANGUAGES if text.values.get(lang)}


def _without_empty(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in ({}, ())}


# --- CSV ----------------------------------------------------------------------------------


def _read_csv(text: str, report: _Report) -> list[_Item]:
    # The characters YAML refuses (NUL and other control codes) are refused here too, so
    # the two formats accept the same texts.
    if (at := first_unprintable(text)) is not None:
        line = text.count("\n", 0, at) + 1
        report.error(line, None, f"not valid CSV: character U+{ord(text[at]):04X} is not allowed")
        return []
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in Spanish (and many other) locales save "CSV" with semicolons.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    items: list[_Item] = []
    start = 1
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            report.error(None, None, "the file is empty")
            return []
        if "type" not in header or "id" not in header:
            report.error(1, None, "the first row must name the columns: " + ",".join(CSV_COLUMNS))
            return []
        columns = _csv_header(header, report)
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if any(cell.strip() for cell in row):
                item = _csv_item(row, columns, line, report)
                if item is not None:
                    items.append(item)
    except csv.Error as exc:
        report.error(start, None, f"not valid CSV ({exc}); check the quotes in this row")
    return items


def _csv_header(header: list[str], report: _Report) -> list[str | None]:
    """The known column at each position; None where the column is reported and ignored."""
    columns: list[str | None] = []
    for position, name in enumerate(header, start=1):
        language = match[2] if (match := _CSV_TEXT_COLUMN.fullmatch(name)) else None
        if not name:
            report.error(1, f"column {position}", "has no name")
        elif name in columns:
            report.error(1, name, "given twice")
        elif language is not None and language not in LANGUAGES:
            report.error(1, name, f'unknown language "{language}" (use en, es or ar)')
        elif name not in CSV_COLUMNS:
            report.error(1, name, f"unknown column{_suggest(name, CSV_COLUMNS)}")
        else:
            columns.append(name)
            continue
        columns.append(None)
    return columns


def _csv_item(
    row: list[str], columns: list[str | None], line: int, report: _Report
) -> _Item | None:
    # Trailing empty cells are what spreadsheets leave behind; only real values are extra.
    if any(value.strip() for value in row[len(columns) :]):
        report.error(line, None, f"{len(row)} values but the header names {len(columns)} columns")
        return None
    cells = {
        column: _csv_unescaped(value.strip())
        for column, value in zip(columns, row, strict=False)
        if column
    }
    type_text = cells.get("type", "")
    kind = _KINDS.get(type_text)
    if kind is None:
        report.error(line, "type", f'must be topic, session or resource ("{type_text}")')
        return None
    item = _Item(kind, line)
    for column, value in cells.items():
        if column == "type" or not value:
            continue
        key = _csv_key(kind, column)
        if key is None:
            report.error(line, column, f"not used by {kind} rows; leave it empty")
        elif key in _LISTS[kind]:
            ids = tuple(part.strip() for part in value.split(";") if part.strip())
            item.lists[key] = _ListCell(ids, line)
        else:
            item.texts[key] = _Cell(value, line)
    return item


def _formula_like(value: str) -> bool:
    """Whether a spreadsheet would run the cell, even behind apostrophes: those are escaped
    again, so that reading back is the exact inverse of writing."""
    return value.lstrip("'")[:1] in _FORMULA_STARTS


def _csv_escaped(value: str) -> str:
    return "'" + value if _formula_like(value) else value


def _csv_unescaped(value: str) -> str:
    return value[1:] if value[:1] == "'" and _formula_like(value[1:]) else value


def _csv_key(kind: _Kind, column: str) -> str | None:
    """The item key a column fills for this kind of row, or None if it has no place there."""
    if column in _SCALARS[kind] or column in _LISTS[kind]:
        return column
    match = _CSV_TEXT_COLUMN.fullmatch(column)
    if match is None:
        return None
    base = "name" if kind == "topic" and match[1] == "title" else match[1]
    return f"{base}.{match[2]}" if base in _TEXTS[kind] else None


def _csv_column(kind: _Kind, key: str) -> str:
    """The column an item key lives in: the inverse of `_csv_key`."""
    if kind == "topic" and key.startswith("name."):
        key = "title." + key.removeprefix("name.")
    return key.replace(".", "_")


def _dump_csv(catalog: Catalog) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, CSV_COLUMNS, restval="")
    writer.writeheader()
    for topic in catalog.topics:
        writer.writerow(
            {
                "type": "topic",
                "id": topic.id,
                **_csv_texts("title", topic.name),
                **_csv_texts("keywords", topic.keywords),
            }
        )
    for session in catalog.sessions:
        writer.writerow(
            {
                "type": "session",
                "id": session.id,
                "starts_at": _written_start(session),
                "timezone": session.timezone,
                "duration_minutes": str(session.duration_minutes),
                "status": session.status.value,
                "topics": ";".join(session.topics),
                **_csv_texts("title", session.title),
                **_csv_texts("summary", session.summary),
                **_csv_texts("link", session.link),
            }
        )
    for resource in catalog.resources:
        writer.writerow(
            {
                "type": "resource",
                "id": resource.id,
                "kind": resource.kind.value,
                "topics": ";".join(resource.topics),
                "sessions": ";".join(resource.session_ids),
                **_csv_texts("title", resource.title),
                **_csv_texts("summary", resource.summary),
                **_csv_texts("link", resource.link),
            }
        )
    return buffer.getvalue()


def _csv_texts(column: str, text: Localized) -> dict[str, str]:
    return {f"{column}_{lang}": _csv_escaped(value) for lang, value in _languages(text).items()}


# --- validation ---------------------------------------------------------------------------


class _Validator:
    """Turns read items into models, reporting every value that cannot be used.

    Ids are collected before anything else so that a reference to an item further down
    the file resolves, and so that a session with, say, a bad date still counts as
    existing: one mistake should produce one problem, not a cascade of "unknown session".
    """

    def __init__(self, report: _Report, fmt: Format, base: Catalog) -> None:
        self._report = report
        self._fmt = fmt
        self._base = base
        self._topic_ids: set[str] = set()
        self._session_ids: set[str] = set()

    def build(self, items: list[_Item]) -> Catalog:
        by_kind: dict[_Kind, list[_Item]] = {"topic": [], "session": [], "resource": []}
        for item in items:
            by_kind[item.kind].append(item)
        self._topic_ids = self._ids(by_kind["topic"]) | {t.id for t in self._base.topics}
        self._session_ids = self._ids(by_kind["session"]) | {s.id for s in self._base.sessions}
        self._ids(by_kind["resource"])
        topics = [self._topic(item) for item in by_kind["topic"]]
        sessions = [self._session(item) for item in by_kind["session"]]
        resources = [self._resource(item) for item in by_kind["resource"]]
        return Catalog.of(
            (s for s in sessions if s is not None),
            (r for r in resources if r is not None),
            (t for t in topics if t is not None),
        )

    # items

    def _topic(self, item: _Item) -> Topic | None:
        name = self._localized(item, "name", required=True)
        keywords = self._localized(item, "keywords", translated=False)
        item_id = self._id(item)
        if item_id is None:
            return None
        return Topic(item_id, name, keywords)

    def _session(self, item: _Item) -> Session | None:
        zone = self._zone(item)
        starts_at = self._starts_at(item, zone)
        duration = self._duration(item)
        status = self._choice(item, "status", SessionStatus, SessionStatus.SCHEDULED)
        topics = self._refs(item, "topics", self._topic_ids, "topic")
        title = self._localized(item, "title", required=True)
        summary = self._localized(item, "summary")
        link = self._localized(item, "link")
        item_id = self._id(item)
        if item_id is None or zone is None or starts_at is None:
            return None
        if duration is None or status is None:
            return None
        return Session(
            id=item_id,
            starts_at=starts_at,
            timezone=zone.key,
            duration_minutes=duration,
            title=title,
            summary=summary,
            link=link,
            topics=topics,
            status=status,
        )

    def _resource(self, item: _Item) -> Resource | None:
        kind = self._choice(item, "kind", ResourceKind, None)
        sessions = self._refs(item, "sessions", self._session_ids, "session")
        topics = self._refs(item, "topics", self._topic_ids, "topic")
        title = self._localized(item, "title", required=True)
        summary = self._localized(item, "summary")
        link = self._localized(item, "link", required=True)
        item_id = self._id(item)
        if item_id is None or kind is None:
            return None
        return Resource(item_id, kind, title, link, summary, sessions, topics)

    # fields

    def _ids(self, items: list[_Item]) -> set[str]:
        first_line: dict[str, int] = {}
        for item in items:
            cell = self._required(item, "id")
            if cell is None:
                continue
            if not _SLUG.fullmatch(cell.text):
                self._error(
                    cell.line,
                    item,
                    "id",
                    f'not a valid id ("{cell.text}"): use lowercase letters, digits and '
                    "hyphens, at most 64, starting with a letter or digit",
                )
            elif cell.text in first_line:
                self._error(
                    cell.line,
                    item,
                    "id",
                    f'{item.kind} id "{cell.text}" is already used on line {first_line[cell.text]}',
                )
            else:
                first_line[cell.text] = cell.line
        return set(first_line)

    def _id(self, item: _Item) -> str | None:
        cell = item.texts.get("id")
        return cell.text if cell is not None and _SLUG.fullmatch(cell.text) else None

    def _zone(self, item: _Item) -> ZoneInfo | None:
        cell = self._required(item, "timezone")
        if cell is None:
            return None
        try:
            return ZoneInfo(cell.text)
        except (ZoneInfoNotFoundError, ValueError):
            self._error(
                cell.line,
                item,
                "timezone",
                f'not a time zone ("{cell.text}"); use a name such as America/Los_Angeles',
            )
            return None

    def _starts_at(self, item: _Item, zone: ZoneInfo | None) -> datetime | None:
        cell = self._required(item, "starts_at")
        if cell is None:
            return None
        try:
            written = datetime.fromisoformat(cell.text)
        except ValueError:
            self._error(cell.line, item, "starts_at", f'not an ISO date-time ("{cell.text}")')
            return None
        if not re.search(r"[Tt ]", cell.text):
            self._error(
                cell.line,
                item,
                "starts_at",
                f'has no time of day ("{cell.text}"); write e.g. {cell.text}T16:00:00',
            )
            return None
        if not FIRST_YEAR <= written.year <= LAST_YEAR:
            years = f"use a year from {FIRST_YEAR} to {LAST_YEAR}"
            self._error(cell.line, item, "starts_at", f'is out of range ("{cell.text}"); {years}')
            return None
        if written.tzinfo is not None:
            return written.astimezone(UTC)
        if zone is None:
            return None
        local = written.replace(tzinfo=zone)
        round_trip = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != written:
            self._error(
                cell.line,
                item,
                "starts_at",
                f"{cell.text} does not exist in {zone.key}: the clocks skip that hour",
            )
            return None
        return local.astimezone(UTC)

    def _duration(self, item: _Item) -> int | None:
        cell = item.texts.get("duration_minutes")
        if cell is None:
            return DEFAULT_DURATION_MINUTES
        if cell.text.isascii() and cell.text.isdigit():
            minutes = int(cell.text)
            if 1 <= minutes <= MAX_DURATION_MINUTES:
                return minutes
        self._error(
            cell.line,
            item,
            "duration_minutes",
            f'not a whole number of minutes from 1 to {MAX_DURATION_MINUTES} ("{cell.text}")',
        )
        return None

    def _choice(
        self, item: _Item, key: str, choices: type[_Choice], default: _Choice | None
    ) -> _Choice | None:
        cell = item.texts.get(key)
        if cell is None:
            if default is None:
                self._required(item, key)
            return default
        try:
            return choices(cell.text)
        except ValueError:
            allowed = ", ".join(choice.value for choice in choices)
            self._error(cell.line, item, key, f'unknown {key} "{cell.text}" (use {allowed})')
            return None

    def _refs(self, item: _Item, key: str, known: set[str], what: str) -> tuple[str, ...]:
        cell = item.lists.get(key)
        if cell is None:
            return ()
        refs: list[str] = []
        for ref in cell.ids:
            if ref in refs:
                self._error(cell.line, item, key, f'{what} "{ref}" is listed twice')
            elif ref not in known:
                self._error(cell.line, item, key, f'unknown {what} "{ref}"{_suggest(ref, known)}')
            else:
                refs.append(ref)
        return tuple(refs)

    def _localized(
        self, item: _Item, key: str, *, required: bool = False, translated: bool = True
    ) -> Localized:
        """Texts per language; English is the fallback, so every translated text needs it.

        Missing translations are warnings, not errors: the bot falls back to English
        (and says so), and organizers can still import while translators catch up.
        Keywords are per-language search words, so they have no fallback to check.
        """
        cells = {lang: cell for lang in LANGUAGES if (cell := item.texts.get(f"{key}.{lang}"))}
        malformed = key in item.malformed or f"{key}.en" in item.malformed
        if translated and (cells or required) and "en" not in cells and not malformed:
            self._error(
                item.line,
                item,
                f"{key}.en",
                "required: English is sent when a translation is missing",
            )
        if key == "link":
            for lang, cell in cells.items():
                if not is_web_address(cell.text):
                    self._error(
                        cell.line, item, f"link.{lang}", f'not an http(s) address ("{cell.text}")'
                    )
        if translated and "en" in cells:
            for lang in LANGUAGES:
                if lang not in cells:
                    self._warning(
                        item.line,
                        item,
                        f"{key}.{lang}",
                        f"{item.kind} {self._label(item)} has no {_LANGUAGE_NAMES[lang]} "
                        f"{key}; English will be sent instead",
                    )
        return Localized({lang: cell.text for lang, cell in cells.items()})

    # reporting

    def _required(self, item: _Item, key: str) -> _Cell | None:
        cell = item.texts.get(key)
        if cell is None and key not in item.malformed:
            self._error(item.line, item, key, "required")
        return cell

    def _label(self, item: _Item) -> str:
        cell = item.texts.get("id")
        return f'"{cell.text}"' if cell else f"on line {item.line}"

    def _where(self, item: _Item, key: str) -> str:
        return _csv_column(item.kind, key) if self._fmt == "csv" else key

    def _error(self, line: int, item: _Item, key: str, message: str) -> None:
        self._report.error(line, self._where(item, key), message)

    def _warning(self, line: int, item: _Item, key: str, message: str) -> None:
        self._report.warning(line, self._where(item, key), message)


def first_unprintable(text: str) -> int | None:
    """Where the first character YAML refuses is (NUL and other control codes, lone
    surrogates), or None: every way into the catalog refuses the same characters."""
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    return None if found is None else found.start()


def is_web_address(text: str) -> bool:
    """An http(s) address with a host and no spaces: what a link must be, in files or forms."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(ch.isspace() for ch in text)
    )
