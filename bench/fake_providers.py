"""The fake Telegram Bot API in a process of its own, for bench/delivery.py.

The worker under test sends as fast as it can; a fake sharing the benchmark's event loop
would slow it down and add its own scheduling jitter to the arrival times. This runs
`tests.support.fake_telegram.FakeTelegram` in a spawned process, keeps only what the
benchmark needs of each accepted sendMessage (the wall-clock time of its arrival and the
chat id) and of each 429 (its time), and hands them over on request through a pipe.

    async with FakeTelegramProcess(token, rate_limit_per_second=30) as fake:
        ... point TELEGRAM_API_BASE_URL at fake.base_url, send ...
        arrivals, refusals = await fake.take()
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.fake_telegram import JSON, ApiError, FakeTelegram

# (time.time() of the arrival, chat id)
Arrival = tuple[float, int]


class _Discard(list[Any]):
    """A list that keeps nothing: the fake's own `calls` and `sent` would hold every
    message's parameters (a million broadcast texts) and are not needed here."""

    def append(self, item: Any) -> None:
        pass


class RecordingTelegram(FakeTelegram):
    """The fake Bot API, recording each accepted sendMessage and each 429 with its time."""

    def __init__(self, token: str, **options: Any) -> None:
        super().__init__(token, **options)
        self.calls = _Discard()
        self.sent = _Discard()
        self.arrivals: list[Arrival] = []
        self.refusals: list[float] = []
        self._admitted_at = 0.0

    async def _send_message(self, params: JSON) -> JSON:
        message = await super()._send_message(params)
        # The time the rate limit admitted it (nothing awaits in between without `latency`),
        # so that the benchmark's one-second windows are exactly the fake's.
        self.arrivals.append((self._admitted_at, int(params["chat_id"])))
        return message

    def _throttle(self, chat_id: int) -> None:
        try:
            super()._throttle(chat_id)
        except ApiError:
            self.refusals.append(time.time())
            raise
        self._admitted_at = time.time()


def _serve(connection: Connection, token: str, options: dict[str, Any]) -> None:
    """Entry point of the fake's process (multiprocessing, spawn)."""
    asyncio.run(_serve_async(connection, token, options))


async def _serve_async(connection: Connection, token: str, options: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    fake = RecordingTelegram(token, **options)
    async with fake:
        connection.send(("ready", fake.base_url))
        while True:
            command = await loop.run_in_executor(None, connection.recv)
            if command == "count":
                connection.send((len(fake.arrivals), len(fake.refusals)))
            elif command == "take":
                connection.send((fake.arrivals, fake.refusals))
                fake.arrivals, fake.refusals = [], []
            else:
                break
    connection.send("stopped")


class FakeTelegramProcess:
    """A `RecordingTelegram` in a child process, driven from the benchmark's event loop."""

    def __init__(self, token: str, **options: Any) -> None:
        self._token = token
        self._options = options
        self._connection: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._lock = asyncio.Lock()
        self.base_url = ""

    @property
    def pid(self) -> int:
        assert self._process is not None and self._process.pid is not None
        return self._process.pid

    async def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, self._token, self._options), daemon=True
        )
        self._process.start()
        self._connection = ours
        kind, self.base_url = await self._ask(None)
        if kind != "ready":
            raise RuntimeError(f"the fake Telegram did not start: {kind!r}")

    async def _ask(self, command: str | None) -> Any:
        connection, process = self._connection, self._process
        assert connection is not None and process is not None

        def exchange() -> Any:
            if command is not None:
                connection.send(command)
            for _ in range(60):
                if connection.poll(1.0):
                    return connection.recv()
                if not process.is_alive():
                    raise RuntimeError(f"the fake Telegram exited with {process.exitcode}")
            raise TimeoutError(f"the fake Telegram did not answer {command!r}")

        async with self._lock:
            return await asyncio.to_thread(exchange)

    async def count(self) -> tuple[int, int]:
        """Messages accepted and 429s answered so far (since the last `take`)."""
        accepted, refused = await self._ask("count")
        return int(accepted), int(refused)

    async def take(self) -> tuple[list[Arrival], list[float]]:
        """Every arrival and 429 since the last `take`, and forget them."""
        arrivals, refusals = await self._ask("take")
        return arrivals, refusals

    async def close(self) -> None:
        process = self._process
        if process is None:
            return
        if process.is_alive():
            try:
                await self._ask("stop")
            except (OSError, EOFError, TimeoutError, RuntimeError):
                process.terminate()
        self._process = None
        await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5)

    async def __aenter__(self) -> FakeTelegramProcess:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
