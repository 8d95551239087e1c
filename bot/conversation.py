"""One conversation turn: inbound message in, replies in the outbox, in one transaction.

Whatever the channel, a turn de-duplicates the provider's message id, finds or creates
the contact, settles the language, routes the text, runs the handler, saves the
contact's dialogue state and queues the replies, and commits all of it together: a
crash half-way leaves neither a reply without its state nor state without its reply.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import cache

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import flood, outbox
from bot.catalog_cache import CatalogCache
from bot.config import Settings
from bot.flood import Verdict
from bot.i18n import DEFAULT_LANGUAGE, I18n, Translator
from bot.langdetect import detect_language, language_from_code
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage, Reply
from bot.router import HELP_WORDS, Intent, Match, route
from bot.sms_paging import PENDING_PAGES, first_pages
from bot.store import contacts as contact_store
from bot.store.contacts import Contact
from bot.store.engine import brief, is_transient
from bot.store.tables import inbound_log, inbound_seen
from bot.store.upsert import dialect_insert
from catalog.normalize import tokens
from handlers.context import AWAITING, ERASE_REQUESTED, Context, Handler

log = logging.getLogger(__name__)

# A text message is at most a few hundred characters; a pasted essay is kept in part.
MAX_LOGGED_CHARS = 2000


def settle_language(contact: Contact, message: InboundMessage, match: Match) -> str:
    """The language to answer in, updating the contact's remembered one when warranted.

    Precedence: an explicit choice; else what the contact's earlier messages showed;
    else the client's language code; else the text itself. A clear greeting or a
    sentence in another language (Arabic script, or two or more keyword-detected
    words) moves a contact whose language was only guessed, so "hi" then "hola"
    answers in Spanish, while a lone English keyword from a Spanish speaker does not.
    """
    if contact.locale_chosen and contact.locale:
        return contact.locale
    detection = detect_language(message.text)
    strong = detection.source == "script" or (
        detection.source == "keywords"
        and (match.intent is Intent.GREETING or len(message.text.split()) >= 2)
    )
    if contact.locale is None:
        hinted = language_from_code(message.language_hint)
        contact.locale = (strong and detection.language) or hinted or detection.language
    elif strong and detection.language:
        contact.locale = detection.language
    return contact.locale or DEFAULT_LANGUAGE


def is_organizer(address: Address, organizers: frozenset[str]) -> bool:
    """Whether ORGANIZERS lists this sender: a Telegram user id, or an SMS phone number.

    A private Telegram chat's id is its user's id, which is what organizers look up and
    list. Phone numbers are the entries that start with "+" (so a Telegram id never lets a
    short code in), compared on their digits: "+1 (555) 010-0000" in the environment
    matches the E.164 "+15550100000" Twilio reports. The terminal chat is
    never an organizer: whoever runs it has `main.py broadcast` already.
    """
    if address.channel is ChannelName.TELEGRAM:
        return address.id in organizers
    if address.channel is ChannelName.SMS:
        phone = _phone(address.id)
        return any(_phone(entry) == phone for entry in organizers if entry.startswith("+"))
    return False


def _phone(text: str) -> str:
    return re.sub(r"[^\d+]", "", text)


# NUL, which PostgreSQL text cannot hold, and UTF-16 surrogates, which no UTF-8 text can:
# a Python str holds an emoji as one code point, so any surrogate here is a lone half.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(message: InboundMessage) -> InboundMessage:
    """The message with NUL dropped and lone surrogates made U+FFFD.

    JSON may spell either ("\\u0000", "\\ud800") and neither means anything in a text
    message, but one in a name or a body would fail the whole turn when it is stored
    and cost the person their answer.
    """
    fields = (
        message.text,
        message.address.id,
        message.external_id,
        message.display_name,
        message.language_hint,
        message.deep_link,
    )
    if not any(value and _UNSTORABLE.search(value) for value in fields):
        return message
    return replace(
        message,
        address=replace(message.address, id=_cleaned(message.address.id)),
        text=_cleaned(message.text),
        external_id=_cleaned_or_none(message.external_id),
        display_name=_cleaned_or_none(message.display_name),
        language_hint=_cleaned_or_none(message.language_hint),
        deep_link=_cleaned_or_none(message.deep_link),
    )


def _cleaned(value: str) -> str:
    return _UNSTORABLE.sub(lambda found: "" if found.group() == "\x00" else "\ufffd", value)


def _cleaned_or_none(value: str | None) -> str | None:
    return None if value is None else _cleaned(value)


def keeps_its_meaning(message: InboundMessage, match: Match) -> bool:
    """STOP, START and the HELP words mean what they mean even in the middle of a question.

    Only the whole-message words count (rule 1): an announcement saying "we need help
    with chairs" is an answer, not a request for the menu.
    """
    if match.intent in (Intent.OPT_OUT, Intent.OPT_IN):
        return True
    return match.intent is Intent.HELP and " ".join(tokens(message.text)) in HELP_WORDS


class Conversation:
    def __init__(
        self,
        engine: AsyncEngine,
        handlers: Mapping[Intent, Handler],
        i18n: I18n,
        catalog: CatalogCache,
        clock: Callable[[], datetime],
        worker: str,
        settings: Settings,
    ) -> None:
        """`settings` gives the time zone and SMS accents, and reaches handlers
        (organizers, rate limits, SMS price)."""
        self._engine = engine
        self._handlers = handlers
        self._i18n = i18n
        self._catalog = catalog
        self._zone = settings.zone
        self._clock = clock
        self._worker = worker
        self._sms_accents = settings.sms_accents
        self._settings = settings

    @property
    def handlers(self) -> Mapping[Intent, Handler]:
        return self._handlers

    async def handle(self, message: InboundMessage, claim: bool = True) -> list[OutboundMessage]:
        """Run one turn; returns its replies, stored and claimed, for the caller to deliver.

        With `claim` false the replies are queued for the process that holds the
        channel's sender lease instead, and nothing is returned to deliver.
        """
        message = storable(message)
        try:
            return await self._turn(message, claim)
        except Exception as error:
            if is_transient(error):
                # The database is away: an apology could not be stored either. The caller
                # waits and tries again, or answers 503 for the provider to, and says so.
                log.debug(
                    "conversation turn on %s failed: %s", message.address.channel, brief(error)
                )
                raise
            # A bug in one feature costs the person an apology, not an answer; the
            # failed turn's writes are rolled back whole.
            log.exception("conversation turn failed on %s", message.address.channel)
            return await self._apologise(message, claim)

    async def _turn(self, message: InboundMessage, claim: bool) -> list[OutboundMessage]:
        async with self._engine.begin() as connection:
            if message.external_id and not await self._first_sight(connection, message):
                return []
            now = self._clock()
            contact = await contact_store.touch(
                connection, message.address, now, message.display_name
            )
            before = contact_store.dialogue_of(contact)
            match = route(message.text)
            if match.intent is not Intent.MORE:
                contact.state.pop(PENDING_PAGES, None)
            if match.intent is not Intent.DELETE_DATA:
                contact.state.pop(ERASE_REQUESTED, None)
            organizer = is_organizer(message.address, self._settings.organizers)
            verdict = await self._flood_verdict(connection, contact, message, match, organizer, now)
            handler, answer = self._handler_for(contact, message, match)
            if answer is None:
                language = settle_language(contact, message, match)
            else:
                # An answer is someone else's words (an announcement in Arabic): it says
                # nothing about the language this person reads.
                language = contact.locale or DEFAULT_LANGUAGE
            await _log_inbound(connection, contact, message, language, now)
            if verdict is Verdict.ANSWER:
                context = await self._context(connection, contact, language, now, organizer, answer)
                replies = await handler(message, match, context)
                contact = context.contact
                tr = context.tr
            else:
                tr = self._i18n[language]
                replies = [] if verdict is Verdict.SILENT else [_slow_down(tr)]
            if message.address.channel is ChannelName.SMS:
                replies = first_pages(replies, tr, self._sms_accents, contact.state)
            if contact_store.dialogue_of(contact) != before:
                await contact_store.save_dialogue(connection, contact)
            return await outbox.add_replies(
                connection,
                message.address,
                contact.id,
                tr.language,
                replies,
                now,
                worker=self._worker,
                opted_out=contact.opted_out,
                claim=claim,
            )

    async def _context(
        self,
        connection: AsyncConnection,
        contact: Contact,
        language: str,
        now: datetime,
        organizer: bool,
        answer: str | None,
    ) -> Context:
        snapshot = await self._catalog.current(connection)
        return Context(
            contact=contact,
            tr=self._i18n[language],
            i18n=self._i18n,
            catalog=snapshot.catalog,
            index=snapshot.index,
            now=now,
            zone=self._zone,
            db=connection,
            settings=self._settings,
            organizer=organizer,
            answer=answer,
        )

    async def _flood_verdict(
        self,
        connection: AsyncConnection,
        contact: Contact,
        message: InboundMessage,
        match: Match,
        organizer: bool,
        now: datetime,
    ) -> Verdict:
        """STOP always counts (the law asks it be honoured) and is never itself limited."""
        limit = self._settings.flood_limit_per_minute
        if (
            limit == 0
            or organizer
            or match.intent is Intent.OPT_OUT
            or message.address.channel not in flood.LIMITED_CHANNELS
        ):
            return Verdict.ANSWER
        return await flood.judge(connection, contact, now, limit)

    def _handler_for(
        self, contact: Contact, message: InboundMessage, match: Match
    ) -> tuple[Handler, str | None]:
        """The handler for this turn, and the answer it gets if it asked a question.

        A pending question (`AWAITING`) takes the message unless it is a consent or help
        word, or the person opted out (nothing but consent replies reaches them, so the
        question waits until they are back).
        """
        awaiting = contact.state.get(AWAITING)
        if awaiting is None or contact.opted_out or keeps_its_meaning(message, match):
            return self._handlers[match.intent], None
        try:
            return self._handlers[Intent(awaiting)], message.text
        except (ValueError, KeyError):
            log.warning("dropping an unknown pending question %r", awaiting)
            del contact.state[AWAITING]
            return self._handlers[match.intent], None

    async def _apologise(self, message: InboundMessage, claim: bool) -> list[OutboundMessage]:
        async with self._engine.begin() as connection:
            now = self._clock()
            contact = await contact_store.touch(connection, message.address, now)
            tr = self._i18n[contact.locale or DEFAULT_LANGUAGE]
            apology = Reply(
                tr.gettext("Sorry, something went wrong on our side. Please try again in a moment.")
            )
            return await outbox.add_replies(
                connection,
                message.address,
                contact.id,
                tr.language,
                [apology],
                now,
                worker=self._worker,
                opted_out=contact.opted_out,
                claim=claim,
            )

    @staticmethod
    async def _first_sight(connection: AsyncConnection, message: InboundMessage) -> bool:
        """Record the provider's message id; False if it was already handled (a retry)."""
        result = await connection.execute(
            _first_sight_statement(connection.dialect.name),
            {
                "channel": message.address.channel.value,
                "external_id": message.external_id,
                "created_at": message.received_at,
            },
        )
        return bool(result.rowcount)


def _slow_down(tr: Translator) -> Reply:
    return Reply(
        tr.gettext(
            "You are sending messages very quickly, so I will pause for a minute. "
            "Please wait a little, then send your question again."
        )
    )


async def _log_inbound(
    connection: AsyncConnection,
    contact: Contact,
    message: InboundMessage,
    language: str,
    now: datetime,
) -> None:
    """Keep what the person wrote, for the console's message counts and contact history."""
    await connection.execute(
        inbound_log.insert().values(
            contact_id=contact.id,
            channel=message.address.channel.value,
            locale=language,
            text=message.text[:MAX_LOGGED_CHARS],
            created_at=now,
        )
    )


@cache
def _first_sight_statement(dialect: str) -> Executable:
    return dialect_insert(dialect, inbound_seen).on_conflict_do_nothing()
