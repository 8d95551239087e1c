"""Hostile command lines: a usage error or one clear line, a non-zero exit, never a traceback.

Corpus: 46 command lines in `tests/support/hostile_args.py` (21 usage errors, 20 commands
that cannot be done, 5 bad settings or databases), plus a missing PostgreSQL database and
a port in use: 48 cases. They run through `main.main` in this process (what `python main.py` runs),
against a SQLite database whose catalog and broadcasts must not change; three run as real
processes to show that the shell sees the same.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import POSTGRES_ADMIN_DSN
from tests.support.cli_run import Ran, run_main
from tests.support.hostile_args import CASES, HOSTILE_ARGS, HostileArgs, lay_out
from tests.support.required import missing

ROOT = Path(__file__).resolve().parents[2]
MINIMUM_CASES = 15
WATCHED = ("topics", "sessions", "resources", "broadcasts", "contacts", "outbox")


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def database(self) -> Path:
        return self.path / "bot.db"

    def env(self, case: HostileArgs | None = None) -> dict[str, str]:
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{self.database}"}
        env.update(case.env if case else ())
        return {name: value.format(home=self.path) for name, value in env.items()}

    def argv(self, case: HostileArgs) -> list[str]:
        return [arg.format(home=self.path) for arg in case.argv]

    def stored(self) -> dict[str, list[tuple[object, ...]]]:
        with sqlite3.connect(self.database) as db:
            return {
                table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in WATCHED
            }


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """A working directory with the cases' files and a database holding the bundled catalog."""
    home = Home(tmp_path_factory.mktemp("hostile-args"))
    lay_out(home.path)
    started = run_main(["catalog", "export", str(home.path / "start.yaml")], home.path, home.env())
    assert started.code == 0, started.stderr
    yield home


def assert_clear(result: Ran | subprocess.CompletedProcess[str], case: HostileArgs) -> None:
    code = result.code if isinstance(result, Ran) else result.returncode
    assert code == case.code, result.stderr
    said = result.stdout if case.report else result.stderr
    assert case.says in said, said
    assert "Traceback" not in result.stderr
    if case.code == 2 and not case.env:
        assert "usage: main.py" in result.stderr
    else:
        assert len(said.strip().splitlines()) <= 2, "a line or two, not a dump"


def test_the_corpus_has_at_least_15_command_lines() -> None:
    assert len(HOSTILE_ARGS) >= MINIMUM_CASES
    usage = sum(case.code == 2 and not case.env for case in HOSTILE_ARGS)
    settings = sum(bool(case.env) for case in HOSTILE_ARGS)
    assert (usage, len(HOSTILE_ARGS) - usage - settings, settings) == (21, 20, 5)


@pytest.mark.parametrize("case", HOSTILE_ARGS, ids=lambda case: case.id)
def test_a_hostile_command_line_exits_non_zero_saying_why_and_changes_nothing(
    home: Home, case: HostileArgs
) -> None:
    before = home.stored()
    result = run_main(home.argv(case), home.path, home.env(case))
    assert_clear(result, case)
    assert home.stored() == before


@pytest.mark.parametrize(
    "case_id", ["unknown-command", "broadcast-send-huge-id", "export-to-a-text-file"]
)
def test_a_real_process_prints_the_same_and_no_traceback(home: Home, case_id: str) -> None:
    case = CASES[case_id]
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *home.argv(case)],
        capture_output=True,
        text=True,
        env={**os.environ, **home.env(case), "PYTHONIOENCODING": "utf-8"},
        cwd=home.path,
        timeout=60,
        check=False,
    )
    assert_clear(result, case)


def postgres_reachable() -> bool:
    address = urlsplit(POSTGRES_ADMIN_DSN)
    try:
        socket.create_connection((address.hostname, address.port or 5432), timeout=2).close()
    except OSError:
        return False
    return True


def test_a_postgresql_database_that_does_not_exist_is_named(home: Home) -> None:
    if not postgres_reachable():
        missing(f"PostgreSQL unreachable at {POSTGRES_ADMIN_DSN}")
    name = f"bot_missing_{uuid.uuid4().hex[:8]}"
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    result = run_main(["db", "upgrade"], home.path, {"DATABASE_URL": f"{base}/{name}"})
    assert result.code == 1
    assert result.stderr.startswith("cannot open the database:")
    assert f'database "{name}" does not exist' in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_port_in_use_says_so_and_exits(home: Home) -> None:
    """A real process: `serve` runs aiohttp's own loop and signal handlers."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "serve", "--no-workers"],
            capture_output=True,
            text=True,
            env={**os.environ, **home.env(), "PORT": str(port), "PYTHONIOENCODING": "utf-8"},
            cwd=home.path,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"error while attempting to bind on address ('127.0.0.1', {port})" in result.stderr
    assert "Traceback" not in result.stderr
