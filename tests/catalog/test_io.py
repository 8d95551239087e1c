"""Catalog files in and out: every mistake is named with file, line and field, all at once."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from catalog.errors import CatalogError, Problem
from catalog.io import (
    CSV_COLUMNS,
    Format,
    check_catalog,
    check_catalog_text,
    dump_catalog,
    dump_catalog_text,
    load_catalog,
    load_catalog_text,
)
from catalog.models import (
    Catalog,
    Localized,
    Resource,
    ResourceKind,
    Session,
    SessionStatus,
    Topic,
)

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = ",".join(CSV_COLUMNS)
LINK = "https://futureoflearningca.org/shared-learning/"


def yaml_text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def errors(text: str, fmt: Format = "yaml", name: str = "catalog.yaml") -> list[str]:
    catalog, problems = check_catalog_text(text, fmt, name)
    found = [str(p) for p in problems if p.severity == "error"]
    assert catalog is None or not found
    return found


def csv_errors(*rows: str) -> list[str]:
    return errors("\n".join([HEADER, *rows]) + "\n", "csv", "catalog.csv")


def csv_row(**cells: str) -> str:
    """One CSV line with the named cells filled and every other column empty."""
    return ",".join(cells.get(column, "") for column in CSV_COLUMNS)


def session_yaml(**overrides: str) -> str:
    """A valid one-session file, with some `key: value` lines replaced."""
    fields = {
        "id": "needs-assets-assessment",
        "starts_at": "2022-01-13T16:00:00",
        "timezone": "America/Los_Angeles",
        "title": "{en: First steps, es: Primeros pasos, ar: الخطوات الأولى}",
    }
    fields.update(overrides)
    lines = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return "sessions:\n  - " + lines[4:]


# --- reading valid files ------------------------------------------------------------------


def test_naive_start_is_local_time_in_the_items_zone_stored_as_utc() -> None:
    catalog = load_catalog_text(session_yaml(), "yaml", "catalog.yaml")

    (session,) = catalog.sessions
    assert session.starts_at == datetime(2022, 1, 14, 0, 0, tzinfo=UTC)
    assert session.starts_at.tzinfo is UTC
    assert session.timezone == "America/Los_Angeles"
    assert session.local_start.hour == 16


def test_session_defaults_are_ninety_minutes_scheduled_version_one() -> None:
    (session,) = load_catalog_text(session_yaml(), "yaml", "catalog.yaml").sessions

    assert session.duration_minutes == 90
    assert session.status is SessionStatus.SCHEDULED
    assert session.version == 1


def test_start_with_an_offset_is_taken_as_that_instant() -> None:
    text = session_yaml(starts_at="2024-05-09T16:00:00-07:00", timezone="Europe/Madrid")

    (session,) = load_catalog_text(text, "yaml", "catalog.yaml").sessions

    assert session.starts_at == datetime(2024, 5, 9, 23, 0, tzinfo=UTC)
    assert session.timezone == "Europe/Madrid"


def test_yaml_texts_are_read_as_typed_not_as_yaml_booleans_or_numbers() -> None:
    text = session_yaml(id="'2024'", title="{en: No, es: 'no', ar: 1.0}")

    (session,) = load_catalog_text(text, "yaml", "catalog.yaml").sessions

    assert session.id == "2024"
    assert session.title.values == {"en": "No", "es": "no", "ar": "1.0"}


def test_good_csv_fixture_loads_with_lists_quotes_and_newlines() -> None:
    catalog = load_catalog(FIXTURES / "good.csv")

    (session,) = catalog.sessions
    (resource,) = catalog.resources
    assert session.title.get("en") == "Developing Diverse, Prepared, and Supported Educators"
    assert session.summary.get("en") == 'Teacher shortages; "diverse" workforce.\nSecond line.'
    assert session.topics == ("teachers",)
    assert resource.session_ids == ("educators",)
    assert catalog.topics[0].keywords.get("es") == "maestros docentes profesores"


def test_semicolon_separated_csv_from_a_spanish_spreadsheet_is_read() -> None:
    header = ";".join(CSV_COLUMNS)
    row = ";".join(
        {"type": "topic", "id": "trust", "title_en": "Trust", "title_es": "Confianza"}.get(c, "")
        for c in CSV_COLUMNS
    )

    catalog, _ = check_catalog_text(f"{header}\n{row}\n", "csv", "catalog.csv")

    assert catalog is not None
    assert catalog.topics[0].name.get("es") == "Confianza"


def test_byte_order_mark_from_a_spreadsheet_export_is_ignored() -> None:
    data = "\ufeff" + HEADER + "\n" + csv_row(type="topic", id="trust", title_en="Trust")
    catalog, _ = check_catalog_text(data.encode("utf-8"), "csv", "catalog.csv")

    assert catalog is not None


# --- every validation error names file, row and field -------------------------------------


def test_csv_with_bad_date_names_file_row_and_field() -> None:
    row = csv_row(
        type="session",
        id="late",
        starts_at="2024-13-01",
        timezone="America/Los_Angeles",
        title_en="Late",
    )

    assert csv_errors(row) == ['catalog.csv:2: starts_at: not an ISO date-time ("2024-13-01")']


def test_yaml_with_bad_date_names_file_line_and_field() -> None:
    assert errors(session_yaml(starts_at="2022-01-32T16:00:00")) == [
        'catalog.yaml:3: starts_at: not an ISO date-time ("2022-01-32T16:00:00")'
    ]


def test_date_without_a_time_of_day_is_an_error() -> None:
    (message,) = errors(session_yaml(starts_at="2022-01-13"))

    assert message.startswith("catalog.yaml:3: starts_at: has no time of day")


def test_local_time_skipped_by_daylight_saving_is_an_error() -> None:
    (message,) = errors(session_yaml(starts_at="2024-03-10T02:30:00"))

    assert message.startswith("catalog.yaml:3: starts_at: 2024-03-10T02:30:00 does not exist")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "america/los_angeles", "../etc", "PST8"])
def test_timezone_must_be_a_real_iana_zone(zone: str) -> None:
    (message,) = errors(session_yaml(timezone=zone))

    assert message.startswith(f'catalog.yaml:4: timezone: not a time zone ("{zone}")')


@pytest.mark.parametrize("minutes", ["0", "1441", "90.5", "-5", "ninety", "٩٠"])
def test_duration_must_be_whole_minutes_from_one_to_a_day(minutes: str) -> None:
    (message,) = errors(session_yaml(duration_minutes=f"'{minutes}'"))

    assert message.startswith("catalog.yaml:6: duration_minutes: not a whole number of minutes")


def test_duration_of_a_whole_day_is_accepted() -> None:
    assert errors(session_yaml(duration_minutes="1440")) == []


def test_unknown_status_lists_the_allowed_ones() -> None:
    assert errors(session_yaml(status="postponed")) == [
        'catalog.yaml:6: status: unknown status "postponed" (use scheduled, cancelled)'
    ]


def test_resource_kind_is_required_and_must_be_known() -> None:
    rows = [
        csv_row(type="resource", id="a", kind="book", title_en="A", link_en=LINK),
        csv_row(type="resource", id="b", title_en="B", link_en=LINK),
    ]

    assert csv_errors(*rows) == [
        'catalog.csv:2: kind: unknown kind "book" '
        "(use report, slides, school_overview, background, page)",
        "catalog.csv:3: kind: required",
    ]


@pytest.mark.parametrize("bad_id", ["Needs", "-first", "first_steps", "café", "a" * 65])
def test_id_must_be_a_slug(bad_id: str) -> None:
    (message,) = errors(session_yaml(id=f"'{bad_id}'"))

    assert message.startswith(f'catalog.yaml:2: id: not a valid id ("{bad_id}")')


def test_missing_id_is_an_error_on_the_items_line() -> None:
    text = session_yaml()
    without_id = text.replace("  - id: needs-assets-assessment\n    ", "  - ")

    assert errors(without_id) == ["catalog.yaml:2: id: required"]


def test_duplicate_id_within_a_kind_names_both_lines() -> None:
    rows = [
        csv_row(type="topic", id="trust", title_en="Trust"),
        csv_row(type="topic", id="trust", title_en="Trust again"),
    ]

    assert csv_errors(*rows) == ['catalog.csv:3: id: topic id "trust" is already used on line 2']


def test_same_id_for_a_topic_and_a_resource_is_allowed() -> None:
    rows = [
        csv_row(type="topic", id="trust", title_en="Trust"),
        csv_row(type="resource", id="trust", kind="page", title_en="Trust", link_en=LINK),
    ]

    assert csv_errors(*rows) == []


def test_english_title_is_required_because_it_is_the_fallback() -> None:
    (message,) = errors(session_yaml(title="{es: Primeros pasos, ar: الخطوات الأولى}"))

    assert message.startswith("catalog.yaml:2: title.en: required")


def test_missing_translations_are_warnings_naming_item_field_and_language() -> None:
    text = session_yaml(title="{en: First steps}", summary="{en: About, ar: عن}")

    catalog, problems = check_catalog_text(text, "yaml", "catalog.yaml")

    assert catalog is not None
    assert [str(p) for p in problems] == [
        'catalog.yaml:2: warning: title.es: session "needs-assets-assessment" has no Spanish '
        "title; English will be sent instead",
        'catalog.yaml:2: warning: title.ar: session "needs-assets-assessment" has no Arabic '
        "title; English will be sent instead",
        'catalog.yaml:2: warning: summary.es: session "needs-assets-assessment" has no Spanish '
        "summary; English will be sent instead",
    ]
    assert load_catalog_text(text, "yaml", "catalog.yaml") == catalog


def test_missing_translation_in_csv_names_the_column() -> None:
    row = csv_row(type="resource", id="report", kind="report", title_en="R", link_en=LINK)

    _, problems = check_catalog_text(f"{HEADER}\n{row}\n", "csv", "catalog.csv")

    assert {(p.row, p.field, p.severity) for p in problems} == {
        (2, "title_es", "warning"),
        (2, "title_ar", "warning"),
        (2, "link_es", "warning"),
        (2, "link_ar", "warning"),
    }


@pytest.mark.parametrize(
    "link",
    [
        "ftp://example.org/x",
        "futureoflearningca.org/shared-learning/",
        "javascript:alert(1)",
        "https://example.org/a b",
        "https://",
    ],
)
def test_links_must_be_http_addresses(link: str) -> None:
    row = csv_row(type="resource", id="r", kind="page", title_en="R", link_en=LINK, link_ar=link)

    assert csv_errors(row) == [f'catalog.csv:2: link_ar: not an http(s) address ("{link}")']


def test_resource_needs_an_english_link() -> None:
    row = csv_row(type="resource", id="r", kind="page", title_en="R")

    assert csv_errors(row) == [
        "catalog.csv:2: link_en: required: English is sent when a translation is missing"
    ]


def test_references_must_name_declared_sessions_and_topics() -> None:
    rows = [
        csv_row(type="topic", id="trust", title_en="Trust"),
        csv_row(
            type="resource",
            id="r",
            kind="page",
            title_en="R",
            link_en=LINK,
            topics="trusts",
            sessions="no-such-session",
        ),
    ]

    assert csv_errors(*rows) == [
        'catalog.csv:3: sessions: unknown session "no-such-session"',
        'catalog.csv:3: topics: unknown topic "trusts" (did you mean "trust"?)',
    ]


def test_reference_to_a_session_with_its_own_error_is_not_reported_twice() -> None:
    text = session_yaml(starts_at="soon") + yaml_text(
        f"""
        resources:
          - id: slides
            kind: slides
            title: {{en: Slides}}
            link: {{en: "{LINK}"}}
            sessions: [needs-assets-assessment]
        """
    )

    assert [e.split(": ")[1] for e in errors(text)] == ["starts_at"]


def test_unknown_section_and_item_keys_are_errors_with_a_suggestion() -> None:
    text = session_yaml(titel="{en: Typo}") + "resorces: []\n"

    assert errors(text) == [
        'catalog.yaml:6: titel: unknown key for a session (did you mean "title"?)',
        'catalog.yaml:7: resorces: unknown section (did you mean "resources"?)',
    ]


def test_unknown_language_is_an_error_in_yaml_and_csv() -> None:
    assert errors(session_yaml(title="{en: First, fr: Premier}")) == [
        'catalog.yaml:5: title.fr: unknown language "fr" (use en, es or ar)'
    ]
    header = HEADER + ",summary_fr"
    assert errors(f"{header}\n", "csv", "catalog.csv") == [
        'catalog.csv:1: summary_fr: unknown language "fr" (use en, es or ar)'
    ]


def test_unknown_csv_column_is_an_error_with_a_suggestion() -> None:
    text = HEADER.replace("timezone", "time_zone") + "\n"

    assert errors(text, "csv", "catalog.csv") == [
        'catalog.csv:1: time_zone: unknown column (did you mean "timezone"?)'
    ]


def test_csv_cell_in_a_column_its_type_does_not_use_is_an_error() -> None:
    row = csv_row(type="topic", id="trust", title_en="Trust", starts_at="2024-05-09T16:00:00")

    assert csv_errors(row) == ["catalog.csv:2: starts_at: not used by topic rows; leave it empty"]


def test_csv_row_with_unknown_type_is_an_error() -> None:
    assert csv_errors(csv_row(type="event", id="x")) == [
        'catalog.csv:2: type: must be topic, session or resource ("event")'
    ]


def test_csv_row_with_more_values_than_columns_is_an_error() -> None:
    row = csv_row(type="topic", id="trust", title_en="Trust") + ",extra"

    assert csv_errors(row) == [
        f"catalog.csv:2: 22 values but the header names {len(CSV_COLUMNS)} columns"
    ]


def test_trailing_empty_cells_left_by_a_spreadsheet_are_ignored() -> None:
    assert csv_errors(csv_row(type="topic", id="trust", title_en="Trust") + ",,") == []


def test_yaml_key_given_twice_is_an_error() -> None:
    text = session_yaml() + "    timezone: Europe/Madrid\n"

    assert errors(text) == ["catalog.yaml:6: timezone: given twice"]


def test_csv_rows_are_numbered_by_file_line_when_a_value_spans_lines() -> None:
    rows = [
        csv_row(type="topic", id="trust", title_en='"Trust\nand more\ntrust"'),
        csv_row(type="topic", id="Bad", title_en="Bad"),
    ]

    (message,) = csv_errors(*rows)

    assert message.startswith("catalog.csv:5: id:")


# --- files that are not catalogs at all: one clear problem, no traceback ------------------


def test_bad_utf8_is_one_problem_naming_the_line() -> None:
    catalog, problems = check_catalog(FIXTURES / "latin1.csv")

    assert catalog is None
    (problem,) = problems
    assert problem.row == 2
    assert "not UTF-8 text (byte 0xf1)" in problem.message


def test_unparsable_yaml_is_one_problem_naming_the_line() -> None:
    text = "sessions:\n  - id: a\n    title: {en: [unclosed\n"

    (message,) = errors(text)

    assert message.startswith("catalog.yaml:4: not valid YAML:")


def test_yaml_with_a_control_character_is_one_problem() -> None:
    (message,) = errors("topics:\n  - id: a\x07\n")

    assert message == "catalog.yaml:2: not valid YAML: character U+0007 is not allowed"


def test_yaml_that_is_not_a_mapping_of_sections_is_one_problem() -> None:
    assert errors("- id: a\n") == [
        "catalog.yaml:1: expected the sections topics:, sessions: and resources:"
    ]


def test_csv_with_a_wrong_header_is_one_problem() -> None:
    text = "name,date,link\nFirst steps,2022-01-13,https://example.org\n"

    (message,) = errors(text, "csv", "catalog.csv")

    assert message.startswith("catalog.csv:1: the first row must name the columns: type,id,")


def test_csv_with_an_unclosed_quote_is_one_problem() -> None:
    row = csv_row(type="topic", id="trust", title_en='"Trust')

    (message,) = csv_errors(row)

    assert message.startswith("catalog.csv:2: not valid CSV")


@pytest.mark.parametrize(("text", "fmt"), [("", "yaml"), ("# nothing\n", "yaml"), ("", "csv")])
def test_empty_file_is_an_error(text: str, fmt: Format) -> None:
    assert errors(text, fmt, "f") == ["f: the file is empty"]


def test_unknown_suffix_and_unreadable_file_are_problems(tmp_path: Path) -> None:
    (suffix_problem,) = check_catalog(tmp_path / "catalog.txt")[1]
    (missing_problem,) = check_catalog(tmp_path / "missing.yaml")[1]

    assert "unknown catalog format" in suffix_problem.message
    assert missing_problem.message.startswith("cannot read the file")


# --- all errors at once, and nothing partial ----------------------------------------------


def test_file_with_several_errors_reports_all_of_them_and_no_catalog() -> None:
    path = FIXTURES / "several_errors.yaml"

    catalog, problems = check_catalog(path)

    assert catalog is None
    assert [(p.row, p.field) for p in problems] == [
        (7, "starts_at"),
        (10, "title.en"),
        (12, "timezone"),
        (13, "duration_minutes"),
        (14, "topics"),
        (18, "kind"),
        (20, "link.en"),
        (21, "sessions"),
    ]
    assert all(p.file == str(path) for p in problems)


def test_loading_a_bad_file_raises_with_every_error_in_the_message() -> None:
    with pytest.raises(CatalogError) as raised:
        load_catalog(FIXTURES / "several_errors.yaml")

    assert len(raised.value.problems) == 8
    message = str(raised.value)
    assert message.startswith("8 errors in the catalog\n")
    assert all(str(problem) in message for problem in raised.value.problems)


def test_warnings_alone_do_not_stop_a_load_and_are_not_in_the_error() -> None:
    row = csv_row(type="topic", id="trust", title_en="Trust")

    catalog = load_catalog_text(f"{HEADER}\n{row}\n", "csv", "catalog.csv")

    assert catalog.topics[0].name.missing() == ("es", "ar")


def test_problem_without_row_or_field_names_just_the_file() -> None:
    assert str(Problem("catalog.yaml", None, None, "the file is empty")) == (
        "catalog.yaml: the file is empty"
    )


# --- round trips --------------------------------------------------------------------------

TRICKY = Localized(
    {
        "en": 'Commas, "quotes"; semicolons: and # hashes\nSecond line\n  indented',
        "es": "- empieza con guion: ¿sí? — «comillas»",
        "ar": "جلسة المعلمين، ٢٠٢٤: «الثقة» والقرارات\nسطر ثانٍ",
    }
)


def tricky_catalog() -> Catalog:
    madrid = timezone(timedelta(hours=2))
    return Catalog.of(
        sessions=[
            Session(
                id="2024",
                starts_at=datetime(2024, 11, 3, 8, 30, tzinfo=UTC),  # the hour LA repeats
                timezone="America/Los_Angeles",
                duration_minutes=45,
                title=TRICKY,
                summary=Localized({"en": "yes", "es": "no", "ar": "null"}),
                link=Localized({"en": LINK, "ar": "https://example.org/ar?x=1&y=2#t"}),
                topics=("teachers", "trust"),
                status=SessionStatus.CANCELLED,
            ),
            Session(
                id="later",
                starts_at=datetime(2024, 7, 1, 16, 0, tzinfo=madrid).astimezone(UTC),
                timezone="Europe/Madrid",
                duration_minutes=1440,
                title=Localized({"en": "Later"}),
                summary=Localized(),
                link=Localized(),
            ),
        ],
        resources=[
            Resource(
                id="beacons-of-hope",
                kind=ResourceKind.REPORT,
                title=TRICKY,
                link=Localized({"en": LINK, "es": LINK, "ar": LINK}),
                session_ids=("2024", "later"),
                topics=("trust",),
            ),
            Resource(
                id="overview",
                kind=ResourceKind.SCHOOL_OVERVIEW,
                title=Localized({"en": "Overview"}),
                link=Localized({"en": LINK}),
                summary=TRICKY,
            ),
        ],
        topics=[
            Topic("trust", TRICKY, Localized({"ar": "الثقة علاقات"})),
            Topic("teachers", Localized({"en": "Teachers", "es": "Maestros"})),
        ],
    )


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".csv"])
def test_dump_then_load_gives_the_same_catalog(tmp_path: Path, suffix: str) -> None:
    original = tricky_catalog()
    path = tmp_path / f"catalog{suffix}"

    dump_catalog(original, path)

    assert load_catalog(path) == original


def test_yaml_export_keeps_arabic_readable_and_writes_local_time_with_offset() -> None:
    text = dump_catalog_text(tricky_catalog(), "yaml")

    assert "جلسة المعلمين" in text
    assert "2024-11-03T01:30:00-07:00" in text
    assert "version" not in text


def test_dump_to_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown catalog format"):
        dump_catalog(tricky_catalog(), tmp_path / "catalog.json")


def test_value_of_the_wrong_shape_is_one_problem_not_also_missing() -> None:
    assert errors(session_yaml(title="First steps", timezone="[America/Los_Angeles]")) == [
        "catalog.yaml:4: timezone: expected a single value",
        "catalog.yaml:5: title: expected one text per language: {en: ..., es: ..., ar: ...}",
    ]


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00", "0001-01-01T00:00:00+05:00"])
def test_a_date_at_the_edge_of_the_calendar_is_a_problem_not_a_crash(start: str) -> None:
    found = errors(session_yaml(starts_at=start, timezone="America/Los_Angeles"))
    assert any("starts_at: is out of range" in problem for problem in found), found
