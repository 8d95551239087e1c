"""`serve`'s application running on 127.0.0.1 against the fake Telegram and Twilio.

The app is the one `python main.py serve` runs (`build_app`), on a real socket, with the
real python-telegram-bot and twilio clients pointed at the fakes; only the runtime is the
test's own (so it shares the test's database and frozen clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.runtime import Runtime
from bot.services import Services
from bot.web.app import build_app
from bot.web.keys import SERVICES
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_twilio import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    FakeTwilio,
    inbound_sms_params,
    signed_form_request,
)

TELEGRAM_TOKEN = "123456:TEST-token_for-the-fake"
WEBHOOK_SECRET = "test-webhook-secret"
BOT_NUMBER = "+15550001111"
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class RunningServer:
    url: str
    services: Services
    telegram: FakeTelegram
    twilio: FakeTwilio
    client: aiohttp.ClientSession

    async def post_update(
        self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET
    ) -> aiohttp.ClientResponse:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with self.client.post(
            f"{self.url}/webhooks/telegram", data=json.dumps(update), headers=headers
        ) as response:
            await response.read()
            return response

    async def post_sms(
        self, sender: str, body: str, sid: str | None = None, **params: Any
    ) -> tuple[int, str]:
        form = inbound_sms_params(sender, body, sid=sid, to=BOT_NUMBER, **params)
        return await self.post_signed("/webhooks/twilio/sms", form)

    async def post_signed(
        self, path: str, form: dict[str, str], *, sign_url: str | None = None
    ) -> tuple[int, str]:
        """Post a form signed as Twilio signs it, for the public URL (or `sign_url`)."""
        headers, body = signed_form_request(TEST_AUTH_TOKEN, sign_url or self.url + path, form)
        async with self.client.post(self.url + path, data=body, headers=headers) as response:
            return response.status, await response.text()


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait for background work (webhook registration, polling) to show its effect."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the fakes expose no event for every effect
            await asyncio.sleep(0.01)


def server_settings(
    runtime: Runtime,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
    public_url: str | None,
    admin_password: str | None = ADMIN_PASSWORD,
) -> Settings:
    return replace(
        runtime.settings,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_base_url=telegram.base_url,
        twilio_account_sid=TEST_ACCOUNT_SID,
        twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_from_number=BOT_NUMBER,
        twilio_api_base_url=twilio.base_url,
        twilio_messages_per_second=1000.0,
        # Tests talk faster than people; the per-chat pace has its own tests.
        telegram_chat_messages_per_second=50.0,
        public_base_url=public_url,
        admin_password=admin_password,
    )


@contextlib.asynccontextmanager
async def running_server(
    runtime: Runtime,
    *,
    public: bool = True,
    workers: bool = True,
    admin_password: str | None = ADMIN_PASSWORD,
    **fakes: Any,
) -> AsyncIterator[RunningServer]:
    """The server on an ephemeral port; `public=False` leaves PUBLIC_BASE_URL unset (polling),
    `admin_password=None` turns the console off."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with (
        FakeTelegram(TELEGRAM_TOKEN, **fakes.get("telegram_options", {})) as telegram,
        FakeTwilio(**fakes.get("twilio_options", {})) as twilio,
    ):
        settings = server_settings(
            runtime, telegram, twilio, url if public else None, admin_password
        )
        app = build_app(settings, runtime=runtime, workers=workers)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            async with aiohttp.ClientSession() as client:
                yield RunningServer(url, app[SERVICES], telegram, twilio, client)
        finally:
            await runner.cleanup()
