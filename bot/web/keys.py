"""Typed application keys: the one place request handlers find the long-lived services."""

from __future__ import annotations

from aiohttp import web

from bot.services import Services

SERVICES = web.AppKey("services", Services)
