"""Reports, slide decks and school overviews, in general or for one session."""

from __future__ import annotations

from bot.messages import InboundMessage, Reply
from bot.router import Match
from catalog.models import Resource, Session
from handlers.context import Context
from handlers.render import link_line, text

MAX_LISTED = 5


def _lines(resources: list[Resource], ctx: Context) -> list[str]:
    return [
        f"{number}. {link_line(text(r.title, ctx.tr) + ':', r.link, ctx.tr)}"
        for number, r in enumerate(resources[:MAX_LISTED], start=1)
    ]


def _session_for(match: Match, ctx: Context) -> Session | None:
    if match.argument:
        for hit in ctx.index.search(match.argument, limit=5):
            if isinstance(hit.item, Session):
                return hit.item
        return None
    last = ctx.contact.state.get("last_session")
    return ctx.catalog.session(str(last)) if last else None


async def resources(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    tr = ctx.tr
    session = _session_for(match, ctx)
    if session is not None:
        own = ctx.catalog.resources_for(session.id)
        if own:
            heading = tr.gettext('Resources for "{title}":', title=text(session.title, tr))
            return [Reply("\n".join([heading, *_lines(own, ctx)]))]
    general = [r for r in ctx.catalog.resources if not r.session_ids]
    if not general:
        return [Reply(tr.gettext("There are no resources in the catalog yet."))]
    heading = tr.gettext("Reports and resources:")
    footer = tr.gettext(
        "For the slides of one session, send RESOURCES and a word from its title, "
        'like "RESOURCES teachers".'
    )
    return [Reply("\n".join([heading, *_lines(general, ctx), footer]))]
