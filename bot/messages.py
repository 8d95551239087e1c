"""Channel-neutral message values.

Handlers see only these types, never a Telegram `Update` or a Twilio form, so the same
dialogue code serves every channel and every dialogue can be tested as a transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum


class ChannelName(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SMS = "sms"


class OutboundKind(StrEnum):
    """Why a message is sent; decides consent exemptions and priority."""

    REPLY = "reply"
    CONSENT = "consent"  # the confirmation of STOP/START and HELP: always allowed
    REMINDER = "reminder"
    NOTICE = "notice"
    BROADCAST = "broadcast"


class Priority(IntEnum):
    """Lower goes first: a parent waiting for an answer beats a bulk send."""

    REPLY = 0
    NOTICE = 5
    BULK = 10


@dataclass(frozen=True, slots=True)
class Address:
    channel: ChannelName
    id: str


@dataclass(frozen=True, slots=True)
class InboundMessage:
    address: Address
    text: str
    received_at: datetime
    external_id: str | None = None
    language_hint: str | None = None
    display_name: str | None = None
    # What the person arrived from, such as a Telegram deep link's /start payload (a
    # session id): the greeting then shows that item instead of the general menu.
    deep_link: str | None = None


@dataclass(frozen=True)
class Button:
    """A quick reply: a label to show and the text it sends back when pressed."""

    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """What a handler returns: plain text; channels escape and decorate it themselves."""

    text: str
    buttons: tuple[Button, ...] = ()
    kind: OutboundKind = OutboundKind.REPLY


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A claimed outbox row on its way to a channel."""

    id: int
    address: Address
    text: str
    locale: str
    kind: OutboundKind
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    attempts: int = 0
