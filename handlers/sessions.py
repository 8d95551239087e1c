"""The next session, the list of sessions, and picking one by number."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import InboundMessage, Reply
from bot.router import Match
from bot.sms_paging import next_page
from catalog.models import Session
from handlers.context import Context
from handlers.render import (
    MENU_PAGE,
    Item,
    menu_page,
    remembered_menu,
    resource_card,
    session_card,
)

LATEST_RECORDINGS = 3


def _all_sessions(ctx: Context) -> list[Item]:
    """Upcoming first (soonest first), then recordings (newest first)."""
    return [
        *ctx.catalog.upcoming(ctx.now, include_cancelled=True),
        *ctx.catalog.recent(ctx.now),
    ]


def _session_about(query: str, ctx: Context) -> Session | None:
    for hit in ctx.index.search(query, limit=5):
        if isinstance(hit.item, Session):
            return hit.item
    return None


async def next_session(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    tr = ctx.tr
    upcoming = ctx.catalog.upcoming(ctx.now)
    about = _session_about(match.argument, ctx) if match.argument else None
    if about is not None:
        ctx.contact.state["last_session"] = about.id
        return [Reply(session_card(about, ctx))]
    if upcoming:
        first = upcoming[0]
        ctx.contact.state["last_session"] = first.id
        called_off = [
            session_card(s, ctx)
            for s in ctx.catalog.upcoming(ctx.now, include_cancelled=True)
            if s.starts_at < first.starts_at
        ]
        lines = [*called_off, tr.gettext("Next session:"), session_card(first, ctx)]
        others = len(upcoming) - 1
        if others:
            lines.append(
                tr.ngettext(
                    "{n} more session is coming up. Send SESSIONS to see it.",
                    "{n} more sessions are coming up. Send SESSIONS to see them.",
                    others,
                )
            )
        lines.append(tr.gettext("Send SUBSCRIBE to get a reminder."))
        return [Reply("\n".join(lines))]
    recent = ctx.catalog.recent(ctx.now)[:LATEST_RECORDINGS]
    heading = tr.gettext("There is no upcoming session scheduled right now.")
    if not recent:
        return [Reply(heading)]
    menu = menu_page(ctx, recent, 0, heading + "\n" + tr.gettext("Here are the latest recordings:"))
    footer = tr.gettext("Send SUBSCRIBE to hear about the next one.")
    return [replace(menu, text=f"{menu.text}\n{footer}")]


async def list_sessions(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    items = _all_sessions(ctx)
    if not items:
        return [Reply(ctx.tr.gettext("There are no sessions in the catalog yet."))]
    if ctx.catalog.upcoming(ctx.now):
        heading = ctx.tr.gettext("Coming up first, then recordings of past sessions:")
    else:
        heading = ctx.tr.gettext("Recordings of past sessions, newest first:")
    return [menu_page(ctx, items, 0, heading)]


async def more(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    page = next_page(ctx.contact.state)
    if page is not None:
        return [Reply(page)]
    items = remembered_menu(ctx)
    shown = int(ctx.contact.state.get("shown", 0))
    if not items or shown >= len(items):
        return [Reply(ctx.tr.gettext("That is all. Send SESSIONS to see the list again."))]
    return [menu_page(ctx, items, shown, "")]


async def choose(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    items = remembered_menu(ctx) or _all_sessions(ctx)[:MENU_PAGE]
    number = int(match.argument)
    if not 1 <= number <= len(items):
        return [Reply(ctx.tr.gettext("Please send a number from 1 to {count}.", count=len(items)))]
    item = items[number - 1]
    if isinstance(item, Session):
        ctx.contact.state["last_session"] = item.id
        return [Reply(session_card(item, ctx))]
    return [Reply(resource_card(item, ctx.tr))]
