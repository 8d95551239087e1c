"""Logging for a loop that retries what failed: one traceback an outage, not one a round.

The outbox loop and the scheduler retry every second or so; a database down for
minutes would otherwise write a traceback each time. The first failure of a streak
carries the traceback, later ones a line each, and the first success says it is over.
"""

from __future__ import annotations

import logging

from bot.store.engine import brief


class FailureStreak:
    def __init__(self, log: logging.Logger, failing: str, recovered: str) -> None:
        """`failing` says what failed ("scheduler tick failed"); `recovered` is a format
        with one %d, the length of the streak ("ticks again after %d failed ticks")."""
        self._log = log
        self._failing = failing
        self._recovered = recovered
        self.count = 0  # failures in a row

    def failed(self, error: BaseException, pause: float) -> None:
        self.count += 1
        if self.count == 1:
            self._log.error("%s; trying again in %.1f s", self._failing, pause, exc_info=error)
        else:
            self._log.warning(
                "%s again (%d in a row, %s); trying again in %.1f s",
                self._failing,
                self.count,
                brief(error),
                pause,
            )

    def succeeded(self) -> None:
        if self.count:
            self._log.warning(self._recovered, self.count)
        self.count = 0
