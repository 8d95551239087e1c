"""Token buckets: the overall and per-chat pace, bursts, and a 429 that holds one chat only."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.messages import Priority
from bot.ratelimit import Rate, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def turns_taken(limiter: RateLimiter, sends: list[tuple[str, float, int]]) -> list[float]:
    """When each (chat, cost, priority) got its turn, in seconds from the start, all
    waiting at once, in the order given."""
    started = time.monotonic()

    async def send(chat: str, cost: float, priority: int) -> float:
        async with limiter.slot(chat, cost, priority):
            return time.monotonic() - started

    return list(await asyncio.gather(*(send(*one) for one in sends)))


async def test_the_overall_rate_spaces_messages_after_the_burst() -> None:
    limiter = RateLimiter(Rate(per_second=10, burst=3))
    turns = await turns_taken(limiter, [(f"chat-{n}", 1.0, 0) for n in range(6)])
    assert turns == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2, 0.3], abs=0.05)


def test_one_chat_gets_one_message_a_second_after_its_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(per_second=30, burst=30), Rate(per_second=1, burst=2), clock=clock)
    delays = [limiter.reserve_chat("a") for _ in range(4)]
    assert delays == [0.0, 0.0, 1.0, 2.0]
    assert limiter.reserve_chat("b") == 0.0


async def test_sms_segments_count_against_the_rate() -> None:
    limiter = RateLimiter(Rate(per_second=20, burst=1))
    turns = await turns_taken(limiter, [(f"number-{n}", 3.0, 0) for n in range(3)])
    assert turns == pytest.approx([0.0, 0.15, 0.3], abs=0.05)


def turn_order(turns: list[float], sends: list[tuple[str, float, int]]) -> list[str]:
    """The chats in the order they got their turns (ties in the order given)."""
    return [chat for _, chat in sorted(zip(turns, (chat for chat, _, _ in sends), strict=True))]


async def test_replies_take_the_next_slot_ahead_of_bulk_already_waiting() -> None:
    limiter = RateLimiter(Rate(per_second=10, burst=1))
    sends = [*((f"bulk-{n}", 1.0, Priority.BULK) for n in range(5)), ("reply", 1.0, 0)]
    turns = await turns_taken(limiter, sends)
    # The first bulk send had the free slot; the reply has the next, the rest follow.
    assert turn_order(turns, sends) == ["bulk-0", "reply", "bulk-1", "bulk-2", "bulk-3", "bulk-4"]


async def test_a_reply_waiting_for_the_window_goes_before_bulk_waiting_for_it() -> None:
    limiter = RateLimiter(Rate(per_second=5, burst=5), window=True)
    sends = [*((f"bulk-{n}", 1.0, Priority.BULK) for n in range(8)), ("reply", 1.0, 0)]
    turns = await turns_taken(limiter, sends)
    # Five bulk sends fill the first second; the reply has the first place in the next.
    assert turn_order(turns, sends)[:6] == [
        "bulk-0",
        "bulk-1",
        "bulk-2",
        "bulk-3",
        "bulk-4",
        "reply",
    ]
    assert turns[-1] >= 0.99


async def test_a_cancelled_wait_gives_its_slot_to_the_next_in_line() -> None:
    limiter = RateLimiter(Rate(per_second=2, burst=1))
    async with limiter.slot("first"):
        pass

    async def impatient() -> None:
        async with limiter.slot("impatient"):
            pass

    given_up = asyncio.create_task(impatient())
    await asyncio.sleep(0.01)
    given_up.cancel()
    turns = await turns_taken(limiter, [("next", 1.0, 0), ("after", 1.0, 0)])
    # The slot at 0.5 s, not the one after it at 1 s.
    assert turns[0] < 0.75
    assert turns[1] >= turns[0] + 0.45


def test_a_429_holds_back_only_the_chat_it_names() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(per_second=100, burst=100), Rate(1, burst=3), clock=clock)
    limiter.hold("slow", 5)
    assert limiter.reserve_chat("slow") == pytest.approx(5.0)
    assert limiter.reserve_chat("fast") == 0.0


async def test_a_chat_waiting_its_turn_does_not_delay_other_chats() -> None:
    limiter = RateLimiter(Rate(per_second=50, burst=5), Rate(per_second=2, burst=1))
    finished: dict[str, float] = {}
    started = time.monotonic()

    async def send(chat: str) -> None:
        async with limiter.slot(chat):
            pass
        finished.setdefault(chat, time.monotonic() - started)

    await asyncio.gather(send("busy"), send("busy"), send("busy"), send("other"))
    assert finished["other"] < 0.1
    assert time.monotonic() - started >= 0.9  # the busy chat's third message: two slots later


def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(per_second=1000, burst=1), Rate(1, burst=1), clock=clock)
    for n in range(RateLimiter._PRUNE_EVERY * 2):
        clock.now += 1
        limiter.reserve_chat(f"chat-{n}")
    assert len(limiter._chats) < 10


@pytest.mark.parametrize("rate", [(0, 1), (-1, 1), (1, 0.5)])
def test_a_rate_must_be_positive_with_a_burst_of_at_least_one(rate: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate(*rate)


async def test_the_window_keeps_every_second_at_the_limit_however_sends_are_delayed() -> None:
    limiter = RateLimiter(Rate(10), window=True)
    started: list[float] = []
    finished: list[float] = []

    async def send(number: int) -> None:
        async with limiter.slot(f"chat-{number}"):
            started.append(time.monotonic())
            # The first sends are slow to complete, as a cold connection is.
            await asyncio.sleep(0.3 if number < 3 else 0.0)
            finished.append(time.monotonic())

    await asyncio.gather(*(send(n) for n in range(12)))
    assert len(started) == 12
    # The 11th send may not start until a second after the first one completed.
    assert started[10] >= min(finished) + 0.99


async def test_a_send_that_never_answers_holds_the_window_only_briefly() -> None:
    """A provider time-out (10 s) once stopped the whole channel for 8 s behind it."""
    limiter = RateLimiter(Rate(2), window=True, window_wait=0.05)
    answer = asyncio.Event()
    later: list[int] = []

    async def hung() -> None:
        async with limiter.slot("hung"):
            await answer.wait()

    async def send(number: int) -> None:
        async with limiter.slot(f"chat-{number}"):
            later.append(number)

    stuck = asyncio.create_task(hung())
    await asyncio.wait_for(asyncio.gather(*(send(n) for n in range(4))), timeout=10)
    assert sorted(later) == [0, 1, 2, 3]
    assert not stuck.done()
    answer.set()
    await stuck
