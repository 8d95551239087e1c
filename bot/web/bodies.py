"""Reading request bodies so that garbage is a 400 and never a 500."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# Telegram updates and Twilio forms are a few kilobytes; anything larger is not for us.
MAX_BODY_BYTES = 64 * 1024


async def json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise web.HTTPBadRequest(text=f"the body is not JSON: {error}") from error


async def form_body(request: web.Request) -> dict[str, str]:
    """The form as a plain dict (Twilio never repeats a field); bad encodings are a 400."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPUnsupportedMediaType(text="expected application/x-www-form-urlencoded")
    try:
        form = await request.post()
    except (ValueError, UnicodeDecodeError) as error:
        raise web.HTTPBadRequest(text=f"the body is not a form: {error}") from error
    return {key: value for key, value in form.items() if isinstance(value, str)}
