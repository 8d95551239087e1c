"""While the database is away, webhooks answer 503 with Retry-After, in one log line each.

Telegram retries a webhook that failed, so an update that arrives during a database
restart is answered once the database is back; a 500 with three chained tracebacks per
request would say the same thing thousands of times (a 20-second outage wrote 25,000
log lines). Errors that would fail again the same way are not caught here.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.store.engine import brief, is_transient

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1


@web.middleware
async def database_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as error:
        if not is_transient(error):
            raise
        log.warning(
            "%s %s answered 503: database unavailable (%s)",
            request.method,
            request.path,
            brief(error),
        )
        raise web.HTTPServiceUnavailable(
            text="the database is unavailable; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
