"""What one reply becomes on SMS and on Telegram, made by the channels' own functions.

The simulator talks on the console channel, where the reply is sent as written. To show
an organizer what a parent on SMS or Telegram would get instead, the stored reply goes
through exactly what those channels do with it: on SMS the conversation's paging
(`first_pages`, done in the turn for SMS contacts only) and then `sms_safe`, as
`SmsChannel.send` hands the body to Twilio; on Telegram `render_html`, `split_message`
and `reply_markup`, as `TelegramChannel.send` hands them to the Bot API. Pure: the same
outbox row always gives the same preview, so a reloaded transcript shows what the live
one did.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.channels.sms_text import AccentMode, SegmentReport, segment_report, sms_safe
from bot.channels.telegram_text import render_html, reply_markup, split_message
from bot.i18n import I18n
from bot.messages import Button, Reply
from bot.sms_paging import PENDING_PAGES, first_pages


@dataclass(frozen=True)
class SmsPage:
    """One SMS as Twilio would receive its body, with what the carrier bills for it."""

    text: str
    report: SegmentReport


@dataclass(frozen=True)
class SmsPreview:
    """The first page goes with the turn; the others wait for the parent's MORE, in order.

    No pages means nothing would be sent: the text was empty once SMS cleanup removed
    emoji and symbols.
    """

    pages: tuple[SmsPage, ...]

    @property
    def segments(self) -> int:
        """Segments billed for this turn (the first page only)."""
        return self.pages[0].report.segments if self.pages else 0


@dataclass(frozen=True)
class TelegramPart:
    """One Telegram message: the HTML parse-mode text as sent, and that text as shown."""

    html: str
    shown: str


@dataclass(frozen=True)
class TelegramPreview:
    """The messages sent, the inline keyboard under the last one, or why it would fail."""

    parts: tuple[TelegramPart, ...]
    keyboard: tuple[tuple[Button, ...], ...]
    error: str | None


@dataclass(frozen=True)
class Preview:
    sms: SmsPreview
    telegram: TelegramPreview


class Previewer:
    """Previews replies under this deployment's SMS accent policy and translations."""

    def __init__(self, i18n: I18n, accents: AccentMode) -> None:
        self._i18n = i18n
        self._accents = accents

    @property
    def accents(self) -> AccentMode:
        return self._accents

    def __call__(self, text: str, locale: str, buttons: tuple[Button, ...]) -> Preview:
        return Preview(self.sms(text, locale), telegram_preview(text, locale, buttons))

    def sms(self, text: str, locale: str) -> SmsPreview:
        state: dict[str, Any] = {}
        first = first_pages([Reply(text)], self._i18n[locale], self._accents, state)
        later = [str(page) for page in state.get(PENDING_PAGES, [])]
        pages = [reply.text for reply in first] + later
        bodies = (sms_safe(page, locale, self._accents) for page in pages)
        return SmsPreview(tuple(SmsPage(body, segment_report(body)) for body in bodies))


def telegram_preview(text: str, locale: str, buttons: tuple[Button, ...]) -> TelegramPreview:
    parts = tuple(
        TelegramPart(part, html.unescape(part)) for part in split_message(render_html(text, locale))
    )
    if not parts:
        return TelegramPreview((), (), "empty text")
    try:
        markup = reply_markup(buttons)
    except ValueError as error:
        return TelegramPreview(parts, (), str(error))
    rows = markup.inline_keyboard if markup is not None else ()
    keyboard = tuple(tuple(Button(key.text, str(key.callback_data)) for key in row) for row in rows)
    return TelegramPreview(parts, keyboard, None)
