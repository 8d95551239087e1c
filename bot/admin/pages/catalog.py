"""The catalog pages: the list of sessions, resources and topics, and the export.

Editing one session or resource and importing a file live in their own modules
(`bot.admin.catalog_sessions`, `catalog_resources`, `catalog_import`); their routes are
served from here, the list's "new" routes before the ones taking an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiohttp import web

from bot.admin import catalog_import, catalog_resources, catalog_sessions
from bot.admin.catalog_view import (
    in_console_language,
    kind_names,
    language_names,
    missing_translations,
    topic_names,
    when,
)
from bot.admin.i18n import gettext as _
from bot.admin.i18n import ngettext
from bot.admin.views import engine, now, render
from bot.store import catalog_repo
from catalog.io import Format, dump_catalog_text
from catalog.models import Catalog, Localized, Session, SessionStatus

_list_routes = web.RouteTableDef()

Badge = Literal["ok", "bad", "warn", ""]


@dataclass(frozen=True)
class SessionRow:
    id: str
    title: str
    when: str
    status: str
    badge: Badge
    topics: str
    missing: list[tuple[str, str]]


@dataclass(frozen=True)
class ResourceRow:
    id: str
    kind: str
    title: str
    missing: list[tuple[str, str]]


@_list_routes.get("/catalog")
async def catalog_page(request: web.Request) -> web.Response:
    async with engine(request).connect() as connection:
        catalog = await catalog_repo.load(connection)
    moment = now(request)
    ahead = [s for s in catalog.sessions if s.ends_at > moment]
    past = [s for s in reversed(catalog.sessions) if s.ends_at <= moment]
    topics = dict(topic_names((t.id, t.name) for t in catalog.topics))
    kinds = kind_names()
    context = {
        "message": _saved_message(request, catalog),
        "ahead": [_session_row(s, moment, topics) for s in ahead],
        "past": [_session_row(s, moment, topics) for s in past],
        "resources": [
            ResourceRow(
                r.id,
                kinds[r.kind.value],
                in_console_language(r.title),
                _missing(r.title, r.summary, r.link),
            )
            for r in catalog.resources
        ],
        "topics": [(t, missing_translations({"name": t.name})) for t in catalog.topics],
        "language_names": language_names(),
    }
    return render(request, "catalog.html", context)


@_list_routes.get("/catalog/export.{format:yaml|csv}")
async def export(request: web.Request) -> web.Response:
    fmt: Format = "csv" if request.match_info["format"] == "csv" else "yaml"
    async with engine(request).connect() as connection:
        catalog = await catalog_repo.load(connection)
    text = dump_catalog_text(catalog, fmt)
    # The byte-order mark makes spreadsheet programs read the file as UTF-8 (Arabic and
    # accents intact); the importer skips it.
    body = ("\ufeff" + text if fmt == "csv" else text).encode()
    content_type = "text/csv" if fmt == "csv" else "application/yaml"
    filename = f"catalog-{now(request).date().isoformat()}.{fmt}"
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _session_row(session: Session, moment: datetime, topics: dict[str, str]) -> SessionRow:
    status, badge = _status(session, moment)
    return SessionRow(
        id=session.id,
        title=in_console_language(session.title),
        when=when(session),
        status=status,
        badge=badge,
        topics=", ".join(topics.get(topic, topic) for topic in session.topics),
        missing=_missing(session.title, session.summary, session.link),
    )


def _missing(title: Localized, summary: Localized, link: Localized) -> list[tuple[str, str]]:
    return missing_translations({"title": title, "summary": summary, "link": link})


def _status(session: Session, moment: datetime) -> tuple[str, Badge]:
    if session.status is SessionStatus.CANCELLED:
        return _("Called off"), "bad"
    if session.ends_at <= moment:
        return _("Held"), ""
    if session.starts_at <= moment:
        return _("On now"), "ok"
    return _("Upcoming"), "ok"


def _saved_message(request: web.Request, catalog: Catalog) -> str | None:
    """The line confirming a save the form redirected here from (ids only in the URL)."""
    saved, item_id = request.query.get("saved"), request.query.get("id", "")
    if saved == "session" and (session := catalog.session(item_id)) is not None:
        message = _("Saved the session “{title}”.", title=in_console_language(session.title))
        notified = request.query.get("notified", "")
        if notified.isascii() and notified.isdigit():
            message += " " + ngettext(
                "{n} subscriber will get the notice.",
                "{n} subscribers will get the notice.",
                int(notified),
            )
        return message
    resource = next((r for r in catalog.resources if r.id == item_id), None)
    if saved == "resource" and resource is not None:
        return _("Saved the resource “{title}”.", title=in_console_language(resource.title))
    return None


routes: list[web.AbstractRouteDef] = [
    *_list_routes,
    *catalog_sessions.routes,
    *catalog_resources.routes,
    *catalog_import.routes,
]
