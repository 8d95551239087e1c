"""Every request under /admin/ passes here: language, sign-in, CSRF, security headers.

Nothing but the sign-in page and the stylesheet/script answers without a session; with
ADMIN_PASSWORD unset the whole console is off. Every state-changing request must carry
the session's CSRF token (a form field or the X-CSRF-Token header) and, when the browser
says where it comes from, come from this same origin.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.admin.i18n import LANGUAGE_COOKIE, choose_language, current_language
from bot.admin.keys import CONSOLE, SESSION
from bot.admin.signin import AdminSession, find_session
from bot.admin.views import render
from bot.web.keys import SERVICES

SESSION_COOKIE = "admin_session"
LOGIN_CSRF_COOKIE = "admin_login_csrf"
PUBLIC_PATHS = ("/admin/login", "/admin/language")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# A catalog file or a long broadcast; webhooks keep their own 64 KiB limit.
MAX_ADMIN_BODY_BYTES = 2 * 1024 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    request = request.clone(client_max_size=MAX_ADMIN_BODY_BYTES)
    language = choose_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language")
    )
    reset = current_language.set(language)
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exception:
        exception.headers.update(SECURITY_HEADERS)
        raise
    finally:
        current_language.reset(reset)
    response.headers.update(SECURITY_HEADERS)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/admin/static/"):
        return await handler(request)
    if request.app[CONSOLE].password is None:
        return render(request, "off.html", status=503)
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-origin request refused")
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    session = await _session(request)
    if session is None:
        if request.method not in SAFE_METHODS or request.path.startswith("/admin/api/"):
            raise web.HTTPUnauthorized(text="sign in first")
        raise web.HTTPSeeOther(f"/admin/login?next={quote(request.path_qs)}")
    request[SESSION] = session
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, session.csrf_token)
    return await handler(request)


async def _session(request: web.Request) -> AdminSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime = request.config_dict[SERVICES].runtime
    async with runtime.engine.begin() as connection:
        return await find_session(connection, token, runtime.clock())


async def _check_csrf(request: web.Request, expected: str) -> None:
    """The token from the header (scripts) or the form (pages); a 403 when it is wrong."""
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        try:
            form = await request.post()
        except ValueError as error:
            raise web.HTTPBadRequest(text=f"the body is not a form: {error}") from error
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise web.HTTPForbidden(text="the form has expired; reload the page and try again")


def _same_origin(request: web.Request) -> bool:
    """False when the browser says the request comes from another site (Origin header)."""
    if request.method in SAFE_METHODS:
        return True
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host
