"""Reading request bodies so that garbage is a 400 and never a 500."""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from aiohttp import web

# Telegram updates and Twilio forms are a few kilobytes; anything larger is not for us.
MAX_BODY_BYTES = 64 * 1024

# An escaped UTF-16 surrogate ("\ud800"): valid JSON syntax, but unpaired it is not text,
# and no database or encoder downstream can store it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


async def json_body(request: web.Request) -> Any:
    """The body as JSON, which must be UTF-8 text and standard JSON (no NaN or Infinity)."""
    try:
        # Decoded here, strictly: json.loads(bytes) would let UTF-8-encoded surrogates through.
        text = (await request.read()).decode("utf-8-sig")
        data = json.loads(text, parse_constant=_not_json)
        if _SURROGATE_ESCAPE.search(text):
            # Re-encoding fails on a lone surrogate; pairs (emoji) were joined by loads.
            json.dumps(data, ensure_ascii=False).encode()
    # RecursionError: nesting deeper than the parser's stack (a few thousand brackets).
    except (ValueError, RecursionError) as error:
        raise web.HTTPBadRequest(text=f"the body is not JSON: {error}") from error
    return data


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON value")


async def form_body(request: web.Request) -> dict[str, str]:
    """The form as a plain dict (Twilio never repeats a field); bad encodings are a 400."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPUnsupportedMediaType(text="expected application/x-www-form-urlencoded")
    try:
        form = await request.post()
    # LookupError: a charset Python does not know ("; charset=klingon").
    except (ValueError, UnicodeDecodeError, LookupError) as error:
        raise web.HTTPBadRequest(text=f"the body is not a form: {error}") from error
    return {key: value for key, value in form.items() if isinstance(value, str)}
