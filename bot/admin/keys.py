"""Typed keys for what the console keeps on its application and on each request."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.admin.password import Password
from bot.admin.signin import AdminSession


@dataclass(frozen=True)
class Console:
    """The console's own long-lived parts; `password` is None when ADMIN_PASSWORD is unset."""

    password: Password | None


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("admin_session", AdminSession)


def admin_session(request: web.Request) -> AdminSession:
    """The signed-in session the guard attached to this request."""
    return request[SESSION]
