"""Greeting, help, thanks, unreadable messages: the words a parent sees first."""

from __future__ import annotations

from bot.messages import InboundMessage, OutboundKind, Reply
from bot.router import CONSENT_HINT, Match
from handlers.context import Context


def help_text(ctx: Context) -> str:
    return ctx.tr.gettext(
        "Here is what you can ask me:\n"
        "NEXT - the next session\n"
        "SESSIONS - all sessions and recordings\n"
        "RESOURCES - reports and slides\n"
        "SUBSCRIBE - a reminder before each session\n"
        "LANGUAGE - English, Spanish or Arabic\n"
        "STOP - no more messages\n"
        'Or send a word like "teachers" or "safety" to search.'
    )


async def greet(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    intro = ctx.tr.gettext(
        "Hello! I share free community learning sessions about fairness in our schools, "
        "with recordings in English, Spanish and Arabic."
    )
    return [Reply(f"{intro}\n{help_text(ctx)}")]


async def show_help(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    text = help_text(ctx)
    if match.argument == CONSENT_HINT:
        text = ctx.tr.gettext("To stop all messages, send only the word STOP.") + "\n" + text
    # HELP is answered even to an opted-out address (design rule 1).
    return [Reply(text, kind=OutboundKind.CONSENT)]


async def thank(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    return [Reply(ctx.tr.gettext("You're welcome! Send HELP any time to see what I can do."))]


async def unreadable(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    return [Reply(ctx.tr.gettext("I can only read text. Send HELP to see what I can do."))]
