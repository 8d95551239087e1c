"""The console as an aiohttp sub-application, mounted by `serve` under /admin/.

Server-rendered with Jinja2 through aiohttp-jinja2; the few live parts (counters,
progress, the simulator) are plain JavaScript in `static/admin.js` calling JSON routes
under /admin/api/.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.admin import i18n
from bot.admin.guard import guard
from bot.admin.keys import CONSOLE, Console
from bot.admin.pages import broadcasts, catalog, dashboard, signin, simulator, subscribers
from bot.admin.password import Password
from bot.config import Settings

HERE = Path(__file__).resolve().parent
PAGES = (signin, dashboard, catalog, broadcasts, subscribers, simulator)


def build_console(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[guard])
    password = Password(settings.admin_password) if settings.admin_password else None
    app[CONSOLE] = Console(password)
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.lookup, i18n.lookup_plural, newstyle=True
    )
    for page in PAGES:
        app.router.add_routes(page.routes)
    app.router.add_static("/static/", HERE / "static", name="static")
    return app
