"""Loop protection: the same reply to the same address over and over is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from bot.loop_guard import LIMIT, TEXTS_PER_ADDRESS, WINDOW_SECONDS, LoopGuard
from bot.messages import Address, ChannelName, OutboundKind, Reply
from bot.outbox import Status, add_replies
from bot.runtime import Runtime
from bot.store.tables import broadcasts, leases, outbox, session_events
from tests.support.chat import RecordingChannel

ALICE = Address(ChannelName.SMS, "+15550100")
BOB = Address(ChannelName.SMS, "+15550199")


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def guard(ticks: Ticks) -> LoopGuard:
    return LoopGuard(monotonic=ticks)


def test_twenty_identical_replies_pass_and_the_21st_is_refused(guard: LoopGuard) -> None:
    assert LIMIT == 20
    assert all(guard.allow(ALICE, "Sorry?", OutboundKind.REPLY) for _ in range(20))
    assert not guard.allow(ALICE, "Sorry?", OutboundKind.REPLY)
    assert not guard.allow(ALICE, "Sorry?", OutboundKind.REPLY)


def test_consent_messages_count_like_replies(guard: LoopGuard) -> None:
    assert all(guard.allow(ALICE, "You are unsubscribed.", OutboundKind.CONSENT) for _ in range(20))
    assert not guard.allow(ALICE, "You are unsubscribed.", OutboundKind.CONSENT)


def test_another_text_or_another_address_is_counted_apart(guard: LoopGuard) -> None:
    for _ in range(21):
        guard.allow(ALICE, "Sorry?", OutboundKind.REPLY)
    assert guard.allow(ALICE, "Sorry, what?", OutboundKind.REPLY)
    assert guard.allow(BOB, "Sorry?", OutboundKind.REPLY)
    assert guard.allow(Address(ChannelName.TELEGRAM, ALICE.id), "Sorry?", OutboundKind.REPLY)


def test_the_count_starts_again_when_the_window_ends(guard: LoopGuard, ticks: Ticks) -> None:
    for _ in range(21):
        guard.allow(ALICE, "Sorry?", OutboundKind.REPLY)
    ticks.now += WINDOW_SECONDS - 1
    assert not guard.allow(ALICE, "Sorry?", OutboundKind.REPLY)
    ticks.now += 2  # the window opened at the first message, WINDOW_SECONDS + 1 ago
    assert all(guard.allow(ALICE, "Sorry?", OutboundKind.REPLY) for _ in range(20))
    assert not guard.allow(ALICE, "Sorry?", OutboundKind.REPLY)


def test_old_counts_are_swept(guard: LoopGuard, ticks: Ticks) -> None:
    for n in range(100):
        guard.allow(Address(ChannelName.SMS, f"+1555010{n:04d}"), "hello", OutboundKind.REPLY)
    ticks.now += WINDOW_SECONDS + 1
    guard.allow(BOB, "hello", OutboundKind.REPLY)
    assert list(guard._counts) == [BOB]


def test_a_conversation_is_remembered_by_its_last_few_texts_only(guard: LoopGuard) -> None:
    for n in range(1000):
        guard.allow(ALICE, f"answer {n}", OutboundKind.REPLY)
    assert len(guard._counts[ALICE]) == TEXTS_PER_ADDRESS


def test_a_loop_of_a_turn_with_several_replies_is_still_refused(guard: LoopGuard) -> None:
    turn = ["Next session: Tuesday", "Recording: https://example.org/r", "Reply MENU"]
    allowed = [guard.allow(ALICE, text, OutboundKind.REPLY) for _ in range(21) for text in turn]
    assert all(allowed[: 20 * len(turn)])
    assert not any(allowed[20 * len(turn) :])


@pytest.mark.parametrize(
    "kind", [OutboundKind.BROADCAST, OutboundKind.REMINDER, OutboundKind.NOTICE]
)
def test_bulk_kinds_are_never_refused_nor_counted(guard: LoopGuard, kind: OutboundKind) -> None:
    assert all(guard.allow(ALICE, "Same news", kind) for _ in range(100))
    assert guard._counts == {}
    assert all(guard.allow(ALICE, "Same news", OutboundKind.REPLY) for _ in range(20))


async def test_the_dispatcher_marks_the_21st_identical_reply_refused(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        for table in (broadcasts, session_events, leases):
            await connection.execute(delete(table))
    address = Address(ChannelName.CONSOLE, "echo-bot")
    other = Address(ChannelName.CONSOLE, "parent")
    channel = RecordingChannel()
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: channel})
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        for target in (address, other):
            await add_replies(
                connection,
                target,
                None,
                "en",
                [Reply("I did not understand that.") for _ in range(21)],
                now,
                worker=runtime.worker,
                opted_out=False,
                claim=False,
            )
    await dispatcher.drain(ChannelName.CONSOLE)

    async with runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.address, outbox.c.status, outbox.c.last_error).order_by(outbox.c.id)
            )
        ).all()
    echo = [r for r in rows if r.address == address.id]
    assert [r.status for r in echo] == [Status.SENT.value] * 20 + [Status.REFUSED.value]
    assert "loop" in echo[-1].last_error
    # Twenty-one to someone else: counted apart, and one refused there too.
    assert [r.status for r in rows if r.address == other.id][-2:] == ["sent", "refused"]
    assert sum(m.address == address for m in channel.sent) == 20
