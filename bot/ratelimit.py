"""Token buckets per channel and per chat (design rule 5), in one process.

Each send reserves its slot before it waits (the generic cell rate algorithm: a bucket is
the time at which it is next empty), so any number of concurrent senders share a limit
without a lock and without polling. A 429's `retry_after` holds back only the chat it
names: PTB's `AIORateLimiter` would stop every chat for one slow one.

Telegram counts what arrives in any one second, and arrivals jitter by a few
milliseconds (the event loop, the HTTP client, a garbage collection), so evenly spaced
starts alone still put 31 in some second about once a second. With `window`, a send also
waits until one second after the send `per_second` places before it completed, which
keeps every second at the limit or under, whatever the jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.messages import OutboundMessage

# How long the window waits for an earlier send to finish before counting it as done.
WINDOW_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Rate:
    """`per_second` sustained, with bursts of up to `burst` units sent at once."""

    per_second: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs per_second > 0 and burst >= 1, not {self}")


class _Bucket:
    __slots__ = ("_interval", "_tolerance", "empty_at")

    def __init__(self, rate: Rate) -> None:
        self._interval = 1.0 / rate.per_second
        self._tolerance = (rate.burst - 1.0) * self._interval
        self.empty_at = 0.0

    def earliest(self, now: float) -> float:
        return max(now, self.empty_at - self._tolerance)

    def take(self, at: float, cost: float) -> None:
        self.empty_at = max(self.empty_at, at) + cost * self._interval


class RateLimiter:
    """Decides when the next message to a chat may leave, and sleeps until then."""

    _PRUNE_EVERY = 10_000

    def __init__(
        self,
        overall: Rate,
        per_chat: Rate | None = None,
        clock: Callable[[], float] = time.monotonic,
        window: bool = False,
        window_wait: float = WINDOW_WAIT_SECONDS,
    ) -> None:
        self.overall = overall
        self._window_size = max(1, math.floor(overall.per_second)) if window else 0
        self._window_wait = window_wait
        # The completion times (futures until then) of the most recent sends, oldest first.
        self._recent: deque[asyncio.Future[float]] = deque()
        self._overall = _Bucket(overall)
        self._per_chat = per_chat
        self._chats: dict[str, _Bucket] = {}
        self._held: dict[str, float] = {}
        self._clock = clock
        self._reservations = 0

    def reserve_chat(self, chat: str, cost: float = 1.0) -> float:
        """Book `chat`'s next slot; returns seconds until it (a 429's hold included)."""
        now = self._clock()
        at = max(now, self._held.get(chat, 0.0))
        bucket = self._chat_bucket(chat)
        if bucket is not None:
            at = max(at, bucket.earliest(now))
            bucket.take(at, cost)
        self._reservations += 1
        if self._reservations % self._PRUNE_EVERY == 0:
            self._prune(now)
        return at - now

    def reserve_overall(self, cost: float = 1.0) -> float:
        """Book the channel's next slot from now; returns seconds until it."""
        now = self._clock()
        at = self._overall.earliest(now)
        self._overall.take(at, cost)
        return at - now

    async def acquire(self, chat: str, cost: float = 1.0) -> None:
        """Wait for the chat's turn, then for the channel's.

        In that order: a chat waiting out its own limit must not book channel capacity in
        the future, which would hold every other chat behind it.
        """
        delay = self.reserve_chat(chat, cost)
        if delay > 0:
            await asyncio.sleep(delay)
        delay = self.reserve_overall(cost)
        if delay > 0:
            await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def slot(self, chat: str, cost: float = 1.0) -> AsyncIterator[None]:
        """Wait for the turn (`acquire`), and with `window` the sliding second; the send
        runs inside the block, and its end is what the window counts."""
        await self.acquire(chat, cost)
        if not self._window_size:
            yield
            return
        earlier = self._recent[0] if len(self._recent) >= self._window_size else None
        finished: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._recent.append(finished)
        if len(self._recent) > self._window_size:
            self._recent.popleft()
        try:
            if earlier is not None:
                try:
                    ended = await asyncio.wait_for(asyncio.shield(earlier), self._window_wait)
                except TimeoutError:
                    # A send unanswered this long (a provider time-out takes 10 s) reached
                    # the provider long ago: count it as done rather than stall the channel.
                    ended = self._clock() - 1.0
                delay = ended + 1.0 - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
            yield
        finally:
            finished.set_result(self._clock())

    def hold(self, chat: str, seconds: float) -> None:
        """Send nothing more to `chat` for `seconds` (the provider said so with a 429)."""
        until = self._clock() + seconds
        self._held[chat] = max(until, self._held.get(chat, 0.0))

    def _chat_bucket(self, chat: str) -> _Bucket | None:
        if self._per_chat is None:
            return None
        bucket = self._chats.get(chat)
        if bucket is None:
            bucket = self._chats[chat] = _Bucket(self._per_chat)
        return bucket

    def _prune(self, now: float) -> None:
        """Forget chats whose buckets are full again, so memory follows active chats only."""
        self._chats = {c: b for c, b in self._chats.items() if b.empty_at > now}
        self._held = {c: t for c, t in self._held.items() if t > now}


@dataclass(frozen=True)
class Throttle:
    """A channel's limiter and what one message costs against it (SMS: its segments)."""

    limiter: RateLimiter
    cost: Callable[[OutboundMessage], float] = lambda message: 1.0
