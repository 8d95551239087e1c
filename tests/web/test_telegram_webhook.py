"""POST /webhooks/telegram end to end: real update JSON in, what the fake Telegram received out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.messages import Address, ChannelName
from bot.outbox import Status
from bot.runtime import Runtime
from bot.store import consent
from bot.store.tables import outbox
from tests.support.fake_telegram import (
    callback_update,
    channel_post_update,
    edited_update,
    photo_update,
    sticker_update,
    text_update,
)
from tests.support.server import WEBHOOK_SECRET, RunningServer, eventually, running_server

CHAT = 5550101


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime) as running:
        yield running


async def settle(server: RunningServer) -> list[dict[str, Any]]:
    """Wait until every reply the server started sending has been sent."""
    await server.services.inbox.close()
    return server.telegram.sent


def texts_to(server: RunningServer, chat: int) -> list[str]:
    return [m["text"] for m in server.telegram.sent if m["chat_id"] == chat]


# Each row: an update as Telegram sends it, and a piece of the reply it must get (None: none).
UPDATES: list[tuple[str, dict[str, Any], str | None]] = [
    ("text", text_update(1, CHAT, "hi"), "Hello!"),
    ("spanish user", text_update(2, CHAT, "hola", language_code="es"), "¡Hola!"),
    ("command with bot name", text_update(3, CHAT, "/help@LearningSessionsBot"), "NEXT"),
    ("command", text_update(4, CHAT, "/next"), "no upcoming session"),
    ("sticker", sticker_update(5, CHAT), "I can only read text"),
    ("photo with caption", photo_update(6, CHAT, caption="teachers"), "teachers"),
    ("edited message", edited_update(7, CHAT, "hi again"), None),
    ("group message", text_update(8, -100123, "hi", chat_type="supergroup"), None),
    ("channel post", channel_post_update(9, -100999, "news"), None),
]


@pytest.mark.parametrize(
    ("update", "expected"), [row[1:] for row in UPDATES], ids=[row[0] for row in UPDATES]
)
async def test_each_kind_of_update_gets_the_right_answer_or_none(
    server: RunningServer, update: dict[str, Any], expected: str | None
) -> None:
    response = await server.post_update(update)
    assert response.status == 200
    sent = await settle(server)
    if expected is None:
        assert sent == []
    else:
        assert len(sent) == 1
        assert expected.lower() in sent[0]["text"].lower()
        assert sent[0]["parse_mode"] == "HTML"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", WEBHOOK_SECRET + "x"])
async def test_a_request_without_the_secret_token_is_refused(
    server: RunningServer, secret: str | None
) -> None:
    response = await server.post_update(text_update(20, CHAT, "hi"), secret=secret)
    assert response.status == 403
    assert await settle(server) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "12"}',
        b'{"update_id": 13, "message": {"chat": "nope", "date": "x"}}',
    ],
)
async def test_malformed_bodies_are_a_400_and_answer_nobody(
    server: RunningServer, body: bytes
) -> None:
    async with server.client.post(
        f"{server.url}/webhooks/telegram",
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ) as response:
        assert response.status == 400
    assert await settle(server) == []


async def test_a_body_over_the_cap_is_refused_with_413(server: RunningServer) -> None:
    update = text_update(30, CHAT, "x" * (1024 * 1024))
    async with server.client.post(
        f"{server.url}/webhooks/telegram",
        data=json.dumps(update),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ) as response:
        assert response.status == 413


async def test_a_redelivered_update_is_answered_once(server: RunningServer) -> None:
    update = text_update(40, CHAT, "hi")
    for _ in range(3):
        assert (await server.post_update(update)).status == 200
    assert len(await settle(server)) == 1


async def test_a_deep_link_start_shows_that_session(server: RunningServer) -> None:
    await server.post_update(text_update(50, CHAT, "/start needs-assets-assessment"))
    sent = await settle(server)
    assert len(sent) == 2
    assert "Needs" in sent[1]["text"]


async def test_a_button_press_is_answered_and_acknowledged(server: RunningServer) -> None:
    await server.post_update(text_update(60, CHAT, "sessions"))
    await settle(server)
    menu = server.telegram.sent[-1]
    assert "reply_markup" in menu
    await server.post_update(callback_update(61, CHAT, "1", callback_id="press-61"))
    await settle(server)
    assert "press-61" in server.telegram.answered
    assert len(server.telegram.sent) == 2


async def test_arabic_replies_isolate_links(server: RunningServer) -> None:
    await server.post_update(text_update(70, CHAT, "مرحبا", language_code="ar"))
    await server.post_update(text_update(71, CHAT, "1"))
    sent = await settle(server)
    card = sent[-1]["text"]
    assert "\u2066https://" in card


async def test_a_blocked_bot_opts_the_person_out(server: RunningServer, runtime: Runtime) -> None:
    server.telegram.fail_chat(CHAT, 403, "Forbidden: bot was blocked by the user")
    await server.post_update(text_update(80, CHAT, "hi"))
    assert await settle(server) == []
    async with runtime.engine.connect() as connection:
        history = await consent.history(connection, Address(ChannelName.TELEGRAM, str(CHAT)))
    assert [(action, source) for action, source, _ in history] == [("opt_out", "provider")]


async def test_a_429_delays_only_that_chat_and_the_reply_still_arrives(
    server: RunningServer, runtime: Runtime, clock: Any
) -> None:
    other = CHAT + 1
    server.telegram.fail_chat(CHAT, 429, "Too Many Requests: retry after 1", retry_after=1)
    await server.post_update(text_update(90, CHAT, "hi"))
    await server.post_update(text_update(91, other, "hi"))
    await settle(server)
    assert texts_to(server, CHAT) == []
    assert len(texts_to(server, other)) == 1
    async with runtime.engine.connect() as connection:
        status, after = (
            await connection.execute(
                select(outbox.c.status, outbox.c.send_after).where(outbox.c.address == str(CHAT))
            )
        ).one()
    assert status == Status.QUEUED
    assert after == clock.now + timedelta(seconds=1)
    clock.now += timedelta(seconds=2)
    server.services.pump.wake.set()
    await server.telegram.wait_for_sent(2, timeout=8)
    assert len(texts_to(server, CHAT)) == 1


async def test_serve_registers_its_webhook_and_the_command_menus(server: RunningServer) -> None:
    await eventually(lambda: len(server.telegram.commands) == 4 and server.telegram.webhook)
    webhook = server.telegram.webhook
    assert webhook is not None
    assert webhook["url"] == f"{server.url}/webhooks/telegram"
    assert webhook["secret_token"] == WEBHOOK_SECRET
    assert set(server.telegram.commands) == {None, "en", "es", "ar"}
    spanish = {c["command"]: c["description"] for c in server.telegram.commands["es"]}
    assert spanish["next"] != "The next session"
