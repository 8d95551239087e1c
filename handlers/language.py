"""Choosing the language the bot writes in."""

from __future__ import annotations

from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.messages import Button, InboundMessage, Reply
from bot.router import Match
from handlers.context import Context

# The button sends the language's own name back, which the router reads as a choice.
CHOICE_WORDS = {"en": "English", "es": "Español", "ar": "عربي"}


async def language_menu(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    buttons = tuple(Button(LANGUAGE_NAMES[lang], CHOICE_WORDS[lang]) for lang in LANGUAGES)
    return [
        Reply(
            ctx.tr.gettext("Which language do you prefer? Send ENGLISH, ESPAÑOL or عربي."),
            buttons=buttons,
        )
    ]


async def set_language(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    ctx.switch_language(match.argument)
    tr = ctx.tr
    return [
        Reply(
            tr.gettext("Done, I will write to you in English.")
            + "\n"
            + tr.gettext("Send HELP to see what I can do.")
        )
    ]
