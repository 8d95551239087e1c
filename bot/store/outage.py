"""Waiting out a database that is briefly away (a restart, a fail-over), with backoff.

Most work can fail and be tried again later by whoever asked for it, but two kinds of
write cannot: the outcome of a send already made (left unwritten, the reaper would send
the message again) and what Twilio posts to a webhook (Twilio does not post it again
after a 503). Those retry the transaction while the error is one a restart causes.
"""

from __future__ import annotations

import logging

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_before_delay,
    wait_exponential,
)

from bot.store.engine import brief, is_transient

log = logging.getLogger(__name__)


def patiently(what: str, patience: float, first_pause: float, max_pause: float) -> AsyncRetrying:
    """Attempts for `async for attempt in patiently(...): with attempt: ...`.

    Pauses double from `first_pause` up to `max_pause`; no attempt starts after
    `patience` seconds, and then the last error is raised as it was. The first retry is
    a warning and the rest are debug lines: a thousand requests waiting out one restart
    would otherwise write ten lines each.
    """

    def announce(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.log(
            logging.WARNING if state.attempt_number == 1 else logging.DEBUG,
            "could not %s (%s); trying again in %.1f s",
            what,
            brief(error) if error else "?",
            state.upcoming_sleep,
        )

    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        wait=wait_exponential(multiplier=first_pause, max=max_pause),
        stop=stop_before_delay(patience),
        before_sleep=announce,
        reraise=True,
    )
