"""What every console page handler needs: the services, the clock, a template, the CSRF token."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import i18n
from bot.admin.keys import SESSION
from bot.services import Services
from bot.web.keys import SERVICES


def services(request: web.Request) -> Services:
    return request.config_dict[SERVICES]


def engine(request: web.Request) -> AsyncEngine:
    return services(request).runtime.engine


def now(request: web.Request) -> datetime:
    return services(request).runtime.clock()


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """A page with the layout's context (language, CSRF token, where we are) filled in."""
    values = _page_context(request) | dict(context or {})
    return aiohttp_jinja2.render_template(template, request, values, status=status)


def _page_context(request: web.Request) -> dict[str, Any]:
    session = request.get(SESSION)
    return {
        "language": i18n.current_language.get(),
        "languages": [(code, i18n.language_name(code)) for code in i18n.LANGUAGES],
        "csrf_token": session.csrf_token if session is not None else "",
        "signed_in": session is not None,
        "path": request.path,
        "path_qs": request.path_qs,
    }


def safe_next(target: str | None, default: str = "/admin/") -> str:
    """A redirect target inside the console only: never another site (`//evil`, `http:`)."""
    if target and target.startswith("/admin/") and not target.startswith("//"):
        return target
    return default


async def form(request: web.Request) -> dict[str, str]:
    """The posted form's text fields (uploads are read by the pages that expect them)."""
    try:
        data = await request.post()
    except ValueError as error:
        raise web.HTTPBadRequest(text=f"the body is not a form: {error}") from error
    return {key: value for key, value in data.items() if isinstance(value, str)}
