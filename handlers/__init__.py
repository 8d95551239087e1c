"""One module per feature; this table is the only place intents meet their handlers."""

from __future__ import annotations

from collections.abc import Mapping

from bot.router import Intent
from handlers import (
    consent,
    data_deletion,
    help,
    language,
    organizer,
    resources,
    search,
    sessions,
    subscribe,
)
from handlers.context import Handler

HANDLERS: Mapping[Intent, Handler] = {
    Intent.OPT_OUT: consent.opt_out,
    Intent.OPT_IN: consent.opt_in,
    Intent.HELP: help.show_help,
    Intent.GREETING: help.greet,
    Intent.THANKS: help.thank,
    Intent.EMPTY: help.unreadable,
    Intent.CHOOSE: sessions.choose,
    Intent.MORE: sessions.more,
    Intent.NEXT: sessions.next_session,
    Intent.LIST: sessions.list_sessions,
    Intent.SEARCH: search.search,
    Intent.RESOURCES: resources.resources,
    Intent.SUBSCRIBE: subscribe.subscribe,
    Intent.UNSUBSCRIBE: subscribe.unsubscribe,
    Intent.MY_REMINDERS: subscribe.my_reminders,
    Intent.DELETE_DATA: data_deletion.delete_data,
    Intent.BROADCAST: organizer.broadcast,
    Intent.LANGUAGE_MENU: language.language_menu,
    Intent.SET_LANGUAGE: language.set_language,
}
