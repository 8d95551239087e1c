"""The one aiohttp application `serve` runs, and the background work bound to its life.

Background tasks follow aiohttp's `cleanup_ctx` pattern: started when the app starts,
stopped (and awaited) when it shuts down, which aiohttp does on SIGTERM after it has
stopped accepting requests, so in-flight sends finish before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from bot.admin.app import build_console
from bot.channels.telegram import poll, set_commands, use_polling, use_webhook
from bot.config import Settings
from bot.redact import without_secrets
from bot.runtime import Runtime, open_runtime, utc_now
from bot.services import Services, open_services
from bot.web.bodies import MAX_BODY_BYTES
from bot.web.calendar import session_calendar
from bot.web.keys import SERVICES
from bot.web.ops import healthz, metrics
from bot.web.telegram_webhook import handle_update, telegram_webhook
from bot.web.twilio_webhooks import twilio_sms, twilio_status
from bot.web.unavailable import database_unavailable
from handlers import HANDLERS

log = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram"
MAX_SETUP_PAUSE_SECONDS = 60.0


def build_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    workers: bool = True,
    clock: Callable[[], datetime] = utc_now,
    freeze_heap: bool = False,
) -> web.Application:
    """The server; `runtime` lets tests share an open one, `workers` runs the dispatcher loop,
    the scheduler and Telegram long polling (off for a web-only replica), and `freeze_heap` is for a
    process that serves and nothing else (it exempts the start-up heap from collection)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[database_unavailable])
    app.router.add_post(TELEGRAM_WEBHOOK_PATH, telegram_webhook)
    app.router.add_post("/webhooks/twilio/sms", twilio_sms)
    app.router.add_post("/webhooks/twilio/status", twilio_status)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/sessions/{session_id}.ics", session_calendar)
    app.router.add_get("/admin", _to_console)
    app.add_subapp("/admin/", build_console(settings))

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            opened = runtime
            if opened is None:
                opened = await open_runtime(settings, HANDLERS, clock)
                stack.push_async_callback(opened.close)
            services = await stack.enter_async_context(open_services(settings, opened))
            app[SERVICES] = services
            if freeze_heap:
                # Everything loaded so far (translations, the language models, the catalog)
                # lives as long as the process: out of the collector's sight, a full
                # collection no longer walks it, which took ~50 ms, a p99 all by itself.
                gc.collect()
                gc.freeze()
            if workers:
                await services.pump.take_leases()
            tasks = _background(services, workers)
            yield
            services.stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    app.cleanup_ctx.append(lifecycle)
    return app


async def _to_console(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/admin/")


def _background(services: Services, workers: bool) -> list[asyncio.Task[None]]:
    tasks = []
    if workers:
        tasks.append(asyncio.create_task(services.pump.run(services.stop)))
        tasks.append(asyncio.create_task(services.scheduler.run(services.stop)))
    if services.bot is not None:
        tasks.append(asyncio.create_task(_telegram(services, polling_allowed=workers)))
    return tasks


async def _telegram(services: Services, polling_allowed: bool) -> None:
    """Introduce the bot to Telegram, retrying while Telegram is unreachable, then maybe poll.

    With PUBLIC_BASE_URL the webhook is registered (with its secret); without it the
    webhook is deleted and this process long-polls, so a laptop with only a token works.
    """
    bot = services.bot
    assert bot is not None
    base = services.settings.public_base_url
    secret = services.telegram_secret
    pause = 1.0
    while not services.stop.is_set():
        try:
            await bot.initialize()
            await set_commands(bot, services.runtime.i18n, services.settings.organizers)
            if base and secret:
                await use_webhook(bot, base.rstrip("/") + TELEGRAM_WEBHOOK_PATH, secret)
            else:
                await use_polling(bot)
            break
        except Exception as error:
            reason = without_secrets(repr(error), services.settings.telegram_bot_token)
            log.warning("Telegram setup failed (%s); trying again in %.0f s", reason, pause)
            services.metrics.errors.labels("telegram_setup").inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(services.stop.wait(), pause)
            pause = min(pause * 2, MAX_SETUP_PAUSE_SECONDS)
    else:
        return
    if not base and polling_allowed:
        log.info("no PUBLIC_BASE_URL: long polling Telegram")
        await poll(bot, lambda update: handle_update(services, update), services.stop)
