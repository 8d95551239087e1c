"""Hostile command lines for `main.py`, each with the exit code and the words it must print.

Usage mistakes exit 2 with argparse's usage line and the argument named; a command that
cannot do what it was asked exits 1 (2 for a bad setting) with one line on stderr saying
why (`catalog check` prints its report on stdout). None prints a traceback. `{home}` in an
argument is the test's working directory, where `lay_out` puts the files the cases name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HUGE_ID = "99999999999999999999"


@dataclass(frozen=True)
class HostileArgs:
    id: str
    argv: tuple[str, ...]
    code: int
    says: str
    env: tuple[tuple[str, str], ...] = ()
    # `catalog check` prints its report, problems included, on stdout.
    report: bool = False


def lay_out(home: Path) -> None:
    """The files the cases name: a directory that looks like a catalog, an unreadable
    catalog (a link to /proc/self/mem, which no one can read from its start, root or not),
    a text file, and a plain file where a directory should be."""
    (home / "folder.csv").mkdir()
    (home / "out.csv").mkdir()
    (home / "unreadable.csv").symlink_to("/proc/self/mem")
    (home / "notes.txt").write_text("not a catalog\n", encoding="utf-8")
    (home / "plain-file").write_text("", encoding="utf-8")


def _usage(case_id: str, says: str, *argv: str) -> HostileArgs:
    return HostileArgs(case_id, argv, 2, says)


def _fails(case_id: str, says: str, *argv: str) -> HostileArgs:
    return HostileArgs(case_id, argv, 1, says)


HOSTILE_ARGS: tuple[HostileArgs, ...] = (
    # argparse: the usage line and the argument named
    _usage("no-command", "the following arguments are required: command"),
    _usage("unknown-command", "invalid choice: 'nonsense'", "nonsense"),
    _usage("serve-unknown-flag", "unrecognized arguments: --workers", "serve", "--workers"),
    _usage("serve-extra-argument", "unrecognized arguments: now", "serve", "--no-workers", "now"),
    _usage("worker-unknown-flag", "unrecognized arguments: --no-workers", "worker", "--no-workers"),
    _usage("chat-language-xx", "argument --lang: invalid choice: 'xx'", "chat", "--lang", "xx"),
    _usage("chat-as-empty", "argument --as: give 1 to 128 characters", "chat", "--as", ""),
    _usage("chat-as-blank", "argument --as: give 1 to 128 characters", "chat", "--as", "   "),
    _usage("chat-as-300-characters", "argument --as: give 1 to 128", "chat", "--as", "x" * 300),
    _usage("catalog-without-action", "required: action", "catalog"),
    _usage("catalog-unknown-action", "invalid choice: 'frobnicate'", "catalog", "frobnicate"),
    _usage("catalog-import-without-file", "required: file", "catalog", "import"),
    _usage("broadcast-send-abc", "not a broadcast number: 'abc'", "broadcast", "send", "abc"),
    _usage(
        "broadcast-send-huge-id",
        f"not a broadcast number: '{HUGE_ID}'",
        "broadcast",
        "send",
        HUGE_ID,
    ),
    _usage(
        "broadcast-cancel-negative",
        "not a broadcast number: '-1'",
        "broadcast",
        "cancel",
        "--",
        "-1",
    ),
    _usage("broadcast-status-zero", "not a broadcast number: '0'", "broadcast", "status", "0"),
    _usage(
        "broadcast-status-arabic-digits",
        "not a broadcast number: '٤٢'",
        "broadcast",
        "status",
        "٤٢",
    ),
    _usage("broadcast-create-without-text", "required: --text", "broadcast", "create"),
    _usage(
        "broadcast-create-language-fr",
        "argument --lang: invalid choice: 'fr'",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--lang",
        "fr",
    ),
    _usage(
        "broadcast-create-channel-pigeon",
        "argument --channel: invalid choice: 'pigeon'",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--channel",
        "pigeon",
    ),
    _usage("db-downgrade", "invalid choice: 'downgrade'", "db", "downgrade"),
    # catalog files that cannot be read or written
    _fails(
        "import-a-missing-file",
        "missing.csv: cannot read the file (No such file or directory)",
        "catalog",
        "import",
        "{home}/missing.csv",
    ),
    _fails(
        "import-a-directory",
        "folder.csv: cannot read the file (Is a directory)",
        "catalog",
        "import",
        "{home}/folder.csv",
    ),
    _fails(
        "import-an-unreadable-file",
        "unreadable.csv: cannot read the file (Input/output error)",
        "catalog",
        "import",
        "{home}/unreadable.csv",
    ),
    _fails(
        "import-a-text-file",
        "notes.txt: unknown catalog format; use .yaml, .yml or .csv",
        "catalog",
        "import",
        "{home}/notes.txt",
    ),
    HostileArgs(
        "check-a-missing-file",
        ("catalog", "check", "{home}/missing.yaml"),
        1,
        "missing.yaml: cannot read the file (No such file or directory)",
        report=True,
    ),
    _fails(
        "export-to-a-text-file",
        "out.txt: unknown catalog format; use .yaml, .yml or .csv",
        "catalog",
        "export",
        "{home}/out.txt",
    ),
    _fails(
        "export-into-a-missing-directory",
        "No such file or directory",
        "catalog",
        "export",
        "{home}/nowhere/out.csv",
    ),
    _fails("export-onto-a-directory", "Is a directory", "catalog", "export", "{home}/out.csv"),
    # broadcasts that do not exist or cannot be
    _fails(
        "send-an-unknown-broadcast", "there is no broadcast 42", "broadcast", "send", "42", "--yes"
    ),
    _fails("cancel-an-unknown-broadcast", "there is no broadcast 42", "broadcast", "cancel", "42"),
    _fails(
        "status-of-an-unknown-broadcast", "there is no broadcast 42", "broadcast", "status", "42"
    ),
    _fails("status-with-no-broadcasts", "there are no broadcasts yet", "broadcast", "status"),
    _fails(
        "at-in-words",
        "--at 'next tuesday' is not a date and time",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--at",
        "next tuesday",
    ),
    _fails(
        "at-february-30",
        "is not a date and time",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--at",
        "2026-02-30 18:00",
    ),
    _fails(
        "at-in-the-past",
        "--at '2020-01-01 18:00' has passed",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--at",
        "2020-01-01 18:00",
    ),
    _fails(
        "at-year-9999",
        "is more than a year ahead",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--at",
        "9999-12-31 23:59",
    ),
    _fails(
        "at-year-1-east-of-greenwich",
        "has passed",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--at",
        "0001-01-01T00:00+14:00",
    ),
    _fails(
        "unknown-topic",
        "no such topic: no-such-topic",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--topic",
        "no-such-topic",
    ),
    _fails(
        "blank-english-text",
        "an English text is required",
        "broadcast",
        "create",
        "--text",
        " \t ",
    ),
    _fails(
        "arabic-text-too-long",
        "text too long in ar",
        "broadcast",
        "create",
        "--text",
        "hi",
        "--text-ar",
        "ب" * 5000,
    ),
    # settings and the database
    HostileArgs(
        "database-url-mysql",
        ("db", "upgrade"),
        2,
        "configuration error: DATABASE_URL",
        (("DATABASE_URL", "mysql://root@localhost/bot"),),
    ),
    HostileArgs(
        "time-zone-on-mars",
        ("db", "upgrade"),
        2,
        "configuration error: BOT_TIMEZONE",
        (("BOT_TIMEZONE", "Mars/Olympus"),),
    ),
    HostileArgs(
        "port-out-of-range", ("db", "upgrade"), 2, "configuration error: PORT", (("PORT", "99999"),)
    ),
    HostileArgs(
        "database-that-does-not-answer",
        ("db", "upgrade"),
        1,
        "Connect call failed ('127.0.0.1', 1)",
        (("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/bot"),),
    ),
    HostileArgs(
        "sqlite-under-a-plain-file",
        ("db", "upgrade"),
        1,
        "File exists",
        (("DATABASE_URL", "sqlite+aiosqlite:///{home}/plain-file/bot.db"),),
    ),
)

CASES = {case.id: case for case in HOSTILE_ARGS}
assert len(CASES) == len(HOSTILE_ARGS), "case ids are unique"
