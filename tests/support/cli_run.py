"""Running `main.py` as a user would, in this process: `main.main(argv)` in a thread.

`python main.py ARGS` is `sys.exit(main.main(ARGS))`, so calling `main.main` sees the same
parser, settings and handlers; what a real process would print as a traceback comes out
here as the exception itself. It runs in a thread of its own because `main` starts its own
event loop (`asyncio.run`), which must not touch the test's. A process costs ~1 s to
start; this costs the command's own work only.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import main

# Loggers `main.main` quiets for the whole process; put back as they were after each run.
_LOGGERS = ("", "httpx", "httpcore", "aiohttp.access", "telegram", "twilio")


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_main(argv: list[str], cwd: Path, env: Mapping[str, str], stdin: str = "") -> Ran:
    """Exit code and output of `python main.py *argv` run in `cwd` (where `.env` is read)."""
    levels = {name: logging.getLogger(name).level for name in _LOGGERS}
    handlers = list(logging.getLogger().handlers)  # basicConfig adds one if there are none
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with (
            _environment(env),
            contextlib.chdir(cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            ThreadPoolExecutor(1) as pool,
        ):
            try:
                code = pool.submit(main.main, argv).result()
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved_stdin
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger().handlers[:] = handlers
    return Ran(code, out.getvalue(), err.getvalue())
