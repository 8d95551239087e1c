"""What a handler may use: the contact, the language, the catalog, the clock, the database.

Handlers return replies and never call a channel; the only side effects they have are
through `db` (the conversation turn's transaction) and `contact` (saved after the turn).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.i18n import I18n, Translator
from bot.messages import InboundMessage, Reply
from bot.router import Match
from bot.store.contacts import Contact
from catalog.models import Catalog
from catalog.search import CatalogIndex


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

    def switch_language(self, language: str) -> None:
        """Use `language` for this reply and every later one (an explicit choice)."""
        self.contact.locale = language
        self.contact.locale_chosen = True
        self.tr = self.i18n[language]


Handler = Callable[[InboundMessage, Match, Context], Awaitable[list[Reply]]]
