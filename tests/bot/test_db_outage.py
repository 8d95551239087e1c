"""The database going away under the outbox loop and the scheduler (a restart, a fail-over).

The engine is wrapped so that its next transactions fail the way a restarting PostgreSQL
makes them fail (connection refused, "the database system is shutting down"), on both
databases; bench/pg_restart.py does the same with a real `pg_ctlcluster restart`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, cast

import pytest
from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import dispatcher as dispatcher_module
from bot.channels.base import OutcomeKind, SendOutcome
from bot.dispatcher import Dispatcher
from bot.messages import ChannelName, OutboundKind, OutboundMessage, Priority
from bot.metrics import Metrics
from bot.outbox import Status
from bot.pump import OutboxPump
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.store.tables import outbox
from tests.support.chat import RecordingChannel


def restart_errors() -> list[Exception]:
    """What asyncpg and SQLAlchemy raise while PostgreSQL restarts (bench/pg_restart.py)."""
    return [
        exc.DBAPIError("BEGIN", None, ConnectionError("the database system is shutting down")),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        exc.DBAPIError("BEGIN", None, ConnectionError("the database system is starting up")),
    ]


class _Refused:
    def __init__(self, error: Exception) -> None:
        self._error = error

    async def __aenter__(self) -> AsyncConnection:
        raise self._error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


class RestartingEngine:
    """The test database's engine, but its next transactions fail with `down` errors."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.down: list[Exception] = []
        self.refused = 0

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        if self.down:
            self.refused += 1
            return _Refused(self.down.pop(0))
        return self._engine.begin()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    @property
    def engine(self) -> AsyncEngine:
        """As the bot's code takes it."""
        return cast(AsyncEngine, self)


@dataclass
class GoesDownWhileSending:
    """Accepts every message; the first send takes the database down with `errors`."""

    engine: RestartingEngine
    errors: list[Exception] = field(default_factory=restart_errors)
    name: ChannelName = ChannelName.CONSOLE
    sent: list[int] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        if not self.sent:
            self.engine.down = self.errors
        self.sent.append(message.id)
        return SendOutcome(OutcomeKind.SENT, provider_id=f"p-{message.id}")


async def queue(runtime: Runtime, count: int) -> list[int]:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        result = await connection.execute(
            outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True),
            [
                {
                    "channel": ChannelName.CONSOLE.value,
                    "address": f"parent-{n}",
                    "kind": OutboundKind.BROADCAST.value,
                    "priority": Priority.BULK,
                    "locale": "en",
                    "body": "Family night Thursday",
                    "buttons": [],
                    "status": Status.QUEUED.value,
                    "send_after": now,
                    "attempts": 0,
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        return list(result.scalars())


async def states(runtime: Runtime) -> dict[int, tuple[str, int]]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(select(outbox.c.id, outbox.c.status, outbox.c.attempts))
        return {row.id: (row.status, row.attempts) for row in rows}


async def until(done: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not done():  # noqa: ASYNC110 - a condition, not an event, to wait for
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {seconds} s: {what}") from None


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatcher_module, "RECORD_FIRST_PAUSE_SECONDS", 0.01)


async def test_outcomes_wait_for_the_database_instead_of_being_sent_again(
    runtime: Runtime,
) -> None:
    """Sent during the outage, recorded after it: left `sending`, the reaper would resend."""
    ids = await queue(runtime, 3)
    engine = RestartingEngine(runtime.engine)
    channel = GoesDownWhileSending(engine)
    dispatcher = Dispatcher(engine.engine, {channel.name: channel}, runtime.worker, runtime.clock)

    assert await dispatcher.drain(ChannelName.CONSOLE) == 3

    assert engine.refused == len(restart_errors())
    assert sorted(channel.sent) == ids
    assert await states(runtime) == {i: (Status.SENT, 1) for i in ids}


async def test_a_statement_that_fails_for_ever_is_not_retried(runtime: Runtime) -> None:
    await queue(runtime, 1)
    engine = RestartingEngine(runtime.engine)
    broken = exc.IntegrityError("UPDATE outbox", None, ValueError("violates a constraint"))
    channel = GoesDownWhileSending(engine, [broken, *restart_errors()])
    dispatcher = Dispatcher(engine.engine, {channel.name: channel}, runtime.worker, runtime.clock)

    with pytest.raises(exc.IntegrityError):
        await dispatcher.drain(ChannelName.CONSOLE, batch=5)
    assert engine.refused == 1


async def run_until(
    loop: Callable[[asyncio.Event], Awaitable[None]], done: Callable[[], bool], what: str
) -> None:
    """Run `loop` until `done`, checking it is still running then, and stop it cleanly."""
    stop = asyncio.Event()
    task = asyncio.create_task(loop(stop))
    try:
        await until(lambda: done() or task.done(), what)
        assert not task.done(), "the loop ended by itself"
        assert done(), what
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_the_outbox_loop_outlives_an_outage_and_then_sends_everything(
    runtime: Runtime, recorder: RecordingChannel, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await queue(runtime, 4)
    engine = RestartingEngine(runtime.engine)
    engine.down = restart_errors()
    dispatcher = Dispatcher(engine.engine, {recorder.name: recorder}, runtime.worker, runtime.clock)
    pump = OutboxPump(engine.engine, dispatcher, Metrics(), runtime.clock, poll_seconds=0.01)

    with caplog.at_level(logging.INFO, logger="bot.pump"):
        await run_until(pump.run, lambda: len(recorder.sent) == 4, "all four sent")

    assert sorted(m.id for m in recorder.sent) == ids
    assert await states(runtime) == {i: (Status.SENT, 1) for i in ids}
    failures = [r for r in caplog.records if r.name == "bot.pump" and "drain failed" in r.message]
    assert len(failures) == len(restart_errors())
    # One traceback for the outage, then a line per failed round: not one each time.
    assert [r.exc_info is not None for r in failures] == [True, False, False]
    assert any("works again after 3 failed rounds" in r.message for r in caplog.records)


async def test_the_scheduler_outlives_an_outage(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    engine = RestartingEngine(runtime.engine)
    engine.down = restart_errors()
    scheduler = Scheduler(engine.engine, runtime.i18n, runtime.settings, runtime.clock)

    def back() -> bool:
        return any("ticks again after 3 failed ticks" in r.message for r in caplog.records)

    with caplog.at_level(logging.INFO, logger="bot.scheduler"):
        await run_until(
            lambda stop: scheduler.run(stop, seconds=0.01), back, "a tick after the outage"
        )

    failures = [r for r in caplog.records if "tick failed" in r.message]
    assert [r.exc_info is not None for r in failures] == [True, False, False]
