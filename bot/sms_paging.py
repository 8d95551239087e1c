"""Long replies on SMS: a first page now, the rest when the parent answers MORE.

Pages are cut here, inside the conversation turn, because that is where the dialogue
state lives: the pages still to come are saved with it, in the same transaction as the
first page's outbox row, and `handlers.sessions.more` serves them. Cutting needs the
text as it will really be sent, so pages are `sms_safe` already (applying it again when
sending changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.channels.sms_text import AccentMode, Encoding, paginate, segment_report, sms_safe
from bot.i18n import Translator
from bot.messages import Reply

PENDING_PAGES = "pages"
MAX_SEGMENTS = 3


def first_pages(
    replies: Sequence[Reply], tr: Translator, accents: AccentMode, state: dict[str, Any]
) -> list[Reply]:
    """Each reply's first page; later pages are saved in `state` for MORE, in order."""
    hint = tr.gettext("Reply MORE for the rest.")
    now: list[Reply] = []
    later: list[str] = []
    for reply in replies:
        text = sms_safe(reply.text, tr.language, accents)
        pages = paginate(text, more_hint=_hint_for(text, hint, tr.language, accents))
        if not pages:
            continue
        now.append(replace(reply, text=pages[0]))
        later.extend(pages[1:])
    if later:
        state[PENDING_PAGES] = later
    return now


def _hint_for(text: str, hint: str, language: str, accents: AccentMode) -> str:
    """The hint spelt like the text: one "Á" in it would turn a GSM-7 page into UCS-2."""
    folded = sms_safe(hint, language, accents)
    if accents is AccentMode.KEEP or segment_report(text).encoding is not Encoding.GSM7:
        return folded
    return sms_safe(hint, language, AccentMode.STRIP)


def next_page(state: dict[str, Any]) -> str | None:
    """The next saved page, removing it; None when there is none left."""
    pages = state.get(PENDING_PAGES)
    if not pages:
        return None
    page, rest = str(pages[0]), pages[1:]
    if rest:
        state[PENDING_PAGES] = rest
    else:
        del state[PENDING_PAGES]
    return page
