"""Malformed and hostile catalog files: each is refused naming its line and field, never a crash.

Corpus: 82 refused files (60 YAML, 22 CSV), 2 with a missing Spanish title (warned, not
refused) and 7 spreadsheet formulas (imported as text, exported so no spreadsheet runs them):
91 cases. Each refused file is checked by `catalog.io`, by `main.py catalog check` and by
`main.py catalog import` against a SQLite database whose catalog must not change; one
runs as a real process too, to show that what `main.main` returns is what a shell sees.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from catalog.errors import CatalogError
from catalog.io import (
    BUNDLED_CATALOG,
    CSV_COLUMNS,
    check_catalog_text,
    dump_catalog_text,
    load_catalog,
    load_catalog_text,
)
from catalog.models import Catalog, Localized
from tests.support.cli_run import run_main
from tests.support.hostile_files import (
    BILLION_LAUGHS,
    CASES,
    FORMULAS,
    HOSTILE_FILES,
    SESSION_CELLS,
    SPANISH_MISSING,
    TAG_MARKER,
    HostileFile,
    csv_text,
    resource_yaml,
    session_yaml,
)

ROOT = Path(__file__).resolve().parents[2]
MINIMUM_CASES = 35
BUNDLED = load_catalog(BUNDLED_CATALOG)


def problem_line(case: HostileFile, path: str) -> str:
    """The start of the line that names the problem, as `Problem.__str__` writes it."""
    parts = [path if case.row is None else f"{path}:{case.row}"]
    if case.field:
        parts.append(case.field)
    return ": ".join(parts) + ": "


def named(case: HostileFile, output: str, path: str) -> bool:
    start = problem_line(case, path)
    return any(line.startswith(start) and case.says in line for line in output.splitlines())


def test_the_corpus_has_at_least_35_cases() -> None:
    total = len(HOSTILE_FILES) + len(SPANISH_MISSING) + len(FORMULAS)
    assert total >= MINIMUM_CASES
    yaml_cases = sum(case.fmt == "yaml" for case in HOSTILE_FILES)
    assert (yaml_cases, len(HOSTILE_FILES) - yaml_cases) == (60, 22), "the docstring's counts"
    assert total == 91


@pytest.mark.parametrize(
    ("text", "fmt"),
    [(session_yaml(), "yaml"), (resource_yaml(), "yaml"), (csv_text(), "csv")],
    ids=["session-yaml", "resource-yaml", "session-csv"],
)
def test_the_starting_points_are_valid_so_each_case_breaks_one_thing(text: str, fmt: str) -> None:
    catalog, problems = check_catalog_text(text, fmt, f"catalog.{fmt}", BUNDLED)  # type: ignore[arg-type]
    assert catalog is not None
    assert problems == []


# --- catalog.io -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=lambda case: case.id)
def test_a_hostile_file_is_refused_naming_its_line_and_field(case: HostileFile) -> None:
    catalog, problems = check_catalog_text(case.content, case.fmt, case.name, BUNDLED)  # type: ignore[arg-type]
    assert catalog is None
    errors = [p for p in problems if p.severity == "error"]
    assert any(
        (p.row, p.field) == (case.row, case.field) and case.says in p.message for p in errors
    ), [str(p) for p in errors]
    with pytest.raises(CatalogError) as raised:
        load_catalog_text(case.content, case.fmt, case.name, BUNDLED)  # type: ignore[arg-type]
    assert named(case, str(raised.value), case.name), str(raised.value)


def test_the_billion_laughs_are_never_expanded() -> None:
    tracemalloc.start()
    try:
        check_catalog_text(BILLION_LAUGHS, "yaml", "catalog.yaml", BUNDLED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"{peak} bytes: 9**9 'lol's would be gigabytes"


def test_a_python_tag_is_read_as_text_and_never_run() -> None:
    TAG_MARKER.unlink(missing_ok=True)
    for case_id in ("python-object-tag", "python-new-tag"):
        case = CASES[case_id]
        check_catalog_text(case.content, "yaml", case.name, BUNDLED)
    assert not TAG_MARKER.exists()


@pytest.mark.parametrize("case", SPANISH_MISSING, ids=lambda case: case.id)
def test_a_missing_spanish_title_is_a_warning_and_the_file_still_loads(case: HostileFile) -> None:
    catalog, problems = check_catalog_text(case.content, case.fmt, case.name, BUNDLED)  # type: ignore[arg-type]
    assert catalog is not None
    session = catalog.session("hostile-night")
    assert session is not None and "es" not in session.title.values
    assert [(p.severity, p.row, p.field) for p in problems] == [("warning", case.row, case.field)]
    assert case.says in problems[0].message


def spreadsheet_csv(title: str) -> str:
    """A one-session CSV as a spreadsheet writes it (cells with commas or quotes quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow([{**SESSION_CELLS, "title_en": title}.get(c, "") for c in CSV_COLUMNS])
    return buffer.getvalue()


@pytest.mark.parametrize("formula", FORMULAS[:5])
def test_a_formula_in_a_csv_cell_is_imported_as_plain_text(formula: str) -> None:
    catalog = load_catalog_text(spreadsheet_csv(formula), "csv", "catalog.csv")
    session = catalog.session("hostile-night")
    assert session is not None and session.title.get("en") == formula


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_csv_export_starts_no_cell_with_a_formula_and_reads_back_the_same(
    formula: str,
) -> None:
    session = load_catalog_text(session_yaml(), "yaml", "catalog.yaml").sessions[0]
    texts = Localized({"en": formula, "es": formula, "ar": "نص"})
    catalog = Catalog.of([replace(session, title=texts, summary=texts)], [])

    exported = dump_catalog_text(catalog, "csv")
    (row,) = csv.DictReader(io.StringIO(exported))
    for column in ("title_en", "title_es", "summary_en", "summary_es"):
        assert row[column][:1] not in "=+-@", f"{row[column]!r} would run as a formula"
    assert load_catalog_text(exported, "csv", "catalog.csv") == catalog


# --- main.py catalog check | import ---------------------------------------------------------


@dataclass(frozen=True)
class Cli:
    home: Path
    database: Path

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": f"sqlite+aiosqlite:///{self.database}"}

    def write(self, case: HostileFile) -> Path:
        path = self.home / f"{case.id}-{case.name}"
        path.write_bytes(case.content)
        return path

    def stored(self) -> dict[str, list[tuple[object, ...]]]:
        """Every catalog row as stored: what an import that is refused must leave alone."""
        with sqlite3.connect(self.database) as db:
            return {
                table: db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
                for table in ("topics", "sessions", "resources")
            }


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A fresh SQLite database holding the bundled catalog (the first start imports it)."""
    home = tmp_path_factory.mktemp("hostile-cli")
    cli = Cli(home, home / "bot.db")
    started = run_main(["catalog", "export", str(home / "start.yaml")], home, cli.env)
    assert started.code == 0, started.stderr
    assert len(cli.stored()["sessions"]) == len(BUNDLED.sessions)
    yield cli


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=lambda case: case.id)
def test_catalog_check_and_import_refuse_the_file_and_the_stored_catalog_is_unchanged(
    cli: Cli, case: HostileFile
) -> None:
    path = cli.write(case)
    before = cli.stored()

    checked = run_main(["catalog", "check", str(path)], cli.home, cli.env)
    assert checked.code == 1
    assert named(case, checked.stdout, str(path)), checked.stdout

    imported = run_main(["catalog", "import", str(path)], cli.home, cli.env)
    assert imported.code == 1
    assert named(case, imported.stderr, str(path)), imported.stderr
    assert imported.stdout == ""
    assert cli.stored() == before


@pytest.mark.parametrize("case", SPANISH_MISSING, ids=lambda case: case.id)
def test_catalog_check_passes_a_file_missing_spanish_with_its_warning(
    cli: Cli, case: HostileFile
) -> None:
    path = cli.write(case)
    checked = run_main(["catalog", "check", str(path)], cli.home, cli.env)
    assert checked.code == 0
    assert f"{path}:{case.row}: warning: {case.field}: " in checked.stdout
    assert f"{path}: 0 error(s), 1 warning(s)" in checked.stdout


def test_a_real_process_exits_1_with_the_problem_and_no_traceback(cli: Cli) -> None:
    case = CASES["nested-too-deeply"]
    path = cli.write(case)
    before = cli.stored()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "catalog", "import", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **cli.env, "PYTHONIOENCODING": "utf-8"},
        cwd=cli.home,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert named(case, result.stdout + result.stderr, str(path))
    assert cli.stored() == before


def test_the_bundled_catalog_is_what_the_database_still_holds(cli: Cli) -> None:
    """After every refused import the stored catalog is still the bundled one."""
    path = cli.home / "after.yaml"
    assert run_main(["catalog", "export", str(path)], cli.home, cli.env).code == 0
    assert load_catalog(path) == Catalog.of(BUNDLED.sessions, BUNDLED.resources, BUNDLED.topics)
