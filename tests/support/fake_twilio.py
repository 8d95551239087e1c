"""A fake Twilio REST API on 127.0.0.1, driven by the real `twilio` package.

Only the Messages create call is served, with Twilio's own URL, Basic auth, validation
errors, JSON shapes and status callbacks signed like Twilio signs them, so the SMS channel
and its webhooks are tested against what Twilio does rather than against a mock of our own
code. Faults (opt-outs, invalid numbers, 429, 5xx, latency, connection resets, answers lost
to a time-out, a segment rate limit) are injected per number. It never listens on, nor
calls, anything but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

from aiohttp import ClientSession, web
from twilio.request_validator import RequestValidator

from bot.channels.sms_text import segment_report
from tests.support.fake_telegram import reset_connection

TEST_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TEST_AUTH_TOKEN = "fake-twilio-auth-token"
API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
# A request within this much of the one-second window still counts as outside it, so
# scheduling jitter in the sender's own limiter is not mistaken for a breach.
_RATE_SLACK_SECONDS = 0.02


@dataclass
class Fault:
    """What the next `times` messages to a number get instead of a plain answer: a Twilio
    error, a reset connection, or (`stall` seconds) acceptance with an answer too late."""

    status: int
    code: int
    message: str
    times: int
    retry_after: int | None
    reset: bool = False
    stall: float = 0.0


class FakeTwilio:
    """`async with FakeTwilio() as fake:` then point TWILIO_API_BASE_URL at `fake.base_url`.

    `sent` holds the form of every accepted message, `requests` every form posted (refused
    or not). With `segments_per_second`, a message that would take the segments accepted in
    the last second above that number is answered 429/20429 and counted in `too_many`.
    With `callbacks = True`, each accepted message with a StatusCallback on 127.0.0.1 gets
    "sent" then "delivered" (or "undelivered" for numbers given to `undeliverable`).
    """

    def __init__(
        self,
        account_sid: str = TEST_ACCOUNT_SID,
        auth_token: str = TEST_AUTH_TOKEN,
        *,
        segments_per_second: float | None = None,
        latency: float = 0.0,
        callbacks: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.segments_per_second = segments_per_second
        self.latency = latency
        self.callbacks = callbacks
        self.sent: list[dict[str, str]] = []
        self.requests: list[dict[str, str]] = []
        self.too_many = 0
        self.status_posts: list[tuple[str, dict[str, str], int]] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._undeliverable: dict[str, int] = {}
        self._accepted: deque[tuple[float, int]] = deque()
        self._changed = asyncio.Condition()
        self._callback_tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self.base_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        # Cancelling a handler whose client gave up keeps a timed-out request from landing
        # after the test that made it, and lets the server stop at once.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._http = ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for task in self._callback_tasks:
            task.cancel()
        await asyncio.gather(*self._callback_tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_number(
        self,
        to: str,
        status: int,
        code: int,
        message: str,
        *,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Refuse the next `times` messages to `to` with this Twilio error."""
        self._faults.setdefault(to, deque()).append(
            Fault(status, code, message, times, retry_after)
        )

    def reset_number(self, to: str, *, times: int = 1) -> None:
        """Reset the connection of the next `times` messages to `to`, before accepting them:
        the client gets ECONNRESET and the person nothing."""
        self._faults.setdefault(to, deque()).append(
            Fault(0, 0, "connection reset", times, None, reset=True)
        )

    def stall_number(self, to: str, seconds: float, *, times: int = 1) -> None:
        """Accept the next `times` messages to `to`, but answer only after `seconds`.

        Longer than the client's time-out, this is an answer lost on the way: the message
        went out and the client, having given up, will try again.
        """
        self._faults.setdefault(to, deque()).append(
            Fault(0, 0, "stalled", times, None, stall=seconds)
        )

    def undeliverable(self, to: str, code: int) -> None:
        """Accept messages to `to` but report them undelivered with this error code."""
        self._undeliverable[to] = code

    async def wait_for_sent(self, n: int, timeout: float = 5) -> list[dict[str, str]]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= n)
        return self.sent[:n]

    async def wait_for_status_posts(self, n: int, timeout: float = 5) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.status_posts) >= n)

    async def _create_message(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        if not self._authorized(request.headers.get("Authorization", "")):
            return _error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.requests.append(form)
        to = form.get("To", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21603, "A 'From' phone number is required.")
        fault = self._next_fault(to)
        if fault is not None and fault.reset:
            return reset_connection(request)
        if fault is not None and not fault.stall:
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            return _error(fault.status, fault.code, fault.message, headers)
        segments = segment_report(form["Body"]).segments
        if not self._within_rate(segments):
            self.too_many += 1
            return _error(429, 20429, "Too Many Requests")
        sid = "SM" + secrets.token_hex(16)
        async with self._changed:
            self.sent.append(form)
            self._changed.notify_all()
        if self.callbacks and _is_local(form.get("StatusCallback", "")):
            task = asyncio.create_task(self._report(sid, form))
            self._callback_tasks.add(task)
            task.add_done_callback(self._callback_tasks.discard)
        if fault is not None and fault.stall:
            # The handler is cancelled when the client gives up; the message is already out.
            await asyncio.sleep(fault.stall)
        return web.json_response(self._resource(sid, form, segments), status=201)

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            credentials = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return credentials == f"{self.account_sid}:{self.auth_token}"

    def _next_fault(self, to: str) -> Fault | None:
        """The fault this message meets, if any, counted off (a hook for scheduled faults)."""
        faults = self._faults.get(to)
        if not faults:
            return None
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.popleft()
        return fault

    def _within_rate(self, segments: int) -> bool:
        if self.segments_per_second is None:
            return True
        now = time.monotonic()
        while self._accepted and self._accepted[0][0] <= now - 1.0 + _RATE_SLACK_SECONDS:
            self._accepted.popleft()
        used = sum(count for _, count in self._accepted)
        # A message longer than the whole budget still goes out alone, as at Twilio.
        if self._accepted and used + segments > self.segments_per_second:
            return False
        self._accepted.append((now, segments))
        return True

    def _resource(self, sid: str, form: dict[str, str], segments: int) -> dict[str, Any]:
        """The Message resource as Twilio answers a create call."""
        now = format_datetime(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        service = form.get("MessagingServiceSid")
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            # A Messaging Service picks its sender after accepting the message.
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }

    async def _report(self, sid: str, form: dict[str, str]) -> None:
        error_code = self._undeliverable.get(form["To"])
        final = "delivered" if error_code is None else "undelivered"
        for status in ("sent", final):
            params = {
                "AccountSid": self.account_sid,
                "ApiVersion": API_VERSION,
                "From": form.get("From") or "+15550001111",
                "MessageSid": sid,
                "MessageStatus": status,
                "SmsSid": sid,
                "SmsStatus": status,
                "To": form["To"],
            }
            if status == "undelivered":
                params["ErrorCode"] = str(error_code)
            await self._post_status(form["StatusCallback"], params)

    async def _post_status(self, url: str, params: dict[str, str]) -> None:
        assert self._http is not None
        headers, body = signed_form_request(self.auth_token, url, params)
        async with self._http.post(url, data=body, headers=headers) as response:
            await response.read()
        async with self._changed:
            self.status_posts.append((url, params, response.status))
            self._changed.notify_all()


def signed_form_request(
    auth_token: str, url: str, params: dict[str, str]
) -> tuple[dict[str, str], str]:
    """Headers and form body of a webhook request signed as Twilio signs it.

    The signature covers the full URL Twilio called (query included) followed by every
    parameter name and value, sorted by name: a proxy that changes the URL breaks it.
    """
    signature = RequestValidator(auth_token).compute_signature(url, params)
    headers = {
        SIGNATURE_HEADER: signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return headers, urlencode(params)


def inbound_sms_params(
    from_: str,
    body: str,
    sid: str | None = None,
    to: str = "+15550001111",
    num_media: int = 0,
    *,
    account_sid: str = TEST_ACCOUNT_SID,
    messaging_service_sid: str | None = None,
    from_country: str = "US",
) -> dict[str, str]:
    """The form of Twilio's inbound message webhook, with every field Twilio sends."""
    sid = sid or ("MM" if num_media else "SM") + secrets.token_hex(16)
    params = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": str(num_media),
        "ToCity": "SAN JOSE",
        "FromZip": "95112",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN JOSE",
        "Body": body,
        "FromCountry": from_country,
        "To": to,
        "ToZip": "95112",
        "NumSegments": str(max(1, segment_report(body).segments)),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    if messaging_service_sid is not None:
        params["MessagingServiceSid"] = messaging_service_sid
    for index in range(num_media):
        params[f"MediaContentType{index}"] = "image/jpeg"
        params[f"MediaUrl{index}"] = (
            f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}"
            f"/Messages/{sid}/Media/ME{secrets.token_hex(16)}"
        )
    return params


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Twilio's JSON error body; the twilio package turns it into a TwilioRestException."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status, headers=headers)


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1"
