"""GET /healthz and GET /metrics: what a load balancer and Prometheus ask."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from bot.metrics import CONTENT_TYPE
from bot.web.keys import SERVICES

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers within two seconds, else 503 (the process is useless)."""
    engine = request.app[SERVICES].runtime.engine
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check failed: %r", error)
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics(request: web.Request) -> web.Response:
    body = request.app[SERVICES].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
