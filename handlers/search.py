"""Free-text search: what the router falls back to when no keyword matched."""

from __future__ import annotations

from bot.messages import InboundMessage, Reply
from bot.router import Match
from catalog.models import Session
from handlers.context import Context
from handlers.render import menu_page, session_card

MAX_RESULTS = 3


async def search(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    tr = ctx.tr
    query = message.text.strip()
    hits = ctx.index.search(query, limit=MAX_RESULTS)
    if not hits:
        return [
            Reply(
                tr.gettext(
                    'I found nothing for "{query}". Try one word, like "teachers", '
                    '"safety" or "community schools", or send SESSIONS to see them all.',
                    query=query[:60],
                )
            )
        ]
    if len(hits) == 1 and isinstance(hits[0].item, Session):
        ctx.contact.state["last_session"] = hits[0].item.id
        return [Reply(session_card(hits[0].item, ctx))]
    heading = tr.gettext('Here is what I found for "{query}":', query=query[:60])
    return [menu_page(ctx, [hit.item for hit in hits], 0, heading)]
