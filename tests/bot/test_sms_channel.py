"""The Twilio SMS channel, driven through the real twilio package against a local fake."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.channels.base import OutcomeKind
from bot.channels.sms import (
    EMPTY_TWIML,
    UNREACHABLE_CODES,
    BadWebhook,
    DeliveryReport,
    SmsChannel,
    open_sms_channel,
    parse_inbound,
    parse_status,
    segments_of,
    signature_valid,
)
from bot.channels.sms_text import AccentMode, Encoding, segment_report
from bot.config import Settings
from bot.errors import ConfigError
from bot.messages import Address, Button, ChannelName, OutboundKind, OutboundMessage
from tests.support.fake_twilio import (
    SIGNATURE_HEADER,
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    FakeTwilio,
    inbound_sms_params,
    signed_form_request,
)

FROM_NUMBER = "+15550001111"
PARENT = "+15557654321"
RECEIVED_AT = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
STATUS_URL = "https://bot.example.org/webhooks/twilio/status?m=7"


def twilio_settings(base_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "twilio_account_sid": TEST_ACCOUNT_SID,
        "twilio_auth_token": TEST_AUTH_TOKEN,
        "twilio_from_number": FROM_NUMBER,
        "twilio_api_base_url": base_url,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def outbound(
    text: str, locale: str = "en", *, to: str = PARENT, message_id: int = 1
) -> OutboundMessage:
    return OutboundMessage(
        id=message_id,
        address=Address(ChannelName.SMS, to),
        text=text,
        locale=locale,
        kind=OutboundKind.REPLY,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def channel(fake: FakeTwilio) -> AsyncIterator[SmsChannel]:
    async with await open_sms_channel(twilio_settings(fake.base_url)) as channel:
        yield channel


async def test_english_text_goes_out_as_gsm7_with_typography_folded(
    fake: FakeTwilio, channel: SmsChannel
) -> None:
    outcome = await channel.send(outbound("Don’t miss “Storytime” — Saturday…"))

    assert outcome.kind is OutcomeKind.SENT
    assert outcome.provider_id is not None
    assert outcome.provider_id.startswith("SM")
    assert len(outcome.provider_id) == 34
    [sent] = fake.sent
    assert sent["Body"] == 'Don\'t miss "Storytime" - Saturday...'
    assert segment_report(sent["Body"]).encoding is Encoding.GSM7
    assert sent["To"] == PARENT
    assert sent["From"] == FROM_NUMBER


SHORT_SPANISH = "Sesión de matemáticas"
# Long enough that its accents would make it 3 UCS-2 segments instead of 2 GSM-7 ones.
LONG_SPANISH = (
    "Recordatorio: la sesión de matemáticas para niños es el sábado a las 10 en la biblioteca "
    "pública. Traigan lápiz y cuaderno; habrá café y galletas para las familias."
)


@pytest.mark.parametrize(
    ("accents", "text", "expected"),
    [
        (AccentMode.KEEP, LONG_SPANISH, LONG_SPANISH),
        (AccentMode.STRIP, SHORT_SPANISH, "Sesion de matematicas"),
        (AccentMode.AUTO, SHORT_SPANISH, SHORT_SPANISH),
        (
            AccentMode.AUTO,
            LONG_SPANISH,
            LONG_SPANISH.translate(str.maketrans("óáúíé", "oauié")),
        ),
    ],
)
async def test_spanish_accents_follow_sms_accents(
    fake: FakeTwilio, accents: AccentMode, text: str, expected: str
) -> None:
    settings = twilio_settings(fake.base_url, sms_accents=accents)
    async with await open_sms_channel(settings) as channel:
        outcome = await channel.send(outbound(text, "es"))

    assert outcome.kind is OutcomeKind.SENT
    assert fake.sent[0]["Body"] == expected


async def test_arabic_passes_through(fake: FakeTwilio, channel: SmsChannel) -> None:
    text = "مرحبا! جلسة القراءة يوم السبت"

    outcome = await channel.send(outbound(text, "ar"))

    assert outcome.kind is OutcomeKind.SENT
    assert fake.sent[0]["Body"] == text


async def test_buttons_are_left_out_of_the_sms(fake: FakeTwilio, channel: SmsChannel) -> None:
    message = outbound("Reply YES to join.")
    message = OutboundMessage(
        message.id, message.address, message.text, "en", message.kind, (Button("Yes", "YES"),)
    )

    await channel.send(message)

    assert fake.sent[0]["Body"] == "Reply YES to join."


async def test_status_callback_carries_our_message_id_when_public_url_is_set(
    fake: FakeTwilio,
) -> None:
    settings = twilio_settings(fake.base_url, public_base_url="https://bot.example.org/")
    async with await open_sms_channel(settings) as channel:
        await channel.send(outbound("Hi", message_id=42))

    assert fake.sent[0]["StatusCallback"] == ("https://bot.example.org/webhooks/twilio/status?m=42")


async def test_no_status_callback_without_public_url(fake: FakeTwilio, channel: SmsChannel) -> None:
    await channel.send(outbound("Hi"))

    assert "StatusCallback" not in fake.sent[0]


async def test_messaging_service_replaces_the_from_number(fake: FakeTwilio) -> None:
    settings = twilio_settings(
        fake.base_url, twilio_from_number=None, twilio_messaging_service_sid="MG" + "1" * 32
    )
    async with await open_sms_channel(settings) as channel:
        outcome = await channel.send(outbound("Hi"))

    assert outcome.kind is OutcomeKind.SENT
    assert fake.sent[0]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in fake.sent[0]


async def test_requests_go_to_the_configured_base_url_even_with_twilio_region_set(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    async with await open_sms_channel(twilio_settings(fake.base_url)) as channel:
        outcome = await channel.send(outbound("Hi"))

    assert outcome.kind is OutcomeKind.SENT
    assert len(fake.requests) == 1


async def test_the_request_timeout_is_enforced(fake: FakeTwilio) -> None:
    fake.latency = 2.0
    settings = twilio_settings(fake.base_url)
    async with await open_sms_channel(settings, request_timeout=0.5) as channel:
        started = time.monotonic()
        outcome = await channel.send(outbound("Hi"))
        elapsed = time.monotonic() - started

    assert outcome.kind is OutcomeKind.RETRY
    assert elapsed < 1.5


@pytest.mark.parametrize(
    ("status", "code", "text", "retry_after", "kind"),
    [
        (400, 21610, "Attempt to send to unsubscribed recipient", None, OutcomeKind.STOPPED),
        (400, 21211, f"Invalid 'To' Phone Number: {PARENT}", None, OutcomeKind.FAILED),
        (
            400,
            21614,
            f"'To' number {PARENT} is not a valid mobile number",
            None,
            OutcomeKind.FAILED,
        ),
        (429, 20429, "Too Many Requests", 7, OutcomeKind.RETRY),
        (500, 20500, "Internal Server Error", None, OutcomeKind.RETRY),
        (503, 20503, "Service Unavailable", 30, OutcomeKind.RETRY),
    ],
)
async def test_twilio_refusals_map_to_outcomes(
    fake: FakeTwilio,
    channel: SmsChannel,
    status: int,
    code: int,
    text: str,
    retry_after: int | None,
    kind: OutcomeKind,
) -> None:
    fake.fail_number(PARENT, status, code, text, retry_after=retry_after)

    outcome = await channel.send(outbound("Hi"))

    assert outcome.kind is kind
    assert outcome.error == f"{code}: {text}"
    assert outcome.retry_after == retry_after
    assert fake.sent == []


async def test_a_retried_message_goes_out_once_the_fault_passes(
    fake: FakeTwilio, channel: SmsChannel
) -> None:
    fake.fail_number(PARENT, 500, 20500, "Internal Server Error")

    first = await channel.send(outbound("Hi"))
    second = await channel.send(outbound("Hi"))

    assert (first.kind, first.retry_after) == (OutcomeKind.RETRY, None)
    assert second.kind is OutcomeKind.SENT
    assert len(fake.sent) == 1


async def test_wrong_credentials_fail_the_message(fake: FakeTwilio) -> None:
    settings = twilio_settings(fake.base_url, twilio_auth_token="not-the-token")
    async with await open_sms_channel(settings) as channel:
        outcome = await channel.send(outbound("Hi"))

    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.error == "20003: Authenticate"


async def test_connection_refused_is_retried() -> None:
    settings = twilio_settings(f"http://127.0.0.1:{free_port()}")
    async with await open_sms_channel(settings) as channel:
        outcome = await channel.send(outbound("Hi"))

    assert outcome.kind is OutcomeKind.RETRY
    assert outcome.error is not None


async def test_exceeding_the_segment_rate_is_retried() -> None:
    async with (
        FakeTwilio(segments_per_second=1) as fake,
        await open_sms_channel(twilio_settings(fake.base_url)) as channel,
    ):
        first = await channel.send(outbound("Hi"))
        second = await channel.send(outbound("Hi again"))

    assert first.kind is OutcomeKind.SENT
    assert second.kind is OutcomeKind.RETRY
    assert fake.too_many == 1


async def test_a_text_of_only_emoji_fails_without_calling_twilio(
    fake: FakeTwilio, channel: SmsChannel
) -> None:
    outcome = await channel.send(outbound("🎉👍"))

    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.error
    assert fake.requests == []


async def test_segments_of_counts_what_is_really_sent(
    fake: FakeTwilio, channel: SmsChannel
) -> None:
    message = outbound(LONG_SPANISH, "es")

    await channel.send(message)

    assert segments_of(message, AccentMode.AUTO) == segment_report(fake.sent[0]["Body"]).segments
    assert segments_of(message, AccentMode.KEEP) == segment_report(LONG_SPANISH).segments


async def test_close_closes_the_http_session(fake: FakeTwilio) -> None:
    channel = await open_sms_channel(twilio_settings(fake.base_url))
    assert not channel.http.session.closed

    await channel.close()

    assert channel.http.session.closed


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"twilio_account_sid": None}, "TWILIO_ACCOUNT_SID"),
        ({"twilio_auth_token": None}, "TWILIO_AUTH_TOKEN"),
        ({"twilio_from_number": None}, "TWILIO_FROM_NUMBER"),
    ],
)
async def test_missing_settings_name_the_variable(
    overrides: dict[str, object], variable: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        await open_sms_channel(twilio_settings("http://127.0.0.1:9", **overrides))

    assert raised.value.variable == variable


def test_inbound_sms_becomes_an_inbound_message() -> None:
    params = inbound_sms_params(PARENT, "HELP", sid="SM" + "a" * 32)

    message = parse_inbound(params, RECEIVED_AT)

    assert message.address == Address(ChannelName.SMS, PARENT)
    assert message.text == "HELP"
    assert message.external_id == "SM" + "a" * 32
    assert message.received_at == RECEIVED_AT


def test_a_picture_without_text_arrives_as_empty_text() -> None:
    message = parse_inbound(inbound_sms_params(PARENT, "", num_media=1), RECEIVED_AT)

    assert message.text == ""
    assert message.external_id is not None
    assert message.external_id.startswith("MM")


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_inbound_without_sender_or_sid_is_a_bad_webhook(missing: str) -> None:
    params = inbound_sms_params(PARENT, "HELP")
    del params[missing]

    with pytest.raises(BadWebhook):
        parse_inbound(params, RECEIVED_AT)


def test_status_callback_becomes_a_delivery_report() -> None:
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}

    report = parse_status({"m": "7"}, form)

    assert report == DeliveryReport(7, "SM" + "b" * 32, "undelivered", 30003)
    assert report.error_code in UNREACHABLE_CODES


def test_status_callback_without_error_code_has_none() -> None:
    report = parse_status({"m": "7"}, {"MessageSid": "SM1", "MessageStatus": "delivered"})

    assert report.error_code is None


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ({}, {"MessageStatus": "delivered"}),
        ({"m": "seven"}, {"MessageStatus": "delivered"}),
        ({"m": "-7"}, {"MessageStatus": "delivered"}),
        ({"m": "7"}, {"MessageStatus": "exploded"}),
        ({"m": "7"}, {}),
        ({"m": "7"}, {"MessageStatus": "failed", "ErrorCode": "oops"}),
    ],
)
def test_invalid_status_callbacks_are_bad_webhooks(
    query: dict[str, str], form: dict[str, str]
) -> None:
    with pytest.raises(BadWebhook):
        parse_status(query, form)


def test_a_correctly_signed_request_is_valid() -> None:
    params = inbound_sms_params(PARENT, "HELP")
    headers, _ = signed_form_request(TEST_AUTH_TOKEN, STATUS_URL, params)

    assert signature_valid(TEST_AUTH_TOKEN, STATUS_URL, params, headers[SIGNATURE_HEADER])


def test_a_tampered_form_is_not_valid() -> None:
    params = inbound_sms_params(PARENT, "HELP")
    headers, _ = signed_form_request(TEST_AUTH_TOKEN, STATUS_URL, params)

    forged = {**params, "Body": "STOP"}

    assert not signature_valid(TEST_AUTH_TOKEN, STATUS_URL, forged, headers[SIGNATURE_HEADER])


def test_a_signature_for_another_url_is_not_valid() -> None:
    params = inbound_sms_params(PARENT, "HELP")
    headers, _ = signed_form_request(TEST_AUTH_TOKEN, STATUS_URL, params)
    other_url = STATUS_URL.replace("m=7", "m=8")

    assert not signature_valid(TEST_AUTH_TOKEN, other_url, params, headers[SIGNATURE_HEADER])


def test_a_signature_from_another_token_is_not_valid() -> None:
    params = inbound_sms_params(PARENT, "HELP")
    headers, _ = signed_form_request("another-token", STATUS_URL, params)

    assert not signature_valid(TEST_AUTH_TOKEN, STATUS_URL, params, headers[SIGNATURE_HEADER])


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_is_not_valid(signature: str | None) -> None:
    params = inbound_sms_params(PARENT, "HELP")

    assert not signature_valid(TEST_AUTH_TOKEN, STATUS_URL, params, signature)


async def test_status_callbacks_are_signed_and_parsed_end_to_end(fake: FakeTwilio) -> None:
    """The fake posts callbacks as Twilio does; a minimal webhook checks and parses them."""
    reports: list[DeliveryReport] = []

    async def status_webhook(request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        url = f"{public_base_url}{request.path_qs}"
        if not signature_valid(TEST_AUTH_TOKEN, url, form, request.headers.get(SIGNATURE_HEADER)):
            return web.Response(status=403)
        reports.append(parse_status(request.query, form))
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/webhooks/twilio/status", status_webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    public_base_url = f"http://{host}:{port}"
    unreachable = "+15550009999"
    fake.callbacks = True
    fake.undeliverable(unreachable, 30003)
    try:
        settings = twilio_settings(fake.base_url, public_base_url=public_base_url)
        async with await open_sms_channel(settings) as channel:
            delivered = await channel.send(outbound("Hi", message_id=1))
            undelivered = await channel.send(outbound("Hi", to=unreachable, message_id=2))
        await fake.wait_for_status_posts(4)
    finally:
        await runner.cleanup()

    assert [status for _, _, status in fake.status_posts] == [200] * 4
    assert sorted((r.message_id, r.status, r.error_code) for r in reports) == [
        (1, "delivered", None),
        (1, "sent", None),
        (2, "sent", None),
        (2, "undelivered", 30003),
    ]
    provider_ids = {r.message_id: r.provider_id for r in reports}
    assert provider_ids == {1: delivered.provider_id, 2: undelivered.provider_id}
