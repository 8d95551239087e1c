"""The simulator: talk to the bot as a parent would, and see what each channel would get.

A plain form works without JavaScript (post, then the page shows the whole transcript);
`static/simulator.js` posts the same to /admin/api/simulator and appends the turn it gets
back, rendered by the same template. Either way the turn goes through the conversation,
the outbox and a dispatcher (`simulator_channel`), and the page reads it back from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web

from bot.admin import simulator_contact as simulated
from bot.admin import simulator_transcript as transcripts
from bot.admin.i18n import gettext as _
from bot.admin.i18n import language_name
from bot.admin.simulator_channel import take_turn
from bot.admin.simulator_json import turn_json
from bot.admin.simulator_preview import Previewer
from bot.admin.simulator_transcript import Transcript
from bot.admin.views import form, render, services
from bot.conversation import MAX_LOGGED_CHARS
from bot.store import contacts as contact_store
from bot.store.contacts import Contact

routes = web.RouteTableDef()

# What the conversation keeps of a message; a longer one is refused, not cut silently.
MAX_TEXT = MAX_LOGGED_CHARS


class InputError(ValueError):
    """A message the simulator will not send, with the sentence that says why."""


@dataclass(frozen=True)
class Typed:
    """A message that passed the checks, and the language menu's choice sent with it."""

    text: str
    choice: str


R = TypeVar("R", bound=web.StreamResponse)


@routes.get("/simulator")
async def simulator_page(request: web.Request) -> web.Response:
    token = _token(request)
    response = await _page(request, token)
    return _keeping(response, token)


@routes.post("/simulator")
async def simulator_form(request: web.Request) -> web.StreamResponse:
    """The form without JavaScript: take the turn, then show the page (post/redirect/get)."""
    fields = await form(request)
    token = _token(request)
    try:
        typed = _checked(fields.get("text", ""), fields.get("language", simulated.AUTO))
    except InputError as error:
        response = await _page(
            request,
            token,
            error=str(error),
            text=fields.get("text", ""),
            choice=fields.get("language", simulated.AUTO),
            status=400,
        )
        return _keeping(response, token)
    await _converse(request, token, typed)
    raise _keeping(web.HTTPSeeOther("/admin/simulator#sim-form"), token)


@routes.post("/api/simulator")
async def simulator_api(request: web.Request) -> web.Response:
    """JSON {text, language} in; the turn out, as data and as the page's own HTML."""
    token = _token(request)
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[…]]]]
        return _json_error(_("The request is not JSON."))
    if not isinstance(body, dict):
        return _json_error(_("The request is not JSON."))
    text, choice = body.get("text"), body.get("language", simulated.AUTO)
    if not isinstance(text, str) or not isinstance(choice, str):
        return _json_error(_("Send the text and the language as strings."))
    try:
        typed = _checked(text, choice)
    except InputError as error:
        return _json_error(str(error))
    turn, contact = await _converse(request, token, typed)
    fragment = aiohttp_jinja2.render_string("simulator_turns.html", request, {"turns": turn.turns})
    payload = {
        "turns": [turn_json(each) for each in turn.turns],
        "html": fragment,
        "language": simulated.choice_of(contact),
        "locale": contact.locale if contact is not None else None,
        "direction": simulated.direction_of(contact),
    }
    return _keeping(web.json_response(payload), token)


@routes.post("/simulator/restart")
async def simulator_restart(request: web.Request) -> web.StreamResponse:
    """Start over: forget this browser's simulated parent and talk as a new one."""
    token = simulated.valid_token(request.cookies.get(simulated.COOKIE))
    if token is not None:
        async with services(request).runtime.engine.begin() as connection:
            await simulated.forget(connection, simulated.address_of(token))
    raise _keeping(web.HTTPSeeOther("/admin/simulator"), simulated.new_token())


def _checked(text: str, choice: str) -> Typed:
    """The message as the bot will get it, or the sentence that says why not."""
    if choice not in simulated.CHOICES:
        raise InputError(_("Choose a language from the list."))
    if not text.strip():
        raise InputError(_("Type a message first, as a parent would (for example: hola)."))
    if len(text) > MAX_TEXT:
        raise InputError(
            _(
                "That message is {length} characters long; the bot reads at most {limit}. "
                "Please shorten it.",
                length=len(text),
                limit=MAX_TEXT,
            )
        )
    return Typed(text, choice)


async def _converse(
    request: web.Request, token: str, typed: Typed
) -> tuple[Transcript, Contact | None]:
    """Apply the language, take the turn, and read back what it wrote."""
    runtime = services(request).runtime
    address = simulated.address_of(token)
    async with runtime.engine.begin() as connection:
        await simulated.choose(connection, address, typed.choice, runtime.clock())
        before = await transcripts.marks(connection, address)
    await take_turn(runtime, address, typed.text, before.said)
    async with runtime.engine.connect() as connection:
        turn = await transcripts.load(connection, address, _previewer(request), after=before)
        contact = await contact_store.find(connection, address)
    return turn, contact


async def _page(
    request: web.Request,
    token: str,
    *,
    error: str | None = None,
    text: str = "",
    choice: str | None = None,
    status: int = 200,
) -> web.Response:
    address = simulated.address_of(token)
    async with services(request).runtime.engine.connect() as connection:
        contact = await contact_store.find(connection, address)
        transcript = await transcripts.load(connection, address, _previewer(request))
    context: dict[str, Any] = {
        "turns": transcript.turns,
        "earlier": transcript.earlier,
        "choice": choice if choice in simulated.CHOICES else simulated.choice_of(contact),
        "choices": _choices(),
        "direction": simulated.direction_of(contact),
        "locale": contact.locale if contact is not None and contact.locale else "",
        "accents": _accents(request),
        "error": error,
        "text": text,
        "max_text": MAX_TEXT,
    }
    return render(request, "simulator.html", context, status=status)


def _choices() -> list[tuple[str, str]]:
    detect = (simulated.AUTO, _("Detect from what I type"))
    return [detect, *((code, language_name(code)) for code in simulated.CHOICES[1:])]


def _previewer(request: web.Request) -> Previewer:
    return Previewer(services(request).runtime.i18n, services(request).settings.sms_accents)


def _accents(request: web.Request) -> str:
    return services(request).settings.sms_accents.value


def _token(request: web.Request) -> str:
    return simulated.valid_token(request.cookies.get(simulated.COOKIE)) or simulated.new_token()


def _keeping(response: R, token: str) -> R:
    """The browser keeps talking as the same parent until it starts over or closes."""
    response.set_cookie(
        simulated.COOKIE, token, path="/admin/", secure=True, httponly=True, samesite="Strict"
    )
    return response


def _json_error(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)
