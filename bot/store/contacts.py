"""Contacts: one row per (channel, address), with language, consent flag and dialogue state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import Address, ChannelName
from bot.store.tables import contacts
from bot.store.upsert import dialect_insert


@dataclass
class Contact:
    """A person on one channel; `state` holds the small dialogue memory (last menu, pages)."""

    id: int
    address: Address
    locale: str | None
    locale_chosen: bool
    opted_out: bool
    state: dict[str, Any] = field(default_factory=dict)


def _from_row(row: Any) -> Contact:
    return Contact(
        id=row.id,
        address=Address(ChannelName(row.channel), row.address),
        locale=row.locale,
        locale_chosen=row.locale_chosen,
        opted_out=row.opted_out,
        state=dict(row.state or {}),
    )


@cache
def _touch_statement(dialect: str) -> Executable:
    """Built once per dialect: the hot path then skips statement construction entirely."""
    insert = dialect_insert(dialect, contacts)
    return insert.on_conflict_do_update(
        index_elements=[contacts.c.channel, contacts.c.address],
        set_={"last_seen_at": insert.excluded.last_seen_at},
    ).returning(*contacts.c)


async def touch(
    connection: AsyncConnection, address: Address, now: datetime, display_name: str | None = None
) -> Contact:
    """Create the contact on first contact, else mark it seen; one round trip either way."""
    row = (
        await connection.execute(
            _touch_statement(connection.dialect.name),
            {
                "channel": address.channel.value,
                "address": address.id,
                # Telegram allows 64 characters and SMS has no name; the column keeps 128.
                "display_name": None if display_name is None else display_name[:128],
                "locale_chosen": False,
                "opted_out": False,
                "state": {},
                "created_at": now,
                "last_seen_at": now,
            },
        )
    ).one()
    return _from_row(row)


async def find(connection: AsyncConnection, address: Address) -> Contact | None:
    row = (
        await connection.execute(
            select(contacts).where(
                contacts.c.channel == address.channel.value, contacts.c.address == address.id
            )
        )
    ).one_or_none()
    return None if row is None else _from_row(row)


def dialogue_of(contact: Contact) -> tuple[object, ...]:
    """What `save_dialogue` writes, as a comparable value (a copy, not a view)."""
    return (contact.locale, contact.locale_chosen, repr(sorted(contact.state.items())))


_SAVE_DIALOGUE = (
    update(contacts)
    .where(contacts.c.id == bindparam("contact_id"))
    .values(
        locale=bindparam("locale"),
        locale_chosen=bindparam("locale_chosen"),
        state=bindparam("state", type_=contacts.c.state.type),
    )
)


async def save_dialogue(connection: AsyncConnection, contact: Contact) -> None:
    """Persist what a conversation turn may change: language and dialogue state."""
    await connection.execute(
        _SAVE_DIALOGUE,
        {
            "contact_id": contact.id,
            "locale": contact.locale,
            "locale_chosen": contact.locale_chosen,
            "state": contact.state,
        },
    )


async def choose_language(
    connection: AsyncConnection, address: Address, language: str, now: datetime
) -> None:
    """Record an explicit language choice made outside a conversation (e.g. `chat --lang`)."""
    contact = await touch(connection, address, now)
    await connection.execute(
        update(contacts)
        .where(contacts.c.id == contact.id)
        .values(locale=language, locale_chosen=True)
    )


async def flag_delivery_problem(
    connection: AsyncConnection, address: Address, problem: str, now: datetime
) -> None:
    """Remember why a carrier cannot reach this number; organizers see it, sends go on."""
    await connection.execute(
        update(contacts)
        .where(contacts.c.channel == address.channel.value, contacts.c.address == address.id)
        .values(delivery_problem=problem[:64], delivery_problem_at=now)
    )
