"""Signing in and out, and choosing the console's language."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from bot.admin import signin
from bot.admin.guard import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from bot.admin.i18n import LANGUAGE_COOKIE, LANGUAGES, gettext, ngettext
from bot.admin.keys import CONSOLE
from bot.admin.signin import SESSION_LIFETIME
from bot.admin.views import engine, form, now, render, safe_next

routes = web.RouteTableDef()

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return _login_form(request, request.query.get("next"))


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    fields = await form(request)
    target = safe_next(fields.get("next"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = fields.get("csrf_token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _login_form(
            request, target, gettext("The page had expired. Please try again."), status=403
        )
    remote = request.remote or "unknown"
    async with engine(request).begin() as connection:
        wait = await signin.wait_before_next_attempt(connection, remote, now(request))
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        error = ngettext(
            "Too many wrong passwords. Try again in {n} minute.",
            "Too many wrong passwords. Try again in {n} minutes.",
            minutes,
        )
        response = _login_form(request, target, error, status=429)
        response.headers["Retry-After"] = str(max(1, int(wait.total_seconds())))
        return response
    password = request.app[CONSOLE].password
    assert password is not None
    if not await password.check(fields.get("password", "")):
        async with engine(request).begin() as connection:
            await signin.record_failure(connection, remote, now(request))
        return _login_form(request, target, gettext("That password is not right."), status=401)
    async with engine(request).begin() as connection:
        await signin.forget_failures(connection, remote)
        token, _ = await signin.open_session(connection, now(request))
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/admin/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
        secure=True,
        httponly=True,
        samesite="Strict",
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/admin/")
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    async with engine(request).begin() as connection:
        await signin.close_session(connection, request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPSeeOther("/admin/login")
    response.del_cookie(SESSION_COOKIE, path="/admin/")
    raise response


@routes.get("/language")
async def choose_language(request: web.Request) -> web.Response:
    """Remember the organizer's language; only a preference, so a plain link may set it."""
    response = web.HTTPSeeOther(safe_next(request.query.get("next")))
    language = request.query.get("lang", "")
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            path="/admin/",
            max_age=LANGUAGE_COOKIE_SECONDS,
            secure=True,
            samesite="Lax",
        )
    raise response


def _login_form(
    request: web.Request, target: str | None, error: str | None = None, *, status: int = 200
) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"error": error, "next": safe_next(target), "login_csrf": token}
    response = render(request, "login.html", context, status=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, path="/admin/", secure=True, httponly=True, samesite="Strict"
    )
    return response
