"""The simulator page (being built)."""

from __future__ import annotations

from aiohttp import web

from bot.admin.views import render

routes = web.RouteTableDef()


@routes.get("/simulator")
async def simulator_page(request: web.Request) -> web.Response:
    return render(request, "placeholder.html", {"title": "simulator"})
