"""Malformed and hostile catalog files, each with the problem the checker must name.

Every file starts from one valid item (`session_yaml`, `resource_yaml`, `csv_text`) that
refers to nothing outside the file, so that `catalog check` (the file alone) and `catalog
import` (merged into the stored catalog) agree, and breaks one thing: the problem each case
expects (line, field, words of the message) is the one its mutation causes. The same
corpus is fed to `catalog.io` directly, to `main.py catalog check|import`, and to the
console's import page."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from catalog.io import CSV_COLUMNS

# What a `!!python/object/apply` tag would create if a loader ever ran it.
TAG_MARKER = Path(tempfile.gettempdir()) / "hostile-catalog-yaml-tag-ran"
# The huge CSV: real rows, then the blank rows a spreadsheet leaves behind, well over the
# console's 2 MiB upload limit, and a problem on the very last line.
HUGE_ROWS, HUGE_BLANK_ROWS = 1_000, 100_000


@dataclass(frozen=True)
class HostileFile:
    """A file and the one problem it must be refused with.

    `row` is the line the problem names (None: the whole file), `field` the field as the
    file spells it (`title.en` in YAML, `title_en` in CSV; None: the whole line or file).
    """

    id: str
    name: str
    content: bytes
    row: int | None
    field: str | None
    says: str

    @property
    def fmt(self) -> str:
        return "csv" if self.name.endswith(".csv") else "yaml"


# --- valid starting points ------------------------------------------------------------------

SESSION_FIELDS = {
    "id": "hostile-night",  # line 2
    "starts_at": "2027-02-04T18:00:00",  # 3
    "timezone": "America/Los_Angeles",  # 4
    "duration_minutes": "90",  # 5
    "status": "scheduled",  # 6
    "topics": "[]",  # 7
    "title": "{en: Family Night, es: Noche familiar, ar: أمسية الأسرة}",  # 8
    "summary": "{en: Games and reading, es: Lectura en compañía, ar: ألعاب وقراءة}",  # 9
    "link": (  # 10
        "{en: 'https://example.org/live', es: 'https://example.org/es',"
        " ar: 'https://example.org/ar'}"
    ),
}
RESOURCE_FIELDS = {
    "id": "hostile-report",  # line 2
    "kind": "report",  # 3
    "sessions": "[]",  # 4
    "topics": "[]",  # 5
    "title": "{en: Report, es: Informe, ar: تقرير}",  # 6
    "link": (  # 7
        "{en: 'https://example.org/r', es: 'https://example.org/r-es',"
        " ar: 'https://example.org/r-ar'}"
    ),
}


def _item(section: str, fields: dict[str, str], changes: dict[str, str | None]) -> str:
    merged = {**fields, **changes}
    lines = [f"{key}: {value}" for key, value in merged.items() if value is not None]
    return f"{section}:\n  - " + "\n    ".join(lines) + "\n"


def session_yaml(**changes: str | None) -> str:
    """One valid session (lines 2-10 in SESSION_FIELDS order); None drops a line."""
    return _item("sessions", SESSION_FIELDS, changes)


def resource_yaml(**changes: str | None) -> str:
    """One valid resource (lines 2-7 in RESOURCE_FIELDS order); None drops a line."""
    return _item("resources", RESOURCE_FIELDS, changes)


SESSION_CELLS = {
    "type": "session",
    "id": "hostile-night",
    "starts_at": "2027-02-04T18:00:00",
    "timezone": "America/Los_Angeles",
    "duration_minutes": "90",
    "status": "scheduled",
    "topics": "",
    "title_en": "Family Night",
    "title_es": "Noche familiar",
    "title_ar": "أمسية الأسرة",
    "summary_en": "Games and reading",
    "summary_es": "Lectura en compañía",
    "summary_ar": "ألعاب وقراءة",
    "link_en": "https://example.org/live",
    "link_es": "https://example.org/es",
    "link_ar": "https://example.org/ar",
}


def csv_row(columns: tuple[str, ...] = CSV_COLUMNS, **changes: str) -> str:
    cells = {**SESSION_CELLS, **changes}
    return ",".join(cells.get(column, "") for column in columns)


def csv_text(*rows: str, columns: tuple[str, ...] = CSV_COLUMNS) -> str:
    """The header then `rows` (one valid session row when none are given)."""
    return "\n".join([",".join(columns), *(rows or (csv_row(columns),))]) + "\n"


def _huge_csv() -> str:
    rows = [csv_row(id=f"hostile-{n}", title_en=f"Session {n}") for n in range(HUGE_ROWS)]
    blank = "," * (len(CSV_COLUMNS) - 1)
    last = csv_row(id="hostile-last", link_en="ftp://example.org/last")
    return csv_text(*rows, *[blank] * HUGE_BLANK_ROWS, last)


BILLION_LAUGHS = "sessions:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  - &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)
# Deeper than PyYAML's recursive composer can go under the default recursion limit.
DEEP_NESTING = "sessions: " + "[" * 600 + "]" * 600 + "\n"
DUPLICATE_SESSIONS = session_yaml() + session_yaml().removeprefix("sessions:\n")
DUPLICATE_RESOURCES = resource_yaml() + resource_yaml().removeprefix("resources:\n")
COLUMNS_WITHOUT_TYPE = CSV_COLUMNS[1:]
COLUMNS_WITHOUT_START = tuple(c for c in CSV_COLUMNS if c != "starts_at")


def _yaml(case_id: str, text: str, row: int | None, field: str | None, says: str) -> HostileFile:
    return HostileFile(case_id, "catalog.yaml", text.encode(), row, field, says)


def _csv(case_id: str, text: str, row: int | None, field: str | None, says: str) -> HostileFile:
    return HostileFile(case_id, "catalog.csv", text.encode(), row, field, says)


NOT_ISO = "not an ISO date-time"
NOT_ZONE = "not a time zone"
NOT_WEB = "not an http(s) address"
OUT_OF_RANGE = "is out of range"

HOSTILE_FILES: tuple[HostileFile, ...] = (
    # dates and times
    _yaml(
        "date-february-30", session_yaml(starts_at="2026-02-30T16:00:00"), 3, "starts_at", NOT_ISO
    ),
    _yaml("date-in-words", session_yaml(starts_at="next tuesday"), 3, "starts_at", NOT_ISO),
    _yaml("date-empty", session_yaml(starts_at='""'), 2, "starts_at", "required"),
    _yaml("date-missing", session_yaml(starts_at=None), 2, "starts_at", "required"),
    _yaml("date-year-0", session_yaml(starts_at="0000-01-01T10:00:00"), 3, "starts_at", NOT_ISO),
    _yaml(
        "date-year-99999", session_yaml(starts_at="99999-01-01T10:00:00"), 3, "starts_at", NOT_ISO
    ),
    _yaml(
        "date-year-1", session_yaml(starts_at="0001-01-01T10:00:00"), 3, "starts_at", OUT_OF_RANGE
    ),
    _yaml(
        "date-year-9999",
        session_yaml(starts_at="9999-12-31T20:00:00"),
        3,
        "starts_at",
        OUT_OF_RANGE,
    ),
    _yaml(
        "date-year-1-with-offset",
        session_yaml(starts_at="0001-01-01T00:00:00+05:00"),
        3,
        "starts_at",
        OUT_OF_RANGE,
    ),
    _yaml("time-without-date", session_yaml(starts_at="'18:00'"), 3, "starts_at", NOT_ISO),
    _yaml(
        "date-without-time", session_yaml(starts_at="2027-02-04"), 3, "starts_at", "no time of day"
    ),
    _yaml(
        "time-the-clocks-skip",
        session_yaml(starts_at="2027-03-14T02:30:00"),
        3,
        "starts_at",
        "does not exist in America/Los_Angeles",
    ),
    # time zones
    _yaml("zone-on-mars", session_yaml(timezone="Mars/Olympus"), 4, "timezone", NOT_ZONE),
    _yaml("zone-pst8", session_yaml(timezone="PST8"), 4, "timezone", NOT_ZONE),
    _yaml("zone-empty", session_yaml(timezone='""'), 2, "timezone", "required"),
    _yaml("zone-lowercase", session_yaml(timezone="america/los_angeles"), 4, "timezone", NOT_ZONE),
    _yaml(
        "zone-path-traversal", session_yaml(timezone="../../../etc/passwd"), 4, "timezone", NOT_ZONE
    ),
    _yaml("zone-absolute-path", session_yaml(timezone="/etc/localtime"), 4, "timezone", NOT_ZONE),
    # ids and references
    _yaml(
        "duplicate-session-ids",
        DUPLICATE_SESSIONS,
        11,
        "id",
        'session id "hostile-night" is already used on line 2',
    ),
    _yaml(
        "duplicate-resource-ids",
        DUPLICATE_RESOURCES,
        8,
        "id",
        'resource id "hostile-report" is already used on line 2',
    ),
    _yaml("id-path-traversal", session_yaml(id="../../etc/passwd"), 2, "id", "not a valid id"),
    _yaml(
        "id-with-bidi-override", session_yaml(id="hostile\u202enight"), 2, "id", "not a valid id"
    ),
    _yaml("id-uppercase", session_yaml(id="Hostile-Night"), 2, "id", "not a valid id"),
    _yaml(
        "topics-as-a-string",
        session_yaml(topics="family-engagement"),
        7,
        "topics",
        "expected a list of ids",
    ),
    _yaml(
        "unknown-topic",
        session_yaml(topics="[no-such-topic]"),
        7,
        "topics",
        'unknown topic "no-such-topic"',
    ),
    _yaml(
        "resource-of-an-unknown-session",
        resource_yaml(sessions="[no-such-session]"),
        4,
        "sessions",
        'unknown session "no-such-session"',
    ),
    # languages and shapes
    _yaml(
        "no-english-title",
        session_yaml(title="{es: Noche familiar, ar: أمسية الأسرة}"),
        2,
        "title.en",
        "required: English is sent when a translation is missing",
    ),
    _yaml(
        "unknown-language-key",
        session_yaml(title="{en: Family Night, fr: Soirée}"),
        8,
        "title.fr",
        'unknown language "fr"',
    ),
    _yaml(
        "title-as-a-list",
        session_yaml(title="[Family, Night]"),
        8,
        "title",
        "expected one text per language",
    ),
    _yaml(
        "title-as-a-number", session_yaml(title="42"), 8, "title", "expected one text per language"
    ),
    _yaml(
        "english-title-as-a-list",
        session_yaml(title="{en: [Family, Night]}"),
        8,
        "title.en",
        "expected a text",
    ),
    _yaml(
        "sessions-as-a-mapping",
        "sessions:\n  id: hostile-night\n",
        2,
        "sessions",
        "expected a list of items",
    ),
    _yaml("root-as-a-list", "- sessions\n- resources\n", 1, None, "expected the sections"),
    _yaml(
        "unknown-section",
        session_yaml().replace("sessions:", "session:"),
        1,
        "session",
        'unknown section (did you mean "sessions"?)',
    ),
    _yaml(
        "misspelt-key",
        session_yaml().replace("title:", "tittle:"),
        8,
        "tittle",
        'unknown key for a session (did you mean "title"?)',
    ),
    _yaml(
        "key-given-twice",
        session_yaml().replace("    status: scheduled\n", "    timezone: UTC\n"),
        6,
        "timezone",
        "given twice",
    ),
    _yaml(
        "duration-negative",
        session_yaml(duration_minutes="-5"),
        5,
        "duration_minutes",
        "not a whole number",
    ),
    _yaml(
        "duration-huge",
        session_yaml(duration_minutes="99999999999999999999"),
        5,
        "duration_minutes",
        "not a whole number",
    ),
    _yaml(
        "duration-arabic-digits",
        session_yaml(duration_minutes="٩٠"),
        5,
        "duration_minutes",
        "not a whole number",
    ),
    _yaml(
        "status-unknown",
        session_yaml(status="postponed"),
        6,
        "status",
        'unknown status "postponed"',
    ),
    _yaml(
        "resource-kind-unknown", resource_yaml(kind="malware"), 3, "kind", 'unknown kind "malware"'
    ),
    # links
    _yaml(
        "link-javascript", session_yaml(link="{en: 'javascript:alert(1)'}"), 10, "link.en", NOT_WEB
    ),
    _yaml(
        "link-data",
        session_yaml(link="{en: 'data:text/html,<script>alert(1)</script>'}"),
        10,
        "link.en",
        NOT_WEB,
    ),
    _yaml("link-file", session_yaml(link="{en: 'file:///etc/passwd'}"), 10, "link.en", NOT_WEB),
    _yaml(
        "link-with-a-space",
        session_yaml(link="{en: 'https://example.org/family night'}"),
        10,
        "link.en",
        NOT_WEB,
    ),
    _yaml(
        "link-without-a-host",
        session_yaml(link="{en: 'https://example.org', es: 'https://'}"),
        10,
        "link.es",
        NOT_WEB,
    ),
    # YAML itself
    _yaml("billion-laughs", BILLION_LAUGHS, 2, "sessions", "expected an item"),
    _yaml("nested-too-deeply", DEEP_NESTING, None, None, "nested too deeply"),
    _yaml(
        "python-object-tag",
        session_yaml(title=f"!!python/object/apply:os.mkdir ['{TAG_MARKER}']"),
        8,
        "title",
        "expected one text per language",
    ),
    _yaml(
        "python-new-tag",
        session_yaml(timezone="!!python/object/new:zoneinfo.ZoneInfo [UTC]"),
        4,
        "timezone",
        "expected a single value",
    ),
    _yaml("tab-indentation", session_yaml().replace("    ", "\t"), 3, None, "not valid YAML"),
    _yaml(
        "nul-character",
        session_yaml(title="{en: 'Family\x00Night'}"),
        8,
        None,
        "U+0000 is not allowed",
    ),
    _yaml(
        "key-that-is-a-list",
        session_yaml().replace("status:", "? [a, b]\n    :"),
        6,
        None,
        "expected a name",
    ),
    _yaml("empty-file", "", None, None, "the file is empty"),
    _yaml("only-comments", "# sessions: none yet\n\n", None, None, "the file is empty"),
    HostileFile(
        "invalid-utf8",
        "catalog.yaml",
        session_yaml().encode().replace("ñ".encode(), b"\xf1"),
        9,
        None,
        "not UTF-8 text (byte 0xf1)",
    ),
    HostileFile("utf16", "catalog.yaml", session_yaml().encode("utf-16"), 1, None, "byte 0xff"),
    HostileFile(
        "bom-then-a-bad-zone",
        "catalog.yaml",
        b"\xef\xbb\xbf" + session_yaml(timezone="Mars/Olympus").encode(),
        4,
        "timezone",
        NOT_ZONE,
    ),
    HostileFile("binary-garbage", "catalog.yaml", bytes(range(256)) * 8, 2, None, "byte 0x80"),
    HostileFile(
        "png-named-yaml",
        "catalog.yaml",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        1,
        None,
        "byte 0x89",
    ),
    # CSV
    _csv("csv-empty", "", None, None, "the file is empty"),
    _csv(
        "csv-missing-type-column",
        csv_text(csv_row(COLUMNS_WITHOUT_TYPE), columns=COLUMNS_WITHOUT_TYPE),
        1,
        None,
        "the first row must name the columns",
    ),
    _csv(
        "csv-missing-starts-at-column",
        csv_text(csv_row(COLUMNS_WITHOUT_START), columns=COLUMNS_WITHOUT_START),
        2,
        "starts_at",
        "required",
    ),
    _csv(
        "csv-extra-column",
        csv_text(csv_row((*CSV_COLUMNS, "notes")), columns=(*CSV_COLUMNS, "notes")),
        1,
        "notes",
        "unknown column",
    ),
    _csv(
        "csv-extra-values",
        csv_text(csv_row() + ",surprise,more"),
        2,
        None,
        "values but the header names",
    ),
    _csv(
        "csv-tab-delimited",
        csv_text().replace(",", "\t"),
        1,
        None,
        "the first row must name the columns",
    ),
    _csv(
        "csv-unterminated-quote",
        csv_text(csv_row(title_en='"Family Night')),
        2,
        None,
        "not valid CSV",
    ),
    _csv(
        "csv-nul-character",
        csv_text(csv_row(title_en="Family\x00Night")),
        2,
        None,
        "U+0000 is not allowed",
    ),
    _csv(
        "csv-escape-character",
        csv_text(csv_row(title_en="Family\x1b[31mNight")),
        2,
        None,
        "U+001B is not allowed",
    ),
    _csv(
        "csv-type-capitalised",
        csv_text(csv_row(type="Session")),
        2,
        "type",
        "must be topic, session or resource",
    ),
    _csv(
        "csv-column-twice",
        csv_text(csv_row((*CSV_COLUMNS, "title_en")), columns=(*CSV_COLUMNS, "title_en")),
        1,
        "title_en",
        "given twice",
    ),
    _csv(
        "csv-unknown-language-column",
        csv_text(csv_row((*CSV_COLUMNS, "title_fr")), columns=(*CSV_COLUMNS, "title_fr")),
        1,
        "title_fr",
        'unknown language "fr"',
    ),
    _csv(
        "csv-multiline-cell-then-a-bad-row",
        csv_text(
            csv_row(summary_en='"Games,\nreading\nand songs"'),
            csv_row(id="hostile-second", link_en="javascript:alert(1)"),
        ),
        5,
        "link_en",
        NOT_WEB,
    ),
    _csv(
        "csv-old-mac-line-ends",
        csv_text(csv_row(link_en="file:///etc/passwd")).replace("\n", "\r"),
        2,
        "link_en",
        NOT_WEB,
    ),
    _csv("csv-huge-file", _huge_csv(), HUGE_ROWS + HUGE_BLANK_ROWS + 2, "link_en", NOT_WEB),
    _csv(
        "csv-huge-cell",
        csv_text(csv_row(summary_en="x" * 200_000)),
        2,
        None,
        "field larger than field limit",
    ),
    _csv(
        "csv-link-javascript",
        csv_text(csv_row(link_es="javascript:alert(1)")),
        2,
        "link_es",
        NOT_WEB,
    ),
    _csv(
        "csv-date-february-30",
        csv_text(csv_row(starts_at="2026-02-30 16:00")),
        2,
        "starts_at",
        NOT_ISO,
    ),
    _csv("csv-zone-on-mars", csv_text(csv_row(timezone="Mars/Olympus")), 2, "timezone", NOT_ZONE),
    _csv("csv-no-english-title", csv_text(csv_row(title_en="")), 2, "title_en", "required"),
    HostileFile(
        "csv-latin1",
        "catalog.csv",
        csv_text().encode().replace("ñ".encode(), b"\xf1"),
        2,
        None,
        "not UTF-8 text (byte 0xf1)",
    ),
    HostileFile(
        "csv-bom-then-a-bad-date",
        "catalog.csv",
        b"\xef\xbb\xbf" + csv_text(csv_row(starts_at="next tuesday")).encode(),
        2,
        "starts_at",
        NOT_ISO,
    ),
)

# A missing translation is a warning, not an error: the bot sends English and says so.
SPANISH_MISSING = (
    _yaml(
        "spanish-title-missing",
        session_yaml(title="{en: Family Night, ar: أمسية الأسرة}"),
        2,
        "title.es",
        "has no Spanish title; English will be sent instead",
    ),
    _csv(
        "csv-spanish-title-missing",
        csv_text(csv_row(title_es="")),
        2,
        "title_es",
        "has no Spanish title; English will be sent instead",
    ),
)

# Cells a spreadsheet would run as formulas; they are texts to the bot.
FORMULAS = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example","Click")',
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "'=already quoted",
    "''=two apostrophes",
)

CASES = {case.id: case for case in HOSTILE_FILES}
assert len(CASES) == len(HOSTILE_FILES), "case ids are unique"
