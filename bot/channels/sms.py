"""SMS through Twilio: sending, and reading the webhooks Twilio calls us with.

The `twilio` package does the REST call, but its async HTTP client is not used as shipped:
`_TwilioHttp` explains why. Everything a webhook needs (parsing, signature check, empty
TwiML) is pure so the web layer stays a thin shell around it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

from aiohttp import ClientError, ClientSession, ClientTimeout, encode_basic_auth
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import OutcomeKind, SendOutcome
from bot.channels.sms_text import AccentMode, segment_report, sms_safe
from bot.config import Settings
from bot.errors import ConfigError
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# The recipient texted STOP: Twilio refuses every message until they text START.
STOPPED_CODES = frozenset({21610})
# Delivery failed for a reason that will not pass: unreachable handset (30003), unknown or
# inactive number (30005), landline or unreachable carrier (30006).
UNREACHABLE_CODES = frozenset({30003, 30005, 30006})
MESSAGE_STATUSES = frozenset(
    {
        "accepted",
        "queued",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "read",
        "receiving",
        "received",
        "canceled",
        "scheduled",
    }
)
DEFAULT_TIMEOUT_SECONDS = 10.0

_TWILIO_API = "https://api.twilio.com"
_TOO_MANY_REQUESTS = 20429
# The twilio package prefixes every refusal of a create call with this.
_CREATE_PREFIX = "Unable to create record: "
# TwilioRestException drops the response headers, so the HTTP client leaves Retry-After here
# for the `send` that made the request (each task sees only its own requests).
_retry_after: ContextVar[float | None] = ContextVar("twilio_retry_after", default=None)


class BadWebhook(ValueError):  # noqa: N818 - the name the web layer imports
    """A webhook request that cannot be from Twilio as documented; the web layer answers 400."""


@dataclass(frozen=True)
class DeliveryReport:
    """A status callback: how far Twilio got with one of our outbox messages."""

    message_id: int
    provider_id: str | None
    status: str
    error_code: int | None


class _TwilioHttp(AsyncHttpClient):  # type: ignore[misc]
    """The HTTP client the twilio `Client` calls, replacing `AsyncTwilioHttpClient`.

    That client is unusable here for two reasons. It passes `timeout=None` with every
    request, which aiohttp reads as "no time limit" and which overrides any session default,
    so the timeout given to its constructor is silently ignored and a hung connection would
    stall the dispatcher for ever; here each request gets a real `ClientTimeout`. And it
    authenticates with aiohttp's deprecated `BasicAuth`. Like it, this opens its aiohttp
    session in the constructor, which needs a running event loop: build it only through
    `open_sms_channel`, and close it with the channel.

    Twilio's domains hard-code https://api.twilio.com; requests to it go to
    `TWILIO_API_BASE_URL` instead, path kept, so tests and a local fake see real traffic.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(log, True, timeout)
        self._base_url = base_url.rstrip("/")
        self.session = ClientSession()

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - twilio's HttpClient interface
        allow_redirects: bool = False,
    ) -> Any:
        if url == _TWILIO_API or url.startswith(f"{_TWILIO_API}/"):
            url = self._base_url + url.removeprefix(_TWILIO_API)
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = encode_basic_auth(*auth)
        async with self.session.request(
            method.upper(),
            url,
            params=params,
            data=data,
            headers=headers,
            timeout=ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        ) as response:
            text = await response.text()
        _retry_after.set(_seconds_until(response.headers.get("Retry-After")))
        return Response(response.status, text, response.headers)

    async def close(self) -> None:
        await self.session.close()


class SmsChannel:
    name = ChannelName.SMS

    def __init__(
        self,
        client: Any,
        http: _TwilioHttp,
        *,
        from_number: str | None,
        messaging_service_sid: str | None,
        public_base_url: str | None,
        accents: AccentMode,
    ) -> None:
        self._client = client
        self.http = http
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._accents = accents

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.close()

    async def send(self, message: OutboundMessage) -> SendOutcome:
        """Send the GSM-7-folded text; buttons are dropped, as the text already says what to reply.

        Never raises: every failure becomes an outcome the dispatcher's retry policy reads.
        """
        body = sms_safe(message.text, message.locale, self._accents)
        if not body.strip():
            return SendOutcome(
                OutcomeKind.FAILED, error="nothing to send: the text was empty or only emoji"
            )
        callback = (
            f"{self._public_base_url}/webhooks/twilio/status?m={message.id}"
            if self._public_base_url
            else None
        )
        token = _retry_after.set(None)
        try:
            created = await self._client.messages.create_async(
                to=message.address.id,
                body=body,
                from_=self._from_number,
                messaging_service_sid=self._messaging_service_sid,
                status_callback=callback,
            )
            return SendOutcome(OutcomeKind.SENT, provider_id=str(created.sid))
        except TwilioRestException as error:
            text = str(error.msg).removeprefix(_CREATE_PREFIX)
            return _refusal(error.status, error.code, text, _retry_after.get())
        except TwilioServiceException as error:
            text = f"{error.title}: {error.detail}" if error.detail else str(error.title)
            return _refusal(error.status, error.code, text, _retry_after.get())
        except (ClientError, TimeoutError, OSError) as error:
            return SendOutcome(OutcomeKind.RETRY, error=f"{type(error).__name__}: {error}")
        except Exception as error:
            # A bug, or an answer the twilio package could not read. The message may have gone
            # out, so failing it is safer than sending it twice; the log keeps the trace.
            log.exception("unexpected error sending SMS outbox message %s", message.id)
            return SendOutcome(OutcomeKind.FAILED, error=f"{type(error).__name__}: {error}")
        finally:
            _retry_after.reset(token)


async def open_sms_channel(
    settings: Settings, *, request_timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> SmsChannel:
    """Build the channel inside the running loop (its aiohttp session needs one)."""
    for variable, value in (
        ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
        ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
    ):
        if not value:
            raise ConfigError(variable, "is required for SMS")
    if not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
        raise ConfigError(
            "TWILIO_FROM_NUMBER", "set it or TWILIO_MESSAGING_SERVICE_SID to send SMS"
        )
    http = _TwilioHttp(settings.twilio_api_base_url, request_timeout)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    # The Client reads TWILIO_EDGE and TWILIO_REGION from os.environ behind Settings' back and
    # would then call api.{edge}.{region}.twilio.com, which TWILIO_API_BASE_URL cannot replace.
    client.edge = client.region = None
    return SmsChannel(
        client,
        http,
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        public_base_url=settings.public_base_url,
        accents=settings.sms_accents,
    )


def segments_of(message: OutboundMessage, accents: AccentMode) -> int:
    """Segments of the body `SmsChannel.send` will really send, for the segment rate limit."""
    return segment_report(sms_safe(message.text, message.locale, accents)).segments


MAX_FIELD = 128
# outbox.provider_id holds 64 characters; Twilio's sids are 34.
MAX_PROVIDER_ID = 64


def _small_number(text: str) -> bool:
    """ASCII digits that fit a 64-bit column (18 digits always do; `int` of a 5,000-digit
    string would raise on its own)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def parse_inbound(form: Mapping[str, str], received_at: datetime) -> InboundMessage:
    """An incoming SMS or MMS; media are not read, so a picture alone arrives as empty text."""
    sender, sid = form.get("From", ""), form.get("MessageSid", "")
    if not sender or not sid:
        raise BadWebhook("an inbound message needs From and MessageSid")
    # Twilio's are a phone number (or "whatsapp:+1…") and "SM" + 32 hex digits; the
    # database keeps 128 characters of either, and anything longer is not from Twilio.
    if len(sender) > MAX_FIELD or len(sid) > MAX_FIELD:
        raise BadWebhook(f"From and MessageSid are at most {MAX_FIELD} characters")
    return InboundMessage(
        Address(ChannelName.SMS, sender),
        form.get("Body", ""),
        received_at,
        external_id=sid,
    )


def parse_status(query: Mapping[str, str], form: Mapping[str, str]) -> DeliveryReport:
    """A status callback; our outbox id travels in the callback URL's `m`, set by `send`."""
    message_id = query.get("m", "")
    if not _small_number(message_id):
        raise BadWebhook(f"status callback without a valid message id: m={message_id[:40]!r}")
    status = form.get("MessageStatus", "")
    if status not in MESSAGE_STATUSES:
        raise BadWebhook(f"unknown MessageStatus {status[:40]!r}")
    error_code = form.get("ErrorCode") or None
    if error_code is not None and not _small_number(error_code):
        raise BadWebhook(f"ErrorCode is not a number: {error_code[:40]!r}")
    if len(form.get("MessageSid", "")) > MAX_PROVIDER_ID:
        raise BadWebhook(f"MessageSid is at most {MAX_PROVIDER_ID} characters")
    return DeliveryReport(
        message_id=int(message_id),
        provider_id=form.get("MessageSid") or None,
        status=status,
        error_code=None if error_code is None else int(error_code),
    )


def signature_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Whether Twilio signed this request.

    `url` must be the URL Twilio called, query string included: PUBLIC_BASE_URL plus the path,
    not the URL the proxy in front of us forwarded to.
    """
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def _refusal(status: int, code: int | None, text: str, retry_after: float | None) -> SendOutcome:
    if code in STOPPED_CODES:
        return SendOutcome(OutcomeKind.STOPPED, error=f"{code}: {text}")
    if status == 429 or code == _TOO_MANY_REQUESTS or status >= 500:
        return SendOutcome(OutcomeKind.RETRY, error=f"{code}: {text}", retry_after=retry_after)
    return SendOutcome(OutcomeKind.FAILED, error=f"{code}: {text}")


def _seconds_until(retry_after: str | None) -> float | None:
    """Retry-After as seconds; HTTP allows a delay or a date."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after)
    try:
        when = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
