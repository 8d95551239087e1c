"""Malformed and hostile requests to the webhooks, kept as data: one `Case` per request.

`tests/web/test_hostile_webhooks.py` posts each case to a running server and checks what it
promises: never a 5xx, nothing stored changes for a refused or ignored request, and a
hostile *text* that is authentic (right secret, valid signature) gets its sender's contact,
its line in the inbound log and exactly one polite reply. Every case starts from the same
small world (`world_requests`: two subscribers and a number that texted STOP, whom some
cases try to stop or restart) and writes as its own chat or phone number, with its own
update id or MessageSid, so cases do not depend on each other or on their order.

Twilio requests are signed when posted, since the signature covers the server's URL and
its port is only known then; anything that names the reply a status callback is about
uses `OUTBOX_ID` / `PROVIDER_SID`, filled in with the newest outbox row to the case's
address at that moment.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from enum import Enum
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine
from twilio.request_validator import RequestValidator

from bot.store.tables import (
    consent_events,
    contacts,
    inbound_log,
    inbound_seen,
    outbox,
    subscriptions,
)
from tests.support.fake_telegram import callback_update, message_update, text_update
from tests.support.fake_twilio import SIGNATURE_HEADER, TEST_AUTH_TOKEN, inbound_sms_params
from tests.support.server import BOT_NUMBER, WEBHOOK_SECRET

TELEGRAM_PATH = "/webhooks/telegram"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
# Stand-ins for the outbox id and Twilio sid of the reply a status callback reports on.
OUTBOX_ID = "@outbox-id@"
PROVIDER_SID = "@provider-sid@"
# Beyond the server's 64 KiB cap on bodies.
OVER_THE_CAP = 100 * 1024

Pairs = tuple[tuple[str, str], ...]


class Family(Enum):
    TELEGRAM = "telegram"
    TWILIO_SMS = "twilio_sms"
    TWILIO_STATUS = "twilio_status"


class Expect(Enum):
    REFUSED = "refused"  # a 4xx; nothing stored changes
    IGNORED = "ignored"  # a 2xx; nothing stored changes
    ANSWERED = "answered"  # a 2xx; the sender's contact, their words and one polite reply
    # A 2xx or a 4xx; nothing stored changes. For update kinds the bot never subscribes to,
    # which PTB may or may not know how to read depending on its version.
    UNCHANGED = "unchanged"


class Signing(Enum):
    """What the X-Twilio-Signature header holds."""

    VALID = "valid"  # Twilio's signature of this URL and the params in `signed_form` or the body
    NONE = "none"  # no header at all
    EMPTY = "empty"
    FORGED = "forged"  # well-formed base64 of the right length, wrong value
    GARBAGE = "garbage"  # not base64
    LOWERCASE = "lowercase"  # the valid one, lower-cased (base64 is case-sensitive)
    HUGE = "huge"  # 6 kB of base64
    OTHER_TOKEN = "other token"  # signed with another account's auth token
    OTHER_HOST = "other host"  # signed for the URL an internal proxy hop would see
    HTTPS = "https"  # signed for the same host over https


@dataclass(frozen=True)
class Request:
    """One HTTP request; Telegram's fields (`body`, `secret`) or Twilio's (`form`, `signing`)."""

    path: str
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    secret: str | None = WEBHOOK_SECRET
    form: Pairs | None = None
    signing: Signing = Signing.VALID
    # What the signature covers when it is not what is sent (a replay with another body).
    signed_form: Pairs | None = None
    # The path the signature was made for, when not the one posted to.
    sign_path: str | None = None
    method: str = "POST"
    chunked: bool = False

    @property
    def is_twilio(self) -> bool:
        return self.path.startswith("/webhooks/twilio/")

    def payload(self) -> bytes:
        if self.is_twilio and self.form is not None:
            return urlencode(self.form).encode()
        return self.body


@dataclass(frozen=True)
class Case:
    id: str
    family: Family
    request: Request
    expect: Expect
    # Who gets the reply (ANSWERED); for status callbacks, whose reply they report on.
    address: str | None = None
    # Posted before the snapshot is taken (each must get a 2xx).
    prelude: tuple[Request, ...] = ()
    # The exact status, where the protocol fixes one (403 for a bad secret...).
    status: int | None = None


# -- building requests ---------------------------------------------------------------------

_update_ids = count(50_001)
_chats = count(880_001)
_phones = count(1)
_sids = count(1)


def next_update_id() -> int:
    return next(_update_ids)


def next_chat() -> int:
    return next(_chats)


def next_phone() -> str:
    return f"+1555{next(_phones):07d}"


def next_sid() -> str:
    return f"SM{next(_sids):032x}"


def telegram_request(update: object, **options: Any) -> Request:
    return Request(TELEGRAM_PATH, body=json.dumps(update).encode(), **options)


def raw_telegram(body: bytes, **options: Any) -> Request:
    return Request(TELEGRAM_PATH, body=body, **options)


def sms_form(sender: str, text: str, sid: str | None = None, **overrides: str | None) -> Pairs:
    """Twilio's inbound form; an override of None leaves that field out."""
    form: dict[str, str] = inbound_sms_params(sender, text, sid=sid or next_sid(), to=BOT_NUMBER)
    for name, value in overrides.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    return tuple(form.items())


def sms_request(form: Pairs, **options: Any) -> Request:
    return Request(SMS_PATH, content_type=FORM_TYPE, form=form, secret=None, **options)


def raw_sms(body: bytes, content_type: str | None = FORM_TYPE, **options: Any) -> Request:
    return Request(SMS_PATH, body=body, content_type=content_type, secret=None, **options)


def status_form(status: str | None = "delivered", **overrides: str | None) -> Pairs:
    """A status callback's form as Twilio posts it; an override of None leaves a field out."""
    form: dict[str, str] = {
        "AccountSid": "AC" + "0" * 31 + "1",
        "ApiVersion": "2010-04-01",
        "From": BOT_NUMBER,
        "MessageSid": PROVIDER_SID,
        "SmsSid": PROVIDER_SID,
    }
    if status is not None:
        form["MessageStatus"] = status
        form["SmsStatus"] = status
    for name, value in overrides.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    return tuple(form.items())


def status_request(form: Pairs, query: str = f"?m={OUTBOX_ID}", **options: Any) -> Request:
    return Request(STATUS_PATH + query, content_type=FORM_TYPE, form=form, secret=None, **options)


def _resolved(pairs: Pairs, fill: Callable[[str], str]) -> Pairs:
    return tuple((name, fill(value)) for name, value in pairs)


def resolve(request: Request, outbox_id: int | None, provider_sid: str | None) -> Request:
    """The request with the reply's outbox id and Twilio sid in place of their stand-ins."""

    def fill(text: str) -> str:
        if OUTBOX_ID in text:
            assert outbox_id is not None, "a status case needs its reply in the outbox"
            text = text.replace(OUTBOX_ID, str(outbox_id))
        if PROVIDER_SID in text:
            assert provider_sid is not None, "a status case needs its reply sent"
            text = text.replace(PROVIDER_SID, provider_sid)
        return text

    return replace(
        request,
        path=fill(request.path),
        form=None if request.form is None else _resolved(request.form, fill),
        signed_form=None if request.signed_form is None else _resolved(request.signed_form, fill),
        sign_path=None if request.sign_path is None else fill(request.sign_path),
    )


def _signature(request: Request, base_url: str, params: dict[str, str]) -> str | None:
    path = request.sign_path or request.path
    url = base_url + path
    if request.signing is Signing.OTHER_HOST:
        url = "http://10.0.0.5:8080" + path
    elif request.signing is Signing.HTTPS:
        url = base_url.replace("http://", "https://", 1) + path
    token = "another-accounts-token" if request.signing is Signing.OTHER_TOKEN else TEST_AUTH_TOKEN
    valid: str = RequestValidator(token).compute_signature(url, params)
    return {
        Signing.NONE: None,
        Signing.EMPTY: "",
        Signing.FORGED: base64.b64encode(b"\x00" * 20).decode(),
        Signing.GARBAGE: "!!not base64!!",
        Signing.LOWERCASE: valid.lower(),
        Signing.HUGE: base64.b64encode(b"\x01" * 4500).decode(),
    }.get(request.signing, valid)


def _signed_params(request: Request) -> dict[str, str]:
    """The params Twilio would have signed: what the server reads from the body."""
    if request.signed_form is not None:
        return dict(request.signed_form)
    if request.form is not None:
        return dict(request.form)
    try:
        return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def headers_of(request: Request, base_url: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    if request.is_twilio:
        signature = _signature(request, base_url, _signed_params(request))
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
    elif request.secret is not None:
        headers[SECRET_HEADER] = request.secret
    return headers


async def _chunks(body: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def post(client: aiohttp.ClientSession, base_url: str, request: Request) -> int:
    """Send `request` as the provider (or an attacker) would; the response's status."""
    body = request.payload()
    data: bytes | AsyncIterator[bytes] | None = body if body else None
    if request.chunked:
        data = _chunks(body)
    async with client.request(
        request.method,
        base_url + request.path,
        data=data,
        headers=headers_of(request, base_url),
        skip_auto_headers=() if request.content_type else ("Content-Type",),
    ) as response:
        await response.read()
        return response.status


# -- what is stored ------------------------------------------------------------------------

SNAPSHOT_TABLES = (contacts, consent_events, subscriptions, outbox, inbound_log, inbound_seen)

Row = dict[str, Any]
Snapshot = dict[str, dict[tuple[Any, ...], Row]]


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of the tables a webhook may write, by primary key."""
    taken: Snapshot = {}
    async with engine.connect() as connection:
        for table in SNAPSHOT_TABLES:
            keys = list(table.primary_key.columns)
            rows = (await connection.execute(select(table))).all()
            taken[table.name] = {
                tuple(row._mapping[key.name] for key in keys): dict(row._mapping) for row in rows
            }
    return taken


def changes(before: Snapshot, after: Snapshot) -> dict[str, list[Row]]:
    """Rows added, changed or removed, per table (empty lists left out)."""
    found: dict[str, list[Row]] = {}
    for name, rows in after.items():
        old = before[name]
        changed = [row for key, row in rows.items() if old.get(key) != row]
        changed += [row for key, row in old.items() if key not in rows]
        if changed:
            found[name] = changed
    return found


async def trim(engine: AsyncEngine, world: Snapshot) -> None:
    """Delete every row of the snapshot tables that `world` does not hold.

    Each case then starts from the same few people, so a snapshot stays a few rows long and
    a case's outcome does not depend on which cases ran before it.
    """
    async with engine.begin() as connection:
        # Children before the contacts they point to.
        for table in (outbox, inbound_log, subscriptions, consent_events, inbound_seen, contacts):
            keys = list(table.primary_key.columns)
            kept = list(world[table.name])
            if not kept:
                await connection.execute(delete(table))
            elif len(keys) == 1:
                await connection.execute(delete(table).where(keys[0].not_in([k[0] for k in kept])))
            else:
                await connection.execute(delete(table).where(tuple_(*keys).not_in(kept)))


# -- the people every case starts with -----------------------------------------------------

# A Telegram parent and an SMS parent who subscribed to reminders, and an SMS parent who
# texted STOP: requests forged in their names must leave them as they are.
SUBSCRIBER_CHAT = 770_001
SUBSCRIBER_PHONE = "+15557770001"
STOPPED_PHONE = "+15557770002"
SUBSCRIBER_UPDATE_ID = 40_001
SUBSCRIBER_SID = "SM" + "7" * 32


def world_requests() -> tuple[Request, ...]:
    return (
        telegram_request(text_update(SUBSCRIBER_UPDATE_ID, SUBSCRIBER_CHAT, "subscribe")),
        sms_request(sms_form(SUBSCRIBER_PHONE, "subscribe", sid=SUBSCRIBER_SID)),
        sms_request(sms_form(STOPPED_PHONE, "STOP")),
    )


# -- the corpus ----------------------------------------------------------------------------


def _telegram_text(case_id: str, text: str, **options: Any) -> Case:
    """A private message whose text is hostile: authentic, so it is answered politely."""
    chat = next_chat()
    update = text_update(next_update_id(), chat, text, **options)
    return Case(case_id, Family.TELEGRAM, telegram_request(update), Expect.ANSWERED, str(chat))


def _telegram_refused(case_id: str, update: object, *, status: int | None = 400) -> Case:
    return Case(case_id, Family.TELEGRAM, telegram_request(update), Expect.REFUSED, status=status)


def _telegram_ignored(case_id: str, update: object) -> Case:
    return Case(case_id, Family.TELEGRAM, telegram_request(update), Expect.IGNORED)


def _raw_refused(case_id: str, body: bytes, status: int | None = 400, **options: Any) -> Case:
    return Case(
        case_id, Family.TELEGRAM, raw_telegram(body, **options), Expect.REFUSED, status=status
    )


def _with(update: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`update` with the field at the dotted `path` set to `value` (or removed, for _MISSING)."""
    copied = json.loads(json.dumps(update))
    *parents, last = path.split(".")
    node = copied
    for part in parents:
        node = node[part]
    if value is _MISSING:
        del node[last]
    else:
        node[last] = value
    return copied


_MISSING = object()


def _with_literal(update: dict[str, Any], path: str, literal: str) -> bytes:
    """The update's JSON with `literal` (not valid JSON) as the value at `path`."""
    marker = "@literal@"
    return json.dumps(_with(update, path, marker)).replace(f'"{marker}"', literal).encode()


def _fresh_update() -> dict[str, Any]:
    """A private "hi" from a chat no other case uses."""
    return text_update(next_update_id(), next_chat(), "hi")


def _bad_field(case_id: str, path: str, value: Any) -> Case:
    """A private text message with one field missing or of the wrong type: a 400."""
    return _telegram_refused(case_id, _with(_fresh_update(), path, value))


def _nested_replies(depth: int) -> dict[str, Any]:
    """A message replying to a message replying to... `depth` levels down."""
    message: dict[str, Any] = {"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": 1}
    for _ in range(depth):
        message = {
            "message_id": 1,
            "chat": {"id": 1, "type": "private"},
            "date": 1,
            "reply_to_message": message,
        }
    return {"update_id": next_update_id(), "message": message}


def _telegram_structure() -> list[Case]:
    no_update_id = _with(_fresh_update(), "update_id", _MISSING)
    base_id = next_update_id()
    return [
        # Not JSON, or not an object.
        _raw_refused("tg-empty-body", b""),
        _raw_refused("tg-not-json", b"hello, bot"),
        _raw_refused("tg-truncated-json", b'{"update_id": 1, "message": {"text": "hi"'),
        _raw_refused("tg-single-quoted-json", b"{'update_id': 1}"),
        _raw_refused("tg-trailing-comma", b'{"update_id": 1,}'),
        _raw_refused("tg-json-with-comment", b'{"update_id": 1 /* hi */}'),
        _raw_refused("tg-form-body", b"update_id=1&message=hi", content_type=FORM_TYPE),
        _raw_refused("tg-xml-body", b"<update><id>1</id></update>", content_type="text/xml"),
        _raw_refused("tg-top-level-array", b'[{"update_id": 1}]'),
        _raw_refused("tg-top-level-string", b'"update"'),
        _raw_refused("tg-top-level-number", b"42"),
        _raw_refused("tg-top-level-null", b"null"),
        _raw_refused("tg-top-level-true", b"true"),
        _raw_refused("tg-empty-object", b"{}"),
        # Bytes that are not UTF-8 text.
        _raw_refused("tg-invalid-utf8", b'{"update_id": 1, "x": "\xff\xfe"}'),
        _raw_refused("tg-overlong-utf8", b'{"update_id": 1, "x": "\xc0\xaf"}'),
        _raw_refused("tg-utf8-encoded-surrogate", b'{"update_id": 1, "x": "\xed\xa0\x80"}'),
        _raw_refused("tg-truncated-utf8", b'{"update_id": 1, "x": "\xe2\x82"}'),
        # Escaped lone surrogates: valid JSON syntax, not Unicode text.
        _raw_refused(
            "tg-lone-high-surrogate",
            json.dumps(text_update(next_update_id(), next_chat(), "\ud800")).encode(),
        ),
        _raw_refused(
            "tg-lone-low-surrogate",
            json.dumps(text_update(next_update_id(), next_chat(), "hi \udfff")).encode(),
        ),
        _raw_refused(
            "tg-reversed-surrogate-pair",
            json.dumps(text_update(next_update_id(), next_chat(), "\udc00\ud800")).encode(),
        ),
        _raw_refused(
            "tg-surrogate-in-first-name",
            json.dumps(
                text_update(next_update_id(), next_chat(), "hi", first_name="\udbff")
            ).encode(),
        ),
        # Deep nesting, in JSON and in Telegram's own objects.
        _raw_refused("tg-10k-nested-lists", b"[" * 10_000 + b"]" * 10_000),
        _raw_refused("tg-10k-nested-objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        _raw_refused(
            "tg-10k-nested-in-update",
            b'{"update_id": 1, "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        ),
        Case(
            "tg-500-nested-reply-to-message",
            Family.TELEGRAM,
            telegram_request(_nested_replies(500)),
            Expect.REFUSED,
            status=400,
        ),
        # Numbers JSON does not have, or cannot hold.
        _raw_refused("tg-nan-update-id", b'{"update_id": NaN}'),
        _raw_refused("tg-infinity-update-id", b'{"update_id": Infinity}'),
        _raw_refused("tg-nan-chat-id", _with_literal(_fresh_update(), "message.chat.id", "NaN")),
        _raw_refused(
            "tg-minus-infinity-date", _with_literal(_fresh_update(), "message.date", "-Infinity")
        ),
        _raw_refused(
            "tg-5000-digit-update-id", b'{"update_id": ' + b"9" * 5000 + b', "message": {}}'
        ),
        _raw_refused("tg-1e400-update-id", b'{"update_id": 1e400}'),
        _telegram_refused("tg-float-update-id", {"update_id": 1.0, "x": 1}),
        # Sizes and framing.
        _raw_refused(
            "tg-1mb-body",
            json.dumps(text_update(next_update_id(), next_chat(), "x" * (1024 * 1024))).encode(),
            status=413,
        ),
        Case(
            "tg-1mb-chunked-body",
            Family.TELEGRAM,
            raw_telegram(
                json.dumps(
                    text_update(next_update_id(), next_chat(), "y" * (1024 * 1024))
                ).encode(),
                chunked=True,
            ),
            Expect.REFUSED,
            status=413,
        ),
        Case(
            "tg-get-instead-of-post",
            Family.TELEGRAM,
            raw_telegram(b"", method="GET", content_type=None),
            Expect.REFUSED,
            status=405,
        ),
        Case(
            "tg-put-instead-of-post",
            Family.TELEGRAM,
            telegram_request(text_update(next_update_id(), next_chat(), "hi"), method="PUT"),
            Expect.REFUSED,
            status=405,
        ),
        _telegram_refused("tg-missing-update-id", no_update_id),
        _telegram_ignored("tg-only-update-id", {"update_id": base_id}),
    ]


def _telegram_secrets() -> list[Case]:
    def refused(case_id: str, secret: str | None, status: int | None = 403) -> Case:
        update = text_update(next_update_id(), next_chat(), "hi")
        return Case(
            case_id,
            Family.TELEGRAM,
            telegram_request(update, secret=secret),
            Expect.REFUSED,
            status=status,
        )

    return [
        refused("tg-secret-missing", None),
        refused("tg-secret-empty", ""),
        refused("tg-secret-wrong", "not-the-secret"),
        refused("tg-secret-with-suffix", WEBHOOK_SECRET + "x"),
        refused("tg-secret-prefix-only", WEBHOOK_SECRET[:-1]),
        refused("tg-secret-upper-case", WEBHOOK_SECRET.upper()),
        refused("tg-secret-4kb", "s" * 4096),
        # Past aiohttp's 8 kB limit on a header: refused before the handler runs.
        refused("tg-secret-10kb", "s" * 10_240, status=None),
        refused("tg-secret-non-ascii", "tést-webhook-secret"),
    ]


def _telegram_fields() -> list[Case]:
    no_message = _fresh_update()
    return [
        # Missing fields.
        _telegram_ignored("tg-no-message", _with(no_message, "message", _MISSING)),
        _bad_field("tg-no-chat", "message.chat", _MISSING),
        _bad_field("tg-no-chat-type", "message.chat.type", _MISSING),
        _bad_field("tg-no-date", "message.date", _MISSING),
        _bad_field("tg-no-message-id", "message.message_id", _MISSING),
        # Wrong types.
        _telegram_refused("tg-update-id-string", {**_fresh_update(), "update_id": "12"}),
        _telegram_refused("tg-update-id-float", {**_fresh_update(), "update_id": 12.5}),
        _telegram_refused("tg-update-id-null", {**_fresh_update(), "update_id": None}),
        _telegram_refused("tg-update-id-list", {**_fresh_update(), "update_id": [12]}),
        _telegram_refused("tg-update-id-bool", {**_fresh_update(), "update_id": True}),
        _telegram_refused("tg-update-id-object", {**_fresh_update(), "update_id": {"id": 1}}),
        _bad_field("tg-message-string", "message", "hi"),
        _bad_field("tg-message-list", "message", ["hi"]),
        _bad_field("tg-from-string", "message.from", "Ana"),
        _bad_field("tg-date-string", "message.date", "yesterday"),
        _bad_field("tg-date-huge", "message.date", 10**20),
        _bad_field("tg-chat-id-object", "message.chat.id", {"id": 1}),
        _bad_field("tg-chat-id-string", "message.chat.id", "880999"),
        _bad_field("tg-chat-id-float", "message.chat.id", 1.5),
        _bad_field("tg-chat-id-null", "message.chat.id", None),
        _bad_field("tg-chat-id-bool", "message.chat.id", True),
        _bad_field("tg-text-number", "message.text", 42),
        _bad_field("tg-text-list", "message.text", ["hi"]),
        _bad_field("tg-text-true", "message.text", True),
        _bad_field("tg-text-false", "message.text", False),
        _bad_field("tg-text-object", "message.text", {"t": "hi"}),
        _bad_field("tg-first-name-number", "message.from.first_name", 42),
        _bad_field("tg-language-code-number", "message.from.language_code", 7),
        _bad_field("tg-entities-string", "message.entities", "bold"),
    ]


def _telegram_kinds() -> list[Case]:
    chat = next_chat()
    user = {"id": chat, "is_bot": False, "first_name": "Ana"}
    private = {"id": chat, "type": "private", "first_name": "Ana"}
    group = {"id": -100_777, "type": "supergroup", "title": "Parents"}
    poll = {
        "id": "5",
        "question": "Which day?",
        "options": [{"text": "Mon", "voter_count": 1, "persistent_id": "o1"}],
        "total_voter_count": 1,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    member = {"user": user, "status": "member"}

    def unknown_kind(case_id: str, update: dict[str, Any]) -> Case:
        return Case(case_id, Family.TELEGRAM, telegram_request(update), Expect.UNCHANGED)

    return [
        unknown_kind("tg-poll-partial", {"update_id": next_update_id(), "poll": {"id": "1"}}),
        unknown_kind("tg-poll", {"update_id": next_update_id(), "poll": poll}),
        unknown_kind(
            "tg-chat-join-request",
            {
                "update_id": next_update_id(),
                "chat_join_request": {
                    "chat": group,
                    "from": user,
                    "user_chat_id": chat,
                    "date": 1_700_000_000,
                },
            },
        ),
        unknown_kind(
            "tg-business-message",
            {
                "update_id": next_update_id(),
                "business_message": {
                    "message_id": 3,
                    "chat": private,
                    "from": user,
                    "date": 1_700_000_000,
                    "text": "hi",
                    "business_connection_id": "bc1",
                },
            },
        ),
        _telegram_ignored(
            "tg-my-chat-member-blocked",
            {
                "update_id": next_update_id(),
                "my_chat_member": {
                    "chat": private,
                    "from": user,
                    "date": 1_700_000_000,
                    "old_chat_member": {**member, "user": {**user, "id": 1, "is_bot": True}},
                    "new_chat_member": {
                        "user": {**user, "id": 1, "is_bot": True},
                        "status": "kicked",
                        "until_date": 0,
                    },
                },
            },
        ),
        _telegram_ignored(
            "tg-edited-message",
            message_update(next_update_id(), next_chat(), {"text": "hi"}, kind="edited_message"),
        ),
        unknown_kind(
            "tg-inline-query",
            {
                "update_id": next_update_id(),
                "inline_query": {"id": "9", "from": user, "query": "<b>", "offset": ""},
            },
        ),
        unknown_kind(
            "tg-invented-update-kind",
            {"update_id": next_update_id(), "frobnicate": {"with": ["anything", 1, None]}},
        ),
        _telegram_ignored(
            "tg-message-of-unknown-chat-type",
            text_update(next_update_id(), next_chat(), "hi", chat_type="martian"),
        ),
        _telegram_ignored(
            "tg-group-message-with-sql",
            text_update(
                next_update_id(), -100_778, "'; DROP TABLE contacts; --", chat_type="supergroup"
            ),
        ),
    ]


def _telegram_duplicates() -> list[Case]:
    chat = next_chat()
    update = text_update(next_update_id(), chat, "hi")
    again = telegram_request(update)
    later_chat = next_chat()
    same_id_other_text = text_update(next_update_id(), later_chat, "hi")
    first = telegram_request(same_id_other_text)
    second = telegram_request(
        {**same_id_other_text, "message": {**same_id_other_text["message"], "text": "sessions"}}
    )
    return [
        Case(
            "tg-duplicate-update-id",
            Family.TELEGRAM,
            again,
            Expect.IGNORED,
            prelude=(again,),
        ),
        Case(
            "tg-duplicate-update-id-other-text",
            Family.TELEGRAM,
            second,
            Expect.IGNORED,
            prelude=(first,),
        ),
    ]


def _telegram_callbacks() -> list[Case]:
    def answered(case_id: str, data: str, **options: Any) -> Case:
        chat = next_chat()
        update = callback_update(next_update_id(), chat, data, **options)
        return Case(case_id, Family.TELEGRAM, telegram_request(update), Expect.ANSWERED, str(chat))

    def press(data: Any = "1") -> dict[str, Any]:
        return callback_update(next_update_id(), next_chat(), data)

    return [
        answered("tg-callback-sql", "1; DROP TABLE outbox; --"),
        answered("tg-callback-script", "<script>alert(1)</script>"),
        answered("tg-callback-out-of-range-item", "99999"),
        answered("tg-callback-negative-item", "-1"),
        answered("tg-callback-5000-chars", "x" * 5000),
        answered("tg-callback-format-string", "%s {0} {__class__}"),
        answered("tg-callback-without-message", "1", with_message=False),
        _telegram_ignored("tg-callback-without-data", press(None)),
        _telegram_ignored(
            "tg-callback-from-group",
            callback_update(next_update_id(), -100_779, "1", chat_type="supergroup"),
        ),
        _telegram_refused("tg-callback-data-number", press(7)),
        _telegram_refused("tg-callback-data-list", press(["1"])),
        _telegram_refused(
            "tg-callback-without-from", _with(press(), "callback_query.from", _MISSING)
        ),
        _telegram_refused("tg-callback-id-object", _with(press(), "callback_query.id", {"x": 1})),
        _telegram_refused(
            "tg-callback-message-without-date",
            _with(press(), "callback_query.message.date", _MISSING),
        ),
    ]


def _telegram_hostile_texts() -> list[Case]:
    return [
        _telegram_text("tg-text-control-chars", "hi \x01\x02\x07\x08\x1b[31m\x7f\x85\x9b there"),
        _telegram_text("tg-text-nul", "hi\x00there"),
        _telegram_text("tg-text-only-nul", "\x00"),
        _telegram_text("tg-text-crlf", "hi\r\nX-Injected: 1\r\n\r\n<b>"),
        _telegram_text("tg-text-rlo-u202e", "\u202enext session\u202c"),
        _telegram_text("tg-text-lri-u2066", "\u2066sessions"),
        _telegram_text("tg-text-rli-u2067", "\u2067hola"),
        _telegram_text("tg-text-fsi-u2068", "\u2068مرحبا"),
        _telegram_text("tg-text-pdi-u2069", "help\u2069\u2069\u2069"),
        _telegram_text("tg-text-unbalanced-bidi", "\u202e\u202e\u202d\u2066\u2067 teachers"),
        _telegram_text("tg-text-zero-width", "s\u200be\u200cs\u200ds\u2060i\ufeffons"),
        _telegram_text("tg-text-only-zero-width", "\u200b\u200c\u200d\ufeff"),
        _telegram_text("tg-text-emoji-only", "😀🎉👍"),
        _telegram_text("tg-text-emoji-zwj-family", "👨\u200d👩\u200d👧\u200d👦"),
        _telegram_text("tg-text-flags-and-keycaps", "🇺🇸🇲🇽 1\ufe0f\u20e3"),
        _telegram_text("tg-text-astral-via-surrogate-pair", "hi \U0001f600"),
        _telegram_text("tg-text-sql-drop", "'; DROP TABLE contacts; --"),
        _telegram_text("tg-text-sql-union", "1 UNION SELECT address, state FROM contacts --"),
        _telegram_text("tg-text-sql-or", "teachers' OR '1'='1"),
        _telegram_text("tg-text-like-wildcards", "%_%\\%"),
        _telegram_text("tg-text-script", "<script>alert('x')</script>"),
        _telegram_text("tg-text-html-unclosed", "<b>bold <i>never closed"),
        _telegram_text("tg-text-html-entities", "&amp; &lt; &#0; &#x110000; &bogus; &"),
        _telegram_text("tg-text-javascript-link", '<a href="javascript:alert(1)">next</a>'),
        _telegram_text("tg-text-telegram-tags", "<tg-spoiler>x</tg-spoiler><pre>y"),
        _telegram_text("tg-text-format-string", "%s %(x)s {0} {__class__}"),
        _telegram_text("tg-text-format-specs", "%n%n%n %x %99999999s {0:>99999999}"),
        _telegram_text("tg-text-template-syntax", "{{ 7*7 }} {% raw %} ${jndi:ldap://x/a}"),
        _telegram_text("tg-text-4097-chars", "a" * 4097),
        _telegram_text("tg-text-10k-words", "teachers " * 1200),
        _telegram_text("tg-text-59kb", "teachers " * 6600),
        _telegram_text("tg-text-whitespace-only", " \t\n\u00a0\u3000 "),
        _telegram_text("tg-text-zalgo", "h" + "\u0301\u0336\u0489" * 300 + "i"),
        _telegram_text("tg-text-rtl-with-script", "مرحبا <script>x</script> \u202e"),
        _telegram_text("tg-text-start-script-payload", "/start <script>alert(1)</script>"),
        _telegram_text("tg-text-start-sql-payload", "/start ' OR 1=1 --"),
        _telegram_text("tg-text-start-long-payload", "/start " + "p" * 500),
        _telegram_text("tg-text-lone-slash", "/"),
        _telegram_text("tg-text-slash-at", "/@"),
        _telegram_text("tg-text-command-foreign-bot", "/next@SomeOtherBot"),
        _telegram_text("tg-text-fullwidth-command", "／ｓｔａｒｔ"),
        _telegram_text("tg-text-no-language-code", "hi", language_code=None),
        _telegram_text("tg-text-unknown-language-code", "hi", language_code="x" * 300),
        _telegram_text("tg-text-first-name-script", "hi", first_name="<script>alert(1)</script>"),
        _telegram_text("tg-text-first-name-300-chars", "hi", first_name="N" * 300),
    ]


def _telegram_sizes_and_types() -> list[Case]:
    """Updates at the edges of their types: what Telegram could send is answered."""
    chat = next_chat()
    no_from = _with(text_update(next_update_id(), chat, "hi"), "message.from", _MISSING)
    no_text_chat = next_chat()
    no_text = _with(text_update(next_update_id(), no_text_chat, "hi"), "message.text", _MISSING)
    null_text_chat = next_chat()
    null_text = _with(text_update(next_update_id(), null_text_chat, "hi"), "message.text", None)
    negative_chat = next_chat()
    zero_chat = next_chat()
    bom_chat = next_chat()
    plain_chat = next_chat()
    form_type_chat = next_chat()
    no_type_chat = next_chat()
    big_chat = next_chat()
    huge_chat = 10**200
    huge_id_chat = next_chat()
    return [
        Case("tg-no-from", Family.TELEGRAM, telegram_request(no_from), Expect.ANSWERED, str(chat)),
        Case(
            "tg-no-text",
            Family.TELEGRAM,
            telegram_request(no_text),
            Expect.ANSWERED,
            str(no_text_chat),
        ),
        Case(
            "tg-text-null",
            Family.TELEGRAM,
            telegram_request(null_text),
            Expect.ANSWERED,
            str(null_text_chat),
        ),
        Case(
            "tg-update-id-negative",
            Family.TELEGRAM,
            telegram_request(text_update(-5, negative_chat, "hi")),
            Expect.ANSWERED,
            str(negative_chat),
        ),
        Case(
            "tg-update-id-zero",
            Family.TELEGRAM,
            telegram_request(text_update(0, zero_chat, "hi")),
            Expect.ANSWERED,
            str(zero_chat),
        ),
        # Telegram's ids fit in 52 bits, so one past 2**53 - 1 is not Telegram's: a 400.
        _telegram_refused("tg-update-id-2-to-the-63", text_update(2**63, big_chat, "hi")),
        _telegram_refused("tg-update-id-200-digits", text_update(10**200, huge_id_chat, "hi")),
        _telegram_refused("tg-chat-id-200-digits", text_update(next_update_id(), huge_chat, "hi")),
        Case(
            "tg-utf8-bom",
            Family.TELEGRAM,
            raw_telegram(
                b"\xef\xbb\xbf" + json.dumps(text_update(next_update_id(), bom_chat, "hi")).encode()
            ),
            Expect.ANSWERED,
            str(bom_chat),
        ),
        _raw_refused(
            "tg-utf16-body",
            json.dumps(text_update(next_update_id(), next_chat(), "hi")).encode("utf-16"),
        ),
        # The secret authenticates Telegram; the content type is not checked.
        Case(
            "tg-content-type-text-plain",
            Family.TELEGRAM,
            telegram_request(
                text_update(next_update_id(), plain_chat, "hi"), content_type="text/plain"
            ),
            Expect.ANSWERED,
            str(plain_chat),
        ),
        Case(
            "tg-content-type-form",
            Family.TELEGRAM,
            telegram_request(
                text_update(next_update_id(), form_type_chat, "hi"), content_type=FORM_TYPE
            ),
            Expect.ANSWERED,
            str(form_type_chat),
        ),
        Case(
            "tg-content-type-missing",
            Family.TELEGRAM,
            telegram_request(text_update(next_update_id(), no_type_chat, "hi"), content_type=None),
            Expect.ANSWERED,
            str(no_type_chat),
        ),
    ]


def _sms_signatures() -> list[Case]:
    def refused(case_id: str, **options: Any) -> Case:
        return Case(
            case_id,
            Family.TWILIO_SMS,
            sms_request(sms_form(next_phone(), "hi"), **options),
            Expect.REFUSED,
            status=403,
        )

    sender = next_phone()
    signed = sms_form(sender, "hi")
    changed = tuple((k, "STOP" if k == "Body" else v) for k, v in signed)
    added = (*signed, ("Evil", "1"))
    dropped = tuple((k, v) for k, v in signed if k != "NumMedia")
    other_sender = tuple((k, "+15559999999" if k == "From" else v) for k, v in signed)
    return [
        refused("sms-signature-missing", signing=Signing.NONE),
        refused("sms-signature-empty", signing=Signing.EMPTY),
        refused("sms-signature-forged", signing=Signing.FORGED),
        refused("sms-signature-not-base64", signing=Signing.GARBAGE),
        refused("sms-signature-lower-cased", signing=Signing.LOWERCASE),
        refused("sms-signature-6kb", signing=Signing.HUGE),
        refused("sms-signature-other-token", signing=Signing.OTHER_TOKEN),
        refused("sms-signature-for-another-host", signing=Signing.OTHER_HOST),
        refused("sms-signature-for-https", signing=Signing.HTTPS),
        refused("sms-signature-for-status-url", sign_path=STATUS_PATH),
        refused("sms-signature-for-url-with-query", sign_path=SMS_PATH + "?x=1"),
        Case(
            "sms-signed-without-query-posted-with-one",
            Family.TWILIO_SMS,
            replace(
                sms_request(sms_form(next_phone(), "hi")),
                path=SMS_PATH + "?evil=1",
                sign_path=SMS_PATH,
            ),
            Expect.REFUSED,
            status=403,
        ),
        *[
            Case(
                case_id,
                Family.TWILIO_SMS,
                sms_request(form, signed_form=signed),
                Expect.REFUSED,
                status=403,
            )
            for case_id, form in (
                ("sms-replay-with-changed-body", changed),
                ("sms-replay-with-added-field", added),
                ("sms-replay-with-dropped-field", dropped),
                ("sms-replay-with-other-sender", other_sender),
            )
        ],
        Case(
            "sms-replay-with-changed-raw-body",
            Family.TWILIO_SMS,
            raw_sms(urlencode(changed).encode(), signed_form=signed),
            Expect.REFUSED,
            status=403,
        ),
    ]


def _sms_answered(
    case_id: str, text: str, *, sender: str | None = None, **overrides: str | None
) -> Case:
    sender = sender or next_phone()
    return Case(
        case_id,
        Family.TWILIO_SMS,
        sms_request(sms_form(sender, text, **overrides)),
        Expect.ANSWERED,
        # The conversation drops NUL (PostgreSQL text cannot hold it) before storing.
        sender.replace("\x00", ""),
    )


def _sms_refused(case_id: str, request: Request, status: int | None = 400) -> Case:
    return Case(case_id, Family.TWILIO_SMS, request, Expect.REFUSED, status=status)


def _sms_forms() -> list[Case]:
    dup_sender = next_phone()
    dup_sid = next_sid()
    dup = sms_request(sms_form(dup_sender, "hi", sid=dup_sid))
    dup_other = sms_request(sms_form(dup_sender, "sessions", sid=dup_sid))
    raw_sender = next_phone()
    invalid_percent = next_phone()
    lone_percent = next_phone()
    bad_utf8_percent = next_phone()
    truncated_percent = next_phone()
    plus_sender = next_phone()

    def raw_form(sender: str, body_field: str) -> bytes:
        form = dict(sms_form(sender, "x"))
        form.pop("Body")
        return (urlencode(form) + "&Body=" + body_field).encode()

    def raw_answered(case_id: str, sender: str, body_field: str) -> Case:
        return Case(
            case_id,
            Family.TWILIO_SMS,
            raw_sms(raw_form(sender, body_field)),
            Expect.ANSWERED,
            sender,
        )

    multipart = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="From"\r\n\r\n+15550000001\r\n'
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="Body"\r\n\r\nhi\r\n'
        b"--b0undary--\r\n"
    )
    many_fields = ("&".join(f"f{i}=" for i in range(1500))).encode()
    return [
        # Duplicates: Twilio retries with the same MessageSid.
        Case("sms-duplicate-message-sid", Family.TWILIO_SMS, dup, Expect.IGNORED, prelude=(dup,)),
        Case(
            "sms-duplicate-message-sid-other-body",
            Family.TWILIO_SMS,
            dup_other,
            Expect.IGNORED,
            prelude=(sms_request(sms_form(next_phone(), "hi", sid=next_sid())), dup),
        ),
        # Missing fields.
        _sms_refused("sms-no-from", sms_request(sms_form(next_phone(), "hi", From=None))),
        _sms_refused("sms-empty-from", sms_request(sms_form(next_phone(), "hi", From=""))),
        _sms_refused(
            "sms-no-message-sid",
            sms_request(sms_form(next_phone(), "hi", MessageSid=None)),
        ),
        _sms_refused(
            "sms-empty-message-sid",
            sms_request(sms_form(next_phone(), "hi", MessageSid="")),
        ),
        _sms_refused("sms-empty-form", sms_request(())),
        _sms_answered("sms-no-body", "hi", Body=None),
        _sms_answered("sms-empty-body", ""),
        # Sizes.
        _sms_answered("sms-body-59kb", "maestros " * 6600),
        _sms_refused(
            "sms-body-100kb-signed",
            sms_request(sms_form(next_phone(), "v" * OVER_THE_CAP)),
            status=413,
        ),
        _sms_refused(
            "sms-body-100kb-unsigned",
            sms_request(sms_form(next_phone(), "v" * OVER_THE_CAP), signing=Signing.NONE),
            status=413,
        ),
        _sms_refused(
            "sms-body-1mb-chunked",
            sms_request(sms_form(next_phone(), "u" * (1024 * 1024)), chunked=True),
            status=413,
        ),
        _sms_refused("sms-1500-fields", raw_sms(many_fields), status=413),
        # Encodings.
        raw_answered("sms-invalid-percent-encoding", invalid_percent, "%ZZhi%G1"),
        raw_answered("sms-lone-percent", lone_percent, "hi%"),
        raw_answered("sms-percent-encoded-invalid-utf8", bad_utf8_percent, "%FF%FEhi"),
        raw_answered("sms-percent-encoded-truncated-utf8", truncated_percent, "hi%E2%82"),
        raw_answered("sms-plus-and-encoded-plus", plus_sender, "a+b%2Bc"),
        _sms_refused(
            "sms-raw-invalid-utf8", raw_sms(raw_form(raw_sender, "") + b"\xff\xfe\xc0\xaf")
        ),
        _sms_refused(
            "sms-unknown-charset",
            raw_sms(raw_form(next_phone(), "hi"), content_type=FORM_TYPE + "; charset=klingon"),
        ),
        _sms_refused(
            "sms-latin1-charset-unsigned",
            raw_sms(
                raw_form(next_phone(), "") + "caf\u00e9".encode("latin-1"),
                content_type=FORM_TYPE + "; charset=latin-1",
                signing=Signing.NONE,
            ),
            status=403,
        ),
        # Content types.
        _sms_refused(
            "sms-json-body",
            Request(SMS_PATH, body=b'{"From": "+15550000001", "Body": "hi"}', secret=None),
            status=415,
        ),
        _sms_refused(
            "sms-text-plain-body",
            raw_sms(b"From=%2B15550000001&Body=hi", content_type="text/plain"),
            status=415,
        ),
        _sms_refused(
            "sms-no-content-type",
            raw_sms(b"From=%2B15550000001&Body=hi", content_type=None),
            status=415,
        ),
        _sms_refused(
            "sms-multipart-body",
            raw_sms(multipart, content_type="multipart/form-data; boundary=b0undary"),
            status=415,
        ),
        _sms_refused(
            "sms-get-instead-of-post",
            Request(SMS_PATH, method="GET", content_type=None, secret=None),
            status=405,
        ),
        # Senders and ids Twilio would not send.
        _sms_answered("sms-from-short-code", "hi", sender="12345"),
        _sms_answered("sms-from-alphanumeric", "hi", sender="ACME-SHOP"),
        _sms_answered("sms-from-whatsapp", "hi", sender="whatsapp:" + next_phone()),
        _sms_answered("sms-from-script", "hi", sender="<script>alert(1)</script>"),
        _sms_answered("sms-from-sql", "hi", sender="'; DROP TABLE contacts; --"),
        _sms_refused("sms-from-300-chars", sms_request(sms_form("+1" + "5" * 298, "hi"))),
        _sms_refused(
            "sms-message-sid-300-chars",
            sms_request(sms_form(next_phone(), "hi", sid="SM" + "f" * 298)),
        ),
        _sms_answered(
            "sms-from-with-nul",
            "hi",
            sender="+1555\x000001",
        ),
    ]


def _sms_texts() -> list[Case]:
    return [
        _sms_answered("sms-text-control-chars", "hi \x01\x02\x07\x08\x1b[31m\x7f there"),
        _sms_answered("sms-text-nul", "hi\x00there"),
        _sms_answered("sms-text-crlf", "hi\r\nX-Injected: 1\r\n\r\n"),
        _sms_answered("sms-text-rlo-u202e", "\u202enext\u202c"),
        _sms_answered("sms-text-isolates-u2066-u2069", "\u2066\u2067\u2068sesiones\u2069"),
        _sms_answered("sms-text-zero-width", "n\u200be\u200cx\u200dt\ufeff"),
        _sms_answered("sms-text-emoji-only", "🙂🙂🙂"),
        _sms_answered("sms-text-emoji-zwj", "👩\u200d👩\u200d👧"),
        _sms_answered("sms-text-sql-drop", "'; DROP TABLE contacts; --"),
        _sms_answered("sms-text-sql-union", "x' UNION SELECT * FROM outbox --"),
        _sms_answered("sms-text-script", "<script>alert(1)</script>"),
        _sms_answered("sms-text-twiml", "<Response><Message>pwned</Message></Response>"),
        _sms_answered("sms-text-xml-entity", '<!DOCTYPE x [<!ENTITY a "b">]>&a;'),
        _sms_answered("sms-text-format-string", "%s %(x)s {0} {__class__}"),
        _sms_answered("sms-text-1600-chars", "maestros " * 178),
        _sms_answered("sms-text-gsm-escapes", "{}[]~^|€\\"),
        _sms_answered("sms-text-arabic-with-rlo", "مرحبا \u202e<b>"),
        _sms_answered("sms-text-whitespace-only", " \t\r\n "),
    ]


def _status_cases() -> list[Case]:
    def case(
        case_id: str,
        request: Request,
        expect: Expect,
        *,
        status: int | None = None,
        after: tuple[Request, ...] = (),
    ) -> Case:
        """A callback about the reply to a fresh number's "hi" (and whatever `after` did)."""
        sender = next_phone()
        hello = sms_request(sms_form(sender, "hi"))
        return Case(
            case_id,
            Family.TWILIO_STATUS,
            request,
            expect,
            sender,
            prelude=(hello, *after),
            status=status,
        )

    delivered = status_request(status_form("delivered"))
    return [
        # Messages that are not ours.
        case(
            "status-unknown-outbox-id",
            status_request(status_form("delivered", MessageSid="SM" + "b" * 32), "?m=99999999"),
            Expect.IGNORED,
            status=204,
        ),
        case(
            "status-without-outbox-id",
            status_request(status_form("delivered"), ""),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-outbox-id-not-a-number",
            status_request(status_form("delivered"), "?m=abc"),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-outbox-id-negative",
            status_request(status_form("delivered"), "?m=-1"),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-outbox-id-arabic-digits",
            # Signed for the decoded URL, which is what the server checks the signature of.
            status_request(status_form("delivered"), "?m=%D9%A3", sign_path=STATUS_PATH + "?m=٣"),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-outbox-id-2-to-the-64",
            status_request(status_form("delivered"), f"?m={2**64}"),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-outbox-id-5000-digits",
            status_request(status_form("delivered"), "?m=" + "9" * 5000),
            Expect.REFUSED,
            status=400,
        ),
        # Statuses.
        case(
            "status-unknown-status",
            status_request(status_form("exploded")),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-upper-case-status",
            status_request(status_form("DELIVERED")),
            Expect.REFUSED,
            status=400,
        ),
        case("status-empty-status", status_request(status_form("")), Expect.REFUSED, status=400),
        case(
            "status-missing-status", status_request(status_form(None)), Expect.REFUSED, status=400
        ),
        case(
            "status-script-status",
            status_request(status_form("<script>")),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-delivered-then-sent",
            status_request(status_form("sent")),
            Expect.IGNORED,
            status=204,
            after=(delivered,),
        ),
        case(
            "status-delivered-then-queued",
            status_request(status_form("queued")),
            Expect.IGNORED,
            status=204,
            after=(delivered,),
        ),
        case(
            "status-delivered-then-failed",
            status_request(status_form("failed", ErrorCode="30008")),
            Expect.IGNORED,
            status=204,
            after=(delivered,),
        ),
        case(
            "status-delivered-twice",
            delivered,
            Expect.IGNORED,
            status=204,
            after=(delivered,),
        ),
        # Error codes.
        *[
            case(
                f"status-error-code-{name}",
                status_request(status_form("undelivered", ErrorCode=code)),
                Expect.REFUSED,
                status=400,
            )
            for name, code in (
                ("letters", "abc"),
                ("negative", "-30003"),
                ("float", "30003.0"),
                ("exponent", "3e4"),
                ("arabic-digits", "٣٠٠٠٣"),
                ("sql", "1; DROP TABLE outbox"),
            )
        ],
        case(
            "status-error-code-5000-digits",
            status_request(status_form("undelivered", ErrorCode="7" * 5000)),
            Expect.REFUSED,
            status=400,
        ),
        # Fields missing or too long.
        case(
            "status-empty-form",
            status_request(()),
            Expect.REFUSED,
            status=400,
        ),
        case(
            "status-message-sid-300-chars",
            status_request(status_form("delivered", MessageSid="SM" + "e" * 298)),
            Expect.REFUSED,
            status=400,
        ),
        # Signatures.
        case(
            "status-signature-missing",
            status_request(status_form("delivered"), signing=Signing.NONE),
            Expect.REFUSED,
            status=403,
        ),
        case(
            "status-signature-forged",
            status_request(status_form("delivered"), signing=Signing.FORGED),
            Expect.REFUSED,
            status=403,
        ),
        case(
            "status-signed-for-sms-url",
            status_request(status_form("delivered"), sign_path=SMS_PATH),
            Expect.REFUSED,
            status=403,
        ),
        case(
            "status-signed-for-another-message",
            status_request(
                status_form("failed", ErrorCode="21610"), sign_path=STATUS_PATH + "?m=1"
            ),
            Expect.REFUSED,
            status=403,
        ),
        case(
            "status-replay-with-21610",
            status_request(
                status_form("failed", ErrorCode="21610"),
                signed_form=status_form("delivered"),
            ),
            Expect.REFUSED,
            status=403,
        ),
        case(
            "status-json-body",
            Request(
                STATUS_PATH + f"?m={OUTBOX_ID}",
                body=b'{"MessageStatus": "delivered"}',
                secret=None,
            ),
            Expect.REFUSED,
            status=415,
        ),
    ]


def _in_their_names() -> list[Case]:
    """Requests that would stop a subscriber or restart a stopped number, were they obeyed."""
    stop = text_update(next_update_id(), SUBSCRIBER_CHAT, "stop")
    start = sms_form(STOPPED_PHONE, "START")
    return [
        Case(
            "tg-stop-for-subscriber-wrong-secret",
            Family.TELEGRAM,
            telegram_request(stop, secret="guessed"),
            Expect.REFUSED,
            status=403,
        ),
        _telegram_refused("tg-stop-for-subscriber-malformed", _with(stop, "message.date", "now")),
        _telegram_ignored(
            "tg-stop-for-subscriber-reusing-their-update-id",
            text_update(SUBSCRIBER_UPDATE_ID, SUBSCRIBER_CHAT, "stop"),
        ),
        Case(
            "sms-stop-for-subscriber-forged",
            Family.TWILIO_SMS,
            sms_request(sms_form(SUBSCRIBER_PHONE, "STOP"), signing=Signing.FORGED),
            Expect.REFUSED,
            status=403,
        ),
        Case(
            "sms-stop-for-subscriber-reusing-their-sid",
            Family.TWILIO_SMS,
            sms_request(sms_form(SUBSCRIBER_PHONE, "STOP", sid=SUBSCRIBER_SID)),
            Expect.IGNORED,
        ),
        Case(
            "sms-start-for-stopped-unsigned",
            Family.TWILIO_SMS,
            sms_request(start, signing=Signing.NONE),
            Expect.REFUSED,
            status=403,
        ),
        Case(
            "sms-start-for-stopped-replayed",
            Family.TWILIO_SMS,
            sms_request(start, signed_form=sms_form(STOPPED_PHONE, "hi")),
            Expect.REFUSED,
            status=403,
        ),
        Case(
            "status-21610-for-subscriber-forged",
            Family.TWILIO_STATUS,
            status_request(status_form("failed", ErrorCode="21610"), signing=Signing.FORGED),
            Expect.REFUSED,
            SUBSCRIBER_PHONE,
            status=403,
        ),
        Case(
            "status-21610-for-subscriber-unsigned",
            Family.TWILIO_STATUS,
            status_request(status_form("failed", ErrorCode="21610"), signing=Signing.NONE),
            Expect.REFUSED,
            SUBSCRIBER_PHONE,
            status=403,
        ),
    ]


def build_corpus() -> list[Case]:
    return [
        *_telegram_structure(),
        *_telegram_secrets(),
        *_telegram_fields(),
        *_telegram_kinds(),
        *_telegram_duplicates(),
        *_telegram_callbacks(),
        *_telegram_hostile_texts(),
        *_telegram_sizes_and_types(),
        *_sms_signatures(),
        *_sms_forms(),
        *_sms_texts(),
        *_status_cases(),
        *_in_their_names(),
    ]


CASES = build_corpus()
