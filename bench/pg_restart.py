"""PostgreSQL restarted in the middle of a broadcast (issue 6): nothing lost, nothing doubled.

Runs on a throwaway PostgreSQL cluster of its own (default 15/chaos on port 5433, created
with `pg_createcluster … -- --auth=trust` when missing, dropped at the end unless
`--keep-cluster`), never on the shared one: restarting that would break everyone's tests.
Needs root (pg_createcluster, pg_ctlcluster) and the fakes on 127.0.0.1 only.

1. `--recipients` subscribers are seeded (one in `--sms-every` by SMS, the rest Telegram,
   in a time zone where it is afternoon: no quiet hours), and a broadcast to all of them is
   sent by a real `python main.py worker` (Telegram 30/s, SMS `--sms-rate` segments/s) to
   the fake Telegram and the fake Twilio, each in a process of its own. Beside it runs
   `python main.py serve --no-workers` (the webhooks, a web-only replica) on the same
   database.
2. At `--restarts` points of the broadcast's progress (30% and 60% for two) the cluster is
   restarted with `pg_ctlcluster --skip-systemctl-redirect -m MODE … restart`, or, with
   `--down-seconds`, stopped, left down that long and started (a longer outage). Just
   before, the outbox rows claimed but not settled (`sending`) are counted: what a restart
   may rightly send twice. Around it, a probe connects every 0.1 s (how long the database
   was down), and Telegram updates and inbound SMS are posted to `serve` every 0.5 s, with
   /healthz, each waited for up to 15 s as Twilio does. A Telegram update answered other
   than 200 is posted again afterwards, as Telegram does; an SMS is not (Twilio calls its
   fallback URL, not the same one again), so `serve` holds it while the database is away.
3. Reported: messages accepted by the fakes, recipients who got nothing, duplicates (and
   the in-flight bound), the pause in sending around each restart, the time to finish,
   whether both processes stayed up (and exited 0 on SIGTERM), the outbox's final state,
   the webhooks' answers, the replies each inbound message got, and the ERROR/WARNING
   lines of both logs, grouped.

    .venv/bin/python bench/pg_restart.py                         # ~3 minutes
    .venv/bin/python bench/pg_restart.py --mode immediate
    .venv/bin/python bench/pg_restart.py --down-seconds 8        # stop, 8 s down, start
    .venv/bin/python bench/pg_restart.py --recipients 600 --keep-cluster --keep
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import signal
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery import (
    CHAT_BASE,
    REPO,
    TOKEN,
    Population,
    create_and_send,
    daytime_zone,
    prepared,
    progress_of,
    run_in_folder,
    seed,
    settings_for,
    stop_process,
    tail,
    utc_now,
)
from fake_providers import FakeTelegramProcess, FakeTwilioProcess

from bot.broadcasts import BroadcastStatus, Progress
from tests.support.fake_telegram import text_update
from tests.support.fake_twilio import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    inbound_sms_params,
    signed_form_request,
)

SECRET = "chaos-webhook-secret"
BOT_NUMBER = "+15550001111"
# Who writes to the bot during the outages: their own chat ids and numbers, apart from the
# subscribers', so their replies can be told from the broadcast.
PROBE_CHAT_BASE = 900_000_000
PROBE_PHONE_PREFIX = "+1999"
TELEGRAM_RATE = 30.0
# How long Twilio waits for a webhook's answer (its read time-out).
TWILIO_WAITS = 15.0


def phone(number: int) -> str:
    """The seeded SMS contact n's number, as `delivery.seed` writes it."""
    return f"+1555{number:07d}"


# -- the throwaway cluster -------------------------------------------------------------------


async def run(*command: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


async def must(*command: str) -> str:
    code, output = await run(*command)
    if code:
        raise RuntimeError(f"{' '.join(command)} exited with {code}:\n{output}")
    return output


@dataclass(frozen=True)
class Cluster:
    version: str
    name: str
    port: int

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *action: str) -> tuple[str, ...]:
        # --skip-systemctl-redirect: act on this cluster directly, as root, not via systemd.
        return ("pg_ctlcluster", "--skip-systemctl-redirect", *action[:-1], self.version,
                self.name, action[-1])  # fmt: skip

    async def status(self) -> tuple[int, str] | None:
        """(port, status) of the cluster, or None when it does not exist."""
        for line in (await must("pg_lsclusters", "--no-header")).splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[0] == self.version and fields[1] == self.name:
                return int(fields[2]), fields[3]
        return None

    async def ensure_running(self) -> bool:
        """Create the cluster (trust auth, not started at boot) if missing, and start it;
        returns whether it was created here."""
        found = await self.status()
        created = found is None
        if created:
            await must(
                "pg_createcluster", self.version, self.name, "--port", str(self.port),
                "--start-conf", "manual", "--", "--auth=trust",
            )  # fmt: skip
            found = await self.status()
        assert found is not None
        port, status = found
        if port != self.port:
            raise SystemExit(
                f"cluster {self.version}/{self.name} listens on {port}, not {self.port}"
            )
        if status != "online":
            await must(*self.ctl("start"))
        return created

    async def restart(self, mode: str, down_seconds: float) -> None:
        if down_seconds <= 0:
            await must(*self.ctl("-m", mode, "restart"))
            return
        await must(*self.ctl("-m", mode, "stop"))
        await asyncio.sleep(down_seconds)
        await must(*self.ctl("start"))

    async def drop(self) -> None:
        await must("pg_dropcluster", "--stop", self.version, self.name)


@contextlib.asynccontextmanager
async def database(cluster: Cluster, keep: bool) -> AsyncIterator[str]:
    name = f"chaos_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(cluster.admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{cluster.port}/{name}"
    finally:
        if not keep:
            admin = await asyncpg.connect(cluster.admin_dsn)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


# -- the bot's processes ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(url: str, telegram: str, twilio: str, sms_rate: float, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("TELEGRAM_", "TWILIO_", "DATABASE_", "PUBLIC_BASE_URL", "HOST", "PORT")
        )
    }
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_MESSAGES_PER_SECOND=repr(TELEGRAM_RATE),
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        TWILIO_FROM_NUMBER=BOT_NUMBER,
        TWILIO_API_BASE_URL=twilio,
        TWILIO_MESSAGES_PER_SECOND=repr(sms_rate),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    return env


@contextlib.asynccontextmanager
async def bot_process(
    command: Sequence[str], env: dict[str, str], folder: Path, log: Path, ready: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python main.py COMMAND…` until `ready` is in its log; SIGTERM (then SIGKILL) after."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(REPO / "main.py"), *command, cwd=folder, env=env,
            stdout=output, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while ready not in log.read_text(errors="replace"):  # noqa: ASYNC240 - a small file
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(command)} did not start:\n{tail(log)}")
            await asyncio.sleep(0.1)
        yield process
    finally:
        await stop_process(process)


async def wait_healthy(session: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise RuntimeError("serve never answered /healthz with 200")


# -- what happens around one restart ---------------------------------------------------------


@dataclass
class Post:
    """One webhook call to `serve`: what it was, when, and every answer it got."""

    kind: str  # "telegram", "sms" or "healthz"
    at: float
    key: str = ""  # the chat id or number that wrote
    update: dict[str, object] | None = None
    answers: list[str] = field(default_factory=list)  # HTTP status, or an exception's name

    @property
    def first(self) -> str:
        return self.answers[0] if self.answers else "none"

    @property
    def accepted(self) -> bool:
        return any(a.startswith("2") for a in self.answers)


@dataclass
class Outage:
    number: int
    fraction: float  # of the recipients' messages arrived, when it is due
    arrived: int = 0  # messages arrived when it began
    in_flight: int = 0  # outbox rows `sending` just before the restart
    started: float = 0.0  # time.time() when the restart command began
    command_seconds: float = 0.0
    down_from: float | None = None
    down_until: float | None = None
    posts: list[Post] = field(default_factory=list)
    pause: float = 0.0  # the longest gap between two arrivals at the fakes around it
    redelivery: asyncio.Task[None] | None = None  # Telegram posting refused updates again

    @property
    def down_seconds(self) -> float:
        if self.down_from is None or self.down_until is None:
            return 0.0
        return self.down_until - self.down_from


async def count_sending(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE status='sending'"))
    finally:
        await connection.close()


async def probe_database(dsn: str, outage: Outage, stop: asyncio.Event) -> None:
    """Connect every 0.1 s: the outage is from the first failure to the next success."""
    while not stop.is_set():
        try:
            connection = await asyncpg.connect(dsn, timeout=1.0)
            try:
                await connection.fetchval("SELECT 1")
            finally:
                await connection.close()
            if outage.down_from is not None and outage.down_until is None:
                outage.down_until = time.time()
        except (OSError, asyncpg.PostgresError, TimeoutError, asyncpg.InterfaceError):
            if outage.down_from is None:
                outage.down_from = time.time()
        await asyncio.sleep(0.1)


class Prober:
    """Posts Telegram updates and inbound SMS to `serve` as the providers would."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self._session = session
        self._base = base
        self._update_id = 1_000
        self._writer = 0

    async def telegram(self, post: Post | None = None) -> Post:
        if post is None:
            self._update_id += 1
            self._writer += 1
            chat = PROBE_CHAT_BASE + self._writer
            post = Post(
                "telegram", time.time(), str(chat), text_update(self._update_id, chat, "hi")
            )
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        post.answers.append(
            await self._answer(
                self._session.post(
                    f"{self._base}/webhooks/telegram", json=post.update, headers=headers
                )
            )
        )
        return post

    async def sms(self) -> Post:
        self._writer += 1
        number = f"{PROBE_PHONE_PREFIX}{self._writer:07d}"
        post = Post("sms", time.time(), number)
        url = f"{self._base}/webhooks/twilio/sms"
        headers, body = signed_form_request(
            TEST_AUTH_TOKEN, url, inbound_sms_params(number, "hi", to=BOT_NUMBER)
        )
        post.answers.append(await self._answer(self._session.post(url, data=body, headers=headers)))
        return post

    async def health(self) -> Post:
        post = Post("healthz", time.time())
        post.answers.append(await self._answer(self._session.get(f"{self._base}/healthz")))
        return post

    @staticmethod
    async def _answer(request: object) -> str:
        try:
            async with request as response:  # type: ignore[attr-defined]
                await response.read()
                return str(response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            return type(error).__name__


async def probe_webhooks(prober: Prober, outage: Outage, stop: asyncio.Event) -> None:
    """Every 0.5 s, whatever the earlier posts are waiting for (an SMS webhook holds its
    request while the database is away), as the providers keep posting regardless."""
    rounds: list[asyncio.Future[list[Post]]] = []
    while not stop.is_set():
        rounds.append(asyncio.gather(prober.telegram(), prober.sms(), prober.health()))
        await asyncio.sleep(0.5)
    for posts in await asyncio.gather(*rounds):
        outage.posts.extend(posts)


async def restart_during(
    cluster: Cluster, dsn: str, prober: Prober, outage: Outage, mode: str, down: float
) -> None:
    outage.in_flight = await count_sending(dsn)
    stop = asyncio.Event()
    watchers = [
        asyncio.create_task(probe_database(dsn, outage, stop)),
        asyncio.create_task(probe_webhooks(prober, outage, stop)),
    ]
    try:
        await asyncio.sleep(1.0)
        outage.started = time.time()
        await cluster.restart(mode, down)
        outage.command_seconds = time.time() - outage.started
        # Until the database answers again, then a few seconds of the server answering.
        deadline = time.monotonic() + 60
        while outage.down_until is None and time.monotonic() < deadline:
            if (
                outage.down_from is None
                and time.time() - outage.started > outage.command_seconds + 2
            ):
                break  # the probe never saw it down (a very quick restart)
            await asyncio.sleep(0.1)
        await asyncio.sleep(3.0)
    finally:
        stop.set()
        await asyncio.gather(*watchers)
    # Telegram posts an update again until it gets a 200; Twilio does not.
    refused = [p for p in outage.posts if p.kind == "telegram" and not p.accepted]
    outage.redelivery = asyncio.create_task(redeliver(prober, refused))


async def redeliver(prober: Prober, posts: list[Post]) -> None:
    """Post each refused update again, a second apart, as Telegram would, until a 200."""
    for _ in range(10):
        posts = [p for p in posts if not p.accepted]
        if not posts:
            return
        await asyncio.sleep(1.0)
        await asyncio.gather(*(prober.telegram(p) for p in posts))


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Result:
    telegram_recipients: int
    sms_recipients: int
    outages: list[Outage]
    telegram_arrivals: list[tuple[float, int]] = field(default_factory=list)
    sms_arrivals: list[tuple[float, str]] = field(default_factory=list)
    progress: Progress | None = None
    broadcast_started: float = 0.0
    worker_alive: bool = False
    serve_alive: bool = False
    worker_exit: int | None = None
    serve_exit: int | None = None
    worker_log: str = ""
    serve_log: str = ""
    outbox_states: dict[str, int] = field(default_factory=dict)
    stuck: list[str] = field(default_factory=list)


async def outbox_summary(dsn: str) -> tuple[dict[str, int], list[str]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT kind, status, count(*) AS n FROM outbox GROUP BY kind, status ORDER BY 1, 2"
        )
        stuck = await connection.fetch(
            "SELECT id, channel, address, status, attempts, last_error FROM outbox "
            "WHERE status NOT IN ('sent', 'delivered') ORDER BY id LIMIT 20"
        )
    finally:
        await connection.close()
    states = {f"{r['kind']} {r['status']}": int(r["n"]) for r in rows}
    return states, [
        f"#{r['id']} {r['channel']} {r['address']} {r['status']} ×{r['attempts']} {r['last_error']}"
        for r in stuck
    ]


async def wait_until_settled(
    engine_url: str,
    broadcast_id: int,
    telegram: FakeTelegramProcess,
    twilio: FakeTwilioProcess,
    expected: int,
    stall_seconds: float,
) -> Progress:
    """Until nothing of the broadcast is queued or in flight, all arrived and the broadcast
    is closed, or no change for `stall_seconds` (rows stuck in `sending` would wait 5
    minutes for the reaper)."""
    engine = await prepared(engine_url)
    try:
        last, changed = None, time.monotonic()
        while True:
            progress = await progress_of(engine, broadcast_id)
            arrived = (await telegram.count())[0] + (await twilio.count())[0]
            now = (progress.queued, progress.sending, arrived)
            settled = not progress.queued and not progress.sending and arrived >= expected
            if settled and progress.status is not BroadcastStatus.SENDING:
                return progress  # the scheduler closed it (it looks every 5 s)
            if now != last:
                last, changed = now, time.monotonic()
            elif time.monotonic() - changed > stall_seconds:
                print(f"  no progress for {stall_seconds:.0f} s: stopping the wait", flush=True)
                return progress
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


async def chaos(args: argparse.Namespace, cluster: Cluster, folder: Path) -> Result:
    recipients = args.recipients
    sms = recipients // args.sms_every if args.sms_every else 0
    fractions = [0.9 * (i + 1) / (args.restarts + 1) for i in range(args.restarts)]
    result = Result(recipients - sms, sms, [Outage(i + 1, f) for i, f in enumerate(fractions)])
    async with database(cluster, args.keep_cluster) as url:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        engine = await prepared(url)
        try:
            zone = daytime_zone(utc_now())
            await seed(engine, Population(1, recipients, (zone,), sms_every=args.sms_every))
        finally:
            await engine.dispose()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        async with (
            FakeTelegramProcess(TOKEN) as telegram,
            FakeTwilioProcess() as twilio,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TWILIO_WAITS)) as session,
        ):
            env = bot_env(url, telegram.base_url, twilio.base_url, args.sms_rate, port)
            async with (
                bot_process(["worker"], env, folder, folder / "worker.log", "worker running")
                as worker,
                bot_process(["serve", "--no-workers"], env, folder, folder / "serve.log",
                            "serving on") as server,
            ):  # fmt: skip
                await wait_healthy(session, base)
                engine = await prepared(url)
                try:
                    result.broadcast_started = time.time()
                    broadcast_id, _ = await create_and_send(engine, settings_for(url))
                finally:
                    await engine.dispose()
                print(f"broadcast {broadcast_id} sent to {recipients:,} recipients", flush=True)
                prober = Prober(session, base)
                for outage in result.outages:
                    while True:
                        arrived = (await telegram.count())[0] + (await twilio.count())[0]
                        if arrived >= outage.fraction * recipients:
                            break
                        if worker.returncode is not None:
                            raise RuntimeError(f"the worker exited:\n{tail(folder / 'worker.log')}")
                        await asyncio.sleep(0.2)
                    outage.arrived = arrived
                    print(
                        f"restart {outage.number} at {arrived:,} arrivals "
                        f"({100 * arrived / recipients:.0f}%)…",
                        flush=True,
                    )
                    await restart_during(cluster, dsn, prober, outage, args.mode, args.down_seconds)
                    print(
                        f"  database down {outage.down_seconds:.2f} s, command "
                        f"{outage.command_seconds:.1f} s, {outage.in_flight} in flight",
                        flush=True,
                    )
                for outage in result.outages:
                    if outage.redelivery is not None:
                        await outage.redelivery
                result.progress = await wait_until_settled(
                    url, broadcast_id, telegram, twilio, recipients, args.stall_seconds
                )
                await asyncio.sleep(2.0)  # replies to the probes, anything sent twice
                result.worker_alive = worker.returncode is None
                result.serve_alive = server.returncode is None
                await stop_process(worker)
                await stop_process(server)
                result.worker_exit, result.serve_exit = worker.returncode, server.returncode
            result.telegram_arrivals, _ = await telegram.take()
            result.sms_arrivals, _ = await twilio.take()
        result.outbox_states, result.stuck = await outbox_summary(dsn)
    result.worker_log = (folder / "worker.log").read_text(errors="replace")
    result.serve_log = (folder / "serve.log").read_text(errors="replace")
    return result


# -- report ----------------------------------------------------------------------------------


_LOG_LINE = re.compile(r"^\S+ \S+ (ERROR|WARNING|CRITICAL) (\S+): (.*)$")


def log_problems(text: str) -> tuple[Counter[str], int]:
    """ERROR/WARNING lines grouped by logger and message (numbers and ids blanked), and the
    number of tracebacks."""
    grouped: Counter[str] = Counter()
    for line in text.splitlines():
        match = _LOG_LINE.match(line)
        if match:
            message = re.sub(r"\d+(\.\d+)?", "N", match.group(3))[:110]
            grouped[f"{match.group(1)} {match.group(2)}: {message}"] += 1
    return grouped, text.count("Traceback (most recent call last)")


def longest_gap(times: Sequence[float], start: float, end: float) -> float:
    """The longest stretch without an arrival between `start` and `end`."""
    inside = [start, *(t for t in times if start < t < end), end]
    return max(b - a for a, b in itertools.pairwise(inside))


def report(result: Result, args: argparse.Namespace) -> str:
    lines: list[str] = []
    out = lines.append
    tg = Counter(chat for _, chat in result.telegram_arrivals if chat < PROBE_CHAT_BASE)
    sm = Counter(n for _, n in result.sms_arrivals if not n.startswith(PROBE_PHONE_PREFIX))
    expected_tg = {
        CHAT_BASE + n for n in range(1, args.recipients + 1) if not _is_sms(n, args.sms_every)
    }
    expected_sms = {phone(n) for n in range(1, args.recipients + 1) if _is_sms(n, args.sms_every)}
    lost_tg, lost_sms = expected_tg - tg.keys(), expected_sms - sm.keys()
    dup_tg = sum(n - 1 for n in tg.values() if n > 1)
    dup_sms = sum(n - 1 for n in sm.values() if n > 1)
    in_flight = sum(o.in_flight for o in result.outages)
    times = sorted([t for t, _ in result.telegram_arrivals] + [t for t, _ in result.sms_arrivals])
    for outage in result.outages:
        if times and outage.started:
            end = min(outage.started + 30, times[-1])
            outage.pause = longest_gap(times, outage.started - 1, end)
    finish = (times[-1] - result.broadcast_started) if times else float("nan")
    ideal = max(len(expected_tg) / TELEGRAM_RATE, 2 * len(expected_sms) / args.sms_rate)
    restart = (
        f"pg_ctlcluster -m {args.mode} restart"
        if args.down_seconds <= 0
        else f"pg_ctlcluster -m {args.mode} stop, {args.down_seconds:g} s down, start"
    )
    out(f"## PostgreSQL restarted mid-broadcast ({restart}, {args.cluster} on port {args.port})")
    out("")
    out("| what | figure |")
    out("| --- | --- |")
    out(
        f"| recipients | {args.recipients:,} ({len(expected_tg):,} Telegram, "
        f"{len(expected_sms):,} SMS) |"
    )
    out(
        f"| messages accepted by the fakes | {sum(tg.values()):,} Telegram, "
        f"{sum(sm.values()):,} SMS |"
    )
    out(f"| lost (recipients who got nothing) | {len(lost_tg) + len(lost_sms)} |")
    out(
        f"| duplicates | {dup_tg + dup_sms} (bound: {in_flight} rows in flight at the restarts, "
        f"batch {_batch_text(args)}) |"
    )
    out(f"| restarts | {len(result.outages)} |")
    for o in result.outages:
        out(
            f"| restart {o.number} (at {100 * o.arrived / args.recipients:.0f}%) | database down "
            f"{o.down_seconds:.2f} s (command {o.command_seconds:.1f} s), sending paused "
            f"{o.pause:.1f} s, {o.in_flight} in flight |"
        )
    out(f"| time to finish | {finish:.1f} s (ideal at the rate limits: {ideal:.0f} s) |")
    out(
        f"| worker stayed up | {'yes' if result.worker_alive else '**no**'} "
        f"(exit {result.worker_exit} on SIGTERM) |"
    )
    out(
        f"| serve stayed up | {'yes' if result.serve_alive else '**no**'} "
        f"(exit {result.serve_exit} on SIGTERM) |"
    )
    if result.progress is not None:
        p = result.progress
        out(
            f"| broadcast at the end | {p.status.value}: sent {p.sent:,}, failed {p.failed}, "
            f"queued {p.queued}, sending {p.sending} |"
        )
    out(f"| outbox | {', '.join(f'{k}: {v:,}' for k, v in result.outbox_states.items())} |")
    out("")
    out("Webhooks posted to `serve` around the restarts (first answer → after Telegram's retries):")
    out("")
    out("| restart | kind | posted | first answers | accepted in the end | replies per writer |")
    out("| --- | --- | --- | --- | --- | --- |")
    replies = Counter(
        [str(c) for _, c in result.telegram_arrivals if c >= PROBE_CHAT_BASE]
        + [n for _, n in result.sms_arrivals if n.startswith(PROBE_PHONE_PREFIX)]
    )
    for o in result.outages:
        for kind in ("telegram", "sms", "healthz"):
            posts = [p for p in o.posts if p.kind == kind]
            firsts = Counter(p.first for p in posts)
            accepted = sum(p.accepted for p in posts)
            got = Counter(replies.get(p.key, 0) for p in posts if p.accepted)
            per_writer = (
                ", ".join(
                    f"{c} got {n} repl{'y' if n == 1 else 'ies'}" for n, c in sorted(got.items())
                )
                if kind != "healthz"
                else ""
            )
            out(
                f"| {o.number} | {kind} | {len(posts)} | "
                f"{', '.join(f'{a}×{n}' for a, n in sorted(firsts.items()))} | "
                f"{accepted} | {per_writer} |"
            )
    for name, text in (("worker", result.worker_log), ("serve", result.serve_log)):
        grouped, tracebacks = log_problems(text)
        out("")
        out(f"{name} log: {sum(grouped.values())} ERROR/WARNING lines, {tracebacks} tracebacks")
        for message, n in grouped.most_common(12):
            out(f"    {n:4d} × {message}")
    if lost_tg or lost_sms:
        out("")
        out(f"lost: {sorted(lost_tg)[:10]} {sorted(lost_sms)[:10]}")
    if result.stuck:
        out("")
        out("outbox rows not sent:")
        out("\n".join(f"    {s}" for s in result.stuck))
    return "\n".join(lines)


def _is_sms(number: int, sms_every: int) -> bool:
    return bool(sms_every) and number % sms_every == 0


def _batch_text(args: argparse.Namespace) -> str:
    return f"{max(5, int(TELEGRAM_RATE * 0.5))} Telegram / {max(5, int(args.sms_rate * 0.5))} SMS"


# -- main ------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    version, _, name = args.cluster.partition("/")
    if not name or (name == "main" or args.port == 5432):
        raise SystemExit("refusing to restart a shared cluster: give a throwaway --cluster/--port")
    cluster = Cluster(version, name, args.port)
    created = await cluster.ensure_running()
    print(f"cluster {args.cluster} on port {args.port} {'created' if created else 'reused'}")
    try:
        result = await chaos(args, cluster, folder)
    finally:
        if not args.keep_cluster:
            await cluster.drop()
            print(f"cluster {args.cluster} dropped")
    print("\n" + report(result, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="15/chaos", help="VERSION/NAME (default 15/chaos)")
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--recipients", type=int, default=3_000)
    parser.add_argument("--sms-every", type=int, default=10, help="one in N recipients by SMS")
    parser.add_argument("--sms-rate", type=float, default=10.0, help="SMS segments per second")
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--mode", choices=("fast", "immediate"), default="fast")
    parser.add_argument(
        "--down-seconds", type=float, default=0.0, help="stop, wait this long, start"
    )
    parser.add_argument(
        "--stall-seconds", type=float, default=60.0, help="give up after no progress this long"
    )
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    parser.add_argument("--keep", action="store_true", help="keep the folder with the logs")
    args = parser.parse_args()
    run_in_folder("bench-pg-restart-", args, main_async)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    main()
