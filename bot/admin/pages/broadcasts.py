"""The broadcasts page (being built)."""

from __future__ import annotations

from aiohttp import web

from bot.admin.views import render

routes = web.RouteTableDef()


@routes.get("/broadcasts")
async def broadcasts_page(request: web.Request) -> web.Response:
    return render(request, "placeholder.html", {"title": "broadcasts"})
