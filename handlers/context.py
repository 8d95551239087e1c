"""What a handler may use: the contact, the language, the catalog, the clock, the database.

Handlers return replies and never call a channel; the only side effects they have are
through `db` (the conversation turn's transaction) and `contact` (saved after the turn).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import Settings
from bot.i18n import I18n, Translator
from bot.messages import InboundMessage, Reply
from bot.router import Match
from bot.store.contacts import Contact
from catalog.models import Catalog
from catalog.search import CatalogIndex

AWAITING = "awaiting"
"""`contact.state` key: the intent (its value) of a handler that asked a free-text question.

The next message, whatever the router makes of it, goes to that handler with its text
in `Context.answer`, so an announcement that happens to read "next session at 6" is
not answered as a question. Only STOP/START and the HELP words keep their meaning
(design rule 1); the handler removes the key once it has what it asked for.
"""

ERASE_REQUESTED = "erase_requested"
"""`contact.state` key: when this person asked to have their data deleted (ISO time).

Only a DELETE sent while it is set, and soon enough, erases; the conversation drops it
on any other message, so the confirmation always answers the question just asked.
"""


@dataclass
class Context:
    contact: Contact
    tr: Translator
    i18n: I18n
    catalog: Catalog
    index: CatalogIndex
    now: datetime
    zone: ZoneInfo
    db: AsyncConnection
    # The deployment's knobs a reply may depend on: rate limits and SMS price for a
    # broadcast preview, accents for SMS segment counts.
    settings: Settings = field(default_factory=Settings)
    # The sender is in ORGANIZERS: may compose and send broadcasts.
    organizer: bool = False
    # The raw text of this message when it answers the question recorded under
    # `AWAITING`; None on an ordinary turn.
    answer: str | None = None

    def switch_language(self, language: str) -> None:
        """Use `language` for this reply and every later one (an explicit choice)."""
        self.contact.locale = language
        self.contact.locale_chosen = True
        self.tr = self.i18n[language]


Handler = Callable[[InboundMessage, Match, Context], Awaitable[list[Reply]]]
