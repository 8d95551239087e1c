"""Organizer announcements over Telegram or SMS: /broadcast, preview, confirm, follow.

The same flow as `main.py broadcast` (`bot.broadcasts` does the work), as a dialogue:

    /broadcast          → asks for the English text, then Spanish, then Arabic
                          (SKIP / OMITIR / تخطي: that language gets the English text)
    (the last text)     → the draft is stored; its preview, with Send and Discard
    /broadcast send     → queued for everyone in the preview (the second step of confirming)
    /broadcast status   → sent, delivered, failed, opted out during it, still to go
    /broadcast cancel   → what is still queued is not sent
    /broadcast discard  → drops the text being written, or the unsent draft
    /broadcast preview  → the draft's preview again

The texts being written live in the contact's dialogue state, so a restart loses
nothing and every process sees the same step; `AWAITING` makes the conversation hand
the next message here whatever it says. Only contacts listed in ORGANIZERS get past the
first line: anyone else is told so politely, and nothing is stored for them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from babel.lists import format_list

from bot import broadcasts
from bot.broadcasts import MAX_TEXT_LENGTH, BroadcastStatus, Draft, Preview, Progress
from bot.channels.sms_text import Encoding
from bot.errors import BroadcastError
from bot.i18n import N_, Translator
from bot.messages import Button, ChannelName, InboundMessage, Reply
from bot.router import Intent, Match
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES
from catalog.normalize import tokens
from handlers.context import AWAITING, Context

log = logging.getLogger(__name__)

# contact.state key of the announcement being written: {"step": "es", "texts": {...}}.
COMPOSING = "broadcast"
# Payloads of the preview's buttons: what a typed reply would say.
SEND_PAYLOAD = "/broadcast send"
DISCARD_PAYLOAD = "/broadcast discard"


def _words(*spellings: str) -> frozenset[str]:
    """Sub-command words as `match.argument` carries them: through the one normaliser."""
    return frozenset(" ".join(tokens(word)) for word in spellings)


SEND = _words("send", "enviar", "إرسال", "ارسل")
STATUS = _words("status", "estado", "حالة")
CANCEL = _words("cancel", "stop", "cancelar", "parar", "إلغاء", "أوقف")
DISCARD = _words("discard", "delete", "descartar", "borrar", "حذف", "تجاهل")
PREVIEW = _words("preview", "vista previa", "previa", "معاينة")
SKIP = _words("skip", "omitir", "saltar", "تخطي", "تخطى")

LANGUAGE_NAMES = {"en": N_("English"), "es": N_("Spanish"), "ar": N_("Arabic")}
STATUS_NAMES = {
    BroadcastStatus.DRAFT: N_("draft"),
    BroadcastStatus.SCHEDULED: N_("scheduled"),
    BroadcastStatus.SENDING: N_("sending"),
    BroadcastStatus.DONE: N_("done"),
    BroadcastStatus.CANCELLED: N_("cancelled"),
}
ENCODING_NAMES = {Encoding.GSM7: "GSM-7", Encoding.UCS2: "UCS-2"}
# A start later than this after "now" is worth saying (quiet hours defer bulk sends).
_LATER = timedelta(minutes=1)


async def broadcast(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    """Every organizer turn: a sub-command, or the answer to the question asked last."""
    tr = ctx.tr
    if not ctx.organizer:
        # Someone removed from ORGANIZERS mid-draft keeps no half-written announcement.
        ctx.contact.state.pop(COMPOSING, None)
        if ctx.contact.state.get(AWAITING) == Intent.BROADCAST.value:
            del ctx.contact.state[AWAITING]
        return [Reply(tr.gettext("Sorry, only organizers can send announcements."))]
    command = match.argument if match.intent is Intent.BROADCAST else None
    if ctx.answer is not None and not _is_command(command):
        return await _answer(ctx.answer, ctx)
    if not command:
        return _start(ctx)
    if command in SEND:
        return await _send(ctx)
    if command in STATUS:
        return await _status(ctx)
    if command in CANCEL:
        return await _cancel(ctx)
    if command in DISCARD:
        return await _discard(ctx)
    if command in PREVIEW:
        return await _show_preview(ctx)
    return [Reply(_usage(tr))]


def _is_command(command: str | None) -> bool:
    """While a text is awaited, "/broadcast discard" is a command; "Broadcast at 6!" is text."""
    if command is None:
        return False
    return not command or any(
        command in words for words in (SEND, STATUS, CANCEL, DISCARD, PREVIEW)
    )


def _author(ctx: Context) -> str:
    """`created_by` of this organizer's broadcasts: their channel and address."""
    address = ctx.contact.address
    return f"{address.channel.value}:{address.id}"


def _usage(tr: Translator) -> str:
    return tr.gettext(
        "Send BROADCAST to write an announcement, then BROADCAST SEND, "
        "BROADCAST STATUS, BROADCAST CANCEL or BROADCAST DISCARD."
    )


# -- writing -------------------------------------------------------------------------------


def _start(ctx: Context) -> list[Reply]:
    """Begin (or begin again) an announcement: its English text comes first."""
    ctx.contact.state[COMPOSING] = {"step": FALLBACK_LANGUAGE, "texts": {}}
    ctx.contact.state[AWAITING] = Intent.BROADCAST.value
    tr = ctx.tr
    return [
        Reply(
            tr.gettext(
                "New announcement. Send its text in English: everyone whose language "
                "has no text of its own gets this one."
            )
            + "\n"
            + tr.gettext("To stop, send BROADCAST DISCARD.")
        )
    ]


def _composing(ctx: Context) -> dict[str, Any] | None:
    draft = ctx.contact.state.get(COMPOSING)
    if not isinstance(draft, dict) or draft.get("step") not in LANGUAGES:
        return None
    return draft


async def _answer(text: str, ctx: Context) -> list[Reply]:
    """One language's text (or SKIP); after the last one, the draft and its preview."""
    tr = ctx.tr
    draft = _composing(ctx)
    if draft is None:  # the question outlived its draft: start over rather than guess
        return _start(ctx)
    step: str = draft["step"]
    texts: dict[str, str] = dict(draft.get("texts") or {})
    text = text.strip()
    skipped = " ".join(tokens(text)) in SKIP
    if step == FALLBACK_LANGUAGE and skipped:
        return [Reply(tr.gettext("The English text cannot be skipped: please send it."))]
    if not text:
        return [Reply(tr.gettext("I need some text. Please send it again."))]
    if len(text) > MAX_TEXT_LENGTH:
        return [
            Reply(
                tr.gettext(
                    "That is too long: at most {limit} characters. Please send a shorter text.",
                    limit=MAX_TEXT_LENGTH,
                )
            )
        ]
    if not skipped:
        texts[step] = text
    following = LANGUAGES[LANGUAGES.index(step) + 1 :]
    if following:
        ctx.contact.state[COMPOSING] = {"step": following[0], "texts": texts}
        language = tr.gettext(LANGUAGE_NAMES[following[0]])
        return [
            Reply(
                tr.gettext(
                    "Now the text in {language}, or SKIP to send the English one instead.",
                    language=language,
                )
            )
        ]
    ctx.contact.state.pop(COMPOSING, None)
    ctx.contact.state.pop(AWAITING, None)
    broadcast_id = await broadcasts.create(
        ctx.db, Draft(texts=texts, created_by=_author(ctx)), ctx.now
    )
    log.info("broadcast %d drafted by %s", broadcast_id, _author(ctx))
    preview = await broadcasts.preview(ctx.db, broadcast_id, ctx.settings, ctx.now)
    return [_preview_reply(preview, ctx)]


# -- the preview ---------------------------------------------------------------------------


def _preview_reply(preview: Preview, ctx: Context) -> Reply:
    """Who gets it on which channel, what SMS costs, how long it takes, what falls back."""
    tr = ctx.tr
    lines = [
        tr.ngettext(
            "Draft {id} reaches {n} person:",
            "Draft {id} reaches {n} people:",
            preview.total,
            id=preview.broadcast_id,
        )
    ]
    for item in preview.languages:
        people = tr.gettext(
            "{language}: {telegram} on Telegram, {sms} by SMS",
            language=tr.gettext(LANGUAGE_NAMES[item.language]),
            telegram=preview.counts.get((item.language, ChannelName.TELEGRAM), 0),
            sms=preview.counts.get((item.language, ChannelName.SMS), 0),
        )
        segments = tr.ngettext(
            "{n} SMS segment ({encoding})",
            "{n} SMS segments ({encoding})",
            item.segments,
            encoding=ENCODING_NAMES[item.encoding],
        )
        # The separator is the language's own (Arabic writes ؛).
        lines.append(tr.gettext("{people}; {segments}", people=people, segments=segments))
    fallbacks = [tr.gettext(LANGUAGE_NAMES[p.language]) for p in preview.languages if p.fallback]
    if fallbacks:
        lines.append(
            tr.gettext(
                "No text in {languages}: they get the English one.",
                languages=format_list(fallbacks, locale=tr.language),
            )
        )
    lines.append(
        tr.ngettext(
            "SMS: {n} segment, about {cost}. Telegram is free.",
            "SMS: {n} segments, about {cost}. Telegram is free.",
            preview.sms_segments,
            cost=_money(preview.cost),
        )
    )
    lines.append(
        tr.gettext("Sending takes about {duration}.", duration=_duration(tr, preview.seconds))
    )
    if preview.first_send > ctx.now + _LATER:
        lines.append(
            tr.gettext(
                "It starts {when}, after quiet hours.",
                when=tr.when(preview.first_send, ctx.zone),
            )
        )
    lines.append(tr.gettext("Send BROADCAST SEND to send it, or BROADCAST DISCARD to drop it."))
    buttons = (
        Button(tr.gettext("Send"), SEND_PAYLOAD),
        Button(tr.gettext("Discard"), DISCARD_PAYLOAD),
    )
    return Reply("\n".join(lines), buttons=buttons)


def _money(dollars: float) -> str:
    """US dollars, with enough digits that a few segments do not read as "$0.00"."""
    if 0 < dollars < 0.01:
        return f"${dollars:.4f}"
    return f"${dollars:,.2f}"


def _duration(tr: Translator, seconds: float) -> str:
    if seconds < 90:
        return tr.ngettext("{n} second", "{n} seconds", max(1, round(seconds)))
    if seconds < 90 * 60:
        return tr.ngettext("{n} minute", "{n} minutes", round(seconds / 60))
    return tr.ngettext("{n} hour", "{n} hours", round(seconds / 3600))


# -- the organizer's broadcasts ------------------------------------------------------------


async def _latest(ctx: Context) -> Progress | None:
    """Where this organizer's newest broadcast stands; None if they have none."""
    broadcast_id = await broadcasts.latest(ctx.db, _author(ctx))
    return None if broadcast_id is None else await broadcasts.progress(ctx.db, broadcast_id)


def _no_draft(tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext("You have no draft waiting. Send BROADCAST to write one."))]


def _already(tr: Translator, progress: Progress) -> list[Reply]:
    return [
        Reply(
            tr.gettext(
                "Broadcast {id} is already {status}.",
                id=progress.broadcast_id,
                status=tr.gettext(STATUS_NAMES[progress.status]),
            )
        )
    ]


async def _show_preview(ctx: Context) -> list[Reply]:
    latest = await _latest(ctx)
    if latest is None or latest.status is not BroadcastStatus.DRAFT:
        return _no_draft(ctx.tr)
    preview = await broadcasts.preview(ctx.db, latest.broadcast_id, ctx.settings, ctx.now)
    return [_preview_reply(preview, ctx)]


async def _send(ctx: Context) -> list[Reply]:
    """The second step of confirming: the draft the preview showed goes to the outbox."""
    tr = ctx.tr
    latest = await _latest(ctx)
    if latest is None:
        return _no_draft(tr)
    if latest.status is not BroadcastStatus.DRAFT:
        # A second press of Send, or a draft dropped meanwhile: nothing is sent twice.
        return _already(tr, latest)
    broadcast_id = latest.broadcast_id
    try:
        status = await broadcasts.send(ctx.db, broadcast_id, ctx.settings, ctx.now)
    except BroadcastError:  # another process sent or cancelled it a moment ago
        return _already(tr, await broadcasts.progress(ctx.db, broadcast_id))
    log.info("broadcast %d confirmed by %s", broadcast_id, _author(ctx))
    if status is BroadcastStatus.SCHEDULED:
        preview = await broadcasts.preview(ctx.db, broadcast_id, ctx.settings, ctx.now)
        return [
            Reply(
                tr.gettext(
                    "Broadcast {id} is scheduled for {when}.",
                    id=broadcast_id,
                    when=tr.when(preview.first_send, ctx.zone),
                )
            )
        ]
    progress = await broadcasts.progress(ctx.db, broadcast_id)
    return [
        Reply(
            tr.ngettext(
                "Sending to {n} person.",
                "Sending to {n} people.",
                progress.recipients,
            )
            + "\n"
            + tr.gettext("Send BROADCAST STATUS to follow it, or BROADCAST CANCEL to stop it.")
        )
    ]


async def _status(ctx: Context) -> list[Reply]:
    tr = ctx.tr
    progress = await _latest(ctx)
    if progress is None:
        return [Reply(tr.gettext("You have not written any announcement yet."))]
    return [Reply(_progress_text(tr, progress))]


def _progress_text(tr: Translator, progress: Progress) -> str:
    text = tr.ngettext(
        "Broadcast {id} ({status}), {n} recipient:",
        "Broadcast {id} ({status}), {n} recipients:",
        progress.recipients,
        id=progress.broadcast_id,
        status=tr.gettext(STATUS_NAMES[progress.status]),
    )
    figures = tr.gettext(
        "{sent} sent, {delivered} delivered, {failed} failed, "
        "{opted_out} opted out during it, {to_go} to go.",
        sent=progress.sent,
        delivered=progress.delivered,
        failed=progress.failed,
        opted_out=progress.opted_out,
        to_go=progress.queued + progress.sending,
    )
    lines = [text, figures]
    if progress.cancelled:
        lines.append(tr.gettext("{cancelled} not sent: cancelled.", cancelled=progress.cancelled))
    return "\n".join(lines)


async def _cancel(ctx: Context) -> list[Reply]:
    """Stop the newest broadcast: queued messages stay unsent, those in flight finish."""
    tr = ctx.tr
    if _composing(ctx) is not None:  # "cancel" while writing means the text being written
        return await _discard(ctx)
    latest = await _latest(ctx)
    if latest is None:
        return [Reply(tr.gettext("You have not written any announcement yet."))]
    if latest.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        return _already(tr, latest)
    if latest.status is BroadcastStatus.DRAFT:
        return await _discard(ctx)
    try:
        dropped = await broadcasts.cancel(ctx.db, latest.broadcast_id, ctx.now)
    except BroadcastError:
        return _already(tr, await broadcasts.progress(ctx.db, latest.broadcast_id))
    log.info("broadcast %d cancelled by %s", latest.broadcast_id, _author(ctx))
    return [
        Reply(
            tr.ngettext(
                "Broadcast {id} cancelled: {n} queued message will not be sent.",
                "Broadcast {id} cancelled: {n} queued messages will not be sent.",
                dropped,
                id=latest.broadcast_id,
            )
        )
    ]


async def _discard(ctx: Context) -> list[Reply]:
    """Drop the text being written, or else the draft waiting for Send."""
    tr = ctx.tr
    state = ctx.contact.state
    if state.pop(COMPOSING, None) is not None:
        state.pop(AWAITING, None)
        return [Reply(tr.gettext("Announcement dropped. Nothing was sent."))]
    state.pop(AWAITING, None)
    latest = await _latest(ctx)
    if latest is None or latest.status is not BroadcastStatus.DRAFT:
        return _no_draft(tr)
    try:
        await broadcasts.cancel(ctx.db, latest.broadcast_id, ctx.now)
    except BroadcastError:
        return _already(tr, await broadcasts.progress(ctx.db, latest.broadcast_id))
    return [Reply(tr.gettext("Announcement dropped. Nothing was sent."))]
