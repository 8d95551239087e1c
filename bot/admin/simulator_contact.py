"""Who the simulator talks as: one console contact per browser, and the language it reads.

Each browser gets its own random address on the console channel (kept in a cookie), so
two organizers trying the bot at once each have their own dialogue state, and nothing
sent in bulk reaches them (`bot.fanout.DELIVERABLE` leaves the console out). The
address always starts with `simulator-`, whatever the cookie says, so the simulator can
never speak as the terminal chat's contacts.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import SUPPORTED_LOCALES
from bot.messages import Address, ChannelName
from bot.store import contacts as contact_store
from bot.store.contacts import Contact
from bot.store.tables import contacts

COOKIE = "admin_simulator"
PREFIX = "simulator-"
# "Detect from what I type": the bot settles the language as it does for any parent.
AUTO = "auto"
CHOICES = (AUTO, *SUPPORTED_LOCALES)
RTL_LANGUAGES = frozenset({"ar"})

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid_token(cookie: str | None) -> str | None:
    """The cookie's token if it is one we could have made, else None (a new one is due)."""
    return cookie if cookie is not None and _TOKEN.fullmatch(cookie) else None


def address_of(token: str) -> Address:
    return Address(ChannelName.CONSOLE, PREFIX + token)


async def choose(connection: AsyncConnection, address: Address, choice: str, now: datetime) -> None:
    """Apply the language picked in the page before the turn, as a parent's choice would be.

    A language is recorded as chosen (it wins over detection); "detect" lets the bot
    settle it from the text again, starting from the one it last used.
    """
    if choice == AUTO:
        await connection.execute(
            update(contacts)
            .where(contacts.c.channel == address.channel.value, contacts.c.address == address.id)
            .values(locale_chosen=False)
        )
    elif choice in SUPPORTED_LOCALES:
        await contact_store.choose_language(connection, address, choice, now)
    else:
        raise ValueError(f"unknown language {choice!r}")


def choice_of(contact: Contact | None) -> str:
    """What the language menu shows: the chosen language, or "detect"."""
    if contact is None or not contact.locale_chosen or contact.locale not in SUPPORTED_LOCALES:
        return AUTO
    return contact.locale


def direction_of(contact: Contact | None) -> str:
    """The chat reads right to left while the bot answers in Arabic."""
    return "rtl" if contact is not None and contact.locale in RTL_LANGUAGES else "ltr"


async def forget(connection: AsyncConnection, address: Address) -> None:
    """Start over: the contact goes with its language, dialogue state, subscriptions and
    words (the foreign keys cascade); the outbox keeps what was sent, as for anyone."""
    await connection.execute(
        delete(contacts).where(
            contacts.c.channel == address.channel.value, contacts.c.address == address.id
        )
    )
