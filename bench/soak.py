"""Soak (issue 6): the real server under steady inbound load while a broadcast runs.

One `python main.py serve` (web, outbox loop and scheduler in one process) on a fresh SQLite
file, or with `--postgres` on a throwaway `bench_<random>` database on
postgresql://postgres@127.0.0.1:5432 (dropped after), receives `--rate` messages a second
for `--seconds`: signed Twilio SMS webhooks and Telegram updates alternately, realistic
English, Spanish and Arabic texts (bench/inbound.py's traffic), from `--senders` people, half
phone numbers and half chat ids, in turn, so that each writes once every senders / rate
seconds (6,000 at 100/s: once a minute, far below the bot's flood limit of 10 a minute).

Meanwhile a broadcast to `--broadcast-recipients` Telegram subscribers (seeded and created
and sent with `bot.broadcasts` from this process, as bench/delivery.py does) goes out
through the same server to the fake Telegram, which refuses with a 429 anything beyond
`--telegram-limit` a second, the bot's own TELEGRAM_MESSAGES_PER_SECOND. Replies and the
broadcast share that limit, so it is set to the Telegram replies' rate plus
`--broadcast-rate` (30: Telegram's rate for a bot's bulk messages): the broadcast gets what
the replies leave, and 20,000 recipients at ~30/s outlast a 10-minute soak. (The limit
cannot be 30 itself: half of 100 msg/s is 50 Telegram replies a second, more than 30, and
the replies would fall further behind every second.)

Open loop: each message leaves at its scheduled time whatever the server does, and latency
runs from that time to the first reply to it reaching the fake Twilio or Telegram, so a
stall shows as latency, never as a slower sender (no coordinated omission). Errors are
non-2xx answers, failed requests and replies still missing `--drain` seconds after the last
message. The fakes run in a process of their own, the server in another (bench/inbound.py's
layout). Every second the server's RSS (VmRSS) and CPU time are read from /proc.

Printed per `--interval` (a minute): messages sent, replied, latency p50/p95/p99 (and p99
per channel), errors, the server's RSS (min–max of the 1 s samples), its CPU in % of one
core, and the broadcast messages the fake Telegram accepted. Then a summary: totals and
errors (must be 0), p99 of the first interval against the last, RSS growth from the second
interval to the last, and over the second half (the leak check: bounded caches fill in the
first minutes, a leak keeps growing; flat is a few MB at most), the broadcast's progress,
429s and duplicates (must be 0), and the server's log (errors, flood-limit warnings) and
exit status. Exits 1 when any message failed, a broadcast message arrived twice, or the
server did not stop cleanly.

    .venv/bin/python bench/soak.py --rate 100 --seconds 600 --broadcast-recipients 20000
    .venv/bin/python bench/soak.py --rate 100 --seconds 600 --broadcast-recipients 20000 --postgres
    .venv/bin/python bench/soak.py --seconds 60 --interval 10          # a trial
    .venv/bin/python bench/soak.py --seconds 60 --broadcast-recipients 0   # no broadcast
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import math
import os
import platform
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu import machine_busy, process_cpu
from delivery import (
    CHAT_BASE,
    Population,
    create_and_send,
    daytime_zone,
    prepared,
    progress_of,
    seed,
    settings_for,
    utc_now,
)
from inbound import (
    BOT,
    REPO,
    SMS_PATH,
    TARGETS,
    BenchTelegram,
    BenchTwilio,
    CpuMeter,
    Record,
    Replies,
    Report,
    Shot,
    Traffic,
    bot_database,
    bot_environment,
    child,
    free_port,
    kill_leftovers,
    open_loop,
    percentile,
    running_fakes,
    shown_command,
    tail,
    wait_until_answering,
)

from bot.broadcasts import Progress
from tests.support.fake_telegram import ApiError

REFUSED = "429"  # the event key the fake Telegram reports for each sendMessage it refuses
FLAT_MB = 5.0  # RSS growth over the soak's second half that still counts as flat


# -- the fakes: inbound.py's, keeping nothing, and Telegram with its rate limit ---------------


class _Reported(list[Any]):
    """A fake's record of what it accepted that keeps nothing, reporting each item instead.

    The fakes append every request to lists the tests read; ten minutes at 100 msg/s plus a
    broadcast would pile up ~100,000 dicts in the fakes' process. With `report`, each item
    goes to the load generator as "prefix:field time", as bench/inbound.py's fakes do.
    """

    def __init__(
        self, report: Report | None = None, prefix: str = "", field_name: str = ""
    ) -> None:
        super().__init__()
        self._report = report
        self._prefix = prefix
        self._field = field_name

    def append(self, item: Any) -> None:
        if self._report is not None:
            self._report(f"{self._prefix}:{item[self._field]}", time.monotonic())


class SoakTelegram(BenchTelegram):
    """The fake Bot API refusing beyond `rate_limit_per_second` (429), reporting each refusal."""

    def __init__(self, report: Report, rate_limit_per_second: int) -> None:
        super().__init__(report)
        self.rate_limit_per_second = rate_limit_per_second
        self.calls = _Reported()
        self.sent = _Reported(report, "tg", "chat_id")

    def _throttle(self, chat_id: int) -> None:
        try:
            super()._throttle(chat_id)
        except ApiError:
            self._report(REFUSED, time.monotonic())
            raise


class SoakTwilio(BenchTwilio):
    def __init__(self, report: Report) -> None:
        super().__init__(report)
        self.requests = _Reported()
        self.sent = _Reported(report, "sms", "To")


class SoakReplies(Replies):
    """inbound.py's reply matching, with broadcast arrivals and 429s set apart.

    Broadcast recipients are the seeded chats above CHAT_BASE; the people writing in have
    chat ids from 100,000,000 and phone numbers, so nothing of the broadcast can be taken
    for a reply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.broadcast: list[tuple[float, int]] = []  # (time.monotonic(), chat id)
        self.refused: list[float] = []
        self.expected = 0  # messages sent that wait for a reply
        self.replies = 0  # replies that reached a fake, further ones of a turn included

    def expect(self, key: str, record: Record) -> None:
        self.expected += 1
        super().expect(key, record)

    def arrived(self, key: str, at: float) -> None:
        if key == REFUSED:
            self.refused.append(at)
            return
        channel, _, address = key.partition(":")
        if channel == "tg" and int(address) > CHAT_BASE:
            self.broadcast.append((at, int(address)))
            return
        if channel in ("tg", "sms"):
            self.replies += 1
        super().arrived(key, at)


class ChannelTraffic(Traffic):
    """inbound.py's traffic, remembering each message's channel in the order sent."""

    def __init__(self, senders: int, base_url: str) -> None:
        super().__init__(TARGETS[BOT], senders, base_url, series=0)
        self.channels: list[str] = []

    def next(self) -> Shot:
        shot = super().next()
        self.channels.append("SMS" if shot.path == SMS_PATH else "Telegram")
        return shot


# -- sampling the server ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    rss_mb: float
    cpu_seconds: float


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` in MB; NaN once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


async def monitor(
    pid: int, replies: SoakReplies, samples: list[Sample], interval: float, total: float
) -> None:
    """Sample the server every second until cancelled; print a line each interval, so a
    ten-minute run shows it is alive (the table comes at the end, once replies are in)."""
    started = time.monotonic()
    next_line = started + interval
    while True:
        sample = Sample(time.monotonic(), rss_mb(pid), process_cpu(pid))
        samples.append(sample)
        if sample.at >= next_line:
            window = [s for s in samples if s.at >= next_line - interval]
            cpu = (
                100
                * (window[-1].cpu_seconds - window[0].cpu_seconds)
                / (window[-1].at - window[0].at or 1.0)
            )
            print(
                f"  +{sample.at - started:4.0f} s of ~{total:.0f}: {replies.expected:,} sent, "
                f"{replies.replies:,} replies, {len(replies.broadcast):,} broadcast, "
                f"RSS {sample.rss_mb:.1f} MB, CPU {cpu:.0f}%",
                flush=True,
            )
            next_line += interval
        if math.isnan(sample.rss_mb):
            return
        await asyncio.sleep(1.0 - (time.monotonic() - sample.at) % 1.0)


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Options:
    rate: float
    seconds: float
    interval: float
    senders: int
    broadcast_recipients: int
    broadcast_rate: float
    telegram_limit: int
    drain: float
    postgres: bool
    logs: Path | None
    trace_memory: Path | None = None
    trace_frames: int = 0
    busy_before: float = 0.0


@dataclass
class Soak:
    """Everything measured, for the report."""

    records: list[Record]
    channels: list[str]
    samples: list[Sample]
    broadcast: list[tuple[float, int]]
    refused: list[float]
    extra_replies: int
    worst_send_lag: float
    cpu: CpuMeter
    progress: Progress | None
    exit_code: int | None
    log_errors: list[str] = field(default_factory=list)
    flood_warnings: int = 0
    broadcast_started: float = math.nan  # time.monotonic() of its first arrival


async def wait_for_broadcast(replies: SoakReplies, log: Path, seconds: float = 60.0) -> None:
    """Until the first broadcast message reached the fake (the pump polls every second)."""
    deadline = time.monotonic() + seconds
    while not replies.broadcast:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the broadcast did not start within {seconds:.0f} s:\n{tail(log)}")
        await asyncio.sleep(0.1)


def read_log(log: Path) -> tuple[list[str], int]:
    """The server log's error lines (ERROR, CRITICAL, tracebacks) and its flood-limit warnings."""
    errors, flood = [], 0
    for line in log.read_text(errors="replace").splitlines():
        if re.search(r"\b(ERROR|CRITICAL)\b|^Traceback", line):
            errors.append(line)
        elif "flood limit:" in line:
            flood += 1
    return errors, flood


async def run(options: Options, folder: Path) -> Soak:
    """Fakes, database, subscribers, server, broadcast, then the open loop; stop everything."""
    this = asyncio.current_task()
    assert this is not None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        asyncio.get_running_loop().add_signal_handler(signum, this.cancel)
    replies = SoakReplies()
    telegram = functools.partial(SoakTelegram, rate_limit_per_second=options.telegram_limit)
    async with (
        running_fakes("split", replies, telegram, SoakTwilio) as fakes,
        bot_database(options.postgres, folder) as database_url,
    ):
        engine = await prepared(database_url)
        try:
            if options.broadcast_recipients:
                zone = daytime_zone(utc_now())  # 14:00 there: no quiet hours for hours
                people = Population(1, options.broadcast_recipients, (zone,))
                seeding = await seed(engine, people)
                print(
                    f"seeded {options.broadcast_recipients:,} Telegram subscribers in "
                    f"{seeding:.1f} s",
                    flush=True,
                )
            return await soak(options, folder, engine, database_url, fakes, replies)
        finally:
            await engine.dispose()


async def soak(
    options: Options,
    folder: Path,
    engine: AsyncEngine,
    database_url: str,
    fakes: Any,
    replies: SoakReplies,
) -> Soak:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    environment = bot_environment(database_url, port, fakes)
    environment["TELEGRAM_MESSAGES_PER_SECOND"] = str(options.telegram_limit)
    command = [sys.executable, str(REPO / "main.py"), "serve"]
    if options.trace_memory is not None:
        tracer = [
            str(REPO / "bench" / "traced.py"),
            str(options.trace_memory),
            str(options.interval),
        ]
        if options.trace_frames:
            tracer += ["--frames", str(options.trace_frames)]
        command[1:1] = tracer
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        child(command, log, environment) as process,
    ):
        await wait_until_answering(session, base_url + "/healthz", process, log)
        try:
            await asyncio.wait_for(replies.webhook_registered.wait(), 30)
        except TimeoutError:
            raise RuntimeError(f"serve never set its webhook:\n{tail(log)}") from None
        broadcast_id: int | None = None
        if options.broadcast_recipients:
            broadcast_id, fan_out = await create_and_send(engine, settings_for(database_url))
            await wait_for_broadcast(replies, log)
            print(
                f"broadcast {broadcast_id} queued for {options.broadcast_recipients:,} in "
                f"{fan_out:.2f} s and sending",
                flush=True,
            )
        print(f"{options.rate:g} msg/s for {options.seconds:g} s ...", flush=True)
        traffic = ChannelTraffic(options.senders, base_url)
        cpu = CpuMeter({"server": process.pid, "fakes": fakes.pid}, options.postgres)
        sampler = asyncio.create_task(
            monitor(process.pid, replies, samples, options.interval, options.seconds)
        )
        try:
            result = await open_loop(
                session,
                base_url,
                traffic,
                replies,
                cpu,
                options.rate,
                options.seconds,
                0.0,
                options.drain,
            )
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        died = process.returncode is not None
    # Leaving `child` stopped the server with SIGTERM; what it had in flight has arrived.
    await asyncio.sleep(0.5)
    exit_code = process.returncode
    if died:
        print(f"the server died during the soak:\n{tail(log)}", file=sys.stderr)
    log_errors, flood = read_log(log)
    return Soak(
        records=result.records,
        channels=traffic.channels[: len(result.records)],
        samples=samples,
        broadcast=list(replies.broadcast),
        refused=list(replies.refused),
        extra_replies=result.extra_replies,
        worst_send_lag=result.worst_send_lag,
        cpu=cpu,
        progress=None if broadcast_id is None else await progress_of(engine, broadcast_id),
        exit_code=exit_code,
        log_errors=log_errors,
        flood_warnings=flood,
        broadcast_started=replies.broadcast[0][0] if replies.broadcast else math.nan,
    )


# -- report -----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"


def _mb(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


@dataclass
class Interval:
    """One row of the table: the messages scheduled in [start, end), what happened then."""

    number: int
    start: float
    end: float
    records: list[Record] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    broadcast: int = 0

    def latencies(self, channel: str | None = None) -> list[float]:
        return sorted(
            1000 * (r.replied - r.scheduled)
            for r, c in zip(self.records, self.channels, strict=True)
            if r.ok and channel in (None, c)
        )

    @property
    def errors(self) -> int:
        return sum(not r.ok for r in self.records)

    @property
    def rss(self) -> tuple[float, float]:
        values = [s.rss_mb for s in self.samples if not math.isnan(s.rss_mb)]
        return (min(values), max(values)) if values else (math.nan, math.nan)

    @property
    def cpu_percent(self) -> float:
        if len(self.samples) < 2:
            return math.nan
        first, last = self.samples[0], self.samples[-1]
        return 100 * (last.cpu_seconds - first.cpu_seconds) / (last.at - first.at)


def intervals(result: Soak, length: float, seconds: float) -> list[Interval]:
    start = result.records[0].scheduled
    count = max(1, math.ceil(seconds / length - 1e-9))
    rows = [
        Interval(k + 1, start + k * length, start + min((k + 1) * length, seconds))
        for k in range(count)
    ]

    def row_of(at: float) -> Interval | None:
        k = math.floor((at - start) / length)
        return rows[k] if 0 <= k < count and at < rows[k].end else None

    for record, channel in zip(result.records, result.channels, strict=True):
        row = row_of(record.scheduled)
        if row is None:  # the last message of a --seconds not a multiple of 1/rate
            row = rows[-1]
        row.records.append(record)
        row.channels.append(channel)
    for sample in result.samples:
        if (row := row_of(sample.at)) is not None:
            row.samples.append(sample)
    for at, _ in result.broadcast:
        if (row := row_of(at)) is not None:
            row.broadcast += 1
    return rows


def table(rows: Sequence[Interval], unit: str) -> list[str]:
    lines = [
        f"| {unit} | sent | replied | p50 ms | p95 ms | p99 ms | p99 SMS | p99 Telegram "
        "| errors | server RSS MB (min–max) | server CPU % | broadcast delivered |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        latencies = row.latencies()
        low, high = row.rss
        lines.append(
            f"| {row.number} | {len(row.records):,} | {len(latencies):,} | "
            f"{_ms(percentile(latencies, 0.5))} | {_ms(percentile(latencies, 0.95))} | "
            f"{_ms(percentile(latencies, 0.99))} | "
            f"{_ms(percentile(row.latencies('SMS'), 0.99))} | "
            f"{_ms(percentile(row.latencies('Telegram'), 0.99))} | {row.errors} | "
            f"{_mb(low)}–{_mb(high)} | {_ms(row.cpu_percent)} | {row.broadcast:,} |"
        )
    return lines


def summary(options: Options, result: Soak, rows: Sequence[Interval], unit: str) -> list[str]:
    records = result.records
    failed = [r for r in records if not r.ok]
    statuses = Counter(r.status for r in failed if not 200 <= r.status < 300)
    missing = sum(1 for r in failed if 200 <= r.status < 300)
    everything = Interval(0, rows[0].start, rows[-1].end, records, result.channels)
    latencies = everything.latencies()
    lines = [
        f"- messages: {len(records):,} sent, {len(latencies):,} replied "
        f"({result.extra_replies:,} further replies: turns of 2+ messages); "
        f"p50/p95/p99/max {_ms(percentile(latencies, 0.5))}/"
        f"{_ms(percentile(latencies, 0.95))}/{_ms(percentile(latencies, 0.99))}/"
        f"{_ms(latencies[-1] if latencies else math.nan)} ms",
        f"- errors: {len(failed)} (must be 0): HTTP {dict(statuses) or '{}'} (0 = request "
        f"failed), {missing} replies missing {options.drain:g} s after the last message",
    ]
    first, last = rows[0], rows[-1]
    lines.append(
        f"- p99 in the first {unit} vs the last ({unit} {last.number}): "
        f"{_ms(percentile(first.latencies(), 0.99))} ms vs "
        f"{_ms(percentile(last.latencies(), 0.99))} ms"
    )
    if len(rows) >= 3:
        # A cache filling up grows early and levels off; a leak keeps its pace to the end,
        # so the verdict is on the second half, after the bot's bounded caches have filled.
        second = rows[1]
        lines.append(
            f"- server RSS from {unit} 2 to {unit} {last.number}: max {_mb(second.rss[1])} → "
            f"{_mb(last.rss[1])} MB ({last.rss[1] - second.rss[1]:+.1f}), min "
            f"{_mb(second.rss[0])} → {_mb(last.rss[0])} MB ({last.rss[0] - second.rss[0]:+.1f})"
        )
        middle = rows[len(rows) // 2 - 1]
        growth = max(last.rss[0] - middle.rss[0], last.rss[1] - middle.rss[1])
        per_unit = growth / (last.number - middle.number)
        lines.append(
            f"- server RSS over the second half ({unit} {middle.number} to {last.number}): "
            f"max {_mb(middle.rss[1])} → {_mb(last.rss[1])} MB, min {_mb(middle.rss[0])} → "
            f"{_mb(last.rss[0])} MB, {growth:+.1f} MB ({per_unit:+.2f} a {unit}): "
            + ("flat" if growth <= FLAT_MB else f"GROWING (more than {FLAT_MB:g} MB)")
        )
    else:
        lines.append(f"- server RSS growth: needs 3 {unit}s or more (a shorter --interval)")
    peak = max((s.rss_mb for s in result.samples if not math.isnan(s.rss_mb)), default=math.nan)
    lines.append(f"- server RSS peak: {_mb(peak)} MB")
    lines.extend(broadcast_lines(options, result, last.end))
    lines.append(
        f"- CPU over the soak, % of one core: {result.cpu.describe()}"
        + (
            f"; the load generator sent up to {1000 * result.worst_send_lag:.0f} ms late"
            if result.worst_send_lag > 0.005
            else ""
        )
    )
    stopped = "0 (clean)" if result.exit_code == 0 else f"{result.exit_code} (NOT clean)"
    lines.append(
        f"- server: exit status after SIGTERM {stopped}; log: {len(result.log_errors)} "
        f"error lines, {result.flood_warnings} flood-limit warnings"
    )
    lines.extend(f"    {line[:300]}" for line in result.log_errors[:10])
    return lines


def broadcast_lines(options: Options, result: Soak, soak_end: float) -> list[str]:
    if not options.broadcast_recipients:
        return ["- broadcast: none (--broadcast-recipients 0: the baseline)"]
    counts = Counter(chat for _, chat in result.broadcast)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    soak_start = result.records[0].scheduled
    during = [at for at, _ in result.broadcast if soak_start <= at < soak_end]
    last_arrival = result.broadcast[-1][0] if result.broadcast else math.nan
    running = last_arrival >= soak_end - 2.0
    lines = [
        f"- broadcast: {len(counts):,} of {options.broadcast_recipients:,} recipients reached "
        f"({len(result.broadcast):,} messages, from {result.broadcast_started - soak_start:+.1f} s"
        f" to {last_arrival - soak_start:+.1f} s of the soak), "
        f"{len(during) / (soak_end - soak_start):.1f}/s during it; "
        + (
            "still sending at the end (ran throughout)"
            if running
            else "finished before the end: raise --broadcast-recipients"
        ),
        f"- broadcast duplicates: {duplicates} (must be 0); 429s from the fake Telegram: "
        f"{len(result.refused)} (limit {options.telegram_limit}/s)",
    ]
    progress = result.progress
    if progress is not None:
        lines.append(
            f"- broadcast in the outbox after the server stopped: {progress.status.value}, "
            f"sent {progress.sent:,}, delivered {progress.delivered:,}, failed "
            f"{progress.failed:,}, opted out {progress.opted_out:,}, queued {progress.queued:,}, "
            f"sending {progress.sending:,}"
        )
    return lines


def describe_setup(options: Options) -> list[str]:
    database = (
        "PostgreSQL (fresh database, 127.0.0.1)"
        if options.postgres
        else f"SQLite {sqlite3.sqlite_version} (fresh file)"
    )
    per_sender = options.senders / options.rate
    return [
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}; other processes used {options.busy_before:.0f}% of a core "
        "just before",
        f"server: `main.py serve`, one process, on {database}; fakes and load generator in "
        "processes of their own",
        f"traffic: {options.rate:g} msg/s for {options.seconds:g} s, open loop, SMS and "
        f"Telegram alternately, en/es/ar; {options.senders:,} senders "
        f"({options.senders // 2:,} numbers, {options.senders - options.senders // 2:,} chats),"
        f" each writing every {per_sender:.0f} s",
        f"broadcast: {options.broadcast_recipients:,} Telegram subscribers; Telegram limit "
        f"{options.telegram_limit}/s (bot and fake), shared with the replies",
    ]


def report(options: Options, result: Soak, command: str) -> bool:
    """Print the table and the summary; True when the soak passed."""
    unit = "minute" if options.interval == 60 else f"{options.interval:g}-s interval"
    rows = intervals(result, options.interval, options.seconds)
    print()
    print("\n".join(describe_setup(options)))
    print(
        f"\n### Per {unit}: latency from the scheduled send time to the first reply at the fake\n"
    )
    print("\n".join(table(rows, unit)))
    print("\nSummary:")
    print("\n".join(summary(options, result, rows, unit)))
    print(f"\ncommand: {command}")
    duplicates = len(result.broadcast) - len({chat for _, chat in result.broadcast})
    errors = sum(not r.ok for r in result.records)
    return errors == 0 and duplicates == 0 and result.exit_code == 0


# -- main -------------------------------------------------------------------------------------


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="inbound msg/s")
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the soak")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per table row")
    parser.add_argument(
        "--senders",
        type=int,
        default=6000,
        help="distinct people, half phone numbers and half chat ids (default 6,000)",
    )
    parser.add_argument(
        "--broadcast-recipients", type=int, default=20_000, help="0: no broadcast (a baseline)"
    )
    parser.add_argument(
        "--broadcast-rate",
        type=float,
        default=30.0,
        help="Telegram msg/s left for the broadcast beside the replies (default 30)",
    )
    parser.add_argument(
        "--telegram-limit",
        type=int,
        help="TELEGRAM_MESSAGES_PER_SECOND of the bot and the fake's 429 limit "
        "(default: the Telegram replies' rate + --broadcast-rate)",
    )
    parser.add_argument("--drain", type=float, default=10.0, help="wait for late replies")
    parser.add_argument("--postgres", action="store_true", help="server on PostgreSQL")
    parser.add_argument("--logs", type=Path, help="keep the server's log and database here")
    parser.add_argument(
        "--trace-memory",
        type=Path,
        help="save the server's live objects by type per --interval in this folder "
        "(bench/traced.py; compare two with bench/heap_diff.py)",
    )
    parser.add_argument(
        "--trace-frames",
        type=int,
        default=0,
        help="with --trace-memory, also tracemalloc snapshots with this many frames "
        "(slow: run at a fraction of the rate; latencies then are not the bot's)",
    )
    args = parser.parse_args(argv)
    if args.senders < 2 or args.senders % 2:
        parser.error("--senders must be even: half numbers, half chats")
    per_minute = 60 * args.rate / args.senders
    if per_minute > 5:
        parser.error(
            f"each sender would write {per_minute:.1f} times a minute; the bot's flood limit "
            "answers only 10, so keep it at 5 or fewer: raise --senders"
        )
    # Each of these texts gets one reply (the summary counts any further ones).
    limit = args.telegram_limit or math.ceil(args.rate / 2 + args.broadcast_rate)
    return Options(
        rate=args.rate,
        seconds=args.seconds,
        interval=args.interval,
        senders=args.senders,
        broadcast_recipients=args.broadcast_recipients,
        broadcast_rate=args.broadcast_rate,
        telegram_limit=limit,
        drain=args.drain,
        postgres=args.postgres,
        logs=args.logs,
        trace_memory=args.trace_memory.resolve() if args.trace_memory else None,
        trace_frames=args.trace_frames,
    )


def main() -> None:
    options = parse_options(sys.argv[1:])
    command = shown_command(sys.argv)
    options.busy_before = machine_busy()
    if options.busy_before > 25:
        print(
            f"warning: other processes keep {options.busy_before:.0f}% of a core busy; "
            "latency and CPU figures will be worse than on a quiet machine",
            flush=True,
        )
    passed = False
    try:
        with contextlib.ExitStack() as stack:
            if options.logs is None:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
            else:
                folder = options.logs.absolute()
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "bench.db").unlink(missing_ok=True)
            result = asyncio.run(run(options, folder))
            passed = report(options, result, command)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: the server and the fakes were stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        kill_leftovers()
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
