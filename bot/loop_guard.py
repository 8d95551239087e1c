"""Loop protection: the same text to the same address over and over is refused.

Two bots answering each other (an auto-responder replying to our reply) would otherwise
run up an SMS bill without end. Only conversational messages are counted: reminders,
notices and broadcasts go at most once per person and item by their idempotency key, so
they cannot loop, and counting them would cost memory per recipient of a large broadcast.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.messages import Address, OutboundKind
from bot.redact import describe

log = logging.getLogger(__name__)

LIMIT = 20
WINDOW_SECONDS = 300.0
# Distinct texts remembered per address: a loop repeats one text, or the two or three
# replies of one turn; a person talking gets a new text each turn, and remembering each
# of those for the whole window cost 24 MB in a 10-minute soak at 100 messages a second.
TEXTS_PER_ADDRESS = 4
CONVERSATIONAL = frozenset({OutboundKind.REPLY, OutboundKind.CONSENT})


class LoopGuard:
    """Counts identical messages per address in windows of `window` seconds.

    A window opens at the first message of its kind and closes `window` seconds later;
    a burst spread over the end of one window and the start of the next can pass up to
    twice the limit before it is stopped, which still bounds the cost of a loop. Only the
    last TEXTS_PER_ADDRESS texts of an address are counted, so memory follows the people
    written to in the last window, not the messages sent to them.
    """

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._monotonic = monotonic
        # Per address, text hash -> (window opened, count), least recently sent first.
        self._counts: dict[Address, dict[int, tuple[float, int]]] = {}
        self._swept_at = monotonic()

    def allow(self, address: Address, text: str, kind: OutboundKind) -> bool:
        if kind not in CONVERSATIONAL:
            return True
        now = self._monotonic()
        if now - self._swept_at > self._window:
            self._sweep(now)
        texts = self._counts.setdefault(address, {})
        key = hash(text)
        opened, count = texts.pop(key, (now, 0))
        if now - opened > self._window:
            opened, count = now, 0
        count += 1
        texts[key] = (opened, count)
        if len(texts) > TEXTS_PER_ADDRESS:
            del texts[next(iter(texts))]
        if count > self._limit:
            log.warning(
                "loop protection: refused message %d of the same text to %s in %.0f s",
                count,
                describe(address),
                now - opened,
            )
            return False
        return True

    def _sweep(self, now: float) -> None:
        self._counts = {
            address: texts
            for address, texts in self._counts.items()
            if any(now - opened <= self._window for opened, _ in texts.values())
        }
        self._swept_at = now
