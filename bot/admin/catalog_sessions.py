"""Adding and editing one session, with a confirmation step before subscribers are told.

A save that moves or calls off a session still ahead (or publishes a recording) makes
the scheduler message every subscriber of its topics. Such a save first shows the
notice in each language and how many people will get it; only the confirmation, which
posts the same values again naming the change it confirms, writes anything.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.admin.catalog_diff import session_change, with_session
from bot.admin.catalog_forms import Errors, SessionForm, check_session, read_posted, value_of
from bot.admin.catalog_notice import NoticePreview, preview_notice
from bot.admin.catalog_view import (
    TEXT_FIELDS,
    field_names,
    language_names,
    status_names,
    topic_names,
    when,
    zone_choices,
    zone_name,
)
from bot.admin.views import engine, now, render, services
from bot.store import catalog_repo
from catalog.models import Catalog, Session

routes = web.RouteTableDef()


@routes.get("/catalog/sessions/new")
async def new_session(request: web.Request) -> web.Response:
    async with engine(request).connect() as connection:
        catalog = await catalog_repo.load(connection)
    blank = SessionForm.blank(services(request).settings.bot_timezone)
    return _form_page(request, catalog, blank, None, {})


@routes.post("/catalog/sessions/new")
async def create_session(request: web.Request) -> web.Response:
    return await _submit(request, None)


@routes.get("/catalog/sessions/{id}")
async def edit_session(request: web.Request) -> web.Response:
    async with engine(request).connect() as connection:
        catalog = await catalog_repo.load(connection)
    session = _stored(catalog, request.match_info["id"])
    return _form_page(request, catalog, SessionForm.of(session), session, {})


@routes.post("/catalog/sessions/{id}")
async def update_session(request: web.Request) -> web.Response:
    return await _submit(request, request.match_info["id"])


async def _submit(request: web.Request, session_id: str | None) -> web.Response:
    data = await read_posted(request)
    form = SessionForm.posted(data, session_id)
    moment = now(request)
    runtime = services(request).runtime
    async with engine(request).begin() as connection:
        catalog = await catalog_repo.load(connection)
        existing = _stored(catalog, session_id) if session_id is not None else None
        if value_of(data, "edit"):
            # Back from the confirmation: the form again, with what was typed.
            return _form_page(request, catalog, form, existing, {})
        session, errors = check_session(form, catalog, existing)
        if session is None:
            return _form_page(request, catalog, form, existing, errors, status=422)
        change = session_change(existing, session, moment) if existing is not None else None
        preview = None
        if change is not None:
            preview = await preview_notice(
                connection, session, change, runtime.i18n, services(request).settings
            )
            if value_of(data, "confirm") != change.value:
                return _confirm_page(request, form, existing, preview)
        await catalog_repo.save(connection, with_session(catalog, session), moment)
    query = {"saved": "session", "id": session.id}
    if preview is not None:
        query["notified"] = str(preview.people)
    raise web.HTTPSeeOther(f"/admin/catalog?{urlencode(query)}")


def _stored(catalog: Catalog, session_id: str | None) -> Session:
    session = catalog.session(session_id) if session_id is not None else None
    if session is None:
        raise web.HTTPNotFound(text="no such session in the catalog")
    return session


def _action(existing: Session | None) -> str:
    return f"/admin/catalog/sessions/{existing.id if existing is not None else 'new'}"


def _form_page(
    request: web.Request,
    catalog: Catalog,
    form: SessionForm,
    existing: Session | None,
    errors: Errors,
    *,
    status: int = 200,
) -> web.Response:
    default_zone = services(request).settings.bot_timezone
    context = {
        "form": form,
        "errors": errors,
        "existing": existing,
        "when": when(existing) if existing is not None else "",
        "action": _action(existing),
        "zones": zone_choices(form.timezone, default_zone),
        "statuses": status_names(),
        "topics": topic_names((t.id, t.name) for t in catalog.topics),
        "text_fields": TEXT_FIELDS,
        "field_names": field_names(),
        "language_names": language_names(),
    }
    return render(request, "catalog_session.html", context, status=status)


def _confirm_page(
    request: web.Request, form: SessionForm, existing: Session | None, preview: NoticePreview
) -> web.Response:
    context = {
        "form": form,
        "existing": existing,
        "before": when(existing) if existing is not None else "",
        "after": when(preview.session),
        "action": _action(existing),
        "preview": preview,
        "language_names": language_names(),
        "zone_name": zone_name(preview.zone.key),
    }
    return render(request, "catalog_confirm.html", context)
