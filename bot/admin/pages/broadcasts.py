"""Broadcasts: write an announcement in three languages, see who it reaches and what it
costs, send or schedule it, watch it arrive, cancel it; and the history of all of them.

The work is `bot.broadcasts`, the same the terminal and Telegram use; the messages are sent
by this server's pump, woken as soon as a broadcast is queued. Two JSON routes feed the
live parts (the SMS counter while typing, the progress while sending).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import broadcasts
from bot.admin import broadcast_counter, broadcast_form, broadcast_store
from bot.admin import broadcast_view as view
from bot.admin.broadcast_form import LOCAL_FORMAT, ComposeForm
from bot.admin.broadcast_format import progress_json
from bot.admin.i18n import gettext as _
from bot.admin.i18n import ngettext
from bot.admin.views import engine, now, render, services
from bot.broadcasts import BroadcastStatus
from bot.errors import BroadcastError
from bot.quiet_hours import CLOSES, OPENS
from catalog.models import Catalog

routes = web.RouteTableDef()

FINISHED = (BroadcastStatus.DONE.value, BroadcastStatus.CANCELLED.value)


# -- history and compose -------------------------------------------------------------------


@routes.get("/broadcasts")
async def history_page(request: web.Request) -> web.Response:
    async with engine(request).connect() as connection:
        items = await broadcast_store.history(connection)
        catalog = await _catalog(request, connection)
    context = {
        "rows": view.history_rows(items, catalog, services(request).settings.zone),
        "discarded": broadcast_store.parse_id(request.query.get("discarded", "")),
    }
    return render(request, "broadcasts.html", context)


@routes.get("/broadcasts/new")
async def compose_page(request: web.Request) -> web.Response:
    return await _compose(request, ComposeForm())


@routes.post("/broadcasts")
async def create(request: web.Request) -> web.Response:
    form = broadcast_form.read(await _posted(request))
    draft = await _draft_of(request, form)
    if draft is None:
        return await _compose(request, form, status=400)
    try:
        async with engine(request).begin() as connection:
            broadcast_id = await broadcasts.create(connection, draft, now(request))
    except BroadcastError as error:  # the engine's own check, should the form's miss one
        form.errors["form"] = str(error)
        return await _compose(request, form, status=400)
    raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}")


@routes.get("/broadcasts/{id}/edit")
async def edit_page(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    async with engine(request).connect() as connection:
        row = await broadcast_store.find(connection, broadcast_id)
    if row is None:
        return _missing(request)
    if row.status != BroadcastStatus.DRAFT.value:
        raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}")
    form = broadcast_form.from_row(row, services(request).settings.zone)
    return await _compose(request, form, editing=broadcast_id)


@routes.post("/broadcasts/{id}/edit")
async def edit(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    form = broadcast_form.read(await _posted(request))
    draft = await _draft_of(request, form)
    if draft is None:
        return await _compose(request, form, editing=broadcast_id, status=400)
    try:
        async with engine(request).begin() as connection:
            if await broadcast_store.find(connection, broadcast_id) is None:
                return _missing(request)
            await broadcast_store.replace_draft(connection, broadcast_id, draft, now(request))
    except BroadcastError:
        return await _detail(
            request,
            broadcast_id,
            error=_("This broadcast is no longer a draft, so it cannot be edited."),
            status=409,
        )
    raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}")


# -- one broadcast: preview, send, progress, cancel ----------------------------------------


@routes.get("/broadcasts/{id}")
async def broadcast_page(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    notice = None
    cancelled = request.query.get("cancelled", "")
    if cancelled.isascii() and cancelled.isdigit():
        n = int(cancelled)
        notice = ngettext(
            "Cancelled: {n} message will not be sent.",
            "Cancelled: {n} messages will not be sent.",
            n,
        )
    return await _detail(request, broadcast_id, notice=notice)


@routes.post("/broadcasts/{id}/send")
async def send(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    settings, moment = services(request).settings, now(request)
    async with engine(request).begin() as connection:
        row = await broadcast_store.find(connection, broadcast_id)
        if row is None:
            return _missing(request)
        problem = await _why_not_send(connection, row, request)
        status = None
        if problem is None:
            try:
                status = await broadcasts.send(connection, broadcast_id, settings, moment)
            except BroadcastError:  # sent or cancelled a moment ago, elsewhere
                problem = _("This broadcast was already sent or cancelled.")
    if status is None:
        return await _detail(request, broadcast_id, error=problem, status=409)
    if status is BroadcastStatus.SENDING:
        services(request).pump.wake.set()
    raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}")


@routes.post("/broadcasts/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    """Cancel a scheduled or sending broadcast, or discard a draft."""
    broadcast_id = _id(request)
    try:
        async with engine(request).begin() as connection:
            row = await broadcast_store.find(connection, broadcast_id)
            if row is None:
                return _missing(request)
            dropped = await broadcasts.cancel(connection, broadcast_id, now(request))
    except BroadcastError:
        return await _detail(
            request,
            broadcast_id,
            error=_("This broadcast has already finished: there is nothing left to cancel."),
            status=409,
        )
    if row.status == BroadcastStatus.DRAFT.value:
        raise web.HTTPSeeOther(f"/admin/broadcasts?discarded={broadcast_id}")
    raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}?cancelled={dropped}")


# -- the live parts ------------------------------------------------------------------------


@routes.post("/api/sms-count")
async def sms_count(request: web.Request) -> web.Response:
    """Characters, encoding and segments of each text, as the preview and the bill count them."""
    try:
        texts = broadcast_counter.texts_of(await request.json())
    except ValueError as error:  # not JSON, or not the expected shape
        return web.json_response({"error": str(error)}, status=400)
    except RecursionError:  # arrays nested deeper than the JSON decoder goes
        return web.json_response({"error": "the request is nested too deeply"}, status=400)
    counts = broadcast_counter.count(texts, services(request).settings)
    return web.json_response({"languages": counts})


@routes.get("/api/broadcasts/{id}/progress")
async def progress(request: web.Request) -> web.Response:
    broadcast_id = broadcast_store.parse_id(request.match_info["id"])
    if broadcast_id is None:
        return web.json_response({"error": "no such broadcast"}, status=404)
    async with engine(request).connect() as connection:
        if await broadcast_store.find(connection, broadcast_id) is None:
            return web.json_response({"error": "no such broadcast"}, status=404)
        figures = await broadcasts.progress(connection, broadcast_id)
    return web.json_response(progress_json(figures))


# -- helpers -------------------------------------------------------------------------------


def _id(request: web.Request) -> int:
    """The id in the path; anything else is a page that does not exist."""
    broadcast_id = broadcast_store.parse_id(request.match_info["id"])
    if broadcast_id is None:
        raise web.HTTPNotFound(
            text=render(request, "broadcast_missing.html", status=404).text,
            content_type="text/html",
        )
    return broadcast_id


def _missing(request: web.Request) -> web.Response:
    return render(request, "broadcast_missing.html", status=404)


async def _posted(request: web.Request) -> Any:
    try:
        return await request.post()
    except ValueError as error:
        raise web.HTTPBadRequest(text=f"the body is not a form: {error}") from error


async def _catalog(request: web.Request, connection: AsyncConnection) -> Catalog:
    snapshot = await services(request).runtime.catalog.current(connection)
    return snapshot.catalog


async def _draft_of(request: web.Request, form: ComposeForm) -> broadcasts.Draft | None:
    async with engine(request).connect() as connection:
        catalog = await _catalog(request, connection)
    topic_ids = [topic.id for topic in catalog.topics]
    return broadcast_form.to_draft(form, topic_ids, now(request), services(request).settings.zone)


async def _compose(
    request: web.Request, form: ComposeForm, *, editing: int | None = None, status: int = 200
) -> web.Response:
    settings = services(request).settings
    async with engine(request).connect() as connection:
        catalog = await _catalog(request, connection)
    earliest = (now(request) + timedelta(minutes=1)).astimezone(settings.zone)
    context = {
        "form": form,
        "editing": editing,
        "counts": broadcast_counter.count(form.texts, settings),
        "language_choices": view.language_choices(),
        "channel_choices": view.channel_choices(),
        "topic_choices": view.topic_choices(catalog, form.topics),
        "zone": settings.zone.key,
        "earliest": earliest.strftime(LOCAL_FORMAT),
        "quiet_closes": CLOSES.strftime("%H:%M"),
        "quiet_opens": OPENS.strftime("%H:%M"),
    }
    return render(request, "broadcast_compose.html", context, status=status)


async def _why_not_send(connection: AsyncConnection, row: Any, request: web.Request) -> str | None:
    """What stops this draft from going out now, in words for the organizer; None if nothing."""
    if row.status != BroadcastStatus.DRAFT.value:
        return _("This broadcast was already sent or cancelled.")
    if broadcast_store.was_scheduled(row) and row.send_at <= now(request):
        return _("The time you chose has passed. Edit the broadcast to choose another.")
    settings = services(request).settings
    preview = await broadcasts.preview(connection, row.id, settings, now(request))
    if not preview.total:
        return _("Nobody matches this audience, so there is nobody to send it to.")
    return None


async def _detail(
    request: web.Request,
    broadcast_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    settings = services(request).settings
    async with engine(request).connect() as connection:
        row = await broadcast_store.find(connection, broadcast_id)
        if row is None:
            return _missing(request)
        preview = None
        if row.status in (BroadcastStatus.DRAFT.value, BroadcastStatus.SCHEDULED.value):
            preview = await broadcasts.preview(connection, broadcast_id, settings, now(request))
        figures = await broadcasts.progress(connection, broadcast_id)
        catalog = await _catalog(request, connection)
    context = {
        "broadcast": view.header(row, settings.zone),
        "audience": view.audience_summary(row.audience, catalog),
        "texts": view.texts(row.texts, settings),
        "preview": view.preview_context(preview, settings) if preview else None,
        "progress": progress_json(figures),
        "live": row.status not in FINISHED and row.status != BroadcastStatus.DRAFT.value,
        "notice": notice,
        "error": error,
    }
    return render(request, "broadcast.html", context, status=status)
