"""Token buckets per channel and per chat (design rule 5), in one process.

A chat's send reserves its slot before it waits (the generic cell rate algorithm: a
bucket is the time at which it is next empty), so any number of concurrent senders share a
chat's limit without a lock and without polling. The channel's slots are handed out one at
a time instead, most urgent first (design rule 5: replies before bulk): were they booked
ahead, a reply would queue behind every bulk send already booked, 1.4 s in a broadcast.
A 429's `retry_after` holds back only the chat it names: PTB's `AIORateLimiter` would stop
every chat for one slow one.

Telegram counts what arrives in any one second, and arrivals jitter by a few
milliseconds (the event loop, the HTTP client, a garbage collection), so evenly spaced
starts alone still put 31 in some second about once a second. With `window`, a send also
waits until one second after the send `per_second` places before it completed, which
keeps every second at the limit or under, whatever the jitter. That wait is part of the
turn, so it too goes to the most urgent first: after it, a turn's send starts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
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


class _Window:
    """The completion times of the channel's last `size` sends (futures until then)."""

    def __init__(self, size: int, wait: float, clock: Callable[[], float]) -> None:
        self._size = size
        self._wait = wait
        self._clock = clock
        self._recent: deque[asyncio.Future[float]] = deque()

    def open_at(self) -> float | None:
        """When the next send may start, or None while the send it waits for is unfinished."""
        if len(self._recent) < self._size:
            return -math.inf
        oldest = self._recent[0]
        return oldest.result() + 1.0 if oldest.done() else None

    async def wait_open(self) -> float:
        """Until the next send may start; returns the time it could (maybe past)."""
        opens = self.open_at()
        if opens is None:
            try:
                ended = await asyncio.wait_for(asyncio.shield(self._recent[0]), self._wait)
            except TimeoutError:
                # A send unanswered this long (a provider time-out takes 10 s) reached the
                # provider long ago: count it as done rather than stall the channel.
                ended = self._clock() - 1.0
            opens = ended + 1.0
        delay = opens - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)
        return opens

    def start(self) -> asyncio.Future[float]:
        """Count a send starting now; set the future's result to the time it ends."""
        finished: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._recent.append(finished)
        if len(self._recent) > self._size:
            self._recent.popleft()
        return finished


# A place in the queue: resolved with the send's window entry (None without a window).
_Turn = asyncio.Future[asyncio.Future[float] | None]


class _Turns:
    """The channel's slots, one at a time, to the most urgent waiter (lowest `priority`),
    first come first served among equals.

    A sender takes its slot at once when no one waits and the bucket (and the window)
    has room; otherwise it queues, and one task hands out each slot as soon as both
    allow. A waiter that is cancelled simply loses its place.
    """

    def __init__(self, bucket: _Bucket, window: _Window | None, clock: Callable[[], float]) -> None:
        self._bucket = bucket
        self._window = window
        self._clock = clock
        self._waiting: list[tuple[int, int, float, _Turn]] = []
        self._arrivals = itertools.count()
        self._granter: asyncio.Task[None] | None = None

    async def take(self, cost: float, priority: int) -> asyncio.Future[float] | None:
        """Wait for a turn; with a window, returns the future to set when the send ends."""
        now = self._clock()
        if not self._waiting and self._free_at(now) <= now:
            return self._grant_one(now, cost)
        turn: _Turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._arrivals), cost, turn))
        if self._granter is None or self._granter.done():
            self._granter = asyncio.create_task(self._grant())
        try:
            return await turn
        except asyncio.CancelledError:
            # Cancelled as the turn came: the send never starts, so it ends now.
            if turn.done() and not turn.cancelled() and (finished := turn.result()) is not None:
                finished.set_result(self._clock())
            raise

    def _free_at(self, now: float) -> float:
        opens = self._window.open_at() if self._window is not None else -math.inf
        return max(self._bucket.earliest(now), math.inf if opens is None else opens)

    def _grant_one(self, at: float, cost: float) -> asyncio.Future[float] | None:
        self._bucket.take(at, cost)
        return self._window.start() if self._window is not None else None

    async def _grant(self) -> None:
        """Hand out each slot at its time; a slot is booked at the time it was due, not
        when this task woke up for it, so a busy event loop's lateness is caught up
        (the window still keeps any second from going over) instead of lost: it cost 8%
        of the limit at 100 replies a second."""
        while self._waiting:
            at = self._bucket.earliest(self._clock())
            delay = at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._window is not None:
                at = max(at, await self._window.wait_open())
            while self._waiting:
                _, _, cost, turn = heapq.heappop(self._waiting)
                if not turn.done():
                    turn.set_result(self._grant_one(at, cost))
                    break


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
        sliding = (
            _Window(max(1, math.floor(overall.per_second)), window_wait, clock) if window else None
        )
        self._overall = _Turns(_Bucket(overall), sliding, clock)
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

    @contextlib.asynccontextmanager
    async def slot(self, chat: str, cost: float = 1.0, priority: int = 0) -> AsyncIterator[None]:
        """Wait for the chat's turn, then for the channel's (lower `priority` first); the
        send runs inside the block, and its end is what the window counts.

        In that order: a chat waiting out its own limit must not hold a channel turn,
        which would keep every other chat waiting behind it.
        """
        delay = self.reserve_chat(chat, cost)
        if delay > 0:
            await asyncio.sleep(delay)
        finished = await self._overall.take(cost, priority)
        try:
            yield
        finally:
            if finished is not None:
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
