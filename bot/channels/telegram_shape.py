"""The fields of a Telegram update the bot reads, checked before python-telegram-bot sees them.

PTB builds its objects from whatever the JSON holds: a chat id that is a string, a text
that is a list or a 200-digit number all come through, and fail later, deep in a
conversation turn or in the database, as an apology or a 500. Telegram's own updates
never look like that, so anything else is refused here with a message naming the field,
and the webhook answers 400. Only what `parse_update` relies on is checked; unknown
fields and update kinds are left to PTB, which ignores what it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Telegram documents ids as fitting in 52 bits; a longer number is not from Telegram.
MAX_ID = 2**53 - 1
# The kinds that carry a Message: each is parsed by PTB even when the bot ignores it.
MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


class ShapeError(ValueError):
    """An update field has the wrong type or size; the text names the field."""


def check_update(update: Mapping[str, Any]) -> None:
    _id(update, "update_id", "update_id")
    for kind in MESSAGE_KINDS:
        if kind in update:
            _message(update[kind], kind)
    if "callback_query" in update:
        _callback(update["callback_query"])


def _message(message: object, where: str) -> None:
    fields = _object(message, where)
    chat = _object(fields.get("chat"), f"{where}.chat")
    _id(chat, "id", f"{where}.chat.id")
    _text(chat, "type", f"{where}.chat.type", required=True)
    _id(fields, "date", f"{where}.date")
    for name in ("text", "caption"):
        _text(fields, name, f"{where}.{name}")
    if "from" in fields:
        _user(fields["from"], f"{where}.from")


def _callback(query: object) -> None:
    fields = _object(query, "callback_query")
    _text(fields, "id", "callback_query.id", required=True)
    _user(fields.get("from"), "callback_query.from")
    _text(fields, "data", "callback_query.data")
    if fields.get("message") is not None:
        _message(fields["message"], "callback_query.message")


def _user(user: object, where: str) -> None:
    fields = _object(user, where)
    _id(fields, "id", f"{where}.id")
    _text(fields, "first_name", f"{where}.first_name", required=True)
    _text(fields, "language_code", f"{where}.language_code")


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShapeError(f"{where} must be an object, got {_kind(value)}")
    return value


def _id(fields: Mapping[str, Any], name: str, where: str) -> None:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ShapeError(f"{where} must be an integer, got {_kind(value)}")
    if abs(value) > MAX_ID:
        raise ShapeError(f"{where} is out of range")


def _text(fields: Mapping[str, Any], name: str, where: str, required: bool = False) -> None:
    value = fields.get(name)
    if value is None and not required:
        return  # absent, or JSON null: PTB reads both as "not there"
    if not isinstance(value, str):
        raise ShapeError(f"{where} must be a string, got {_kind(value)}")


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
