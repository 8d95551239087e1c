"""STOP and START (design rule 1): recorded in the consent ledger, confirmed once."""

from __future__ import annotations

from bot.messages import InboundMessage, OutboundKind, Reply
from bot.router import Match
from bot.store import consent, subscriptions
from bot.store.consent import ConsentAction, ConsentSource
from handlers.context import Context
from handlers.help import greet
from handlers.render import session_card


async def opt_out(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    await consent.record(
        ctx.db,
        message.address,
        ConsentAction.OPT_OUT,
        ConsentSource.KEYWORD,
        ctx.now,
        detail=match.argument,
    )
    await subscriptions.unsubscribe_all(ctx.db, ctx.contact.id)
    ctx.contact.opted_out = True
    return [
        Reply(
            ctx.tr.gettext(
                "You will not get any more messages from us. Send START to get them again."
            ),
            kind=OutboundKind.CONSENT,
        )
    ]


async def opt_in(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    """START, or Telegram's /start; a deep link's session follows the greeting."""
    replies = await _welcome(message, match, ctx)
    session = ctx.catalog.session(message.deep_link) if message.deep_link else None
    if session is not None:
        ctx.contact.state["last_session"] = session.id
        replies.append(Reply(session_card(session, ctx)))
    return replies


async def _welcome(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    if not ctx.contact.opted_out:
        return await greet(message, match, ctx)
    await consent.record(
        ctx.db,
        message.address,
        ConsentAction.OPT_IN,
        ConsentSource.TELEGRAM_START
        if message.text.startswith("/start")
        else ConsentSource.KEYWORD,
        ctx.now,
        detail=match.argument,
    )
    ctx.contact.opted_out = False
    return [
        Reply(
            ctx.tr.gettext(
                "Welcome back! You will get our messages again. "
                "Send SUBSCRIBE for session reminders."
            ),
            kind=OutboundKind.CONSENT,
        )
    ]
