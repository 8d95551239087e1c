"""The fake Telegram Bot API and Twilio REST API in processes of their own, for the benchmarks.

The worker under test sends as fast as it can; a fake sharing the benchmark's event loop
would slow it down and add its own scheduling jitter to the arrival times. These run
`tests.support.fake_telegram.FakeTelegram` and `tests.support.fake_twilio.FakeTwilio` in
spawned processes, keep only what the benchmarks need of each accepted message (the
wall-clock time of its arrival and the chat id or phone number) and of each 429 the rate
limit answered (its time), and hand them over on request through a pipe.

    async with FakeTelegramProcess(token, rate_limit_per_second=30) as fake:
        ... point TELEGRAM_API_BASE_URL at fake.base_url, send ...
        arrivals, refusals = await fake.take()

Faults can be injected two ways: `call` runs one of the fake's own methods in its process
(`fail_chat`, `stall_chat`, `reset_chat`, `fail_number`…), and `bursts` (a constructor
option) make a fraction of all messages meet a fault during a time window counted from the
first message, each drawn at random with a fixed seed. `faults()` says what was injected.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any, Self

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import fake_telegram, fake_twilio
from tests.support.fake_telegram import JSON, ApiError, FakeTelegram
from tests.support.fake_twilio import FakeTwilio

# (time.time() of the arrival, chat id)
Arrival = tuple[float, int]
# (time.time() of the arrival, phone number)
SmsArrival = tuple[float, str]

FAULT_KINDS = ("500", "429", "timeout", "reset")


@dataclass(frozen=True)
class Burst:
    """From `start` to `end` seconds after the first message, a `fraction` of the messages
    meet fault `kind`: "500", "429" (with `retry_after`), "timeout" (the message is
    accepted and the answer held for `stall` seconds, longer than the client waits: a lost
    answer) or "reset" (the connection is reset before anything is accepted)."""

    kind: str
    start: float
    end: float
    fraction: float
    retry_after: int | None = None
    stall: float = 15.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}, not one of {FAULT_KINDS}")


@dataclass
class Injected:
    """What the fake did instead of answering plainly: counts by kind, and the recipients
    of the time-outs (their message was accepted, so they may rightly get it twice)."""

    counts: Counter[str]
    stalled: list[str]


class _Schedule:
    """Which message meets which burst's fault: random with a fixed seed, from the first one."""

    def __init__(self, bursts: Sequence[Burst], seed: int) -> None:
        self._bursts = tuple(bursts)
        self._random = random.Random(seed)
        self._started: float | None = None

    def draw(self) -> Burst | None:
        if not self._bursts:
            return None
        now = time.monotonic()
        if self._started is None:
            self._started = now
        elapsed = now - self._started
        for burst in self._bursts:
            if burst.start <= elapsed < burst.end and self._random.random() < burst.fraction:
                return burst
        return None


class _Discard(list[Any]):
    """A list that keeps nothing: the fake's own `calls` and `sent` would hold every
    message's parameters (a million broadcast texts) and are not needed here."""

    def append(self, item: Any) -> None:
        pass


class RecordingTelegram(FakeTelegram):
    """The fake Bot API, recording each accepted sendMessage and each 429 with its time."""

    def __init__(
        self, token: str, *, bursts: Sequence[Burst] = (), seed: int = 1, **options: Any
    ) -> None:
        super().__init__(token, **options)
        self.calls = _Discard()
        self.sent = _Discard()
        self.arrivals: list[Arrival] = []
        self.refusals: list[float] = []
        self.injected = Injected(Counter(), [])
        self._schedule = _Schedule(bursts, seed)
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

    def _take_fault(self, method: str, chat_id: object) -> fake_telegram.Fault | None:
        fault = super()._take_fault(method, chat_id)
        if fault is None and method == "sendmessage":
            fault = _telegram_fault(self._schedule.draw(), chat_id)
        if fault is not None:
            if fault.stall:
                self.injected.counts["timeout"] += 1
                self.injected.stalled.append(str(chat_id))
            elif fault.reset:
                self.injected.counts["reset"] += 1
            elif fault.error is not None:
                self.injected.counts[str(fault.error.code)] += 1
        return fault


def _telegram_fault(burst: Burst | None, chat_id: object) -> fake_telegram.Fault | None:
    chat = chat_id if isinstance(chat_id, int) else None
    if burst is None:
        return None
    if burst.kind == "timeout":
        return fake_telegram.Fault("sendmessage", chat, None, 1, stall=burst.stall)
    if burst.kind == "reset":
        return fake_telegram.Fault("sendmessage", chat, None, 1, reset=True)
    if burst.kind == "429":
        wait = burst.retry_after or 1
        error = ApiError(429, f"Too Many Requests: retry after {wait}", wait)
        return fake_telegram.Fault("sendmessage", chat, error, 1)
    return fake_telegram.Fault("sendmessage", chat, ApiError(500, "Internal Server Error"), 1)


class _SmsArrivals(list[Any]):
    """Stands in for `FakeTwilio.sent`: keeps only the time and number of each message."""

    def append(self, item: Any) -> None:
        super().append((time.time(), str(item["To"])))


class RecordingTwilio(FakeTwilio):
    """The fake Twilio, recording each accepted message and each 429 of its rate limit."""

    def __init__(self, *, bursts: Sequence[Burst] = (), seed: int = 2, **options: Any) -> None:
        super().__init__(**options)
        self.sent = _SmsArrivals()
        self.requests = _Discard()
        self.refusals: list[float] = []
        self.injected = Injected(Counter(), [])
        self._schedule = _Schedule(bursts, seed)

    def _within_rate(self, segments: int) -> bool:
        if super()._within_rate(segments):
            return True
        self.refusals.append(time.time())
        return False

    def _next_fault(self, to: str) -> fake_twilio.Fault | None:
        fault = super()._next_fault(to) or _twilio_fault(self._schedule.draw())
        if fault is not None:
            if fault.stall:
                self.injected.counts["timeout"] += 1
                self.injected.stalled.append(to)
            elif fault.reset:
                self.injected.counts["reset"] += 1
            else:
                self.injected.counts[str(fault.status)] += 1
        return fault


def _twilio_fault(burst: Burst | None) -> fake_twilio.Fault | None:
    if burst is None:
        return None
    if burst.kind == "timeout":
        return fake_twilio.Fault(0, 0, "stalled", 1, None, stall=burst.stall)
    if burst.kind == "reset":
        return fake_twilio.Fault(0, 0, "connection reset", 1, None, reset=True)
    if burst.kind == "429":
        return fake_twilio.Fault(429, 20429, "Too Many Requests", 1, burst.retry_after)
    return fake_twilio.Fault(500, 20500, "Internal Server Error", 1, None)


def _serve(connection: Connection, provider: str, options: dict[str, Any]) -> None:
    """Entry point of a fake's process (multiprocessing, spawn)."""
    asyncio.run(_serve_async(connection, provider, options))


async def _serve_async(connection: Connection, provider: str, options: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    fake: RecordingTelegram | RecordingTwilio = (
        RecordingTelegram(**options) if provider == "telegram" else RecordingTwilio(**options)
    )
    async with fake:
        connection.send(("ready", fake.base_url))
        while True:
            command, *arguments = await loop.run_in_executor(None, connection.recv)
            if command == "count":
                connection.send((len(_arrivals(fake)), len(fake.refusals)))
            elif command == "take":
                connection.send((list(_arrivals(fake)), fake.refusals))
                fake.refusals = []
                if isinstance(fake, RecordingTelegram):
                    fake.arrivals = []
                else:
                    fake.sent = _SmsArrivals()
            elif command == "faults":
                connection.send(fake.injected)
            elif command == "call":
                name, args, kwargs = arguments
                getattr(fake, name)(*args, **kwargs)
                connection.send(None)
            else:
                break
    connection.send("stopped")


def _arrivals(fake: RecordingTelegram | RecordingTwilio) -> list[Any]:
    return fake.arrivals if isinstance(fake, RecordingTelegram) else fake.sent


class _FakeProcess:
    """A recording fake in a child process, driven from the benchmark's event loop."""

    _provider = ""

    def __init__(self, **options: Any) -> None:
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
            target=_serve, args=(theirs, self._provider, self._options), daemon=True
        )
        self._process.start()
        self._connection = ours
        kind, self.base_url = await self._ask(None)
        if kind != "ready":
            raise RuntimeError(f"the fake {self._provider} did not start: {kind!r}")

    async def _ask(self, command: tuple[Any, ...] | None) -> Any:
        connection, process = self._connection, self._process
        assert connection is not None and process is not None

        def exchange() -> Any:
            if command is not None:
                connection.send(command)
            for _ in range(60):
                if connection.poll(1.0):
                    return connection.recv()
                if not process.is_alive():
                    raise RuntimeError(f"the fake {self._provider} exited with {process.exitcode}")
            raise TimeoutError(f"the fake {self._provider} did not answer {command!r}")

        async with self._lock:
            return await asyncio.to_thread(exchange)

    async def count(self) -> tuple[int, int]:
        """Messages accepted and 429s of the rate limit so far (since the last `take`)."""
        accepted, refused = await self._ask(("count",))
        return int(accepted), int(refused)

    async def faults(self) -> Injected:
        """Every fault injected so far, by kind."""
        injected: Injected = await self._ask(("faults",))
        return injected

    async def call(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Run one of the fake's methods in its process, e.g. `call("fail_chat", 42, 429, …)`."""
        await self._ask(("call", method, args, kwargs))

    async def close(self) -> None:
        process = self._process
        if process is None:
            return
        if process.is_alive():
            try:
                await self._ask(("stop",))
            except (OSError, EOFError, TimeoutError, RuntimeError):
                process.terminate()
        self._process = None
        await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class FakeTelegramProcess(_FakeProcess):
    """`RecordingTelegram(token, **options)` in a child process."""

    _provider = "telegram"

    def __init__(self, token: str, **options: Any) -> None:
        super().__init__(token=token, **options)

    async def take(self) -> tuple[list[Arrival], list[float]]:
        """Every arrival and 429 since the last `take`, and forget them."""
        arrivals, refusals = await self._ask(("take",))
        return arrivals, refusals


class FakeTwilioProcess(_FakeProcess):
    """`RecordingTwilio(**options)` in a child process (the test account SID and token)."""

    _provider = "twilio"

    async def take(self) -> tuple[list[SmsArrival], list[float]]:
        """Every arrival and 429 since the last `take`, and forget them."""
        arrivals, refusals = await self._ask(("take",))
        return arrivals, refusals
