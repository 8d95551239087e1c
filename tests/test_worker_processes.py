"""Real `worker` processes sending one broadcast: crashes, clean stops, several at once.

Each worker is `python main.py worker`, a child process with its own event loop and
database connections, talking to fake Telegram and Twilio servers run by this test. The
test plays the operator: it kills and restarts workers and then checks what the fakes
received against who should have received it. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select

from bot import broadcasts
from bot.broadcasts import Draft
from bot.config import Settings
from bot.messages import ChannelName
from bot.runtime import Runtime
from bot.store.tables import broadcasts as broadcast_rows
from bot.store.tables import contacts, leases, outbox, subscriptions
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123:ABC"
# A weekday morning in California, long past: every row is due at once and outside quiet
# hours, whatever the real clock says while the suite runs.
SENT_AT = datetime(2026, 1, 6, 18, 0, tzinfo=UTC)
SETTLED = ("sent", "delivered", "failed", "suppressed", "cancelled", "refused")


async def seed(runtime: Runtime, telegram: int, sms: int = 0) -> None:
    async with runtime.engine.begin() as connection:
        for table in (outbox, subscriptions, broadcast_rows, leases, contacts):
            await connection.execute(delete(table))
        people = [
            {"channel": ChannelName.TELEGRAM.value, "address": str(500_000 + i)}
            for i in range(telegram)
        ] + [{"channel": ChannelName.SMS.value, "address": f"+1555{i:07d}"} for i in range(sms)]
        await connection.execute(
            insert(contacts),
            [
                {
                    **person,
                    "locale": "en",
                    "locale_chosen": False,
                    "opted_out": False,
                    "state": {},
                    "created_at": SENT_AT,
                    "last_seen_at": SENT_AT,
                }
                for person in people
            ],
        )
        ids = (await connection.execute(select(contacts.c.id))).scalars().all()
        await connection.execute(
            insert(subscriptions),
            [{"contact_id": i, "topic_id": "*", "created_at": SENT_AT} for i in ids],
        )


async def send_broadcast(runtime: Runtime, settings: Settings) -> int:
    async with runtime.engine.begin() as connection:
        broadcast_id = await broadcasts.create(
            connection, Draft({"en": "Family night on Thursday!"}), SENT_AT
        )
        await broadcasts.send(connection, broadcast_id, settings, SENT_AT)
    return broadcast_id


async def count(runtime: Runtime, *statuses: str) -> int:
    async with runtime.engine.connect() as connection:
        found = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.status.in_(statuses))
        )
    return int(found or 0)


class Workers:
    """Starts `main.py worker` children against one database and the fakes."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self._env = env
        self._logs = logs
        self._started = 0
        self.running: list[asyncio.subprocess.Process] = []

    async def start(self) -> asyncio.subprocess.Process:
        self._started += 1
        log = (self._logs / f"worker-{self._started}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            "worker",
            env=self._env,
            cwd=self._logs,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
        log.close()
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert line.strip() == b"worker running", self._logs / f"worker-{self._started}.log"
        self.running.append(process)
        return process

    async def stop(self, process: asyncio.subprocess.Process, how: signal.Signals) -> int:
        process.send_signal(how)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        self.running.remove(process)
        return code

    async def close(self) -> None:
        for process in list(self.running):
            await self.stop(process, signal.SIGKILL)


@pytest.fixture
async def workers_for(
    tmp_path: Path,
) -> AsyncIterator[Callable[[dict[str, str]], Workers]]:
    made: list[Workers] = []

    def make(env: dict[str, str]) -> Workers:
        made.append(Workers({**os.environ, **env}, tmp_path))
        return made[-1]

    yield make
    for workers in made:
        await workers.close()


def env_for(database_url: str, telegram: FakeTelegram, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "SENDER_LEASE_SECONDS": "0.3",
        "PUBLIC_BASE_URL": "",
        **extra,
    }


async def until(condition: Callable[[], object], timeout: float, what: str) -> None:  # noqa: ASYNC109
    try:
        async with asyncio.timeout(timeout):
            while True:
                result = condition()
                if asyncio.iscoroutine(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(what) from None


async def test_a_broadcast_killed_twenty_times_misses_no_one_and_repeats_only_in_flight(
    runtime: Runtime,
    workers_for: Callable[[dict[str, str]], Workers],
    capsys: pytest.CaptureFixture[str],
) -> None:
    recipients = 10_000
    database_url = runtime.settings.database_url
    await seed(runtime, telegram=recipients)
    await send_broadcast(runtime, Settings(database_url=database_url))
    rng = random.Random(4)
    in_flight = 0
    async with FakeTelegram(token=TOKEN) as telegram:
        workers = workers_for(
            env_for(
                database_url,
                telegram,
                # Fast, yet slow enough that 20 kills fall inside the broadcast: an
                # unthrottled worker sends 10,000 in about 7 s.
                TELEGRAM_MESSAGES_PER_SECOND="1000",
                TELEGRAM_CHAT_MESSAGES_PER_SECOND="100",
            )
        )
        for _ in range(20):
            before = len(telegram.sent)
            worker = await workers.start()
            # Kill while it sends, not while it waits for the dead one's lease to lapse.
            await until(lambda b=before: len(telegram.sent) > b, 10, "the worker never sent")
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            assert await workers.stop(worker, signal.SIGKILL) == -signal.SIGKILL
            in_flight += await count(runtime, "sending")
        assert len(telegram.sent) < recipients, "the broadcast ended before the last kill"
        worker = await workers.start()

        async def finished() -> bool:
            return await count(runtime, *SETTLED) == recipients

        await until(finished, 120, "the broadcast did not finish after the restarts")
        assert await workers.stop(worker, signal.SIGTERM) == 0
    assert await count(runtime, "sent") == recipients
    received = Counter(message["chat_id"] for message in telegram.sent)
    assert set(received) == {500_000 + i for i in range(recipients)}
    duplicates = sum(received.values()) - len(received)
    assert duplicates <= in_flight
    assert telegram.too_many == 0
    with capsys.disabled():
        print(
            f"\n[crash test {runtime.engine.dialect.name}] {recipients} recipients, 20 SIGKILLs: "
            f"0 missed, {duplicates} duplicates, {in_flight} messages in flight at the kills"
        )


async def test_a_broadcast_stopped_cleanly_mid_way_sends_no_one_twice(
    runtime: Runtime, workers_for: Callable[[dict[str, str]], Workers]
) -> None:
    recipients = 2_000
    database_url = runtime.settings.database_url
    await seed(runtime, telegram=recipients)
    await send_broadcast(runtime, Settings(database_url=database_url))
    async with FakeTelegram(token=TOKEN) as telegram:
        workers = workers_for(
            env_for(
                database_url,
                telegram,
                TELEGRAM_MESSAGES_PER_SECOND="1000",
                TELEGRAM_CHAT_MESSAGES_PER_SECOND="100",
            )
        )
        for _ in range(3):
            before = len(telegram.sent)
            worker = await workers.start()
            await until(lambda b=before: len(telegram.sent) > b + 100, 10, "the worker never sent")
            assert await workers.stop(worker, signal.SIGTERM) == 0
            assert await count(runtime, "sending") == 0
        worker = await workers.start()

        async def finished() -> bool:
            return await count(runtime, *SETTLED) == recipients

        await until(finished, 60, "the broadcast did not finish")
        assert await workers.stop(worker, signal.SIGTERM) == 0
    received = Counter(message["chat_id"] for message in telegram.sent)
    assert len(received) == recipients
    assert max(received.values()) == 1


@pytest.mark.parametrize("processes", [2, 4])
async def test_several_workers_share_a_broadcast_exactly_once_under_the_channel_limits(
    runtime: Runtime,
    workers_for: Callable[[dict[str, str]], Workers],
    processes: int,
) -> None:
    telegram_people, sms_people = 300, 40
    database_url = runtime.settings.database_url
    await seed(runtime, telegram=telegram_people, sms=sms_people)
    await send_broadcast(runtime, Settings(database_url=database_url))
    async with (
        FakeTelegram(token=TOKEN, rate_limit_per_second=100) as telegram,
        FakeTwilio(segments_per_second=20) as twilio,
    ):
        workers = workers_for(
            env_for(
                database_url,
                telegram,
                # Long enough that the survivors cannot take over (and requeue) before
                # the test has counted what the dead one left in flight.
                SENDER_LEASE_SECONDS="2",
                # Headroom under the fakes' limits: the fakes count arrivals on this test's
                # event loop, which the test's own database reads hold up now and then, so
                # requests spaced evenly by the worker can be counted in bunches.
                TELEGRAM_MESSAGES_PER_SECOND="80",
                TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
                TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
                TWILIO_FROM_NUMBER="+15550001111",
                TWILIO_API_BASE_URL=twilio.base_url,
                TWILIO_MESSAGES_PER_SECOND="15",
            )
        )
        started = [await workers.start() for _ in range(processes)]
        # Half-way, the process sending on Telegram dies: another one takes over.
        await until(lambda: len(telegram.sent) > telegram_people // 2, 30, "no progress")
        holder = await lease_holder(runtime, "sender:telegram")
        victim = next(p for p in started if holder.endswith(f":{p.pid}"))
        await workers.stop(victim, signal.SIGKILL)
        in_flight = await count(runtime, "sending")

        async def finished() -> bool:
            return await count(runtime, *SETTLED) == telegram_people + sms_people

        await until(finished, 60, "the broadcast did not finish")
    to_telegram = Counter(message["chat_id"] for message in telegram.sent)
    to_sms = Counter(message["To"] for message in twilio.sent)
    assert len(to_telegram) == telegram_people
    assert len(to_sms) == sms_people
    # The dead process may have held both leases: what it had in flight on either channel
    # may go twice, nothing else.
    duplicates = sum(to_telegram.values()) + sum(to_sms.values()) - telegram_people - sms_people
    assert duplicates <= in_flight
    assert telegram.too_many == 0
    assert twilio.too_many == 0


async def lease_holder(runtime: Runtime, name: str) -> str:
    async with runtime.engine.connect() as connection:
        holder = await connection.scalar(select(leases.c.holder).where(leases.c.name == name))
    assert holder is not None
    return str(holder)
