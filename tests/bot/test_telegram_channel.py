"""The Telegram adapter against a fake Bot API over real HTTP, through PTB's own client.

Every request here goes to 127.0.0.1: the fake binds only there, and the bots that are never
meant to connect point at a closed loopback port.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import InvalidToken
from telegram.request import HTTPXRequest

from bot.channels.base import OutcomeKind
from bot.channels.telegram import (
    ALLOWED_UPDATES,
    BadUpdateError,
    TelegramChannel,
    TelegramInbound,
    answer_callback,
    make_bot,
    parse_update,
    poll,
    set_commands,
    update_from_json,
    use_polling,
    use_webhook,
)
from bot.channels.telegram_text import LRI, PDI
from bot.config import Settings
from bot.errors import ConfigError
from bot.i18n import I18n
from bot.messages import Address, Button, ChannelName, OutboundKind, OutboundMessage
from tests.support.fake_telegram import (
    BOT_USERNAME,
    FakeTelegram,
    callback_update,
    channel_post_update,
    edited_update,
    message_update,
    photo_update,
    sticker_update,
    text_update,
)

TOKEN = "123456:AAH-test-token"
CHAT = 4242

# PTB 22 warns, in RetryAfter's own constructor, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*timedelta:telegram.warnings.PTBDeprecationWarning"
)


def closed_loopback_url() -> str:
    """An address on this machine where nothing listens: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def settings_for(base_url: str, token: str = TOKEN) -> Settings:
    assert base_url.startswith("http://127.0.0.1:"), base_url
    return Settings(telegram_bot_token=token, telegram_api_base_url=base_url)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(settings_for(fake.base_url))
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


@pytest.fixture
def channel(bot: Bot) -> TelegramChannel:
    return TelegramChannel(bot)


@pytest.fixture(scope="module")
def offline_bot() -> Bot:
    """A bot for parsing only; it would fail fast if anything tried to send."""
    return make_bot(settings_for(closed_loopback_url()))


def outbound(
    text: str, locale: str = "en", buttons: tuple[Button, ...] = (), chat: int = CHAT
) -> OutboundMessage:
    return OutboundMessage(
        id=1,
        address=Address(ChannelName.TELEGRAM, str(chat)),
        text=text,
        locale=locale,
        kind=OutboundKind.REPLY,
        buttons=buttons,
    )


def parsed(data: dict[str, Any], bot: Bot) -> TelegramInbound:
    return parse_update(update_from_json(data, bot))


# -- make_bot --------------------------------------------------------------------------------


def test_requests_go_to_the_configured_root_with_the_token_in_the_path() -> None:
    bot = make_bot(settings_for("http://127.0.0.1:9/"))

    assert bot.base_url == f"http://127.0.0.1:9/bot{TOKEN}"
    assert bot.base_file_url == f"http://127.0.0.1:9/file/bot{TOKEN}"


def test_a_missing_token_names_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        make_bot(Settings(telegram_bot_token=None))

    assert raised.value.variable == "TELEGRAM_BOT_TOKEN"


async def test_a_wrong_token_is_rejected_at_start(fake: FakeTelegram) -> None:
    bot = make_bot(settings_for(fake.base_url, token="123456:wrong"))
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:
        await bot.shutdown()


# -- send ------------------------------------------------------------------------------------


async def test_catalog_text_is_sent_escaped_as_html_without_previews(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    outcome = await channel.send(outbound("Q&A <for parents> https://example.org/?a=1&b=2"))

    [sent] = fake.sent
    assert sent["chat_id"] == CHAT
    assert sent["text"] == "Q&amp;A &lt;for parents&gt; https://example.org/?a=1&amp;b=2"
    assert sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert "reply_markup" not in sent
    assert outcome.kind is OutcomeKind.SENT
    assert outcome.provider_id == "1"


async def test_arabic_times_are_sent_inside_isolates(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    await channel.send(outbound("الجلسة القادمة في 4:00 مساءً.", locale="ar"))

    [sent] = fake.sent
    assert f"{LRI}4:00{PDI}" in sent["text"]


async def test_a_long_reply_is_split_with_the_buttons_under_the_last_part(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    paragraph = "Family science night: bring questions & curiosity. " * 20
    text = "\n\n".join([paragraph.strip()] * 9)
    buttons = (Button("Yes", "yes"), Button("No", "no"))

    outcome = await channel.send(outbound(text, buttons=buttons))

    assert len(fake.sent) >= 2
    assert all(len(part["text"]) <= 4096 for part in fake.sent)
    assert [("reply_markup" in part) for part in fake.sent] == [False] * (len(fake.sent) - 1) + [
        True
    ]
    keyboard = fake.sent[-1]["reply_markup"]["inline_keyboard"]
    assert [[key["callback_data"] for key in row] for row in keyboard] == [["yes", "no"]]
    assert outcome.provider_id == str(len(fake.sent))


@pytest.mark.parametrize(
    ("code", "description", "retry_after", "kind"),
    [
        (429, "Too Many Requests: retry after 7", 7, OutcomeKind.RETRY),
        (403, "Forbidden: bot was blocked by the user", None, OutcomeKind.STOPPED),
        (403, "Forbidden: user is deactivated", None, OutcomeKind.STOPPED),
        (403, "Forbidden: bot can't initiate conversation with a user", None, OutcomeKind.STOPPED),
        (400, "Bad Request: chat not found", None, OutcomeKind.FAILED),
        (500, "Internal Server Error", None, OutcomeKind.RETRY),
        (502, "Bad Gateway", None, OutcomeKind.RETRY),
    ],
)
async def test_telegram_errors_say_whether_to_retry(
    channel: TelegramChannel,
    fake: FakeTelegram,
    code: int,
    description: str,
    retry_after: int | None,
    kind: OutcomeKind,
) -> None:
    fake.fail_chat(CHAT, code, description, retry_after=retry_after)

    outcome = await channel.send(outbound("Hello"))

    assert outcome.kind is kind
    assert outcome.retry_after == (None if retry_after is None else float(retry_after))
    assert outcome.error is not None
    assert fake.sent == []


async def test_flood_control_asks_to_retry_after_the_wait_it_names() -> None:
    async with FakeTelegram(token=TOKEN, rate_limit_per_second=2, retry_after=3) as limited:
        bot = make_bot(settings_for(limited.base_url))
        await bot.initialize()
        try:
            channel = TelegramChannel(bot)
            outcomes = [await channel.send(outbound(f"Reminder {n}")) for n in range(3)]
        finally:
            await bot.shutdown()

    assert [o.kind for o in outcomes] == [OutcomeKind.SENT, OutcomeKind.SENT, OutcomeKind.RETRY]
    assert outcomes[-1].retry_after == 3.0
    assert limited.too_many == 1


async def test_an_unreachable_telegram_is_retried_later() -> None:
    async with FakeTelegram(token=TOKEN) as server:
        bot = make_bot(settings_for(server.base_url))
        await bot.initialize()
    try:
        outcome = await TelegramChannel(bot).send(outbound("Hello"))
    finally:
        await bot.shutdown()

    assert outcome.kind is OutcomeKind.RETRY
    assert outcome.error is not None
    assert "NetworkError" in outcome.error


async def test_a_time_out_is_retried_though_telegram_may_have_delivered() -> None:
    async with FakeTelegram(token=TOKEN, latency=0.5) as slow:
        impatient = HTTPXRequest(read_timeout=0.1)
        bot = Bot(TOKEN, base_url=f"{slow.base_url}/bot", request=impatient)
        await bot.initialize()
        try:
            outcome = await TelegramChannel(bot).send(outbound("Hello"))
        finally:
            await bot.shutdown()
        delivered = await slow.wait_for_sent(1)

    assert outcome.kind is OutcomeKind.RETRY
    assert outcome.error is not None
    assert outcome.error.startswith("TimedOut")
    assert len(delivered) == 1  # so the retry will be a duplicate: at least once


async def test_a_refused_connection_is_retried_later() -> None:
    bot = make_bot(settings_for(closed_loopback_url()))
    try:
        outcome = await TelegramChannel(bot).send(outbound("Hello"))
    finally:
        await bot.shutdown()

    assert outcome.kind is OutcomeKind.RETRY


async def test_an_empty_reply_fails_without_calling_telegram(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    outcome = await channel.send(outbound("  \n "))

    assert outcome.kind is OutcomeKind.FAILED
    assert fake.calls_of("sendMessage") == []


async def test_a_button_telegram_would_refuse_fails_before_any_part_is_sent(
    channel: TelegramChannel, fake: FakeTelegram
) -> None:
    outcome = await channel.send(outbound("Pick one", buttons=(Button("Long", "x" * 65),)))

    assert outcome.kind is OutcomeKind.FAILED
    assert fake.calls_of("sendMessage") == []


# -- parse_update ----------------------------------------------------------------------------


def test_a_private_text_message_becomes_an_inbound_message(offline_bot: Bot) -> None:
    date = 1_795_000_000
    data = text_update(
        10, CHAT, "¿Cuándo es la próxima?", language_code="es", first_name="Lucía", date=date
    )

    result = parsed(data, offline_bot)

    assert result.callback_query_id is None
    message = result.message
    assert message is not None
    assert message.address == Address(ChannelName.TELEGRAM, str(CHAT))
    assert message.text == "¿Cuándo es la próxima?"
    assert message.received_at == datetime.fromtimestamp(date, UTC)
    assert message.received_at.utcoffset() is not None
    assert message.external_id == "10"
    assert message.language_hint == "es"
    assert message.display_name == "Lucía"
    assert message.deep_link is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/next@{BOT_USERNAME}", "/next"),
        (f"/sessions@{BOT_USERNAME} science", "/sessions science"),
        ("/help", "/help"),
        ("/language es", "/language es"),
        ("/start", "/start"),
    ],
)
def test_commands_lose_the_bot_name(offline_bot: Bot, text: str, expected: str) -> None:
    message = parsed(text_update(11, CHAT, text), offline_bot).message

    assert message is not None
    assert message.text == expected
    assert message.deep_link is None


def test_a_deep_link_start_carries_its_payload(offline_bot: Bot) -> None:
    message = parsed(text_update(12, CHAT, "/start session-2024-05-09"), offline_bot).message

    assert message is not None
    assert message.text == "/start"
    assert message.deep_link == "session-2024-05-09"


def test_a_button_press_is_read_as_its_payload_and_must_be_answered(offline_bot: Bot) -> None:
    before = datetime.now(UTC)
    result = parsed(callback_update(13, CHAT, "es", callback_id="987654321"), offline_bot)

    assert result.callback_query_id == "987654321"
    message = result.message
    assert message is not None
    assert message.address == Address(ChannelName.TELEGRAM, str(CHAT))
    assert message.text == "es"
    assert message.external_id == "cb:987654321"
    assert message.language_hint == "en"
    assert message.display_name == "Ana"
    assert before <= message.received_at <= datetime.now(UTC)


def test_a_press_without_its_message_is_addressed_to_the_person(offline_bot: Bot) -> None:
    result = parsed(callback_update(14, CHAT, "yes", with_message=False), offline_bot)

    assert result.message is not None
    assert result.message.address == Address(ChannelName.TELEGRAM, str(CHAT))


@pytest.mark.parametrize(
    "data",
    [
        callback_update(15, CHAT, None, callback_id="555"),
        callback_update(15, -100200300, "yes", chat_type="supergroup", callback_id="555"),
    ],
    ids=["no-data", "group"],
)
def test_a_press_the_bot_ignores_is_still_answered(offline_bot: Bot, data: dict[str, Any]) -> None:
    assert parsed(data, offline_bot) == TelegramInbound(None, callback_query_id="555")


@pytest.mark.parametrize(
    "data",
    [
        sticker_update(16, CHAT),
        photo_update(16, CHAT),
        message_update(16, CHAT, {"voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}}),
        message_update(16, CHAT, {"location": {"latitude": 34.05, "longitude": -118.24}}),
    ],
    ids=["sticker", "photo", "voice", "location"],
)
def test_messages_without_text_arrive_as_empty_text(offline_bot: Bot, data: dict[str, Any]) -> None:
    message = parsed(data, offline_bot).message

    assert message is not None
    assert message.text == ""
    assert message.external_id == "16"


def test_a_captioned_photo_is_read_as_its_caption(offline_bot: Bot) -> None:
    message = parsed(photo_update(17, CHAT, caption="Is this the flyer?"), offline_bot).message

    assert message is not None
    assert message.text == "Is this the flyer?"


USER = {"id": CHAT, "is_bot": False, "first_name": "Ana", "language_code": "en"}
MEMBER = {"user": USER, "status": "member"}


@pytest.mark.parametrize(
    "data",
    [
        edited_update(18, CHAT, "Actually, Tuesday"),
        text_update(18, -4001, "/next@LearningSessionsBot", chat_type="group"),
        text_update(18, -1004001, "hello", chat_type="supergroup"),
        channel_post_update(18, -1009001, "New session posted"),
        {
            "update_id": 18,
            "inline_query": {"id": "77", "from": USER, "query": "science", "offset": ""},
        },
        {
            "update_id": 18,
            "my_chat_member": {
                "chat": {"id": CHAT, "type": "private", "first_name": "Ana"},
                "from": USER,
                "date": 1_795_000_000,
                "old_chat_member": MEMBER,
                "new_chat_member": {
                    "user": {"id": 123456, "is_bot": True, "first_name": "Bot"},
                    "status": "kicked",
                    "until_date": 0,
                },
            },
        },
        {
            "update_id": 18,
            "poll": {
                "id": "p1",
                "question": "Which day?",
                "options": [{"persistent_id": "0", "text": "Mon", "voter_count": 1}],
                "total_voter_count": 1,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            },
        },
        {"update_id": 18},
    ],
    ids=[
        "edited",
        "group-command",
        "supergroup",
        "channel-post",
        "inline-query",
        "blocked",
        "poll",
        "empty",
    ],
)
def test_updates_outside_a_private_conversation_are_ignored(
    offline_bot: Bot, data: dict[str, Any]
) -> None:
    assert parsed(data, offline_bot) == TelegramInbound(None)


# -- update_from_json ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        None,
        "update",
        [text_update(1, CHAT, "hi")],
        {},
        {"update_id": "19"},
        {"update_id": True},
        {"update_id": 19.0},
        {"update_id": 19, "message": "hello"},
        {"update_id": 19, "message": {"text": "no chat, no date"}},
        {"update_id": 19, "message": {"message_id": 1, "date": "today", "chat": {"id": 1}}},
        {"update_id": 19, "callback_query": {"id": "1"}},
    ],
)
def test_a_body_that_is_not_an_update_is_refused(offline_bot: Bot, data: object) -> None:
    with pytest.raises(BadUpdateError):
        update_from_json(data, offline_bot)


def test_a_well_formed_body_becomes_an_update(offline_bot: Bot) -> None:
    update = update_from_json(text_update(20, CHAT, "hi"), offline_bot)

    assert isinstance(update, Update)
    assert update.update_id == 20


# -- setup calls -----------------------------------------------------------------------------


async def test_commands_are_published_per_language_with_an_english_default(
    bot: Bot, fake: FakeTelegram
) -> None:
    await set_commands(bot, I18n())

    calls = fake.calls_of("setMyCommands")
    assert sorted(str(call.get("language_code")) for call in calls) == ["None", "ar", "en", "es"]
    names = ["start", "next", "sessions", "language", "subscribe", "help", "stop"]
    for commands in fake.commands.values():
        assert [command["command"] for command in commands] == names
    assert fake.commands[None] == fake.commands["en"]
    assert fake.commands[None][0]["description"] == "Start, or come back after STOP"
    assert fake.commands[None][-1]["description"] == "Stop all messages"


async def test_webhook_then_polling(bot: Bot, fake: FakeTelegram) -> None:
    await use_webhook(bot, "https://bot.example.org/telegram/webhook", "s3cret_token-1")

    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://bot.example.org/telegram/webhook"
    assert fake.webhook["secret_token"] == "s3cret_token-1"
    assert fake.webhook["allowed_updates"] == list(ALLOWED_UPDATES)
    assert fake.webhook["drop_pending_updates"] is False
    assert (await bot.get_webhook_info()).url == "https://bot.example.org/telegram/webhook"

    await use_polling(bot)

    assert fake.webhook is None
    assert fake.calls_of("deleteWebhook")[-1]["drop_pending_updates"] is False


async def test_a_stale_button_press_is_answered_without_raising(
    bot: Bot, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    await answer_callback(bot, "fresh")
    fake.fail_method(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        await answer_callback(bot, "stale")

    assert fake.answered == ["fresh"]
    assert "stale" in caplog.text


# -- poll ------------------------------------------------------------------------------------


class Collector:
    """A `handle` for poll() that records update ids and stops after `until` of them."""

    def __init__(self, stop: asyncio.Event, until: int, failing: int | None = None) -> None:
        self.stop = stop
        self.until = until
        self.failing = failing
        self.seen: list[int] = []

    async def __call__(self, update: Update) -> None:
        self.seen.append(update.update_id)
        if len(self.seen) >= self.until:
            self.stop.set()
        if update.update_id == self.failing:
            raise RuntimeError("handler bug")


async def test_polling_delivers_updates_in_order_and_confirms_them(
    bot: Bot, fake: FakeTelegram
) -> None:
    stop = asyncio.Event()
    handle = Collector(stop, until=3)
    fake.push_update(text_update(31, CHAT, "one"))
    fake.push_update(text_update(32, CHAT, "two"))
    task = asyncio.create_task(poll(bot, handle, stop, timeout=5))
    await fake.wait_for_call("getUpdates", count=2)  # the long poll after 31 and 32
    fake.push_update(text_update(33, CHAT, "three"))

    await asyncio.wait_for(task, 5)

    assert handle.seen == [31, 32, 33]
    assert fake.calls_of("getUpdates")[0]["allowed_updates"] == list(ALLOWED_UPDATES)
    assert fake.calls_of("getUpdates")[-1]["offset"] == 34
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_polling_stops_promptly_during_a_long_poll(bot: Bot, fake: FakeTelegram) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(poll(bot, Collector(stop, until=99), stop, timeout=25))
    await fake.wait_for_call("getUpdates")
    await asyncio.sleep(0.1)  # the request is now waiting on the server

    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, 2)

    assert time.monotonic() - started < 1.0


async def test_an_update_whose_handler_fails_is_skipped_not_refetched(
    bot: Bot, fake: FakeTelegram
) -> None:
    stop = asyncio.Event()
    handle = Collector(stop, until=3, failing=41)
    for update_id in (41, 42, 43):
        fake.push_update(text_update(update_id, CHAT, "hi"))

    await asyncio.wait_for(poll(bot, handle, stop, timeout=5), 5)

    assert handle.seen == [41, 42, 43]


@pytest.mark.parametrize(
    ("code", "description", "retry_after"),
    [(500, "Internal Server Error", None), (429, "Too Many Requests: retry after 1", 1)],
)
async def test_polling_waits_out_server_trouble(
    bot: Bot, fake: FakeTelegram, code: int, description: str, retry_after: int | None
) -> None:
    stop = asyncio.Event()
    handle = Collector(stop, until=1)
    fake.fail_method("getUpdates", code, description, retry_after=retry_after)
    fake.push_update(text_update(51, CHAT, "hi"))

    started = time.monotonic()
    await asyncio.wait_for(poll(bot, handle, stop, timeout=5), 5)

    assert handle.seen == [51]
    assert time.monotonic() - started >= 0.9
    assert len(fake.calls_of("getUpdates")) >= 2


async def test_polling_with_a_revoked_token_fails_loudly(bot: Bot, fake: FakeTelegram) -> None:
    fake.token = "123456:issued-after-revoking"
    stop = asyncio.Event()

    with pytest.raises(InvalidToken):
        await asyncio.wait_for(poll(bot, Collector(stop, until=1), stop), 5)
