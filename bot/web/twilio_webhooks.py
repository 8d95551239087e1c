"""POST /webhooks/twilio/sms and /webhooks/twilio/status, both signed by Twilio.

The signature is checked against PUBLIC_BASE_URL plus the path and query Twilio called,
never the URL this process saw: behind a proxy those differ, and a check against the
internal one would either refuse every real request or accept forged ones.

Twilio does not post a webhook again after a 503 (only to a Fallback URL, if one is set),
so while the database restarts these two hold the request and try again, for less than
Twilio's 15-second read time-out, before they give up with a 503.
"""

from __future__ import annotations

from aiohttp import web
from tenacity import AsyncRetrying

from bot import outbox
from bot.channels.sms import (
    EMPTY_TWIML,
    STOPPED_CODES,
    UNREACHABLE_CODES,
    BadWebhook,
    DeliveryReport,
    parse_inbound,
    parse_status,
    signature_valid,
)
from bot.messages import ChannelName
from bot.outbox import Status
from bot.services import Services
from bot.store import consent
from bot.store import contacts as contact_store
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.outage import patiently
from bot.web.bodies import form_body
from bot.web.keys import SERVICES

SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio waits 15 s for an answer (then calls the Fallback URL, if set); a PostgreSQL
# restart takes well under a second. The last attempt starts by 12 s.
PATIENCE_SECONDS = 12.0
FIRST_PAUSE_SECONDS = 0.1
MAX_PAUSE_SECONDS = 2.0

# Twilio's statuses that move a message forward; the rest (queued, sending…) say nothing new.
_STATUS = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
}


async def _signed_form(request: web.Request, endpoint: str) -> tuple[Services, dict[str, str]]:
    services = request.app[SERVICES]
    token = services.settings.twilio_auth_token
    base = services.settings.public_base_url
    if services.sms is None or token is None or base is None:
        raise web.HTTPNotFound(text="SMS is not configured (Twilio and PUBLIC_BASE_URL)")
    form = await form_body(request)
    url = base.rstrip("/") + request.rel_url.path_qs
    if not signature_valid(token, url, form, request.headers.get(SIGNATURE_HEADER)):
        services.metrics.refused.labels(endpoint, "signature").inc()
        raise web.HTTPForbidden(text="invalid Twilio signature")
    return services, form


async def twilio_sms(request: web.Request) -> web.Response:
    """Commit the turn, then answer with empty TwiML: the replies leave through the outbox."""
    services, form = await _signed_form(request, "twilio_sms")
    try:
        message = parse_inbound(form, services.runtime.clock())
    except BadWebhook as error:
        services.metrics.refused.labels("twilio_sms", "malformed").inc()
        raise web.HTTPBadRequest(text=str(error)) from error
    async for attempt in _patiently("take an inbound SMS"):
        with attempt:
            await services.inbox.receive(message)
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


async def twilio_status(request: web.Request) -> web.Response:
    services, form = await _signed_form(request, "twilio_status")
    try:
        report = parse_status(request.query, form)
    except BadWebhook as error:
        services.metrics.refused.labels("twilio_status", "malformed").inc()
        raise web.HTTPBadRequest(text=str(error)) from error
    async for attempt in _patiently("record a delivery report"):
        with attempt:
            await record_report(services, report)
    return web.Response(status=204)


def _patiently(what: str) -> AsyncRetrying:
    return patiently(what, PATIENCE_SECONDS, FIRST_PAUSE_SECONDS, MAX_PAUSE_SECONDS)


async def record_report(services: Services, report: DeliveryReport) -> None:
    """Move the message forward (rule 7) and act on what the carrier said about the person."""
    status = _STATUS.get(report.status)
    code = report.error_code
    if status is None and code is None:
        return
    runtime = services.runtime
    async with runtime.engine.begin() as connection:
        now = runtime.clock()
        address = await outbox.address_of(connection, report.message_id, ChannelName.SMS)
        if address is None:
            return
        if status is not None:
            await outbox.apply_report(
                connection,
                report.message_id,
                status,
                now,
                channel=ChannelName.SMS,
                provider_id=report.provider_id,
                error=None if code is None else f"{code}: {report.status}",
            )
        if code in STOPPED_CODES:
            await consent.record(
                connection, address, ConsentAction.OPT_OUT, ConsentSource.PROVIDER, now, str(code)
            )
            await outbox.suppress_pending(connection, address)
        elif code in UNREACHABLE_CODES:
            await contact_store.flag_delivery_problem(connection, address, str(code), now)
