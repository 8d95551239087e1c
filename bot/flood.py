"""The flood limit: more than a few messages a minute from one address gets one warning.

A person types a handful of messages a minute at most; a looping auto-responder or a
script writes far more, and every answer to it costs an SMS segment. Past the limit the
sender gets one "please slow down" in their language, then silence until a minute
passes with fewer messages than the limit; they are answered normally again then.

The count comes from `inbound_log`, which every turn writes anyway: it is shared by
every process serving webhooks, survives a restart, and needs no memory per sender.
Messages refused by the limit are logged too, so a sender who keeps flooding stays
silenced. The terminal and console simulator channels are free and run by organizers,
and organizers themselves are trusted: neither is limited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import ChannelName
from bot.redact import describe
from bot.store.contacts import Contact
from bot.store.tables import inbound_log

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)
SLOWED = "slowed_down"
"""`contact.state` key: this sender was told to slow down and is silenced meanwhile."""

LIMITED_CHANNELS = frozenset({ChannelName.SMS, ChannelName.TELEGRAM})


class Verdict(Enum):
    ANSWER = "answer"
    WARN = "warn"  # over the limit for the first time: one "please slow down"
    SILENT = "silent"  # still over it after the warning: no reply at all


async def judge(
    connection: AsyncConnection, contact: Contact, now: datetime, limit: int
) -> Verdict:
    """Whether this message, not yet logged, may be answered.

    Counts at most `limit` earlier messages, so a sender flooding by the thousand costs
    the same short index scan as one writing twice.
    """
    earlier = select(inbound_log.c.id).where(
        inbound_log.c.contact_id == contact.id, inbound_log.c.created_at > now - WINDOW
    )
    recent = await connection.scalar(
        select(func.count()).select_from(earlier.limit(limit).subquery())
    )
    if int(recent or 0) < limit:
        contact.state.pop(SLOWED, None)
        return Verdict.ANSWER
    if contact.state.get(SLOWED):
        return Verdict.SILENT
    contact.state[SLOWED] = True
    log.warning(
        "flood limit: %s sent more than %d messages in a minute", describe(contact.address), limit
    )
    return Verdict.WARN
