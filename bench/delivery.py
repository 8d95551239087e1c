"""Delivery engine figures (issue 4): pace, throughput, fan-out time and memory, lateness.

Each figure runs on a fresh database: a SQLite file in a temporary folder, or with
`--postgres` a throwaway `bench_<random>` database on postgresql://postgres@127.0.0.1:5432
(trust auth), dropped afterwards. Contacts and subscriptions are seeded with one
INSERT … SELECT each (generate_series on PostgreSQL, a recursive CTE on SQLite), all in a
time zone where it is early afternoon now, so quiet hours never defer what is measured.

1. **pace**: a broadcast to `--recipients` Telegram subscribers (default 10,000: about
   5.5 minutes at 30/s) sent by a real `python main.py worker` process
   (TELEGRAM_MESSAGES_PER_SECOND=`--limit`, per chat 1/s) to the fake Telegram, which
   runs in a process of its own and refuses with a 429 any sendMessage beyond `--limit` in
   a sliding one-second window. The broadcast is created and sent with `bot.broadcasts`
   from this process. Reported, as the fake saw it: the rate from the first message to
   the last, in % of the limit, 429s, duplicates, missing recipients, and the most
   messages that arrived within any one second. Target: ≥ 97% of the limit, no 429.
   `--worker-rate` sets the worker's own limit apart from the fake's, to try a margin.
2. **throughput**: the same with every limit lifted (worker at 1,000,000 msg/s overall and
   per chat, the fake without limits): messages per second of one worker process, and the
   CPU each process used. Target ≥ 1,000 msg/s. Two ceilings are measured beside it, in
   this process: the outbox alone (the worker's Dispatcher draining a second broadcast
   into a channel that discards) and the Telegram client alone (the bot's TelegramChannel
   sending to the fake, no database). `--py-spy` samples the worker and prints where its
   time goes.
3. **enqueue**: the time of `broadcasts.send` (the INSERT … SELECT fan-out, one statement
   per language and time zone, commit included) for `--enqueue-recipients` (default
   100,000) subscribers, two in three on Telegram and one in three by SMS. Target ≤ 10 s.
4. **memory**: a fresh process per size in `--memory-sizes` (default 10,000 and
   1,000,000) creates and sends a broadcast; reported are its RSS before the send, its
   peak during the send (VmHWM, reset just before it: the imports peak higher, so the
   lifetime `ru_maxrss`, also shown, cannot see the send) and the growth of both from the
   smallest size. Target ≤ 50 MB. (3 and 4 share one database, grown size by size; the
   outbox is emptied between sizes.)
5. **reminders**: `--reminders` subscribers (default 1,000) with a one-minute reminder,
   spread over `--reminder-sessions` sessions (default 10) starting `--reminder-spacing`
   seconds apart (default 3 s), stored once the worker runs. The worker's scheduler
   queues each reminder ahead with its exact send time; lateness is the arrival at the
   fake minus the outbox row's `send_after`. Limits lifted (not rate-bound).
   Target: p99 ≤ 2 s.

    .venv/bin/pip install -e ".[test,bench]"
    .venv/bin/python bench/delivery.py                  # SQLite, all five (~11 minutes)
    .venv/bin/python bench/delivery.py --postgres
    .venv/bin/python bench/delivery.py --quick          # ~2.5 minutes: smaller sizes (--help)
    .venv/bin/python bench/delivery.py --figures throughput --py-spy
    .venv/bin/python bench/delivery.py --figures memory --memory-sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import platform
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Integer, String, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu import machine_busy, postgres_cpu, process_cpu
from fake_providers import Arrival, FakeTelegramProcess

from bot import broadcasts
from bot.broadcasts import Draft, Progress
from bot.channels.base import OutcomeKind, SendOutcome
from bot.channels.telegram import TelegramChannel, make_bot
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Address, ChannelName, OutboundKind, OutboundMessage
from bot.metrics import Metrics
from bot.ratelimit import Rate, RateLimiter, Throttle
from bot.store import catalog_repo
from bot.store.engine import create_engine, upgrade
from bot.store.tables import UTCDateTime, outbox
from catalog.models import Catalog, Localized, Session

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
TOKEN = "123456:BENCH-delivery_token-for-the-fake"
# Telegram chat ids of the seeded contacts: CHAT_BASE + n for the n-th contact.
CHAT_BASE = 500_000_000
UNLIMITED = 1_000_000.0
TOPIC = "bench"
FIGURES = ("pace", "throughput", "enqueue", "memory", "reminders")

TEXTS = {
    "en": "Families: the spring workshop on reading at home is this Thursday at 6 pm in the "
    "library. Bring your questions; childcare and snacks are provided. Reply STOP to opt out.",
    "es": "Familias: el taller de primavera sobre la lectura en casa es este jueves a las 6 pm "
    "en la biblioteca. Traigan sus preguntas; habrá cuidado de niños y merienda.",
    "ar": "إلى العائلات: ورشة الربيع حول القراءة في المنزل يوم الخميس الساعة 6 مساءً في "
    "المكتبة. أحضروا أسئلتكم؛ تتوفر رعاية الأطفال والوجبات الخفيفة.",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def daytime_zone(now: datetime) -> str:
    """A fixed-offset zone (Etc/GMT±N) where it is 14:00–15:00 now: no quiet hours for hours."""
    offset = (14 - now.hour + 12) % 24 - 12  # local hour = UTC hour + offset = 14
    if offset == 0:
        return "Etc/GMT"
    # Etc/ zones count the other way round: Etc/GMT+5 is five hours behind UTC.
    return f"Etc/GMT{'+' if offset < 0 else '-'}{abs(offset)}"


# -- databases -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(postgres: bool, folder: Path) -> AsyncIterator[str]:
    """The SQLAlchemy URL of a fresh, empty database, removed afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    if not postgres:
        path = folder / f"{name}.db"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def prepared(url: str) -> AsyncEngine:
    engine = create_engine(url)
    await upgrade(engine)
    return engine


@dataclass(frozen=True)
class Population:
    """Who gets seeded: contacts `first`…`last` (numbers, not ids) and their choices."""

    first: int
    last: int
    zones: tuple[str | None, ...]  # contact n lives in zones[n % len(zones)] (None: default)
    sms_every: int = 0  # every sms_every-th contact is an SMS one; 0: all Telegram
    reminder_minutes: str | None = None
    topics: int = 0  # 0: everyone subscribes to TOPIC; k: contact n to f"{TOPIC}-{n % k}"


async def seed(engine: AsyncEngine, people: Population) -> float:
    """Insert contacts and their subscriptions with one INSERT … SELECT each; returns seconds.

    Numbers and zone names are our own and go into the SQL as literals; the rest is bound.
    """
    if people.topics and people.sms_every:
        raise ValueError("topics are assigned by chat id: Telegram contacts only")
    postgres = engine.dialect.name == "postgresql"
    n = "g" if postgres else "n"
    sms = f"{n} % {people.sms_every} = 0" if people.sms_every else "1 = 0"
    phone = (
        f"'+1555' || lpad(CAST({n} AS TEXT), 7, '0')"
        if postgres
        else f"'+1555' || substr('0000000' || {n}, -7)"
    )
    zones = ["NULL" if zone is None else f"'{zone}'" for zone in people.zones]
    zone_cases = " ".join(f"WHEN {index} THEN {zone}" for index, zone in enumerate(zones))
    columns = (
        "channel, address, locale, locale_chosen, opted_out, state, created_at, last_seen_at, "
        "timezone, reminder_minutes"
    )
    values = (
        f"CASE WHEN {sms} THEN 'sms' ELSE 'telegram' END, "
        f"CASE WHEN {sms} THEN {phone} ELSE CAST({CHAT_BASE} + {n} AS TEXT) END, "
        f"CASE {n} % 3 WHEN 0 THEN 'en' WHEN 1 THEN 'es' ELSE 'ar' END, "
        f"{'true, false' if postgres else '1, 0'}, '{{}}', :now, :now, "
        f"CASE {n} % {len(people.zones)} {zone_cases} END, :minutes"
    )
    if postgres:
        contacts_sql = (
            f"INSERT INTO contacts ({columns}) SELECT {values} "
            f"FROM generate_series({people.first}, {people.last}) AS g"
        )
    else:
        contacts_sql = (
            f"WITH RECURSIVE g(n) AS (SELECT {people.first} UNION ALL "
            f"SELECT n + 1 FROM g WHERE n < {people.last}) "
            f"INSERT INTO contacts ({columns}) SELECT {values} FROM g"
        )
    number = f"(CAST(address AS BIGINT) - {CHAT_BASE})" if postgres else f"(address - {CHAT_BASE})"
    # By the contact's number, not its id: topic k holds the contacts n ≡ k (mod topics).
    topic = (
        f"'{TOPIC}-' || CAST({number} % {people.topics} AS TEXT)" if people.topics else f"'{TOPIC}'"
    )
    subscriptions_sql = (
        "INSERT INTO subscriptions (contact_id, topic_id, created_at) "
        f"SELECT id, {topic}, :now FROM contacts WHERE id > :after"
    )
    now = utc_now()
    started = time.perf_counter()
    async with engine.begin() as connection:
        after = await connection.scalar(text("SELECT coalesce(max(id), 0) FROM contacts"))
        stamp = bindparam("now", now, type_=UTCDateTime())
        minutes = bindparam("minutes", people.reminder_minutes, type_=String())
        await connection.execute(text(contacts_sql).bindparams(stamp, minutes))
        after_id = bindparam("after", int(after or 0), type_=Integer())
        await connection.execute(text(subscriptions_sql).bindparams(stamp, after_id))
    if postgres:
        # What autovacuum does within a minute of a bulk load; plans depend on it.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE contacts"))
            await connection.execute(text("ANALYZE subscriptions"))
    return time.perf_counter() - started


async def clear_outbox(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("TRUNCATE outbox"))
        else:
            await connection.execute(text("DELETE FROM outbox"))


def settings_for(url: str) -> Settings:
    return Settings(database_url=url)


async def create_and_send(engine: AsyncEngine, settings: Settings) -> tuple[int, float]:
    """Create a broadcast to every subscriber and send it; returns its id and the send's
    seconds (the fan-out and its commit)."""
    async with engine.begin() as connection:
        broadcast_id = await broadcasts.create(
            connection, Draft(texts=TEXTS, created_by="bench"), utc_now()
        )
    started = time.perf_counter()
    async with engine.begin() as connection:
        await broadcasts.send(connection, broadcast_id, settings, utc_now())
    return broadcast_id, time.perf_counter() - started


async def progress_of(engine: AsyncEngine, broadcast_id: int) -> Progress:
    async with engine.connect() as connection:
        return await broadcasts.progress(connection, broadcast_id)


# -- processes and CPU -----------------------------------------------------------------------


@dataclass
class CpuMeter:
    """CPU seconds each process used between `start()` and `stop()`."""

    pids: dict[str, int]
    postgres: bool
    used: dict[str, float] = field(default_factory=dict)
    _before: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        seconds = {name: process_cpu(pid) for name, pid in self.pids.items()}
        if self.postgres:
            seconds["postgres"] = postgres_cpu()
        seconds["bench"] = time.process_time()
        return seconds

    def start(self) -> None:
        self._before = self._read()

    def stop(self) -> None:
        after = self._read()
        self.used = {name: after[name] - before for name, before in self._before.items()}


def worker_env(url: str, telegram_url: str, overall: float, per_chat: float) -> dict[str, str]:
    """The environment of `main.py worker`: ours, minus any provider or database setting."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_", "PUBLIC_BASE_URL"))
    }
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram_url,
        TELEGRAM_MESSAGES_PER_SECOND=repr(overall),
        TELEGRAM_CHAT_MESSAGES_PER_SECOND=repr(per_chat),
    )
    return env


@contextlib.asynccontextmanager
async def worker_process(
    url: str, telegram_url: str, folder: Path, overall: float, per_chat: float
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python main.py worker` until it says it runs; SIGTERM (then SIGKILL) at the end.

    It runs in `folder` (no `.env` there), logging to `folder/worker.log`.
    """
    log = folder / "worker.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "main.py"),
            "worker",
            cwd=folder,
            env=worker_env(url, telegram_url, overall, per_chat),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while b"worker running" not in log.read_bytes():
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{tail(log)}")
            await asyncio.sleep(0.1)
        yield process
    finally:
        await stop_process(process)


async def stop_process(process: asyncio.subprocess.Process, grace: float = 30.0) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def py_spy(pid: int, output: Path) -> AsyncIterator[None]:
    """py-spy sampling `pid` (raw collapsed stacks to `output`) while the block runs."""
    binary = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    command = [binary, "record", "--pid", str(pid), "--format", "raw", "--output", str(output)]
    log = output.with_suffix(".log")
    with log.open("wb") as sink:
        sampler = await asyncio.create_subprocess_exec(*command, stdout=sink, stderr=sink)
    await asyncio.sleep(1.0)
    if sampler.returncode is not None:
        raise RuntimeError(f"py-spy failed:\n{tail(log)}")
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        try:
            await asyncio.wait_for(sampler.wait(), 60)
        except TimeoutError:
            sampler.kill()
            await sampler.wait()


def summarize_profile(raw: Path, top: int = 20) -> str:
    """The functions the sampled process spent most time in: inclusive (anywhere on the
    stack) and self (the innermost frame), in % of samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples", "", "inclusive %  function"]
    lines += [f"{100 * n / total:10.1f}  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self %       function"]
    lines += [f"{100 * n / total:10.1f}  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """`send_message (telegram/_bot.py:123)` → `send_message (telegram/_bot.py)`."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


# -- figures 1 and 2: a broadcast through a worker process -----------------------------------


@dataclass
class PaceResult:
    backend: str
    recipients: int
    limit: float | None
    accepted: int = 0
    duplicates: int = 0
    missing: int = 0
    refused: int = 0
    seconds: float = math.nan
    rate: float = math.nan
    busiest_second: int = 0  # the most messages the fake accepted within any 1 s
    busiest_attempts: int = 0  # the same, counting the sends it refused with a 429
    first_refusal: float | None = None  # seconds after the first arrival
    last_refusal: float | None = None
    enqueue_seconds: float = math.nan
    cpu: dict[str, float] = field(default_factory=dict)
    progress: Progress | None = None
    profile: str = ""
    # What each half of the worker does alone, in this process (limits lifted):
    engine_only: Ceiling | None = None  # claim + consent + record, a channel that discards
    ptb_only: Ceiling | None = None  # TelegramChannel (PTB Bot, httpx) to the fake, no DB


@dataclass(frozen=True)
class Ceiling:
    messages: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / max(1, self.messages)


def busiest_second(times: Sequence[float]) -> int:
    """The most events within any one-second window (half-open, like the fake's)."""
    best = start = 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def wait_for_arrivals(
    fake: FakeTelegramProcess, expected: int, stall_seconds: float, deadline: float
) -> None:
    """Until `expected` messages arrived, none arrived for `stall_seconds`, or `deadline`."""
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        accepted, _ = await fake.count()
        if accepted >= expected:
            return
        if accepted != last_count:
            last_count, last_change = accepted, time.monotonic()
        elif time.monotonic() - last_change > stall_seconds:
            return
        await asyncio.sleep(0.25)


async def broadcast_run(
    url: str,
    folder: Path,
    backend: str,
    recipients: int,
    limit: float | None,
    profile: bool = False,
    worker_rate: float | None = None,
) -> PaceResult:
    engine = await prepared(url)
    result = PaceResult(backend, recipients, limit)
    try:
        zone = daytime_zone(utc_now())
        await seed(engine, Population(1, recipients, (zone,)))
        options = {"rate_limit_per_second": int(limit)} if limit else {}
        overall, per_chat = (worker_rate or limit, 1.0) if limit else (UNLIMITED, UNLIMITED)
        async with FakeTelegramProcess(TOKEN, **options) as fake:
            if not limit:
                result.ptb_only = await ptb_only(fake, recipients, batch_size(engine))
            async with worker_process(url, fake.base_url, folder, overall, per_chat) as worker:
                meter = CpuMeter({"worker": worker.pid, "fake": fake.pid}, backend == "PostgreSQL")
                meter.start()
                sampling = (
                    py_spy(worker.pid, folder / "py-spy.txt")
                    if profile
                    else contextlib.nullcontext()
                )
                async with sampling:
                    broadcast_id, result.enqueue_seconds = await create_and_send(
                        engine, settings_for(url)
                    )
                    expected_seconds = recipients / (limit or 200.0)
                    await wait_for_arrivals(
                        fake,
                        recipients,
                        stall_seconds=30,
                        deadline=time.monotonic() + 3 * expected_seconds + 120,
                    )
                meter.stop()
                await asyncio.sleep(1.0)  # anything sent twice arrives now
                await stop_process(worker)
            arrivals, refusals = await fake.take()
        result.cpu = meter.used
        result.progress = await progress_of(engine, broadcast_id)
        if not limit:
            result.engine_only = await engine_only(engine, url, folder)
    finally:
        await engine.dispose()
    if profile:
        result.profile = summarize_profile(folder / "py-spy.txt")
    _tally(result, arrivals, refusals)
    # For a closer look (kept with --keep): every accepted send and every 429, in time order.
    events = sorted([(at, str(chat)) for at, chat in arrivals] + [(at, "429") for at in refusals])
    label = "paced" if limit else "unlimited"
    with (folder / f"arrivals-{label}.csv").open("w") as out:
        out.write("time,chat\n")
        out.writelines(f"{at:.6f},{chat}\n" for at, chat in events)
    result.busiest_attempts = busiest_second([at for at, _ in events])
    return result


class NullTelegram:
    """A Telegram channel that discards every message, for the engine's own ceiling."""

    name = ChannelName.TELEGRAM

    async def send(self, message: OutboundMessage) -> SendOutcome:
        return SendOutcome(OutcomeKind.SENT, provider_id=str(message.id))


def unlimited_throttles() -> dict[ChannelName, Throttle]:
    return {ChannelName.TELEGRAM: Throttle(RateLimiter(Rate(UNLIMITED), Rate(UNLIMITED)))}


def batch_size(engine: AsyncEngine) -> int:
    """How many messages the worker's dispatcher claims and sends at once, limits lifted."""
    dispatcher = Dispatcher(engine, {}, "bench", utc_now, unlimited_throttles())
    return dispatcher.batch_size(ChannelName.TELEGRAM)


async def engine_only(engine: AsyncEngine, url: str, folder: Path) -> Ceiling:
    """A second broadcast to the same subscribers, drained in this process by the worker's
    Dispatcher (claim, consent check, per-chat throttle, record, one INFO line per message
    to a file as the worker logs) into a channel that discards: the outbox's own ceiling."""
    await create_and_send(engine, settings_for(url))
    metrics = Metrics()
    dispatcher = Dispatcher(
        engine,
        {ChannelName.TELEGRAM: NullTelegram()},
        "bench",
        utc_now,
        unlimited_throttles(),
        metrics,
    )
    handler = logging.FileHandler(folder / "engine-only.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("bot")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        handled = await dispatcher.drain(ChannelName.TELEGRAM)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        logger.removeHandler(handler)
        handler.close()
    return Ceiling(handled, elapsed, cpu)


async def ptb_only(fake: FakeTelegramProcess, count: int, batch: int) -> Ceiling:
    """The bot's TelegramChannel (PTB's Bot over httpx, as `make_bot` builds it) sending
    `count` messages to the fake, in concurrent batches of the dispatcher's size: the
    provider client's own ceiling, without any database."""
    settings = Settings(telegram_bot_token=TOKEN, telegram_api_base_url=fake.base_url)
    bot = make_bot(settings)
    channel = TelegramChannel(bot)
    messages = [
        OutboundMessage(
            id=number,
            address=Address(ChannelName.TELEGRAM, str(CHAT_BASE + number)),
            text=TEXTS["en"],
            locale="en",
            kind=OutboundKind.BROADCAST,
        )
        for number in range(1, count + 1)
    ]
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, count, batch):
            await asyncio.gather(*(channel.send(m) for m in messages[first : first + batch]))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await bot.shutdown()
    await fake.take()  # not the worker's: forget them
    return Ceiling(count, elapsed, cpu)


def _tally(result: PaceResult, arrivals: list[Arrival], refusals: list[float]) -> None:
    times = sorted(at for at, _ in arrivals)
    counts = Counter(chat for _, chat in arrivals)
    expected = set(range(CHAT_BASE + 1, CHAT_BASE + result.recipients + 1))
    result.accepted = len(arrivals)
    result.duplicates = sum(n - 1 for n in counts.values() if n > 1)
    result.missing = len(expected - counts.keys())
    result.refused = len(refusals)
    if len(times) >= 2:
        result.seconds = times[-1] - times[0]
        result.rate = (len(times) - 1) / result.seconds
        result.busiest_second = busiest_second(times)
    if refusals and times:
        result.first_refusal = min(refusals) - times[0]
        result.last_refusal = max(refusals) - times[0]


# -- figures 3 and 4: the fan-out's time and memory, in a fresh process per size -------------


@dataclass(frozen=True)
class EnqueueResult:
    backend: str
    recipients: int
    queued: int
    seconds: float
    rss_before_mb: float  # just before the send (imports, engine, a connection)
    send_peak_mb: float  # the highest RSS during the send (VmHWM, reset before it)
    max_rss_mb: float  # ru_maxrss: the highest over the process's whole life
    seed_seconds: float = 0.0


def _status_mb(field_name: str) -> float:
    """A `/proc/self/status` figure (VmRSS, VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return math.nan


def reset_peak() -> None:
    """Reset the kernel's high-water mark, so that VmHWM is the peak from now on (the
    imports peak higher than anything after them, which would hide the send)."""
    Path("/proc/self/clear_refs").write_text("5")


def enqueue_in_child(url: str) -> tuple[int, float, float, float, float]:
    """In a fresh process: create and send a broadcast to every subscriber.

    Returns rows queued, seconds of the send, and RSS before, peak during the send and
    peak over the process's life, in MB.
    """
    return asyncio.run(_enqueue_in_child(url))


async def _enqueue_in_child(url: str) -> tuple[int, float, float, float, float]:
    engine = create_engine(url)
    try:
        # Connected and warmed by a small statement first: the baseline includes the driver.
        async with engine.begin() as connection:
            await connection.execute(select(func.count()).select_from(outbox))
        before = _status_mb("VmRSS")
        reset_peak()
        broadcast_id, seconds = await create_and_send(engine, settings_for(url))
        send_peak = _status_mb("VmHWM")
        lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        async with engine.connect() as connection:
            queued = await connection.scalar(
                select(func.count())
                .select_from(outbox)
                .where(
                    outbox.c.kind == OutboundKind.BROADCAST.value,
                    outbox.c.item == str(broadcast_id),
                )
            )
    finally:
        await engine.dispose()
    return int(queued or 0), seconds, before, send_peak, lifetime


async def enqueue_runs(url: str, backend: str, sizes: Sequence[int]) -> list[EnqueueResult]:
    engine = await prepared(url)
    results = []
    try:
        zone = daytime_zone(utc_now())
        seeded = 0
        for size in sorted(set(sizes)):
            # Two time zones (one the default) × three languages: six INSERT … SELECTs.
            people = Population(seeded + 1, size, (zone, None), sms_every=3)
            seed_seconds = await seed(engine, people)
            seeded = size
            await clear_outbox(engine)
            loop = asyncio.get_running_loop()
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                queued, seconds, before, peak, lifetime = await loop.run_in_executor(
                    pool, enqueue_in_child, url
                )
            results.append(
                EnqueueResult(backend, size, queued, seconds, before, peak, lifetime, seed_seconds)
            )
            print(
                f"  {backend} {size:,}: seeded in {seed_seconds:.1f} s, queued {queued:,} in "
                f"{seconds:.2f} s, RSS {before:.1f} MB, {peak:.1f} at most during the send, "
                f"{lifetime:.1f} at most ever",
                flush=True,
            )
    finally:
        await engine.dispose()
    return results


# -- figure 5: reminder lateness -------------------------------------------------------------


@dataclass
class LatenessResult:
    backend: str
    reminders: int
    sessions: int
    spacing: float
    arrived: int = 0
    queued_rows: int = 0
    missing: int = 0
    duplicates: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds, one per reminder
    queued_ahead_min: float = math.nan  # how long before its send time the earliest-queued
    queued_ahead_max: float = math.nan


def bench_session(number: int, starts_at: datetime, zone: str) -> Session:
    return Session(
        id=f"bench-session-{number}",
        starts_at=starts_at,
        timezone=zone,
        duration_minutes=60,
        title=Localized({"en": f"Reading at home {number}", "es": f"Lectura en casa {number}"}),
        summary=Localized({"en": "Practical ideas for reading with children."}),
        link=Localized({"en": f"https://example.org/sessions/{number}"}),
        topics=(f"{TOPIC}-{number}",),
    )


async def reminder_run(
    url: str, folder: Path, backend: str, count: int, sessions: int, spacing: float
) -> LatenessResult:
    engine = await prepared(url)
    result = LatenessResult(backend, count, sessions, spacing)
    try:
        zone = daytime_zone(utc_now())
        await seed(engine, Population(1, count, (zone,), reminder_minutes="1", topics=sessions))
        async with (
            FakeTelegramProcess(TOKEN) as fake,
            worker_process(url, fake.base_url, folder, UNLIMITED, UNLIMITED) as worker,
        ):
            now = utc_now()
            # The first reminders fall due 20 s from now: the scheduler ticks every 5 s.
            first_due = now + timedelta(seconds=20)
            catalog = Catalog.of(
                (
                    bench_session(k, first_due + timedelta(minutes=1, seconds=k * spacing), zone)
                    for k in range(sessions)
                ),
                (),
            )
            async with engine.begin() as connection:
                await catalog_repo.save(connection, catalog, now)
            last_due = first_due + timedelta(seconds=(sessions - 1) * spacing)
            wait = (last_due - utc_now()).total_seconds() + 60
            await wait_for_arrivals(
                fake, count, stall_seconds=wait, deadline=time.monotonic() + wait
            )
            await asyncio.sleep(1.0)
            await stop_process(worker)
            arrivals, _ = await fake.take()
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(outbox.c.address, outbox.c.send_after, outbox.c.created_at).where(
                        outbox.c.kind == OutboundKind.REMINDER.value
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    due = {int(row.address): row.send_after.timestamp() for row in rows}
    ahead = [(row.send_after - row.created_at).total_seconds() for row in rows]
    counts = Counter(chat for _, chat in arrivals)
    result.queued_rows = len(rows)
    result.arrived = len(arrivals)
    result.duplicates = sum(n - 1 for n in counts.values() if n > 1)
    result.missing = len(set(range(CHAT_BASE + 1, CHAT_BASE + count + 1)) - counts.keys())
    first_arrival: dict[int, float] = {}
    for at, chat in sorted(arrivals):
        first_arrival.setdefault(chat, at)
    result.lateness = sorted(at - due[chat] for chat, at in first_arrival.items() if chat in due)
    if ahead:
        result.queued_ahead_min, result.queued_ahead_max = min(ahead), max(ahead)
    return result


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


# -- report ----------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def cpu_text(cpu: dict[str, float], seconds: float) -> str:
    if not seconds or math.isnan(seconds):
        return ""
    return ", ".join(f"{name} {100 * used / seconds:.0f}%" for name, used in cpu.items())


def report_pace(results: Sequence[PaceResult]) -> str:
    rows = []
    for r in results:
        limit = r.limit or 0.0
        share = 100 * r.rate / limit if limit else math.nan
        refusals = str(r.refused)
        if r.first_refusal is not None and r.last_refusal is not None:
            refusals += f" (+{r.first_refusal:.1f}…+{r.last_refusal:.1f} s)"
        met = share >= 97 and r.refused == 0 and not r.missing and not r.duplicates
        rows.append(
            [
                r.backend,
                f"{r.recipients:,}",
                f"{r.seconds:.1f} s",
                f"{r.rate:.2f}/s",
                f"{share:.1f}%",
                refusals,
                f"{r.busiest_second} ({r.busiest_attempts})",
                str(r.duplicates),
                str(r.missing),
                f"{r.enqueue_seconds:.2f} s",
                verdict(met),
            ]
        )
    header = [
        "database",
        "recipients",
        "first→last",
        "rate",
        "of limit",
        "429s (when)",
        "busiest 1 s (tried)",
        "dup",
        "missing",
        "send()",
        "≥97%, no 429",
    ]
    return table(header, rows)


def report_throughput(results: Sequence[PaceResult]) -> str:
    rows = []
    for r in results:
        worker_cpu = r.cpu.get("worker", math.nan)
        rows.append(
            [
                r.backend,
                f"{r.accepted:,}",
                f"{r.seconds:.1f} s",
                f"{r.rate:.0f}",
                f"{1000 * worker_cpu / max(1, r.accepted):.2f} ms",
                cpu_text(r.cpu, r.seconds),
                str(r.duplicates),
                str(r.missing),
                verdict(r.rate >= 1000 and not r.missing),
            ]
        )
        for label, ceiling in (
            ("outbox alone (discarding channel)", r.engine_only),
            ("TelegramChannel alone (PTB, no DB)", r.ptb_only),
        ):
            if ceiling is not None:
                rows.append(
                    [
                        f"{r.backend}: {label}" if "outbox" in label else label,
                        f"{ceiling.messages:,}",
                        f"{ceiling.seconds:.1f} s",
                        f"{ceiling.rate:.0f}",
                        f"{ceiling.cpu_ms:.2f} ms",
                        "this process",
                        "",
                        "",
                        "",
                    ]
                )
    header = [
        "database",
        "messages",
        "first→last",
        "msg/s",
        "worker CPU/msg",
        "CPU (% of a core)",
        "dup",
        "missing",
        "≥ 1,000/s",
    ]
    return table(header, rows)


def report_enqueue(results: Sequence[EnqueueResult], target_size: int) -> str:
    rows = [
        [
            r.backend,
            f"{r.recipients:,}",
            f"{r.queued:,}",
            f"{r.seconds:.2f} s",
            f"{r.queued / r.seconds:,.0f}",
            verdict(r.seconds <= 10) if r.recipients == target_size else "",
        ]
        for r in results
    ]
    return table(["database", "subscribers", "queued", "send()", "rows/s", "≤ 10 s"], rows)


def report_memory(results: Sequence[EnqueueResult]) -> str:
    rows = []
    by_backend: dict[str, list[EnqueueResult]] = {}
    for r in results:
        by_backend.setdefault(r.backend, []).append(r)
    for backend, runs in by_backend.items():
        runs.sort(key=lambda r: r.recipients)
        base = runs[0]
        for r in runs:
            growth = r.send_peak_mb - base.send_peak_mb
            lifetime = r.max_rss_mb - base.max_rss_mb
            rows.append(
                [
                    backend,
                    f"{r.recipients:,}",
                    f"{r.rss_before_mb:.1f} MB",
                    f"{r.send_peak_mb:.1f} MB",
                    f"{growth:+.1f} MB",
                    f"{r.max_rss_mb:.1f} MB ({lifetime:+.1f})",
                    verdict(max(growth, lifetime) <= 50) if r is not base else "",
                ]
            )
    header = [
        "database",
        "subscribers",
        "RSS before send",
        "peak during send",
        "growth",
        "ru_maxrss (growth)",
        "≤ 50 MB",
    ]
    return table(header, rows)


def report_reminders(results: Sequence[LatenessResult]) -> str:
    rows = []
    for r in results:
        p99 = percentile(r.lateness, 0.99)
        rows.append(
            [
                r.backend,
                f"{r.reminders:,} ({r.sessions} × {r.reminders // max(1, r.sessions)}, "
                f"{f'{r.spacing:g} s apart' if r.sessions > 1 else 'all due at once'})",
                str(len(r.lateness)),
                f"{r.queued_ahead_min:.1f}–{r.queued_ahead_max:.1f} s",
                f"{percentile(r.lateness, 0.5):.3f} s",
                f"{p99:.3f} s",
                f"{max(r.lateness, default=math.nan):.3f} s",
                f"{min(r.lateness, default=math.nan):.3f} s",
                str(r.duplicates),
                str(r.missing),
                verdict(p99 <= 2 and not r.missing),
            ]
        )
    header = [
        "database",
        "reminders",
        "arrived",
        "queued ahead",
        "p50 late",
        "p99 late",
        "max",
        "min",
        "dup",
        "missing",
        "p99 ≤ 2 s",
    ]
    return table(header, rows)


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.platform()}"
    )


# -- main ------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, folder: Path) -> None:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    figures = args.figures
    print(f"# bench/delivery.py on {backend}: {machine()}", flush=True)
    if args.postgres:
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        print(f"# {await admin.fetchval('SELECT version()')}", flush=True)
        await admin.close()
    sections: list[str] = []

    async def busy(figure: str) -> str:
        percent = await asyncio.to_thread(machine_busy)
        print(f"{figure}: the machine was {percent:.0f}% busy (of one core) before", flush=True)
        return f"(machine {percent:.0f}% busy before)"

    if "pace" in figures:
        load = await busy("pace")
        print(f"pace: {args.recipients:,} recipients at {args.limit:g}/s…", flush=True)
        async with database(args.postgres, folder) as url:
            pace = await broadcast_run(
                url, folder, backend, args.recipients, args.limit, worker_rate=args.worker_rate
            )
        paced = f"worker at {args.worker_rate:g}/s, " if args.worker_rate else ""
        title = f"1. Broadcast pace ({paced}fake Telegram refusing beyond {args.limit:g}/s) {load}"
        sections.append(f"{title}\n\n" + report_pace([pace]))
        print(sections[-1], "\n", pace.progress, flush=True)

    if "throughput" in figures:
        count = args.throughput_recipients
        load = await busy("throughput")
        print(f"throughput: {count:,} recipients, no limits…", flush=True)
        async with database(args.postgres, folder) as url:
            fast = await broadcast_run(url, folder, backend, count, None, profile=args.py_spy)
        title = f"2. One worker process, limits lifted {load}"
        sections.append(f"{title}\n\n" + report_throughput([fast]))
        print(sections[-1], "\n", fast.progress, flush=True)
        if fast.profile:
            print(f"\nwhere the worker's time goes (py-spy):\n{fast.profile}", flush=True)

    if "enqueue" in figures or "memory" in figures:
        sizes = set()
        if "enqueue" in figures:
            sizes.add(args.enqueue_recipients)
        if "memory" in figures:
            sizes.update(args.memory_sizes)
        load = await busy("fan-out")
        print(f"fan-out: {', '.join(f'{s:,}' for s in sorted(sizes))} subscribers…", flush=True)
        async with database(args.postgres, folder) as url:
            fanned = await enqueue_runs(url, backend, sorted(sizes))
        if "enqueue" in figures:
            sections.append(
                f"3. broadcasts.send (fan-out) {load}\n\n"
                + report_enqueue(fanned, args.enqueue_recipients)
            )
            print(sections[-1], flush=True)
        if "memory" in figures:
            memory = [r for r in fanned if r.recipients in args.memory_sizes]
            title = f"4. Peak memory of the enqueuing process {load}"
            sections.append(f"{title}\n\n" + report_memory(memory))
            print(sections[-1], flush=True)

    if "reminders" in figures:
        load = await busy("reminders")
        print(f"reminders: {args.reminders:,} in {args.reminder_sessions} sessions…", flush=True)
        async with database(args.postgres, folder) as url:
            late = await reminder_run(
                url, folder, backend, args.reminders, args.reminder_sessions, args.reminder_spacing
            )
        sections.append(f"5. Reminder lateness {load}\n\n" + report_reminders([late]))
        print(sections[-1], flush=True)

    print("\n\n" + "\n\n".join(sections))


def run_in_folder(
    prefix: str,
    args: argparse.Namespace,
    work: Callable[[argparse.Namespace, Path], Coroutine[Any, Any, object]],
) -> None:
    """Run a benchmark in a fresh folder for its databases and logs; `--keep` keeps it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        asyncio.run(work(args, folder))
    finally:
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--figures",
        type=lambda text: [f.strip() for f in text.split(",") if f.strip()],
        default=list(FIGURES),
        help=f"comma-separated, among {', '.join(FIGURES)} (default: all)",
    )
    parser.add_argument("--recipients", type=int, default=10_000, help="pace: subscribers")
    parser.add_argument("--limit", type=float, default=30.0, help="pace: Telegram msg/s")
    parser.add_argument(
        "--worker-rate",
        type=float,
        help="pace: TELEGRAM_MESSAGES_PER_SECOND of the worker (default: --limit)",
    )
    parser.add_argument("--throughput-recipients", type=int, default=20_000)
    parser.add_argument("--enqueue-recipients", type=int, default=100_000)
    parser.add_argument(
        "--memory-sizes",
        type=lambda text: [int(s) for s in text.split(",")],
        default=[10_000, 1_000_000],
    )
    parser.add_argument("--reminders", type=int, default=1_000)
    parser.add_argument("--reminder-sessions", type=int, default=10)
    parser.add_argument("--reminder-spacing", type=float, default=3.0, help="seconds")
    parser.add_argument("--py-spy", action="store_true", help="throughput: sample the worker")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes: 900 recipients at 30/s, 5,000 unthrottled, 10k/100k fan-out",
    )
    parser.add_argument("--keep", action="store_true", help="keep the folder with the logs")
    args = parser.parse_args()
    unknown = set(args.figures) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    if args.quick:
        args.recipients, args.throughput_recipients = 900, 5_000
        args.memory_sizes, args.reminders = [10_000, 100_000], 300
    run_in_folder("bench-delivery-", args, run)


if __name__ == "__main__":
    main()
