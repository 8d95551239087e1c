"""Telegram through python-telegram-bot's `Bot`: sending, update parsing, webhook and polling.

Only `Bot` is used, not `telegram.ext.Application`: the outbox already queues, throttles and
retries, and the conversation engine already routes, so the adapter's job is to translate
between Telegram's objects and errors and the bot's channel-neutral ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from telegram import Bot, BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bot.channels.base import OutcomeKind, SendOutcome
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_shape import ShapeError, check_update
from bot.channels.telegram_text import render_html, reply_markup, split_message
from bot.config import SUPPORTED_LOCALES, Settings
from bot.errors import ConfigError
from bot.i18n import DEFAULT_LANGUAGE, N_, I18n
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage
from bot.store.engine import brief, is_transient

log = logging.getLogger(__name__)

# What the bot subscribes to. parse_update acts on messages and button presses only; edits
# and my_chat_member (someone blocking or unblocking the bot) arrive and are ignored for now.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

# The dispatcher sends to many people at once; every concurrent send holds a connection.
_POOL_SIZE = 64
_TIMEOUT = 10.0
_POOL_TIMEOUT = 5.0
_MAX_BACKOFF = 30.0
# How long long polling waits before fetching an update the database could not take.
_DATABASE_PAUSE = 1.0
# How long stopping may spend telling Telegram which updates were handled.
_CONFIRM_TIMEOUT = 1.0

_COMMANDS = (
    ("start", N_("Start, or come back after STOP")),
    ("next", N_("The next session")),
    ("sessions", N_("All sessions and recordings")),
    ("language", N_("Choose your language")),
    ("subscribe", N_("Get a reminder before each session")),
    ("help", N_("What I can do")),
    ("stop", N_("Stop all messages")),
)
# Only organizers see it in their menu; anyone else who types it is politely refused.
_ORGANIZER_COMMANDS = (
    *_COMMANDS[:-1],
    ("broadcast", N_("Send an announcement (organizers)")),
    _COMMANDS[-1],
)

_T = TypeVar("_T")


class BadUpdateError(ValueError):
    """A webhook body that is not a Telegram update; the webhook answers 400."""


def make_bot(settings: Settings) -> Bot:
    """A `Bot` talking to `settings.telegram_api_base_url` (the real API or a test double).

    Long polls get their own single connection: PTB adds the poll's `timeout` to the read
    timeout of that request, so a quiet poll is never mistaken for a dead connection, and a
    poll never waits for a connection behind a burst of sends.
    """
    token = settings.telegram_bot_token
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN", "is required to use Telegram")
    root = settings.telegram_api_base_url.rstrip("/")
    return Bot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=AiohttpRequest(connections=_POOL_SIZE, timeout=_TIMEOUT),
        get_updates_request=HTTPXRequest(
            connection_pool_size=1,
            connect_timeout=_TIMEOUT,
            read_timeout=_TIMEOUT,
            write_timeout=_TIMEOUT,
            pool_timeout=_POOL_TIMEOUT,
        ),
    )


class TelegramChannel:
    name = ChannelName.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, message: OutboundMessage) -> SendOutcome:
        """Send a reply as HTML, in as many messages as its length needs.

        Buttons go under the last part, where the person finishes reading. A failure after
        some parts went out makes the whole reply be retried, so those parts arrive twice:
        delivery of long replies is at least once, never at most once. A time-out is retried
        too, though Telegram may have delivered the message before the answer was lost.
        """
        parts = split_message(render_html(message.text, message.locale))
        if not parts:
            return SendOutcome(OutcomeKind.FAILED, error="empty text")
        try:
            chat_id = int(message.address.id)
            markup = reply_markup(message.buttons)
        except ValueError as error:  # checked before the first part, so nothing half-sent
            return SendOutcome(OutcomeKind.FAILED, error=str(error))
        try:
            for index, part in enumerate(parts, start=1):
                sent = await self._bot.send_message(
                    chat_id=chat_id,
                    text=part,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if index == len(parts) else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
        except RetryAfter as error:
            return SendOutcome(
                OutcomeKind.RETRY, error=str(error), retry_after=retry_after_seconds(error)
            )
        except Forbidden as error:
            # Blocked, deactivated, or never started the bot: only the person can undo it.
            return SendOutcome(OutcomeKind.STOPPED, error=str(error))
        except BadRequest as error:  # before NetworkError: PTB makes it a subclass
            return SendOutcome(OutcomeKind.FAILED, error=str(error))
        except TelegramError as error:  # time-outs, refused connections, 5xx
            return SendOutcome(OutcomeKind.RETRY, error=f"{type(error).__name__}: {error}")
        return SendOutcome(OutcomeKind.SENT, provider_id=str(sent.message_id))


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds.

    PTB 22 hands it out as an int, or as a timedelta once PTB_TIMEDELTA is set (the future
    default); both are accepted so flipping the switch changes nothing here.
    """
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class TelegramInbound:
    """What an update means to the bot, and which button press must be acknowledged.

    Telegram shows a spinner on a pressed button until the press is answered, so a press is
    answered even when it carries nothing for the conversation.
    """

    message: InboundMessage | None
    callback_query_id: str | None = None


def parse_update(update: Update) -> TelegramInbound:
    """Turn a private chat's message or button press into an `InboundMessage`.

    The bot answers people one to one: groups, channels, edits (already answered in their
    first version) and every other kind of update are ignored.
    """
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        if query.data is None or (chat is not None and chat.type != ChatType.PRIVATE):
            return TelegramInbound(None, callback_query_id=query.id)
        user = query.from_user
        inbound = InboundMessage(
            Address(ChannelName.TELEGRAM, str(chat.id if chat is not None else user.id)),
            query.data,
            # A press carries no time of its own; the message's date is when it was sent.
            received_at=datetime.now(UTC),
            external_id=f"cb:{query.id}",
            language_hint=user.language_code,
            display_name=user.first_name,
        )
        return TelegramInbound(inbound, callback_query_id=query.id)

    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return TelegramInbound(None)
    # Stickers, voice notes, locations... arrive as empty text, which the router answers.
    text, deep_link = _command(message.text or message.caption or "")
    sender = message.from_user
    return TelegramInbound(
        InboundMessage(
            Address(ChannelName.TELEGRAM, str(message.chat.id)),
            text,
            received_at=message.date.astimezone(UTC),
            external_id=str(update.update_id),
            language_hint=sender.language_code if sender is not None else None,
            display_name=sender.first_name if sender is not None else None,
            deep_link=deep_link,
        )
    )


def _command(text: str) -> tuple[str, str | None]:
    """Strip a command's "@botname" and split off a /start deep-link payload.

    Telegram appends the bot's name when a command is picked from a menu in some clients
    ("/next@SessionsBot"); the router knows the bare command.
    """
    if not text.startswith("/"):
        return text, None
    word, *rest = text.split(None, 1)
    command = word.partition("@")[0]
    if command == "/start":
        return command, rest[0].strip() if rest else None
    return command + text[len(word) :], None


def update_from_json(data: object, bot: Bot) -> Update:
    """Parse a webhook body, refusing anything that is not a well-formed update.

    PTB trusts its input and fails with whatever Python error the shape provokes; all of
    them become `BadUpdateError` so the webhook can answer 400 instead of 500.
    """
    if not isinstance(data, dict):
        raise BadUpdateError(f"an update is a JSON object, got {type(data).__name__}")
    try:
        check_update(data)
    except ShapeError as error:
        raise BadUpdateError(f"malformed update: {error}") from error
    update_id = data["update_id"]
    try:
        return Update.de_json(data, bot)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise BadUpdateError(f"update {update_id} is malformed: {error!r}") from error
    except RecursionError as error:  # a reply_to_message chain hundreds deep
        raise BadUpdateError(f"update {update_id} is nested too deeply") from error


async def answer_callback(bot: Bot, callback_query_id: str) -> None:
    """Stop the button's spinner; a press answered too late is only logged.

    Telegram refuses answers after about 15 seconds, which a slow turn or a restart can
    exceed; the reply itself still goes out through the outbox.
    """
    try:
        await bot.answer_callback_query(callback_query_id)
    except TelegramError as error:
        log.warning("could not answer callback query %s: %s", callback_query_id, error)


async def set_commands(bot: Bot, i18n: I18n, organizers: Iterable[str] = ()) -> None:
    """Publish the command menu in every language, and in English for everyone else.

    Each organizer's private chat (ORGANIZERS entries that are Telegram user ids, not phone
    numbers) gets its own menu with /broadcast, in every language too: Telegram picks a
    chat's menu before the default one, and a chat menu without a language would hide the
    translated default menus from it. An organizer who never opened the bot has no chat
    yet; Telegram refuses that one, which is logged and skipped, not retried forever.
    """
    for language in (None, *SUPPORTED_LOCALES):
        await bot.set_my_commands(_menu(i18n, language, _COMMANDS), language_code=language)
    for chat_id in sorted({int(entry) for entry in organizers if entry.isdigit()}):
        try:
            for language in (None, *SUPPORTED_LOCALES):
                await bot.set_my_commands(
                    _menu(i18n, language, _ORGANIZER_COMMANDS),
                    scope=BotCommandScopeChat(chat_id),
                    language_code=language,
                )
        except BadRequest as error:
            log.warning("no organizer menu for Telegram chat %s: %s", chat_id, error)


def _menu(
    i18n: I18n, language: str | None, commands: tuple[tuple[str, str], ...]
) -> list[BotCommand]:
    translator = i18n[language or DEFAULT_LANGUAGE]
    return [BotCommand(name, translator.gettext(description)) for name, description in commands]


async def use_webhook(bot: Bot, url: str, secret: str) -> None:
    """Have Telegram push updates to `url`; updates queued meanwhile are kept, not dropped."""
    await bot.set_webhook(
        url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
    )


async def use_polling(bot: Bot) -> None:
    """Remove any webhook: Telegram refuses getUpdates while one is set."""
    await bot.delete_webhook(drop_pending_updates=False)


async def poll(
    bot: Bot,
    handle: Callable[[Update], Awaitable[None]],
    stop: asyncio.Event,
    timeout: int = 25,  # noqa: ASYNC109 - Telegram's long-poll length, not a deadline
) -> None:
    """Long-poll for updates and hand them to `handle` one by one, until `stop` is set.

    An update is confirmed (the next offset moves past it) once `handle` returns or raises,
    so a crashing update is logged and skipped rather than fetched forever; one that
    failed because the database is away is fetched again once it may be back. Network trouble
    and server errors are waited out with a capped backoff; a revoked token is raised, since
    no amount of waiting fixes it.
    """
    offset: int | None = None
    confirmed: int | None = None  # the offset of the last getUpdates Telegram answered
    failures = 0
    while not stop.is_set():
        asked = offset
        try:
            updates = await _unless_stopped(
                bot.get_updates(offset=asked, timeout=timeout, allowed_updates=ALLOWED_UPDATES),
                stop,
            )
        except InvalidToken:
            raise
        except RetryAfter as error:
            await _sleep_unless_stopped(retry_after_seconds(error), stop)
            continue
        except TelegramError as error:
            delay = min(_MAX_BACKOFF, 2.0**failures)
            failures += 1
            log.warning("getUpdates failed (%s); retrying in %.0f s", error, delay)
            await _sleep_unless_stopped(delay, stop)
            continue
        if updates is None:
            break
        confirmed, failures = asked, 0
        for update in updates:
            if stop.is_set():
                break  # left unconfirmed, so Telegram sends the rest after a restart
            try:
                await handle(update)
            except Exception as error:
                if is_transient(error):
                    # The database is away: keep this update, and the rest, for later.
                    log.warning(
                        "update %s waits for the database: %s", update.update_id, brief(error)
                    )
                    await _sleep_unless_stopped(_DATABASE_PAUSE, stop)
                    break
                log.exception("handling update %s failed; skipping it", update.update_id)
            offset = update.update_id + 1
    if offset != confirmed:
        await _confirm(bot, offset)


async def _confirm(bot: Bot, offset: int | None) -> None:
    """Tell Telegram the handled updates are done, so a restart does not receive them again."""
    with suppress(TelegramError, TimeoutError):
        async with asyncio.timeout(_CONFIRM_TIMEOUT):
            await bot.get_updates(offset=offset, limit=1, timeout=0)


async def _unless_stopped(call: Awaitable[_T], stop: asyncio.Event) -> _T | None:
    """Await `call`, or cancel it and return None as soon as `stop` is set."""
    task = asyncio.ensure_future(call)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
    return None if task.cancelled() else task.result()


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
