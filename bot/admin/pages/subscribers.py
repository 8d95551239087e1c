"""The subscribers pages: find a person, read their file, delete their data on request.

Addresses are shown masked everywhere (`bot.admin.masking`). Deleting asks for an
explicit confirmation in the form itself (a required checkbox the server checks too),
so it works without JavaScript and cannot be done by a stray click.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import erasure
from bot.admin import audience_wording as wording
from bot.admin import subscriber_queries as queries
from bot.admin.i18n import gettext as _
from bot.admin.masking import mask_address
from bot.admin.views import engine, form, now, render, services
from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import Status
from bot.store import consent
from catalog.models import Catalog

routes = web.RouteTableDef()

CONFIRM_FIELD = "confirm"


@routes.get("/subscribers")
async def subscribers_page(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    async with engine(request).connect() as connection:
        catalog = await _catalog(request, connection)
        found, more = await queries.search(connection, query)
    zone = services(request).settings.zone
    rows = [
        {
            "id": person.id,
            "address": mask_address(person.channel, person.address),
            "name": person.display_name,
            "channel": wording.channel_name(person.channel),
            "language": wording.language_name(person.locale),
            "topics": [wording.topic_name(catalog, topic) for topic in person.topics],
            "opted_out": person.opted_out,
            "last_seen": wording.moment(person.last_seen_at, zone, with_year=True),
        }
        for person in found
    ]
    context = {
        "query": query,
        "rows": rows,
        "more": more,
        "limit": queries.RESULT_LIMIT,
        "erased": request.query.get("erased") == "1",
    }
    return render(request, "subscribers.html", context)


@routes.get(r"/subscribers/{contact_id:\d{1,18}}")
async def subscriber_page(request: web.Request) -> web.Response:
    return await _detail(request)


@routes.post(r"/subscribers/{contact_id:\d{1,18}}/delete")
async def delete_subscriber(request: web.Request) -> web.Response:
    fields = await form(request)
    if fields.get(CONFIRM_FIELD) != "yes":
        error = _("Tick the box to confirm that this person asked for their data to be deleted.")
        return await _detail(request, confirm_error=error, status=400)
    async with engine(request).begin() as connection:
        person = await queries.person(connection, int(request.match_info["contact_id"]))
        if person is None:
            raise web.HTTPNotFound(text="no such subscriber")
        address = Address(ChannelName(person.channel), person.address)
        await erasure.erase(connection, address, now(request))
    raise web.HTTPSeeOther("/admin/subscribers?erased=1")


async def _detail(
    request: web.Request, *, confirm_error: str | None = None, status: int = 200
) -> web.Response:
    async with engine(request).connect() as connection:
        person = await queries.person(connection, int(request.match_info["contact_id"]))
        if person is None:
            raise web.HTTPNotFound(text="no such subscriber")
        catalog = await _catalog(request, connection)
        address = Address(ChannelName(person.channel), person.address)
        history = await consent.history(connection, address)
        entries = await queries.timeline(connection, person)
    zone = services(request).settings.zone
    context = {
        "person": person,
        "address": mask_address(person.channel, person.address),
        "channel": wording.channel_name(person.channel),
        "person_language": wording.language_name(person.locale),
        "leads": [wording.lead(minutes) for minutes in person.leads],
        "topics": [wording.topic_name(catalog, topic) for topic in person.topics],
        "first_seen": wording.moment(person.created_at, zone, with_year=True),
        "last_seen": wording.moment(person.last_seen_at, zone, with_year=True),
        "consent": [
            {
                "at": wording.moment(at, zone, with_year=True),
                "opted_out": action == consent.ConsentAction.OPT_OUT.value,
                "source": _source_label(source),
            }
            for action, source, at in reversed(history)
        ],
        "entries": [_entry(entry, zone) for entry in entries],
        "timeline_limit": queries.TIMELINE_LIMIT,
        "confirm_error": confirm_error,
        "bot_zone": services(request).settings.bot_timezone,
    }
    return render(request, "subscriber.html", context, status=status)


async def _catalog(request: web.Request, connection: AsyncConnection) -> Catalog:
    return (await services(request).runtime.catalog.current(connection)).catalog


def _source_label(source: str) -> str:
    labels = {
        consent.ConsentSource.KEYWORD.value: _("sent a keyword (STOP / START)"),
        consent.ConsentSource.TELEGRAM_START.value: _("pressed Start in Telegram"),
        consent.ConsentSource.PROVIDER.value: _("the provider reported a block or opt-out"),
        consent.ConsentSource.ORGANIZER.value: _("an organizer"),
        consent.ConsentSource.ERASURE.value: _("their data was deleted on request"),
    }
    return labels.get(source, source)


def _entry(entry: queries.Entry, zone: ZoneInfo) -> dict[str, Any]:
    status_labels = {
        Status.QUEUED.value: _("queued"),
        Status.SENDING.value: _("sending"),
        Status.SENT.value: _("sent"),
        Status.DELIVERED.value: _("delivered"),
        Status.FAILED.value: _("failed"),
        Status.SUPPRESSED.value: _("not sent: opted out"),
        Status.CANCELLED.value: _("cancelled"),
        Status.REFUSED.value: _("not sent: loop protection"),
    }
    kind_labels = {
        OutboundKind.REPLY.value: _("reply"),
        OutboundKind.CONSENT.value: _("consent"),
        OutboundKind.REMINDER.value: _("reminder"),
        OutboundKind.NOTICE.value: _("notice"),
        OutboundKind.BROADCAST.value: _("broadcast"),
    }
    return {
        "at": wording.moment(entry.at, zone, with_year=True),
        "incoming": entry.incoming,
        "text": entry.text,
        "kind": kind_labels.get(entry.kind or "", entry.kind),
        "status": status_labels.get(entry.status or "", entry.status),
        "bad": entry.status in (Status.FAILED.value, Status.SUPPRESSED.value),
    }
