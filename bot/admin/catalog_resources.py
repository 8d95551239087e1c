"""Adding and editing one resource (a report, slides, a page) in three languages.

Resources are never announced, so a valid form saves at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.admin.catalog_diff import with_resource
from bot.admin.catalog_forms import Errors, ResourceForm, check_resource, read_posted
from bot.admin.catalog_view import (
    TEXT_FIELDS,
    field_names,
    in_console_language,
    kind_names,
    language_names,
    topic_names,
    when,
)
from bot.admin.views import engine, now, render
from bot.store import catalog_repo
from catalog.models import Catalog, Resource

routes = web.RouteTableDef()


@routes.get("/catalog/resources/new")
async def new_resource(request: web.Request) -> web.Response:
    async with engine(request).connect() as connection:
        catalog = await catalog_repo.load(connection)
    return _form_page(request, catalog, ResourceForm.blank(), None, {})


@routes.post("/catalog/resources/new")
async def create_resource(request: web.Request) -> web.Response:
    return await _submit(request, None)


@routes.get("/catalog/resources/{id}")
async def edit_resource(request: web.Request) -> web.Response:
    async with engine(request).connect() as connection:
        catalog = await catalog_repo.load(connection)
    resource = _stored(catalog, request.match_info["id"])
    return _form_page(request, catalog, ResourceForm.of(resource), resource, {})


@routes.post("/catalog/resources/{id}")
async def update_resource(request: web.Request) -> web.Response:
    return await _submit(request, request.match_info["id"])


async def _submit(request: web.Request, resource_id: str | None) -> web.Response:
    form = ResourceForm.posted(await read_posted(request), resource_id)
    async with engine(request).begin() as connection:
        catalog = await catalog_repo.load(connection)
        existing = _stored(catalog, resource_id) if resource_id is not None else None
        resource, errors = check_resource(form, catalog, existing)
        if resource is None:
            return _form_page(request, catalog, form, existing, errors, status=422)
        await catalog_repo.save(connection, with_resource(catalog, resource), now(request))
    query = urlencode({"saved": "resource", "id": resource.id})
    raise web.HTTPSeeOther(f"/admin/catalog?{query}#resources")


def _stored(catalog: Catalog, resource_id: str | None) -> Resource:
    resource = next((r for r in catalog.resources if r.id == resource_id), None)
    if resource is None:
        raise web.HTTPNotFound(text="no such resource in the catalog")
    return resource


def _form_page(
    request: web.Request,
    catalog: Catalog,
    form: ResourceForm,
    existing: Resource | None,
    errors: Errors,
    *,
    status: int = 200,
) -> web.Response:
    context = {
        "form": form,
        "errors": errors,
        "existing": existing,
        "action": f"/admin/catalog/resources/{existing.id if existing is not None else 'new'}",
        "kinds": kind_names(),
        "sessions": [
            (s.id, in_console_language(s.title), when(s)) for s in reversed(catalog.sessions)
        ],
        "topics": topic_names((t.id, t.name) for t in catalog.topics),
        "text_fields": TEXT_FIELDS,
        "field_names": field_names(),
        "language_names": language_names(),
    }
    return render(request, "catalog_resource.html", context, status=status)
