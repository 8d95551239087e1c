"""POST /webhooks/telegram: verify the secret, parse the update, hand it to the inbox."""

from __future__ import annotations

import hmac

from aiohttp import web
from telegram import Update

from bot.channels.telegram import BadUpdateError, answer_callback, parse_update, update_from_json
from bot.services import Services
from bot.web.bodies import json_body
from bot.web.keys import SERVICES

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def telegram_webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    secret = services.telegram_secret
    if services.bot is None or secret is None:
        raise web.HTTPNotFound(text="Telegram is not configured")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        services.metrics.refused.labels("telegram", "secret").inc()
        raise web.HTTPForbidden(text="wrong or missing secret token")
    try:
        update = update_from_json(await json_body(request), services.bot)
    except (BadUpdateError, web.HTTPBadRequest) as error:
        services.metrics.refused.labels("telegram", "malformed").inc()
        raise web.HTTPBadRequest(text=str(error)) from error
    await handle_update(services, update)
    return web.Response(status=200)


async def handle_update(services: Services, update: Update) -> None:
    """One update from the webhook or from long polling: the same path either way."""
    inbound = parse_update(update)
    if inbound.callback_query_id is not None and services.bot is not None:
        services.inbox.spawn(answer_callback(services.bot, inbound.callback_query_id), "answer")
    if inbound.message is not None:
        await services.inbox.receive(inbound.message)
