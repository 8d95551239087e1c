"""A stand-in for the Telegram Bot API, served over real HTTP on 127.0.0.1.

The adapter is tested through python-telegram-bot's own HTTP client, so what is checked is
what would reach Telegram: the URL with the token, PTB's form encoding, the error bodies
PTB turns into exceptions. The fake answers as the real API does for the methods the bot
uses, and where the real behaviour is unclear it is stricter (an unknown HTML tag or entity
is refused), so a test passing here does not hide a message Telegram would reject.

    async with FakeTelegram(token="123:ABC") as fake:
        bot = make_bot(Settings(telegram_bot_token="123:ABC", telegram_api_base_url=fake.base_url))
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

# PTB posts form fields, each a string (objects as JSON); the real API knows each field's
# type, and so does the fake for the fields the bot sends.
_INT_FIELDS = frozenset({"chat_id", "offset", "limit", "timeout", "message_id", "max_connections"})
_BOOL_FIELDS = frozenset({"drop_pending_updates", "disable_notification", "show_alert"})
_JSON_FIELDS = frozenset(
    {"reply_markup", "link_preview_options", "allowed_updates", "commands", "scope", "entities"}
)

_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"tg-emoji", "code", "pre", "blockquote"}
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MAX_TEXT = 4096
_MAX_CALLBACK_DATA = 64

BOT_USERNAME = "LearningSessionsBot"


class ApiError(Exception):
    """An error answer: HTTP status and body as Telegram sends them."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.code)


@dataclass
class Fault:
    """What the next `times` matching calls get instead of a plain answer: `error`, a reset
    connection, or (`stall` seconds) the usual effect with an answer too late to be read."""

    method: str
    chat_id: int | None
    error: ApiError | None
    times: int
    reset: bool = False
    stall: float = 0.0


def reset_connection(request: web.Request) -> web.Response:
    """Drop the request's connection with a TCP reset, as a crashing proxy or provider does.

    SO_LINGER 0 makes the close an RST, so the client sees ECONNRESET rather than a tidy
    end of stream; the response returned is never written.
    """
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


class FakeTelegram:
    """The Bot API for one token, recording every call.

    `rate_limit_per_second` and `per_chat_per_second` refuse sendMessage calls beyond that
    many in any one-second window with a 429 (counted in `too_many`), as Telegram's flood
    control does; `latency` delays every sendMessage answer, for benchmarks.
    """

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        rate_limit_per_second: int | None = None,
        per_chat_per_second: int | None = None,
        retry_after: int = 1,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        self.rate_limit_per_second = rate_limit_per_second
        self.per_chat_per_second = per_chat_per_second
        self.retry_after = retry_after
        self.latency = latency
        self.calls: list[tuple[str, JSON]] = []
        self.sent: list[JSON] = []  # parameters of every sendMessage that succeeded
        self.answered: list[str] = []  # callback_query_id of every answerCallbackQuery
        self.commands: dict[str | None, list[JSON]] = {}  # by language_code
        # Menus set with a chat scope, by (chat_id, language_code); the default scope's
        # stay in `commands`.
        self.chat_commands: dict[tuple[int, str | None], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.too_many = 0
        self._updates: list[JSON] = []
        self._faults: list[Fault] = []
        self._sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = {}
        self._message_id = 0
        self._update_arrived = asyncio.Event()
        self._changed = asyncio.Event()  # set on every call and every message sent
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._methods: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
        }
        # Telegram reads method names case-insensitively.
        self._names = {name.lower(): name for name in self._methods}

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop serving: pending long polls return empty and new connections are refused."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- what tests drive ------------------------------------------------------------------

    def push_update(self, update: JSON) -> None:
        """Queue an update for getUpdates, waking any long poll."""
        self._updates.append(update)
        self._update_arrived.set()

    def fail_chat(
        self,
        chat_id: int,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` sendMessage calls to `chat_id` fail with this error."""
        error = ApiError(error_code, description, retry_after)
        self._faults.append(Fault("sendmessage", chat_id, error, times))

    def fail_method(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` (any chat) fail with this error."""
        error = ApiError(error_code, description, retry_after)
        self._faults.append(Fault(method.lower(), None, error, times))

    def reset_chat(self, chat_id: int, times: int = 1) -> None:
        """Reset the connection of the next `times` sendMessage calls to `chat_id`, before
        anything is sent: the client gets ECONNRESET and the person nothing."""
        self._faults.append(Fault("sendmessage", chat_id, None, times, reset=True))

    def stall_chat(self, chat_id: int, seconds: float, times: int = 1) -> None:
        """Send the next `times` messages to `chat_id`, but answer only after `seconds`.

        Longer than the client's time-out, this is an answer lost on the way: the message
        reached the person and the client, having given up, will try again.
        """
        self._faults.append(Fault("sendmessage", chat_id, None, times, stall=seconds))

    async def wait_for_sent(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - fails with a message saying what arrived
    ) -> list[JSON]:
        """Wait until at least `count` messages were sent; fails the test after `timeout`."""
        await self._wait_until(lambda: len(self.sent) >= count, timeout)
        return self.sent

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - fails with a message saying what arrived
    ) -> list[JSON]:
        """Wait until `method` was called at least `count` times (a long poll is then open)."""
        await self._wait_until(lambda: len(self.calls_of(method)) >= count, timeout)
        return self.calls_of(method)

    async def _wait_until(self, done: Callable[[], bool], seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not done():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            calls = [name for name, _ in self.calls]
            raise AssertionError(
                f"not there after {seconds} s: {len(self.sent)} sent, calls {calls}"
            ) from None

    def calls_of(self, method: str) -> list[JSON]:
        return [params for name, params in self.calls if name == method]

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        name = self._names.get(request.match_info["method"].lower())
        if name is None:
            return ApiError(404, "Not Found").response()
        fault: Fault | None = None
        try:
            params = await _params(request)
            self.calls.append((name, params))
            self._changed.set()
            fault = self._take_fault(name.lower(), params.get("chat_id"))
            if fault is not None and fault.reset:
                return reset_connection(request)
            if fault is not None and fault.error is not None:
                raise fault.error
            result = await self._methods[name](params)
        except ApiError as error:
            return error.response()
        if fault is not None and fault.stall:
            await asyncio.sleep(fault.stall)
        return web.json_response({"ok": True, "result": result})

    def _take_fault(self, method: str, chat_id: object) -> Fault | None:
        """The fault this call meets, if any, counted off (a hook for scheduled faults)."""
        for fault in self._faults:
            if fault.method == method and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- methods ---------------------------------------------------------------------------

    def _bot_user(self) -> JSON:
        prefix = self.token.partition(":")[0]
        return {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": "Learning Sessions",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_me(self, params: JSON) -> JSON:
        return self._bot_user()

    async def _send_message(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat_id is empty")
        self._throttle(chat_id)
        raw = params.get("text")
        if not isinstance(raw, str):
            raise ApiError(400, "Bad Request: message text is empty")
        text = _plain_text(raw) if params.get("parse_mode") == "HTML" else raw
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > _MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        _check_markup(markup)
        if self.latency:
            await asyncio.sleep(self.latency)
        self._message_id += 1
        message: JSON = {
            "message_id": self._message_id,
            "from": self._bot_user(),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "date": int(time.time()),
            "text": text,
        }
        if markup is not None:
            message["reply_markup"] = markup
        self.sent.append(params)
        self._changed.set()
        return message

    def _throttle(self, chat_id: int) -> None:
        now = time.monotonic()
        chat_sends = self._chat_sends.setdefault(chat_id, deque())
        for window in (self._sends, chat_sends):
            while window and window[0] <= now - 1.0:
                window.popleft()
        if (
            self.rate_limit_per_second is not None
            and len(self._sends) >= self.rate_limit_per_second
        ) or (self.per_chat_per_second is not None and len(chat_sends) >= self.per_chat_per_second):
            self.too_many += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after
            )
        self._sends.append(now)
        chat_sends.append(now)

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        self.answered.append(str(query_id))
        return True

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be an array")
        for command in commands:
            if not _COMMAND.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        chat = _scope_chat(params.get("scope"))
        if chat is None:
            self.commands[params.get("language_code")] = commands
        else:
            self.chat_commands[(chat, params.get("language_code"))] = commands
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        chat = _scope_chat(params.get("scope"))
        if chat is None:
            return self.commands.get(params.get("language_code"), [])
        return self.chat_commands.get((chat, params.get("language_code")), [])

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        # Telegram insists on HTTPS; a test's own server on loopback is let through over HTTP.
        if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = params
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook and self.webhook.get("allowed_updates") is not None:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _get_updates(self, params: JSON) -> list[JSON]:
        """Confirm everything below `offset`, then answer with what is left, waiting for some.

        Like Telegram, a long poll returns as soon as one update is available.
        """
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = params.get("limit") or 100
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._updates and not self._closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._update_arrived.clear()
            waiters = {
                asyncio.ensure_future(self._update_arrived.wait()),
                asyncio.ensure_future(self._closing.wait()),
            }
            _, pending = await asyncio.wait(
                waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()
        return self._updates[:limit]


async def _params(request: web.Request) -> JSON:
    """The call's parameters, typed as Telegram reads them, from the query, a form or JSON."""
    params: JSON = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: parameters must be a JSON object")
            params.update(body)
        else:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return {name: _typed(name, value) for name, value in params.items()}


def _typed(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # "@channelusername"
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


def _plain_text(markup: str) -> str:
    """What the person reads: HTML parsed as Telegram does, refusing what it would refuse."""
    for match in re.finditer(r"<[^>]*>?", markup):
        tag = _TAG.fullmatch(match.group())
        if tag is None:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unclosed start tag at {match.start()}"
            )
        if tag.group(2).lower() not in _TAGS:
            raise ApiError(
                400,
                "Bad Request: can't parse entities: Unsupported start tag "
                f'"{tag.group(2)}" at byte offset {match.start()}',
            )
    text = _TAG.sub("", markup)
    for index, char in enumerate(text):
        if char == "&" and not _ENTITY.match(text, index):
            raise ApiError(
                400, f"Bad Request: can't parse entities: Character entity expected at {index}"
            )
    return html.unescape(text)


def _check_markup(markup: object) -> None:
    if markup is None:
        return
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= _MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


# -- updates as Telegram sends them ----------------------------------------------------------


def _user(user_id: int, first_name: str, language_code: str | None) -> JSON:
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _chat(chat_id: int, chat_type: str, first_name: str) -> JSON:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": "Parents of Room 12"}


def message_update(
    update_id: int,
    chat_id: int,
    content: JSON,
    *,
    kind: str = "message",
    language_code: str | None = "en",
    first_name: str = "Ana",
    chat_type: str = "private",
    user_id: int | None = None,
    date: int | None = None,
) -> JSON:
    """An update carrying a message; `content` holds its text, sticker, photo... fields.

    Outside private chats the sender is a different id from the chat (`user_id`, by default
    the chat id without its minus sign); channel posts have no sender at all.
    """
    message: JSON = {
        "message_id": update_id,
        "chat": _chat(chat_id, chat_type, first_name),
        "date": int(time.time()) if date is None else date,
        **content,
    }
    if chat_type != "channel":
        sender = user_id if user_id is not None else abs(chat_id)
        message["from"] = _user(sender, first_name, language_code)
    if kind.startswith("edited"):
        message["edit_date"] = message["date"] + 60
    return {"update_id": update_id, kind: message}


def _text(text: str, key: str = "text") -> JSON:
    content: JSON = {key: text}
    command = _BOT_COMMAND.match(text)
    if command is not None:
        length = len(command.group().encode("utf-16-le")) // 2
        entities_key = "entities" if key == "text" else "caption_entities"
        content[entities_key] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


def text_update(
    update_id: int,
    chat_id: int,
    text: str,
    language_code: str | None = "en",
    first_name: str = "Ana",
    chat_type: str = "private",
    **options: Any,
) -> JSON:
    """A text message, with a bot_command entity when it starts with a command."""
    return message_update(
        update_id,
        chat_id,
        _text(text),
        language_code=language_code,
        first_name=first_name,
        chat_type=chat_type,
        **options,
    )


def edited_update(update_id: int, chat_id: int, text: str, **options: Any) -> JSON:
    return message_update(update_id, chat_id, _text(text), kind="edited_message", **options)


def channel_post_update(update_id: int, chat_id: int, text: str) -> JSON:
    return message_update(
        update_id,
        chat_id,
        {**_text(text), "sender_chat": _chat(chat_id, "channel", "")},
        kind="channel_post",
        chat_type="channel",
    )


def sticker_update(update_id: int, chat_id: int, **options: Any) -> JSON:
    sticker = {
        "file_id": "CAACAgIAAxkBAAEBsticker",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    return message_update(update_id, chat_id, {"sticker": sticker}, **options)


def photo_update(update_id: int, chat_id: int, caption: str | None = None, **options: Any) -> JSON:
    content: JSON = {
        "photo": [
            {"file_id": f"AgACphoto{size}", "file_unique_id": f"AQADphoto{size}", **dims}
            for size, dims in (
                ("s", {"width": 90, "height": 67, "file_size": 1405}),
                ("x", {"width": 1280, "height": 960, "file_size": 98452}),
            )
        ]
    }
    if caption is not None:
        content.update(_text(caption, key="caption"))
    return message_update(update_id, chat_id, content, **options)


def callback_update(
    update_id: int,
    chat_id: int,
    data: str | None,
    *,
    callback_id: str | None = None,
    language_code: str | None = "en",
    first_name: str = "Ana",
    chat_type: str = "private",
    with_message: bool = True,
) -> JSON:
    """A press on an inline keyboard button under one of the bot's messages."""
    sender = chat_id if chat_type == "private" else abs(chat_id)
    query: JSON = {
        "id": callback_id or f"{update_id}0042",
        "from": _user(sender, first_name, language_code),
        "chat_instance": "-5471223309117385520",
    }
    if with_message:
        query["message"] = {
            "message_id": 7,
            "from": {"id": 123, "is_bot": True, "first_name": "Learning Sessions"},
            "chat": _chat(chat_id, chat_type, first_name),
            "date": int(time.time()) - 30,
            "text": "Which language?",
        }
    else:
        query["inline_message_id"] = "AgAAAAsdd"
    if data is not None:
        query["data"] = data
    return {"update_id": update_id, "callback_query": query}


def _scope_chat(scope: object) -> int | None:
    """The chat of a `BotCommandScopeChat`; None for the default scope (or none given)."""
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        return None
    if scope.get("type") != "chat" or not isinstance(scope.get("chat_id"), int):
        raise ApiError(400, "Bad Request: unsupported command scope")
    return int(scope["chat_id"])
