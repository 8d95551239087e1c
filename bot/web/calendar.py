"""GET /sessions/{session_id}.ics: the link a reminder carries, opened by a phone.

Public and unauthenticated on purpose: it holds only what the catalog already tells
anyone who asks the bot. Caches may keep it five minutes; a reschedule reaches calendars
that re-open the link after that, with a higher SEQUENCE.
"""

from __future__ import annotations

from aiohttp import web

from bot.calendar_file import session_ics
from bot.web.keys import SERVICES
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES

CACHE_CONTROL = "public, max-age=300"


async def session_calendar(request: web.Request) -> web.Response:
    """400 for a language the bot does not speak (rather than a silent English file, so a
    broken link shows up), 404 for a session the catalog no longer has."""
    language = request.query.get("lang") or FALLBACK_LANGUAGE
    if language not in LANGUAGES:
        return web.Response(status=400, text=f"lang must be one of: {', '.join(LANGUAGES)}\n")
    session_id = request.match_info["session_id"]
    runtime = request.app[SERVICES].runtime
    async with runtime.engine.connect() as connection:
        snapshot = await runtime.catalog.current(connection)
    session = snapshot.catalog.session(session_id)
    if session is None:
        return web.Response(status=404, text="no such session\n")
    return web.Response(
        body=session_ics(session, language, runtime.clock()),
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{session.id}.ics"',
            "Cache-Control": CACHE_CONTROL,
        },
    )
