"""While the database is away, a webhook is answered 503 and its message is not lost.

Telegram posts an update again after a 503; Twilio does not, so its webhooks first wait
for the database (bot/web/twilio_webhooks.py) and answer 503 only if it stays away.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.channels.sms import EMPTY_TWIML
from bot.messages import Address, ChannelName, InboundMessage
from bot.runtime import Runtime
from bot.store import consent
from bot.web import twilio_webhooks
from tests.support.fake_telegram import text_update
from tests.support.server import running_server


def database_gone() -> OperationalError:
    return OperationalError("INSERT INTO contacts …", {}, ConnectionRefusedError(111, "refused"))


def fail_first(times: int, work: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`work`, failing its first `times` calls as a restarting database does."""
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise database_gone()
        return await work(*args, **kwargs)

    return flaky


PARENT = "+15550108080"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


async def test_a_webhook_during_an_outage_gets_503_and_one_line_of_log(
    runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_server(runtime) as server:
        inbox = server.services.inbox
        monkeypatch.setattr(inbox, "receive", fail_first(1, inbox.receive))
        async with server.client.post(
            f"{server.url}/webhooks/telegram",
            json=text_update(1, 5151, "next"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret"},
        ) as refused:
            assert refused.status == 503
            assert refused.headers["Retry-After"] == "1"
        # Telegram sends the same update again; now it is answered, once.
        assert (await server.post_update(text_update(1, 5151, "next"))).status == 200
        await server.telegram.wait_for_sent(1)
    assert tracebacks(caplog) == []
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


async def test_a_turn_that_cannot_reach_the_database_is_not_apologised_for(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    conversation = runtime.conversation
    monkeypatch.setattr(conversation, "_turn", fail_first(1, conversation._turn))
    message = InboundMessage(Address(ChannelName.SMS, "+15550107070"), "hi", runtime.clock())
    with pytest.raises(OperationalError):
        await conversation.handle(message)
    assert tracebacks(caplog) == []
    # The provider's retry is answered normally.
    assert [reply.text for reply in await conversation.handle(message)]


async def test_long_polling_fetches_again_an_update_the_database_could_not_take(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_server(runtime, public=False) as server:
        inbox = server.services.inbox
        monkeypatch.setattr(inbox, "receive", fail_first(2, inbox.receive))
        server.telegram.push_update(text_update(7, 6161, "next"))
        sent = await server.telegram.wait_for_sent(1, timeout=10)
    assert [call["chat_id"] for call in sent] == [6161]


async def test_an_sms_during_a_restart_waits_for_the_database_and_is_answered(
    runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.store.outage")
    async with running_server(runtime) as server:
        inbox = server.services.inbox
        monkeypatch.setattr(inbox, "receive", fail_first(3, inbox.receive))
        assert await server.post_sms(PARENT, "hi") == (200, EMPTY_TWIML)
        sent = await server.twilio.wait_for_sent(1)
    assert [message["To"] for message in sent] == [PARENT]
    assert tracebacks(caplog) == []
    waits = [r for r in caplog.records if "could not take an inbound SMS" in r.getMessage()]
    assert [r.levelname for r in waits] == ["WARNING", "DEBUG", "DEBUG"]


async def test_an_sms_during_a_longer_outage_gets_503_once_patience_runs_out(
    runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio_webhooks, "PATIENCE_SECONDS", 0.5)
    async with running_server(runtime) as server:
        inbox = server.services.inbox
        monkeypatch.setattr(inbox, "receive", fail_first(1000, inbox.receive))
        status, _ = await server.post_sms(PARENT, "hi")
    assert status == 503
    assert server.twilio.sent == []
    assert tracebacks(caplog) == []


async def test_an_opt_out_report_during_a_restart_is_kept(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        twilio_webhooks, "record_report", fail_first(2, twilio_webhooks.record_report)
    )
    async with running_server(runtime, twilio_options={"callbacks": True}) as server:
        server.twilio.undeliverable(PARENT, 21610)
        await server.post_sms(PARENT, "hi")
        await server.twilio.wait_for_status_posts(2)
    assert [code for _, _, code in server.twilio.status_posts] == [204, 204]
    async with runtime.engine.connect() as connection:
        history = await consent.history(connection, Address(ChannelName.SMS, PARENT))
    assert [(action, source) for action, source, _ in history] == [("opt_out", "provider")]
