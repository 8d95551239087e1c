"""How sessions and resources read in a reply, shared by every handler that shows them.

Plain text only: channels escape it (Telegram HTML) or fold it (SMS) themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import Translator
from bot.messages import Button, Reply
from catalog.models import Catalog, Localized, Resource, Session, SessionStatus
from handlers.context import Context

MENU_PAGE = 5
Item = Session | Resource


def text(value: Localized, tr: Translator) -> str:
    return value.get(tr.language)


def _fell_back(tr: Translator, *values: Localized) -> bool:
    return any(value.lookup(tr.language)[1] for value in values if value)


def link_line(label: str, link: Localized, tr: Translator) -> str:
    """The link in the reader's language, saying so when only the English one exists."""
    url, fell_back = link.lookup(tr.language)
    line = f"{label} {url}"
    if fell_back:
        line += "\n" + tr.gettext("(This page is in English.)")
    return line


def session_card(session: Session, ctx: Context) -> str:
    tr = ctx.tr
    lines = [text(session.title, tr)]
    if session.status is SessionStatus.CANCELLED:
        lines.append(
            tr.gettext(
                "Cancelled: this session planned for {date} will not take place.",
                date=tr.date(session.starts_at, session.zone),
            )
        )
        return "\n".join(lines)
    if session.is_upcoming(ctx.now):
        lines.append(tr.when(session.starts_at, session.zone))
        lines.append(text(session.summary, tr))
        lines.append(link_line(tr.gettext("Join here:"), session.link, tr))
    else:
        lines.append(
            tr.gettext("Held on {date}.", date=tr.short_date(session.starts_at, session.zone))
        )
        lines.append(text(session.summary, tr))
        lines.append(link_line(tr.gettext("Watch the recording:"), session.link, tr))
    if _fell_back(tr, session.title, session.summary):
        lines.append(tr.gettext("(Not yet translated: shown in English.)"))
    if ctx.catalog.resources_for(session.id):
        lines.append(tr.gettext("Send RESOURCES for its slides and materials."))
    return "\n".join(lines)


def resource_card(resource: Resource, tr: Translator) -> str:
    lines = [text(resource.title, tr)]
    if resource.summary:
        lines.append(text(resource.summary, tr))
    lines.append(link_line("", resource.link, tr).strip())
    return "\n".join(lines)


def item_line(number: int, item: Item, ctx: Context) -> str:
    tr = ctx.tr
    title = text(item.title, tr)
    if isinstance(item, Session):
        when = tr.short_date(item.starts_at, item.zone)
        if item.status is SessionStatus.CANCELLED:
            return tr.gettext(
                "{number}. {date}: {title} (cancelled)", number=number, date=when, title=title
            )
        return f"{number}. {when}: {title}"
    return f"{number}. {title}"


def remember_menu(ctx: Context, items: Sequence[Item], shown: int) -> None:
    """Keep the numbered items so a bare "2" (or "MORE") means something next turn."""
    ctx.contact.state["menu"] = [
        ["session" if isinstance(item, Session) else "resource", item.id] for item in items
    ]
    ctx.contact.state["shown"] = shown
    # A list replaces the session last shown as what "RESOURCES" refers to.
    ctx.contact.state.pop("last_session", None)


def remembered_menu(ctx: Context) -> list[Item]:
    items: list[Item] = []
    for kind, item_id in ctx.contact.state.get("menu", []):
        item = _find(ctx.catalog, kind, item_id)
        if item is not None:
            items.append(item)
    return items


def _find(catalog: Catalog, kind: Any, item_id: Any) -> Item | None:
    if kind == "session":
        return catalog.session(str(item_id))
    return next((r for r in catalog.resources if r.id == item_id), None)


def menu_page(ctx: Context, items: Sequence[Item], start: int, heading: str) -> Reply:
    """One page of a numbered menu, with the hint to answer a number or ask for more.

    Channels with buttons (Telegram) show one per number and one for the next page; the
    text says the same for channels without them (SMS), so no one depends on buttons.
    """
    tr = ctx.tr
    page = items[start : start + MENU_PAGE]
    lines = [heading] if heading else []
    lines.extend(item_line(start + i + 1, item, ctx) for i, item in enumerate(page))
    lines.append(tr.gettext("Send a number for details."))
    numbers = [str(start + i + 1) for i in range(len(page))]
    buttons = [Button(number, number) for number in numbers]
    if start + MENU_PAGE < len(items):
        lines.append(tr.gettext("Send MORE to see more."))
        buttons.append(Button(tr.gettext("More"), "MORE"))
    remember_menu(ctx, items, start + len(page))
    return Reply("\n".join(lines), tuple(buttons))
