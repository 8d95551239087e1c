"""Organizer announcements over Telegram or SMS: /broadcast, preview, confirm, follow."""

from __future__ import annotations

from bot.messages import InboundMessage, Reply
from bot.router import Match
from handlers.context import Context


async def broadcast(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    raise NotImplementedError("being written")
