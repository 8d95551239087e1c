"""POST /webhooks/twilio/sms and /status end to end, with forms signed as Twilio signs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.sms import EMPTY_TWIML
from bot.messages import Address, ChannelName
from bot.runtime import Runtime
from bot.store import consent
from bot.store.tables import contacts, outbox
from tests.support.fake_twilio import SIGNATURE_HEADER, inbound_sms_params, signed_form_request
from tests.support.server import BOT_NUMBER, RunningServer, running_server

PARENT = "+15557654321"
SMS_PATH = "/webhooks/twilio/sms"


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime, twilio_options={"callbacks": True}) as running:
        yield running


async def settle(server: RunningServer) -> list[dict[str, str]]:
    await server.services.inbox.close()
    return server.twilio.sent


async def test_a_text_is_answered_with_empty_twiml_and_a_reply_through_the_api(
    server: RunningServer,
) -> None:
    status, body = await server.post_sms(PARENT, "hi")
    assert (status, body) == (200, EMPTY_TWIML)
    sent = await settle(server)
    assert len(sent) == 1
    assert sent[0]["To"] == PARENT
    assert sent[0]["From"] == BOT_NUMBER
    assert "Hello!" in sent[0]["Body"]
    assert sent[0]["StatusCallback"].startswith(f"{server.url}/webhooks/twilio/status?m=")


FORGERIES = ["missing header", "forged", "signed for another URL", "signed with another token"]


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_request_twilio_did_not_sign_for_us_is_refused(
    server: RunningServer, forgery: str
) -> None:
    form = inbound_sms_params(PARENT, "hi", to=BOT_NUMBER)
    url = server.url + SMS_PATH
    headers, body = signed_form_request("fake-twilio-auth-token", url, form)
    if forgery == "missing header":
        del headers[SIGNATURE_HEADER]
    elif forgery == "forged":
        headers[SIGNATURE_HEADER] = "bm90IGEgc2lnbmF0dXJl"
    elif forgery == "signed for another URL":
        headers, body = signed_form_request(
            "fake-twilio-auth-token", "http://10.0.0.5:8080" + SMS_PATH, form
        )
    else:
        headers, body = signed_form_request("another-token", url, form)
    async with server.client.post(url, data=body, headers=headers) as response:
        assert response.status == 403
    assert await settle(server) == []


async def test_a_tampered_body_fails_its_signature(server: RunningServer) -> None:
    form = inbound_sms_params(PARENT, "hi", to=BOT_NUMBER)
    headers, body = signed_form_request("fake-twilio-auth-token", server.url + SMS_PATH, form)
    async with server.client.post(
        server.url + SMS_PATH, data=body.replace("Body=hi", "Body=STOP"), headers=headers
    ) as response:
        assert response.status == 403


async def test_a_retried_message_sid_is_answered_once(server: RunningServer) -> None:
    for _ in range(3):
        status, _ = await server.post_sms(PARENT, "hi", sid="SM" + "a" * 32)
        assert status == 200
    assert len(await settle(server)) == 1


async def test_an_mms_without_text_gets_a_polite_text_only_answer(server: RunningServer) -> None:
    await server.post_sms(PARENT, "", num_media=1)
    sent = await settle(server)
    assert "only read text" in sent[0]["Body"]


@pytest.mark.parametrize(
    "form",
    [{"Body": "hi"}, {"From": PARENT, "Body": "hi"}, {"MessageSid": "SM1", "Body": "hi"}],
    ids=["no sender, no sid", "no sid", "no sender"],
)
async def test_a_signed_but_incomplete_form_is_a_400(
    server: RunningServer, form: dict[str, str]
) -> None:
    status, _ = await server.post_signed(SMS_PATH, form)
    assert status == 400


async def test_a_json_body_is_refused_as_the_wrong_media_type(server: RunningServer) -> None:
    async with server.client.post(server.url + SMS_PATH, json={"From": PARENT}) as response:
        assert response.status == 415


@pytest.mark.parametrize(
    ("text", "language", "stops"),
    [
        ("STOP", "en", True),
        ("alto", "es", True),
        ("توقف", "ar", True),
        ("STOP please", "en", False),
    ],
)
async def test_consent_words_count_only_as_the_whole_message(
    server: RunningServer, runtime: Runtime, text: str, language: str, stops: bool
) -> None:
    await server.post_sms(PARENT, text)
    sent = await settle(server)
    async with runtime.engine.connect() as connection:
        opted_out = (
            await connection.execute(
                select(contacts.c.opted_out).where(contacts.c.address == PARENT)
            )
        ).scalar_one()
    assert opted_out is stops
    assert len(sent) == 1  # the confirmation, or help explaining how to stop


async def _outbox_row(runtime: Runtime) -> Any:
    async with runtime.engine.connect() as connection:
        return (
            await connection.execute(
                select(outbox).where(outbox.c.address == PARENT).order_by(outbox.c.id.desc())
            )
        ).first()


async def test_status_callbacks_move_the_message_forward_to_delivered(
    server: RunningServer, runtime: Runtime
) -> None:
    await server.post_sms(PARENT, "hi")
    await settle(server)
    await server.twilio.wait_for_status_posts(2)
    row = await _outbox_row(runtime)
    assert row.status == "delivered"
    assert row.delivered_at is not None
    assert all(code == 204 for _, _, code in server.twilio.status_posts)


async def test_a_late_sent_report_never_moves_a_delivered_message_back(
    server: RunningServer, runtime: Runtime
) -> None:
    await server.post_sms(PARENT, "hi")
    await settle(server)
    await server.twilio.wait_for_status_posts(2)
    row = await _outbox_row(runtime)
    late = {"MessageSid": row.provider_id, "MessageStatus": "sent", "AccountSid": "AC"}
    status, _ = await server.post_signed(f"/webhooks/twilio/status?m={row.id}", late)
    assert status == 204
    assert (await _outbox_row(runtime)).status == "delivered"


async def test_error_21610_in_a_callback_opts_the_number_out(
    server: RunningServer, runtime: Runtime
) -> None:
    server.twilio.undeliverable(PARENT, 21610)
    await server.post_sms(PARENT, "hi")
    await settle(server)
    await server.twilio.wait_for_status_posts(2)
    assert (await _outbox_row(runtime)).status == "failed"
    async with runtime.engine.connect() as connection:
        history = await consent.history(connection, Address(ChannelName.SMS, PARENT))
    assert [(a, s) for a, s, _ in history] == [("opt_out", "provider")]


@pytest.mark.parametrize("code", [30003, 30005, 30006])
async def test_unreachable_numbers_are_flagged_for_organizers(
    server: RunningServer, runtime: Runtime, code: int
) -> None:
    server.twilio.undeliverable(PARENT, code)
    await server.post_sms(PARENT, "hi")
    await settle(server)
    await server.twilio.wait_for_status_posts(2)
    async with runtime.engine.connect() as connection:
        problem, opted_out = (
            await connection.execute(
                select(contacts.c.delivery_problem, contacts.c.opted_out).where(
                    contacts.c.address == PARENT
                )
            )
        ).one()
    assert (problem, opted_out) == (str(code), False)


async def test_a_send_refused_with_21610_opts_out_and_drops_queued_bulk(
    server: RunningServer, runtime: Runtime
) -> None:
    server.twilio.fail_number(PARENT, 400, 21610, "Attempt to send to unsubscribed recipient")
    await server.post_sms(PARENT, "hi")
    assert await settle(server) == []
    async with runtime.engine.connect() as connection:
        history = await consent.history(connection, Address(ChannelName.SMS, PARENT))
    assert [(a, s) for a, s, _ in history] == [("opt_out", "provider")]


@pytest.mark.parametrize("query", ["", "?m=", "?m=abc", "?m=-1", "?m=99999999"])
async def test_status_callbacks_for_unknown_messages_change_nothing(
    server: RunningServer, query: str
) -> None:
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    status, _ = await server.post_signed(f"/webhooks/twilio/status{query}", form)
    assert status in (204, 400)


async def test_the_log_has_one_line_in_and_one_out_with_the_number_masked(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    await server.post_sms(PARENT, "hi")
    await settle(server)
    lines = [r.getMessage() for r in caplog.records if r.name in ("bot.inbox", "bot.dispatcher")]
    assert [line.split()[0] for line in lines] == ["in", "out"]
    assert all("sms:+1******4321" in line for line in lines)
    assert PARENT not in caplog.text
    assert "fake-twilio-auth-token" not in caplog.text
