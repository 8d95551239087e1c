""" "Delete my data" by message: one question, then `bot.erasure.erase` on DELETE.

Erasure cannot be undone and a parent may type the words while asking what they do, so
the request is confirmed first. The question stays open for `CONFIRM_MINUTES` and any
other message closes it (the conversation drops `ERASE_REQUESTED`), so a stray "delete"
days later erases nobody. Both answers are consent messages: someone who sent STOP
keeps the right to be forgotten, and these are the only two messages they get.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.erasure import erase
from bot.messages import InboundMessage, OutboundKind, Reply
from bot.router import CONFIRM_DELETE, Match
from bot.store import contacts as contact_store
from handlers.context import ERASE_REQUESTED, Context

# The question's wording says "10 minutes" in every language; change both together.
CONFIRM_MINUTES = 10


async def delete_data(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    requested = ctx.contact.state.get(ERASE_REQUESTED)
    if match.argument == CONFIRM_DELETE and _still_open(requested, ctx.now):
        await erase(ctx.db, message.address, ctx.now)
        # The row the turn started with is gone; what is left is the bare opted-out one.
        remaining = await contact_store.find(ctx.db, message.address)
        if remaining is not None:
            ctx.contact = remaining
        return [
            Reply(
                ctx.tr.gettext(
                    "Your data has been deleted. We keep only a note that you asked not to "
                    "get messages, so you will get none from us. Send START if you ever "
                    "want them again."
                ),
                kind=OutboundKind.CONSENT,
            )
        ]
    ctx.contact.state[ERASE_REQUESTED] = ctx.now.isoformat()
    return [
        Reply(
            ctx.tr.gettext(
                "Do you want us to delete your data? We would delete your language, your "
                "reminders and the messages you sent us, and stop writing to you. To "
                "confirm, reply DELETE within 10 minutes. Any other reply keeps your data."
            ),
            kind=OutboundKind.CONSENT,
        )
    ]


def _still_open(requested: object, now: datetime) -> bool:
    if not isinstance(requested, str):
        return False
    try:
        asked = datetime.fromisoformat(requested)
    except ValueError:
        return False
    return timedelta(0) <= now - asked <= timedelta(minutes=CONFIRM_MINUTES)
