"""The command line as a user runs it: real processes, a temporary SQLite database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_piped_chat_answers_each_line_and_exits_at_end_of_input(tmp_path: Path) -> None:
    result = run(["chat", "--as", "demo"], tmp_path, stdin="hola\nsesiones\n2\n")
    assert result.returncode == 0, result.stderr
    assert "¡Hola!" in result.stdout
    assert "Grabaciones de sesiones anteriores" in result.stdout
    assert "Se realizó el 4 de diciembre de 2023." in result.stdout


def test_chat_keeps_state_between_runs(tmp_path: Path) -> None:
    run(["chat", "--as", "demo"], tmp_path, stdin="عربي\n")
    result = run(["chat", "--as", "demo"], tmp_path, stdin="help\n")
    assert "إليك ما يمكنك أن ترسله لي" in result.stdout


def test_chat_lang_option_sets_the_language(tmp_path: Path) -> None:
    result = run(["chat", "--lang", "ar"], tmp_path, stdin="next\n")
    assert "لا توجد جلسة قادمة مقررة" in result.stdout


def test_catalog_export_check_import_round_trip(tmp_path: Path) -> None:
    exported = tmp_path / "catalog.csv"
    assert run(["catalog", "export", str(exported)], tmp_path).returncode == 0
    check = run(["catalog", "check", str(exported)], tmp_path)
    assert check.returncode == 0
    assert "0 error(s), 0 warning(s)" in check.stdout
    text = exported.read_text(encoding="utf-8").replace("2024-05-09T16:00", "2026-12-10T16:00")
    exported.write_text(text, encoding="utf-8")
    imported = run(["catalog", "import", str(exported)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "1 updated" in imported.stdout
    answer = run(["chat"], tmp_path, stdin="next\n")
    assert "Thursday, December 10, 2026 at 4:00\u202fPM (Pacific Time)" in answer.stdout


def test_a_bad_catalog_is_refused_with_file_row_and_field_and_changes_nothing(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.csv"
    exported = tmp_path / "good.csv"
    run(["catalog", "export", str(exported)], tmp_path)
    lines = exported.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("session,"))
    lines[row] = lines[row].replace("T16:00", "T25:00", 1)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(["catalog", "import", str(bad)], tmp_path)
    assert result.returncode == 1
    assert f"bad.csv:{row + 1}: starts_at:" in result.stderr
    assert run(["catalog", "export", str(tmp_path / "after.csv")], tmp_path).returncode == 0
    assert (tmp_path / "after.csv").read_text(encoding="utf-8") == exported.read_text(
        encoding="utf-8"
    )


def test_a_bad_setting_stops_the_process_naming_the_variable(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 2
    assert "BOT_TIMEZONE" in result.stderr


@pytest.mark.parametrize("args", [["catalog"], ["chat", "--lang", "fr"], ["nonsense"]])
def test_bad_arguments_get_a_usage_message(tmp_path: Path, args: list[str]) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_check_and_import_agree_on_a_file_that_uses_the_stored_topics(tmp_path: Path) -> None:
    addition = tmp_path / "addition.yaml"
    addition.write_text(
        "sessions:\n"
        "  - id: family-night-2027\n"
        "    starts_at: 2027-02-04T18:00:00\n"
        "    timezone: America/Los_Angeles\n"
        "    topics: [family-engagement]\n"
        "    title: {en: Family Night, es: Noche familiar, ar: أمسية الأسرة}\n"
        "    link: {en: https://futureoflearningca.org/shared-learning/}\n",
        encoding="utf-8",
    )
    # Before the first start: checked against the bundled catalog that start imports,
    # without creating the database.
    checked = run(["catalog", "check", str(addition)], tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert not (tmp_path / "cli.db").exists()
    imported = run(["catalog", "import", str(addition)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "1 added" in imported.stdout
    assert run(["catalog", "check", str(addition)], tmp_path).returncode == 0
    checked_whole = run(["catalog", "check", "--replace", str(addition)], tmp_path)
    assert checked_whole.returncode == 1
    assert 'unknown topic "family-engagement"' in checked_whole.stdout
    replaced = run(["catalog", "import", "--replace", str(addition)], tmp_path)
    assert replaced.returncode == 1
    assert 'unknown topic "family-engagement"' in replaced.stderr


def seed_subscribers(tmp_path: Path) -> None:
    """Two Telegram parents (English, Spanish) and one SMS parent (Arabic), subscribed."""
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        for channel, address, locale in (
            ("telegram", "1001", "en"),
            ("telegram", "1002", "es"),
            ("sms", "+15550001234", "ar"),
        ):
            db.execute(
                "INSERT INTO contacts (channel, address, locale, locale_chosen, opted_out, state,"
                " created_at, last_seen_at) VALUES (?, ?, ?, 0, 0, '{}', '2026-11-01 10:00:00',"
                " '2026-11-01 10:00:00')",
                (channel, address, locale),
            )
        db.execute(
            "INSERT INTO subscriptions (contact_id, topic_id, created_at)"
            " SELECT id, '*', '2026-11-01 10:00:00' FROM contacts"
        )


def test_broadcast_is_previewed_confirmed_followed_and_cancelled_from_the_terminal(
    tmp_path: Path,
) -> None:
    seed_subscribers(tmp_path)
    created = run(
        [
            "broadcast",
            "create",
            "--text",
            "Family night on Thursday",
            "--text-es",
            "Noche el jueves",
        ],
        tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert "Broadcast 1 (draft)" in created.stdout
    assert "  all" in created.stdout and created.stdout.split("  all")[1].split()[0] == "3"
    assert "ar: 24 characters, GSM7, 1 SMS segment(s) each — no text of its own" in created.stdout
    assert "SMS: 1 segments, about $0.01" in created.stdout

    refused = run(["broadcast", "send", "1"], tmp_path, stdin="no\n")
    assert refused.returncode == 1
    assert "not sent; the draft is kept" in refused.stdout

    queued = run(["broadcast", "send", "1", "--yes", "--no-watch"], tmp_path)
    assert queued.returncode == 0, queued.stderr
    status = run(["broadcast", "status"], tmp_path)
    assert "Broadcast 1 (sending): 3 recipients" in status.stdout
    assert "3 to go" in status.stdout

    cancelled = run(["broadcast", "cancel", "1"], tmp_path)
    assert "3 queued messages will not be sent" in cancelled.stdout
    watched = run(["broadcast", "status", "1", "--watch"], tmp_path)
    assert "(cancelled)" in watched.stdout and "3 cancelled" in watched.stdout
    again = run(["broadcast", "send", "1", "--yes"], tmp_path)
    assert again.returncode == 1
    assert "already cancelled" in again.stderr
    assert "cancelled" in run(["broadcast", "list"], tmp_path).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text", " "], "an English text is required"),
        (["--text", "hi", "--at", "next tuesday"], "is not a date and time"),
        (["--text", "hi", "--text-ar", "x" * 5000], "text too long in ar"),
    ],
)
def test_a_bad_broadcast_is_refused_with_what_to_fix(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(["broadcast", "create", *args], tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert "there are no broadcasts yet" in run(["broadcast", "status"], tmp_path).stderr
