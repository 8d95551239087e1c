"""Inbound webhook load on the real server (`main.py serve`) beside two baselines, in one run.

Targets, each a process of its own on 127.0.0.1, each started fresh:

* **bot**: `python main.py serve` on a fresh SQLite file (or, with `--postgres`, a fresh
  `bench_<random>` database on postgresql://postgres@127.0.0.1:5432, dropped after), driven
  with about as many signed Twilio SMS webhooks as Telegram updates, from `--senders`
  distinct phone numbers and chat ids writing realistic English, Spanish and Arabic texts.
  A message is complete when the webhook got its 2xx *and* the bot's first reply to that
  person reached the fake Twilio or fake Telegram (replies are matched to messages per
  recipient, oldest first; a person writes again only after ~2,000 other messages).
* **(a) bare aiohttp** (bench/echo_bots.py): a POST handler answering constant empty TwiML,
  driven with the same signed SMS webhooks; complete when the response arrives.
* **(b) PTB echo bot** (bench/echo_bots.py): python-telegram-bot's `Application` with one
  `MessageHandler(filters.TEXT, echo)` behind its own webhook server (tornado), driven with
  Telegram updates; complete when the echo reaches the fake Telegram.

Each target gets two phases:

1. **Open loop**: after `--warmup` seconds at the same rate, `--rate` messages/s for
   `--seconds`. Requests leave at their scheduled times whatever the server is doing, and
   latency is measured from the scheduled time, so a stalled server shows as latency instead
   of as a slower sender (no coordinated omission).
2. **Closed loop**: `--concurrency` senders, each sending its next message as soon as its
   last one is complete, for `--closed-seconds` (after a one-second ramp): the most
   messages per second the target completes.

Errors are non-2xx answers, failed requests, and replies still missing `--drain` seconds
after the last message. The CPU each process used during each phase is printed beside it,
in % of one core, so a bottleneck in the load generator or the fakes shows.

Layout on 2 cores, chosen by measurement: the load generator, the fake providers and the
target each run in a process of their own (the fakes via multiprocessing, reporting each
arrival's time.monotonic() over a local socket; the clock is system-wide). The target's
event loop then never waits behind the generator's, and the fakes answer at once: the bot
completed 244 msg/s in the closed loop this way against 193 with the fakes inside the load
generator (`--layout shared`), and bare aiohttp 7,040 against 6,660. Nothing is pinned: the
target can use a core alone while the generator and the fakes share the other (PostgreSQL,
with `--postgres`, competes with all three). What no layout fixes: a bare
aiohttp server answers faster than one Python client can ask, so (a)'s closed-loop figure
is the load generator's limit (its CPU column shows 100%), and the "target CPU ms/msg"
column, the target's CPU time per completed message, compares costs whatever the bottleneck.

    .venv/bin/pip install -e ".[bench]"                     # tornado (PTB webhooks), py-spy
    .venv/bin/python bench/inbound.py                       # SQLite, 200 msg/s for 20 s
    .venv/bin/python bench/inbound.py --postgres
    .venv/bin/python bench/inbound.py --rate 400 --seconds 10 --targets bot
    .venv/bin/python bench/inbound.py --targets bot --profile --rate 80   # cProfile, top 25
    .venv/bin/python bench/inbound.py --targets bot --py-spy    # sampling, by area of the bot
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import math
import multiprocessing
import os
import platform
import pstats
import runpy
import shlex
import signal
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu import machine_busy, machine_cpu, postgres_cpu, process_cpu

from tests.support.fake_telegram import FakeTelegram, text_update
from tests.support.fake_twilio import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    FakeTwilio,
    inbound_sms_params,
    signed_form_request,
)

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
TELEGRAM_TOKEN = "123456:BENCH-token_for-the-fake"
WEBHOOK_SECRET = "bench-webhook-secret"
BOT_NUMBER = "+15550001111"
SMS_PATH = "/webhooks/twilio/sms"
TELEGRAM_PATH = "/webhooks/telegram"
PTB_PATH = "/webhook"  # bench/echo_bots.py PTB_PATH
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_REGISTERED = "webhook"  # the arrival key the fake Telegram reports on setWebhook

# What parents send, per language, in the order one person might: a greeting, the next
# session, the list, a pick from it, more, help, teachers, thanks.
_TEXTS = {
    "en": "hi|next session|sessions|1|more|when is the next session?|help|teachers|2|resources|"
    "thanks",
    "es": "hola|próxima sesión|sesiones|1|más|¿cuándo es la próxima sesión?|ayuda|maestros|2|"
    "recursos|gracias",
    "ar": "مرحبا|الجلسة القادمة|الجلسات|١|المزيد|متى الجلسة القادمة|مساعدة|المعلمين|2|الموارد|شكرا",
}
TEXTS = {language: texts.split("|") for language, texts in _TEXTS.items()}
LANGUAGES = tuple(TEXTS)
NAMES = {"en": "Ana", "es": "Lucía", "ar": "Amira"}

# Targets, in the order they run.
BOT, BARE, PTB = "bot", "aiohttp", "ptb"


# -- traffic ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Shot:
    """One webhook request, built before it is needed, and whose reply completes it."""

    path: str
    body: bytes
    headers: dict[str, str]
    reply_key: str | None  # "sms:<phone>" or "tg:<chat id>"; None when the answer is all


@dataclass(slots=True)
class Sender:
    channel: str  # "sms" or "tg"
    address: str
    language: str
    turn: int = 0


class Traffic:
    """An endless, deterministic stream of webhooks from many people in three languages.

    People write in turn (round robin), so one person's messages are ~len(senders) apart
    and their replies cannot be mistaken for one another's, and Telegram's per-chat limit
    of one message a second (which the bot honours) is never what is measured.
    """

    def __init__(self, target: Target, senders: int, base_url: str, series: int) -> None:
        self._base_url = base_url
        self._tg_path = target.tg_path
        self._replies = target.replies
        channels = target.channels
        self._senders = [
            Sender(
                channel=(channel := channels[number % len(channels)]),
                address=(
                    f"+1213{series}{number:06d}"
                    if channel == "sms"
                    else str(100_000_000 * (series + 1) + number)
                ),
                language=LANGUAGES[(number // len(channels)) % len(LANGUAGES)],
            )
            for number in range(senders)
        ]
        self._count = 0
        self._series = series

    def next(self) -> Shot:
        sender = self._senders[self._count % len(self._senders)]
        self._count += 1
        texts = TEXTS[sender.language]
        text = texts[sender.turn % len(texts)]
        sender.turn += 1
        unique = self._series * 100_000_000 + self._count
        if sender.channel == "sms":
            sid = f"SM{unique:032x}"
            params = inbound_sms_params(sender.address, text, sid=sid, to=BOT_NUMBER)
            headers, body = signed_form_request(TEST_AUTH_TOKEN, self._base_url + SMS_PATH, params)
            key = f"sms:{sender.address}" if self._replies else None
            return Shot(SMS_PATH, body.encode(), headers, key)
        update = text_update(
            unique,
            int(sender.address),
            text,
            language_code=sender.language,
            first_name=NAMES[sender.language],
        )
        headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        key = f"tg:{sender.address}" if self._replies else None
        return Shot(self._tg_path, json.dumps(update).encode(), headers, key)


# -- matching replies to messages ------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """What happened to one message; times are time.monotonic(), shared by all processes."""

    scheduled: float
    answered: float = math.nan
    replied: float = math.nan
    status: int = 0  # HTTP status; 0 when the request itself failed
    reply_wanted: bool = False
    done: asyncio.Future[None] | None = None

    @property
    def ok(self) -> bool:
        answered = 200 <= self.status < 300
        return answered and (not self.reply_wanted or not math.isnan(self.replied))

    @property
    def completed(self) -> float:
        """When the provider had its answer and, if one is due, the person their reply."""
        return max(self.answered, self.replied) if self.reply_wanted else self.answered


class Replies:
    """Pairs every reply reaching a fake provider with the message that caused it.

    A reply goes to the oldest message of its recipient still without one. Further replies
    to the same message (a turn may answer in two or three messages) find nobody waiting
    and are only counted, in `extra`.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, deque[Record]] = {}
        self.extra = 0
        self.webhook_registered = asyncio.Event()

    def expect(self, key: str, record: Record) -> None:
        record.reply_wanted = True
        record.done = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append(record)

    def arrived(self, key: str, at: float) -> None:
        if key == WEBHOOK_REGISTERED:
            self.webhook_registered.set()
            return
        waiting = self._waiting.get(key)
        if not waiting:
            self.extra += 1
            return
        record = waiting.popleft()
        record.replied = at
        if record.done is not None and not record.done.done():
            record.done.set_result(None)

    def reset(self) -> None:
        """Forget unanswered messages, so a reply in the next phase is not paired with them."""
        self._waiting.clear()
        self.extra = 0


# -- fake providers --------------------------------------------------------------------------

Report = Callable[[str, float], None]


class _Arrivals(list[Any]):
    """A fake's `sent` list that also reports each message as it arrives, with the time."""

    def __init__(self, prefix: str, field_name: str, report: Report) -> None:
        super().__init__()
        self._prefix = prefix
        self._field = field_name
        self._report = report

    def append(self, item: Any) -> None:
        self._report(f"{self._prefix}:{item[self._field]}", time.monotonic())
        super().append(item)


class BenchTelegram(FakeTelegram):
    """The fake Bot API, reporting each sendMessage and the webhook's registration."""

    def __init__(self, report: Report) -> None:
        super().__init__(TELEGRAM_TOKEN)
        self.sent = _Arrivals("tg", "chat_id", report)
        self._report = report

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        registered = await super()._set_webhook(params)
        self._report(WEBHOOK_REGISTERED, time.monotonic())
        return registered


class BenchTwilio(FakeTwilio):
    """The fake Twilio REST API, reporting each message it accepts."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.sent = _Arrivals("sms", "To", report)


# What builds each fake from the reporting function; picklable (a class or a partial of one),
# since it travels to the fakes' process. bench/soak.py passes its own.
TelegramFactory = Callable[[Report], BenchTelegram]
TwilioFactory = Callable[[Report], BenchTwilio]


def fakes_process(
    events_port: int,
    telegram: TelegramFactory = BenchTelegram,
    twilio: TwilioFactory = BenchTwilio,
) -> None:
    """Entry point of the fakes' own process (multiprocessing, spawn)."""
    asyncio.run(_serve_fakes(events_port, telegram, twilio))


async def _serve_fakes(
    events_port: int, make_telegram: TelegramFactory, make_twilio: TwilioFactory
) -> None:
    """Serve both fakes, write "key time" lines to the load generator, stop when it hangs up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", events_port)

    def report(key: str, at: float) -> None:
        writer.write(f"{key} {at!r}\n".encode())

    async with make_telegram(report) as telegram, make_twilio(report) as twilio:
        writer.write(f"ready {telegram.base_url} {twilio.base_url}\n".encode())
        await reader.read()
    writer.close()


@dataclass
class Fakes:
    telegram_url: str
    twilio_url: str
    pid: int | None  # None when they run inside the load generator


@contextlib.asynccontextmanager
async def running_fakes(
    layout: str,
    replies: Replies,
    telegram: TelegramFactory = BenchTelegram,
    twilio: TwilioFactory = BenchTwilio,
) -> AsyncIterator[Fakes]:
    """Both fake providers, in their own process (`split`) or in this one (`shared`)."""
    if layout == "shared":
        async with telegram(replies.arrived) as fake_telegram, twilio(replies.arrived) as tw:
            yield Fakes(fake_telegram.base_url, tw.base_url, None)
        return

    ready: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
    writers: list[asyncio.StreamWriter] = []

    async def listen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        async for line in reader:
            key, value, *rest = line.decode().split()
            if key == "ready":
                ready.set_result((value, rest[0]))
            else:
                replies.arrived(key, float(value))

    server = await asyncio.start_server(listen, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    process = multiprocessing.get_context("spawn").Process(
        target=fakes_process, args=(port, telegram, twilio), daemon=True
    )
    process.start()
    try:
        telegram_url, twilio_url = await asyncio.wait_for(ready, 60)
        yield Fakes(telegram_url, twilio_url, process.pid)
    finally:
        for writer in writers:
            writer.close()
        for _ in range(50):
            if not process.is_alive():
                break
            await asyncio.sleep(0.1)
        if process.is_alive():
            process.terminate()
            process.join(5)
        server.close()


# -- processes -------------------------------------------------------------------------------

Process = asyncio.subprocess.Process
_CHILDREN: list[Process] = []


def free_port() -> int:
    """A port for a target; it is bound by the target itself, which needs it on its command line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def child(
    command: Sequence[str], log: Path, env: dict[str, str] | None = None
) -> AsyncIterator[Process]:
    """A subprocess writing to `log`, stopped with SIGTERM (then SIGKILL) however we leave.

    Waiting is asynchronous: a server shutting down may still be sending to fakes that
    run on this event loop.
    """
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=log.parent, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT
        )
    _CHILDREN.append(process)
    try:
        yield process
    finally:
        await stop_process(process)


async def stop_process(process: Process, grace: float = 25.0) -> None:
    """SIGTERM (the servers then finish in-flight work), SIGKILL after `grace` seconds."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


def kill_leftovers() -> None:
    """Last line of defence (an error in the middle of a start): no process may outlive us."""
    for process in _CHILDREN:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def wait_until_answering(
    session: aiohttp.ClientSession,
    url: str,
    process: Process,
    log: Path,
    timeout: float = 60.0,  # noqa: ASYNC109 - a start-up deadline, reported with the log
) -> None:
    """Poll `url` until the server answers anything at all, or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as response:
                await response.read()
                if response.status < 500:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{tail(log)}")


@contextlib.asynccontextmanager
async def sampled(pid: int, folder: Path) -> AsyncIterator[None]:
    """py-spy attached to `pid` while the phases run, so start-up is left out of the samples."""
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    output = str(folder / "py-spy.txt")
    command = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--output", output]
    async with child(command, folder / "py-spy.log") as sampler:
        await asyncio.sleep(1.0)  # attached and sampling
        if sampler.returncode is not None:
            raise RuntimeError(f"py-spy failed:\n{tail(folder / 'py-spy.log')}")
        yield
        sampler.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sampler.wait(), 30)


PROFILED_SERVE = "--profiled-serve"


def serve_profiled(output: Path) -> None:
    """`main.py serve` in this process, under cProfile from SIGUSR1 to SIGUSR2 only.

    Profiling the phases alone keeps imports, migrations and the catalog import out of the
    figures. Every handler, the SQLite calls (driven inline) and the HTTP clients run on
    the main thread, which is the one cProfile sees.
    """
    profiler = cProfile.Profile()

    def start(signum: int, frame: object) -> None:
        profiler.enable()

    def stop(signum: int, frame: object) -> None:
        profiler.disable()
        partial = output.with_suffix(".partial")
        profiler.dump_stats(partial)
        partial.rename(output)  # whole, once it exists

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [str(REPO / "main.py"), "serve"]
    runpy.run_path(sys.argv[0], run_name="__main__")


@contextlib.asynccontextmanager
async def profiled(pid: int, output: Path) -> AsyncIterator[None]:
    """Switch the server's cProfile on for the phases, and wait for it to write its stats."""
    os.kill(pid, signal.SIGUSR1)
    yield
    os.kill(pid, signal.SIGUSR2)
    for _ in range(200):
        if await asyncio.to_thread(output.exists):
            break
        await asyncio.sleep(0.05)


# -- CPU accounting --------------------------------------------------------------------------


@dataclass
class CpuMeter:
    """CPU used by each process of the benchmark between `start()` and `stop()`."""

    pids: dict[str, int | None]
    postgres: bool
    _before: dict[str, float] = field(default_factory=dict)
    _wall: float = 0.0
    _machine: tuple[float, float] = (0.0, 0.0)
    percent: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)  # CPU seconds

    def _read(self) -> dict[str, float]:
        seconds = {name: process_cpu(pid) for name, pid in self.pids.items() if pid is not None}
        if self.postgres:
            seconds["postgres"] = postgres_cpu()
        seconds["load generator"] = time.process_time()
        return seconds

    def start(self) -> None:
        self._before, self._wall, self._machine = self._read(), time.monotonic(), machine_cpu()

    def stop(self) -> None:
        wall = time.monotonic() - self._wall
        after = self._read()
        self.used = {name: after[name] - before for name, before in self._before.items()}
        self.percent = {
            name: 100 * (after[name] - before) / wall for name, before in self._before.items()
        }
        busy, total = machine_cpu()
        if total > self._machine[1]:
            cores = os.cpu_count() or 1
            machine = 100 * cores * (busy - self._machine[0]) / (total - self._machine[1])
            self.percent["other"] = max(0.0, machine - sum(self.percent.values()))

    def describe(self) -> str:
        return ", ".join(f"{name} {value:.0f}" for name, value in self.percent.items())


# -- phases ----------------------------------------------------------------------------------


@dataclass
class Result:
    """One phase of one target: its messages, the measured window and the CPU used."""

    phase: str
    records: list[Record]
    seconds: float  # the measured window
    cpu: CpuMeter
    extra_replies: int = 0
    worst_send_lag: float = 0.0  # open loop: how late the generator sent, at worst

    @property
    def completed(self) -> list[Record]:
        return [record for record in self.records if record.ok]

    @property
    def errors(self) -> int:
        return len(self.records) - len(self.completed)

    @property
    def http_errors(self) -> int:
        return sum(not 200 <= record.status < 300 for record in self.records)

    @property
    def per_second(self) -> float:
        return len(self.completed) / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_message(self) -> float:
        """The target's CPU time per completed message: its cost, whatever the bottleneck."""
        used = self.cpu.used.get("target", math.nan)
        return 1000 * used / len(self.completed) if self.completed else math.nan

    def latencies_ms(self) -> list[float]:
        return sorted(1000 * (r.completed - r.scheduled) for r in self.completed)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (p99 of 4,000 is the 3,960th)."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def settle_heap() -> None:
    """Freeze what the generator built so far (thousands of prepared requests): otherwise its
    own full collections stall the send loop (~15 ms measured), which shows as target latency.
    """
    gc.collect()
    gc.freeze()


async def fire(
    session: aiohttp.ClientSession,
    base_url: str,
    shot: Shot,
    record: Record,
    replies: Replies,
) -> None:
    """Send one webhook; its reply is expected before sending, since it may beat the answer."""
    if shot.reply_key is not None:
        replies.expect(shot.reply_key, record)
    try:
        async with session.post(base_url + shot.path, data=shot.body, headers=shot.headers) as r:
            await r.read()
            record.status = r.status
    except (aiohttp.ClientError, TimeoutError):
        record.status = 0
    record.answered = time.monotonic()


async def open_loop(
    session: aiohttp.ClientSession,
    base_url: str,
    traffic: Traffic,
    replies: Replies,
    cpu: CpuMeter,
    rate: float,
    seconds: float,
    warmup: float,
    drain: float,
) -> Result:
    """Send at fixed times, whatever the server does, and measure from those times.

    Every request is built first, so the loop only sleeps and sends. Warm-up messages run
    on the same schedule just before the measured ones and are left out of the figures.
    """
    replies.reset()
    warm, measured = round(rate * warmup), round(rate * seconds)
    shots = [traffic.next() for _ in range(warm + measured)]
    settle_heap()
    records: list[Record] = []
    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic() + 0.2
    worst_lag = 0.0
    for number, shot in enumerate(shots):
        at = start + number / rate
        if number == warm:
            cpu.start()
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif number >= warm:
            worst_lag = max(worst_lag, -delay)
        record = Record(scheduled=at)
        if number >= warm:
            records.append(record)
        tasks.append(asyncio.create_task(fire(session, base_url, shot, record, replies)))
    await asyncio.gather(*tasks)
    pending = [r.done for r in records if r.done is not None and not r.done.done()]
    if pending:
        await asyncio.wait(pending, timeout=drain)
    cpu.stop()
    done = [r.completed for r in records if r.ok]
    window = (max(done) if done else time.monotonic()) - (start + warm / rate)
    return Result("open", records, window, cpu, replies.extra, worst_lag)


async def closed_loop(
    session: aiohttp.ClientSession,
    base_url: str,
    traffic: Traffic,
    replies: Replies,
    cpu: CpuMeter,
    concurrency: int,
    seconds: float,
    drain: float,
    ramp: float = 1.0,
) -> Result:
    """`concurrency` senders, each sending again as soon as its last message is complete.

    Throughput is the messages completed inside the window (after the ramp), the span the
    CPU is metered over; latency is from send to completion; errors are the messages sent
    inside the window that failed.
    """
    replies.reset()
    settle_heap()
    start = time.monotonic()
    window_start, window_end = start + ramp, start + ramp + seconds
    records: list[Record] = []

    async def sender() -> None:
        while (now := time.monotonic()) < window_end:
            record = Record(scheduled=now)
            records.append(record)
            await fire(session, base_url, traffic.next(), record, replies)
            if record.done is not None and 200 <= record.status < 300:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(record.done), drain)

    async def meter() -> None:
        await asyncio.sleep(ramp)
        cpu.start()
        await asyncio.sleep(seconds)
        cpu.stop()

    await asyncio.gather(meter(), *(sender() for _ in range(concurrency)))
    finished = [r for r in records if r.ok and window_start <= r.completed <= window_end]
    failed = [r for r in records if not r.ok and window_start <= r.scheduled]
    return Result("closed", finished + failed, seconds, cpu, replies.extra)


# -- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    channels: tuple[str, ...]
    replies: bool  # complete when the reply reaches a fake, or when the answer comes back
    tg_path: str = TELEGRAM_PATH


TARGETS = {
    BOT: Target(BOT, "bot: main.py serve", ("sms", "tg"), replies=True),
    BARE: Target(BARE, "(a) bare aiohttp", ("sms",), replies=False),
    PTB: Target(PTB, "(b) PTB echo bot", ("tg",), replies=True, tg_path=PTB_PATH),
}


@dataclass
class Options:
    rate: float
    seconds: float
    warmup: float
    closed_seconds: float
    concurrency: int
    senders: int
    drain: float
    layout: str
    ptb_concurrent_updates: int
    profile: bool
    py_spy: bool
    postgres: bool
    logs: Path | None
    busy_before: float = 0.0  # % of a core other processes used just before the run


def bot_environment(database_url: str, port: int, fakes: Fakes) -> dict[str, str]:
    """`serve`'s settings: fakes for providers, our own throttles out of the way."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_", "PUBLIC_", "ORGANIZERS"))
    }
    environment.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TELEGRAM_API_BASE_URL=fakes.telegram_url,
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        TWILIO_FROM_NUMBER=BOT_NUMBER,
        TWILIO_API_BASE_URL=fakes.twilio_url,
        TWILIO_MESSAGES_PER_SECOND="100000",
        TELEGRAM_MESSAGES_PER_SECOND="100000",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    return environment


def target_command(
    target: Target, options: Options, port: int, fakes: Fakes, folder: Path
) -> list[str]:
    """How to start `target`; the bot through the profiling launcher when `--profile`."""
    python = sys.executable
    if target.key == BARE:
        return [python, str(REPO / "bench" / "echo_bots.py"), "aiohttp", "--port", str(port)]
    if target.key == PTB:
        return [
            python,
            str(REPO / "bench" / "echo_bots.py"),
            "ptb",
            f"--port={port}",
            f"--api={fakes.telegram_url}",
            f"--token={TELEGRAM_TOKEN}",
            f"--secret={WEBHOOK_SECRET}",
            f"--concurrent-updates={options.ptb_concurrent_updates}",
        ]
    if options.profile:
        return [python, str(Path(__file__).resolve()), PROFILED_SERVE, str(folder / "serve.prof")]
    return [python, str(REPO / "main.py"), "serve"]


@dataclass
class TargetRun:
    target: Target
    open: Result
    closed: Result


async def run_target(
    target: Target,
    options: Options,
    fakes: Fakes,
    replies: Replies,
    database_url: str,
    folder: Path,
    series: int,
) -> TargetRun:
    """Start one target, wait until it can answer (and is registered), run both phases."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = folder / f"{target.key}.log"
    environment = bot_environment(database_url, port, fakes) if target.key == BOT else None
    command = target_command(target, options, port, fakes, folder)
    replies.webhook_registered.clear()
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(
            aiohttp.ClientSession(connector=connector, timeout=timeout)
        )
        process = await stack.enter_async_context(child(command, log, environment))
        ready_url = base_url + ("/healthz" if target.key == BOT else "/")
        await wait_until_answering(session, ready_url, process, log)
        if "tg" in target.channels:
            try:
                await asyncio.wait_for(replies.webhook_registered.wait(), 30)
            except TimeoutError:
                raise RuntimeError(f"{target.label} never set its webhook:\n{tail(log)}") from None
        if target.key == BOT and options.py_spy:
            await stack.enter_async_context(sampled(process.pid, folder))
        if target.key == BOT and options.profile:
            await stack.enter_async_context(profiled(process.pid, folder / "serve.prof"))
        pids = {"target": process.pid, "fakes": fakes.pid}
        traffic = Traffic(target, options.senders, base_url, series)
        postgres = options.postgres and target.key == BOT
        opened = await open_loop(
            session,
            base_url,
            traffic,
            replies,
            CpuMeter(pids, postgres),
            options.rate,
            options.seconds,
            options.warmup,
            options.drain,
        )
        closed = await closed_loop(
            session,
            base_url,
            traffic,
            replies,
            CpuMeter(pids, postgres),
            options.concurrency,
            options.closed_seconds,
            options.drain,
        )
    return TargetRun(target, opened, closed)


# -- reporting -------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def table(runs: Sequence[TargetRun], phase: str) -> list[str]:
    """One phase of every target as a Markdown table, to paste into docs/benchmarks.md."""
    rows = [
        "| target | msg/s | p50 ms | p99 ms | max ms | errors | target CPU ms/msg "
        "| CPU % of a core |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        result = run.open if phase == "open" else run.closed
        latencies = result.latencies_ms()
        errors = f"{result.errors} / {len(result.records)}"
        rows.append(
            f"| {run.target.label} | {result.per_second:.0f} | "
            f"{_ms(percentile(latencies, 0.5))} | {_ms(percentile(latencies, 0.99))} | "
            f"{_ms(latencies[-1] if latencies else math.nan)} | {errors} | "
            f"{result.cpu_ms_per_message:.2f} | {result.cpu.describe()} |"
        )
    return rows


def notes(runs: Sequence[TargetRun]) -> list[str]:
    """What the tables cannot show: which errors, further replies, a generator running late."""
    lines = []
    for run in runs:
        for result in (run.open, run.closed):
            details = []
            if result.http_errors:
                statuses = Counter(r.status for r in result.records if not 200 <= r.status < 300)
                details.append(f"HTTP {dict(statuses)} (0 = request failed)")
            lost = result.errors - result.http_errors
            if lost:
                details.append(f"{lost} replies never arrived")
            if result.extra_replies:
                details.append(f"{result.extra_replies} further replies (turns of 2+ messages)")
            if result.worst_send_lag > 0.005:
                details.append(f"generator sent up to {result.worst_send_lag * 1000:.0f} ms late")
            if details:
                lines.append(f"- {run.target.label}, {result.phase} loop: " + "; ".join(details))
    return lines


def verdicts(runs: dict[str, TargetRun], rate: float) -> list[str]:
    """The bot against its targets: ≥ 0.5× bare aiohttp, ≥ 1× PTB, p99 ≤ 50 ms at `rate`."""
    lines: list[str] = []
    bot = runs.get(BOT)
    if bot is None:
        return lines

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    for key, goal in ((BARE, 0.5), (PTB, 1.0)):
        if key in runs and runs[key].closed.per_second > 0:
            other = runs[key].closed
            ratio = bot.closed.per_second / other.per_second
            per_core = other.cpu_ms_per_message / bot.closed.cpu_ms_per_message
            lines.append(
                f"- bot / {runs[key].target.label} throughput (closed loop): {ratio:.2f}× "
                f"(target ≥ {goal}×: {verdict(ratio >= goal)}); per core of CPU "
                f"(inverse CPU ms/msg): {per_core:.2f}×"
            )
    p99 = percentile(bot.open.latencies_ms(), 0.99)
    clean = bot.open.errors == 0
    lines.append(
        f"- bot p99 at {rate:.0f} msg/s: {_ms(p99)} ms with {bot.open.errors} errors "
        f"(target ≤ 50 ms, no errors: {verdict(p99 <= 50 and clean)})"
    )
    return lines


def _function_name(key: tuple[str, int, str]) -> str:
    """`bot/channels/sms.py:168 send`, `sqlalchemy/engine/base.py:1494 execute`, builtins as is."""
    filename, line, name = key
    if filename == "~":
        return name
    path = Path(filename)
    for root in (*(Path(entry) for entry in sys.path if "-packages" in entry), REPO):
        with contextlib.suppress(ValueError):
            return f"{path.relative_to(root)}:{line} {name}"
    return f"{path.name}:{line} {name}"


def print_profile(path: Path, top: int = 25) -> None:
    """The server's hottest functions during the phases, by cumulative and by own time.

    Own time is sound (cProfile inflates many tiny Python calls the most). Cumulative time
    is not, in this server: cProfile counts each resumption of a coroutine as a call, and
    it cannot see SQLAlchemy's greenlet switches, so a function that awaited the database
    may be credited with other tasks' time, up to hundreds of times the profile's length.
    The impossible totals are left out; the rest is a hint, and py-spy's inclusive counts
    (`--py-spy`) are the reliable cumulative view.
    """
    if not path.exists():
        print(f"(no profile written at {path})")
        return
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    print(
        f"\n### cProfile of the bot server during the phases: {total:.1f} s of CPU "
        "(the profiler itself slows the server 2-3×)\n"
        "calls: a coroutine's every resumption counts; cumulative: approximate, as SQLAlchemy's\n"
        "greenlet switches confuse cProfile (totals above the profile's length are left out);\n"
        "--py-spy gives reliable inclusive figures"
    )
    plausible = {key: entry for key, entry in stats.items() if entry[3] <= total}
    for title, cumulative_order, entries in (
        ("cumulative", True, plausible),
        ("own time", False, stats),
    ):
        print(f"\ntop {top} by {title}:\n")
        print(f"{'calls':>9} {'own s':>7} {'own %':>6} {'cum s':>7} {'cum %':>6}  function")
        ranked = sorted(
            entries.items(),
            key=lambda item: item[1][3] if cumulative_order else item[1][2],
            reverse=True,
        )
        for key, (_, calls, own, cumulative, _) in ranked[:top]:
            print(
                f"{calls:>9} {own:>7.2f} {100 * own / total:>6.1f} {cumulative:>7.2f} "
                f"{100 * cumulative / total:>6.1f}  {_function_name(key)}"
            )


# Where the bot's time goes, as substrings of py-spy frames ("function (module/path.py:line)").
PY_SPY_AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "webhook in: aiohttp parsing requests, writing answers",
        ("RequestHandler.data_received (", "RequestHandler.finish_response ("),
    ),
    ("webhook in: Twilio signature check", ("signature_valid (",)),
    ("webhook in: Telegram update parsing (PTB de_json)", ("update_from_json (",)),
    ("turn: Conversation.handle (dedup, contact, handler, outbox)", ("Conversation.handle (",)),
    ("delivery: Dispatcher._send (throttle, channel send, log)", ("Dispatcher._send (",)),
    ("  Telegram sends (PTB Bot, httpx)", ("TelegramChannel.send (",)),
    ("  SMS sends (twilio client, aiohttp client)", ("SmsChannel.send (",)),
    ("  the SMS throttle's cost (segments_of)", ("segments_of (",)),
    ("delivery: outcomes recorded (Dispatcher.deliver)", ("Dispatcher.deliver (",)),
    ("anywhere: SMS text folding (sms_safe, segment_report)", ("sms_safe (", "segment_report (")),
    ("anywhere: SQLAlchemy and the driver", ("(sqlalchemy/", "inline_sqlite", "(asyncpg/")),
    ("anywhere: HTTP clients (httpx, aiohttp's)", ("(httpx/", "(httpcore/", "(aiohttp/client")),
    ("  httpcore's failed `import sniffio` on every call", ("current_async_library (httpcore",)),
    ("anywhere: logging", ("Logger._log (",)),
)


def print_py_spy(path: Path, top: int = 25) -> None:
    """Summarise py-spy's collapsed stacks: by area of the bot, by function itself, inclusive."""
    if not path.exists():
        print(f"(no py-spy output at {path})")
        return
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if frames:
            stacks.append((frames, int(samples)))
    total = sum(count for _, count in stacks)
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    print(f"\n### py-spy of the bot server during the phases ({total} busy samples at 100 Hz)\n")
    print("by area (inclusive, so areas overlap):")
    for title, patterns in PY_SPY_AREAS:
        hits = sum(
            count
            for frames, count in stacks
            if any(pattern in frame for frame in frames for pattern in patterns)
        )
        print(f"  {100 * hits / total:5.1f}%  {title}")
    for title, counter in (("by function itself", own), ("by function, inclusive", inclusive)):
        print(f"\n{title}:")
        for frame, count in counter.most_common(top):
            print(f"  {100 * count / total:5.1f}%  {frame}")
    print(f"\ncollapsed stacks in {path.name} (kept with --logs; flamegraph.pl, speedscope)")


def describe_setup(options: Options, targets: Sequence[str]) -> list[str]:
    """The conditions of the run, printed above the tables so they travel with them."""
    database = (
        "PostgreSQL (fresh database, 127.0.0.1)"
        if options.postgres
        else f"SQLite {sqlite3.sqlite_version} (fresh file)"
    )
    layout = {
        "split": "load generator, fakes and target in 3 processes",
        "shared": "fakes inside the load generator",
    }[options.layout]
    lines = [
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; bot database: "
        f"{database}; {layout}; other processes used {options.busy_before:.0f}% of a core "
        "just before",
        f"traffic: {options.senders:,} senders, en/es/ar texts; bot gets SMS and Telegram "
        "alternately, (a) SMS only, (b) Telegram only",
    ]
    if PTB in targets:
        mode = (
            "one update at a time (PTB's default)"
            if options.ptb_concurrent_updates == 1
            else f"{options.ptb_concurrent_updates} updates at once"
        )
        lines.append(f"(b) processes {mode}")
    if options.profile:
        lines.append("the bot runs under cProfile: its figures are NOT comparable")
    if options.py_spy:
        lines.append(
            "the bot runs under py-spy, which pauses it 100 times a second: "
            "its latencies are NOT comparable"
        )
    return lines


# -- main ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bot_database(postgres: bool, folder: Path) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if not postgres:
        yield f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(options: Options, targets: Sequence[str], folder: Path) -> dict[str, TargetRun]:
    """Every target in turn, against one pair of fakes.

    SIGTERM and SIGHUP cancel the run as Ctrl-C does, so the targets are stopped on the way
    out instead of being left running without us.
    """
    this = asyncio.current_task()
    assert this is not None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        asyncio.get_running_loop().add_signal_handler(signum, this.cancel)
    replies = Replies()
    runs: dict[str, TargetRun] = {}
    async with running_fakes(options.layout, replies) as fakes:
        for series, key in enumerate(targets):
            target = TARGETS[key]
            print(f"running {target.label} ...", flush=True)
            if key == BOT:
                async with bot_database(options.postgres, folder) as database_url:
                    runs[key] = await run_target(
                        target, options, fakes, replies, database_url, folder, series
                    )
            else:
                runs[key] = await run_target(target, options, fakes, replies, "", folder, series)
            done = runs[key]
            print(
                f"  open loop {done.open.per_second:.0f} msg/s, "
                f"p99 {_ms(percentile(done.open.latencies_ms(), 0.99))} ms, "
                f"{done.open.errors} errors; closed loop {done.closed.per_second:.0f} msg/s, "
                f"{done.closed.errors} errors",
                flush=True,
            )
    return runs


def report(options: Options, runs: dict[str, TargetRun], folder: Path, command: str) -> None:
    """Setup, both tables, notes, verdicts, profiles, and the command, in that order."""
    ordered = list(runs.values())
    print()
    for line in describe_setup(options, list(runs)):
        print(line)
    print(
        f"\n### Open loop: {options.rate:.0f} msg/s for {options.seconds:.0f} s "
        f"(after {options.warmup:.0f} s warm-up); latency from the scheduled send time\n"
    )
    print("\n".join(table(ordered, "open")))
    print(
        f"\n### Closed loop: {options.concurrency} concurrent senders for "
        f"{options.closed_seconds:.0f} s; latency from send to completion\n"
    )
    print("\n".join(table(ordered, "closed")))
    extra = notes(ordered)
    if extra:
        print("\nNotes:")
        print("\n".join(extra))
    judged = verdicts(runs, options.rate)
    if judged:
        print("\nTargets:")
        print("\n".join(judged))
    if options.profile and BOT in runs:
        print_profile(folder / "serve.prof")
    if options.py_spy and BOT in runs:
        print_py_spy(folder / "py-spy.txt")
    print(f"\ncommand: {command}")


def shown_command(argv: Sequence[str]) -> str:
    """The command as typed from the repository root, for pasting beside the figures."""

    def relative(path: str) -> str:
        with contextlib.suppress(ValueError):
            return str(Path(path).absolute().relative_to(REPO))
        return path

    return shlex.join([relative(sys.executable), relative(argv[0]), *argv[1:]])


def parse_options(argv: Sequence[str]) -> tuple[Options, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="open loop msg/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="open loop length")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--closed-seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32, help="closed loop senders")
    parser.add_argument("--senders", type=int, default=2000, help="distinct people")
    parser.add_argument("--drain", type=float, default=5.0, help="wait for late replies")
    parser.add_argument("--postgres", action="store_true", help="bot on PostgreSQL")
    parser.add_argument(
        "--targets", default=f"{BOT},{BARE},{PTB}", help=f"comma-separated: {BOT},{BARE},{PTB}"
    )
    parser.add_argument("--layout", choices=("split", "shared"), default="split")
    parser.add_argument("--ptb-concurrent-updates", type=int, default=1)
    profiling = parser.add_mutually_exclusive_group()
    profiling.add_argument("--profile", action="store_true", help="bot under cProfile")
    profiling.add_argument("--py-spy", action="store_true", help="bot under py-spy")
    parser.add_argument(
        "--logs", type=Path, help="keep the targets' logs, database and profiles in this folder"
    )
    args = parser.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown or not targets:
        parser.error(f"unknown targets {sorted(unknown)}; choose from {list(TARGETS)}")
    if args.senders < 2 * args.concurrency:
        parser.error("--senders must be well above --concurrency")
    options = Options(
        rate=args.rate,
        seconds=args.seconds,
        warmup=args.warmup,
        closed_seconds=args.closed_seconds,
        concurrency=args.concurrency,
        senders=args.senders,
        drain=args.drain,
        layout=args.layout,
        ptb_concurrent_updates=args.ptb_concurrent_updates,
        profile=args.profile,
        py_spy=args.py_spy,
        postgres=args.postgres,
        logs=args.logs,
    )
    return options, targets


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == PROFILED_SERVE:
        serve_profiled(Path(sys.argv[2]))
        return
    options, targets = parse_options(sys.argv[1:])
    command = shown_command(sys.argv)
    options.busy_before = machine_busy()
    if options.busy_before > 25:
        print(
            f"warning: other processes keep {options.busy_before:.0f}% of a core busy; "
            "the figures will be lower than on a quiet machine",
            flush=True,
        )
    try:
        with contextlib.ExitStack() as stack:
            if options.logs is None:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
            else:
                folder = options.logs.absolute()
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "bench.db").unlink(missing_ok=True)
            runs = asyncio.run(run(options, targets, folder))
            report(options, runs, folder, command)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: every target was stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        kill_leftovers()


if __name__ == "__main__":
    main()
