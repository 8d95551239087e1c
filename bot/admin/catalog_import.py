"""Importing a catalog file (CSV or YAML): upload, see what would change, then apply.

Nothing is written until the organizer has seen the preview: every problem with its
line and column, or the items added, changed and removed and the notices subscribers
will get. The preview page carries the file's text to the apply step, which checks it
again from scratch against the catalog as it is then, so an edited form cannot slip in
anything the checks would refuse; and if the catalog changed in between (another
organizer saved), the preview is shown again instead of applying a stale one.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.catalog_diff import CatalogDiff, diff_catalogs
from bot.admin.catalog_forms import Posted, read_form, read_posted, value_of
from bot.admin.catalog_notice import preview_notice
from bot.admin.catalog_view import in_console_language, language_names, when, zone_name
from bot.admin.i18n import gettext as _
from bot.admin.views import engine, now, render, services
from bot.store import catalog_repo
from catalog.errors import Problem
from catalog.io import Format, check_catalog_text, format_of

routes = web.RouteTableDef()

FORMATS: tuple[Format, ...] = ("yaml", "csv")
MAX_NAME_LENGTH = 120


@routes.get("/catalog/import")
async def import_page(request: web.Request) -> web.Response:
    return render(request, "catalog_import.html", {"error": None, "replace_all": False})


@routes.post("/catalog/import/preview")
async def preview_import(request: web.Request) -> web.Response:
    data = await read_form(request)
    replace_all = data.get("replace") == "1"
    upload = data.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return _upload_error(request, _("Choose a catalog file to import."), replace_all)
    name = PurePath(upload.filename).name[:MAX_NAME_LENGTH]
    fmt = format_of(Path(name))
    if fmt is None:
        return _upload_error(
            request,
            _("This is not a catalog file: choose a .csv, .yaml or .yml file."),
            replace_all,
        )
    content = _text_of(upload.file.read())
    async with engine(request).connect() as connection:
        context = await _preview(request, connection, content, fmt, name, replace_all)
    return _preview_page(request, context)


@routes.post("/catalog/import/apply")
async def apply_import(request: web.Request) -> web.Response:
    data = await read_posted(request)
    fmt = _format(data)
    name = value_of(data, "name")[:MAX_NAME_LENGTH]
    replace_all = value_of(data, "replace") == "1"
    content = _text_of(_raw(data, "content"))
    moment = now(request)
    async with engine(request).begin() as connection:
        context = await _preview(request, connection, content, fmt, name, replace_all)
        stale = value_of(data, "revision") != str(context["revision"])
        if context["catalog"] is None or stale:
            return _preview_page(request, context | {"stale": stale})
        report = await catalog_repo.save(
            connection, context["catalog"], moment, replace=replace_all
        )
    done = {
        "name": name,
        "report": report,
        "sessions": len(context["notices"]),
        "people": context["people"],
    }
    return render(request, "catalog_import_done.html", done)


async def _preview(
    request: web.Request,
    connection: AsyncConnection,
    content: str | bytes,
    fmt: Format,
    name: str,
    replace_all: bool,
) -> dict[str, Any]:
    """What the preview page shows, worked out in `connection` without writing."""
    stored = await catalog_repo.load(connection)
    # A merge may refer to stored topics and sessions; a replacement stands alone.
    catalog, problems = check_catalog_text(content, fmt, name, None if replace_all else stored)
    diff = (
        diff_catalogs(stored, catalog, now(request), replace_all=replace_all) if catalog else None
    )
    notices = [
        (
            announcement,
            await preview_notice(
                connection,
                announcement.session,
                announcement.change,
                services(request).runtime.i18n,
                services(request).settings,
            ),
        )
        for announcement in (diff.announcements if diff else ())
    ]
    return {
        "name": name,
        "fmt": fmt,
        "replace_all": replace_all,
        "content": content if isinstance(content, str) else "",
        "revision": await catalog_repo.revision(connection),
        "catalog": catalog,
        "errors": [p for p in problems if p.severity == "error"],
        "warnings": [p for p in problems if p.severity == "warning"],
        "diff": diff,
        "notices": notices,
        "people": sum(notice.people for _announcement, notice in notices),
        "stale": False,
    }


def _preview_page(request: web.Request, context: dict[str, Any]) -> web.Response:
    diff: CatalogDiff | None = context["diff"]
    errors: list[Problem] = context["errors"]
    values = context | {
        "kinds": {"topic": _("Topic"), "session": _("Session"), "resource": _("Resource")},
        "language_names": language_names(),
        "title_of": in_console_language,
        "when": when,
        "zone_name": zone_name(services(request).settings.bot_timezone),
    }
    status = 422 if errors or diff is None else 200
    return render(request, "catalog_import_preview.html", values, status=status)


def _upload_error(request: web.Request, error: str, replace_all: bool) -> web.Response:
    context = {"error": error, "replace_all": replace_all}
    return render(request, "catalog_import.html", context, status=422)


def _text_of(raw: bytes | str) -> str | bytes:
    """The file as text with "\\n" line ends, or the bytes when they are not UTF-8.

    Browsers send a form's text back with "\\r\\n" line ends, so the text is normalised
    before it is checked, in the preview and in the apply step alike: both then read
    exactly the same catalog. Bytes that do not decode are left for the checker, whose
    problem says which line and how to save the file as UTF-8.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw
    return raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _raw(data: Posted, key: str) -> str:
    values = data.get(key) or [""]
    return values[0]


def _format(data: Posted) -> Format:
    fmt = value_of(data, "format")
    for known in FORMATS:
        if fmt == known:
            return known
    raise web.HTTPBadRequest(text="unknown catalog format")
