"""`serve` as an operator sees it: health, metrics, polling without a public URL, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.store.engine import create_engine
from bot.store.tables import outbox
from tests.support.fake_telegram import FakeTelegram, text_update
from tests.support.server import (
    TELEGRAM_TOKEN,
    RunningServer,
    eventually,
    running_server,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime) as running:
        yield running


async def test_healthz_reports_a_working_database(server: RunningServer) -> None:
    async with server.client.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": "ok"}


async def test_metrics_count_messages_by_channel_and_language(server: RunningServer) -> None:
    await server.post_sms("+15557654321", "hola")
    await server.post_update({"update_id": 1, "nonsense": True}, secret="wrong")
    await server.services.inbox.close()
    async with server.client.get(f"{server.url}/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    assert 'bot_messages_in_total{channel="sms",language="es"} 1.0' in text
    assert (
        'bot_messages_out_total{channel="sms",kind="reply",language="es",outcome="sent"} 1.0'
        in text
    )
    assert 'bot_requests_refused_total{endpoint="telegram",reason="secret"} 1.0' in text
    assert 'bot_send_seconds_count{channel="sms"} 1.0' in text


async def test_without_a_public_url_the_bot_long_polls_telegram(runtime: Runtime) -> None:
    async with running_server(runtime, public=False) as server:
        await eventually(lambda: server.telegram.calls_of("deleteWebhook"))
        server.telegram.push_update(text_update(500, 777, "hi"))
        server.telegram.push_update(text_update(501, 777, "/next"))
        await server.telegram.wait_for_sent(2)
        assert "Hello!" in server.telegram.sent[0]["text"]
        assert server.telegram.webhook is None


async def test_unknown_paths_and_methods_are_4xx(server: RunningServer) -> None:
    async with server.client.get(f"{server.url}/webhooks/telegram") as response:
        assert response.status == 405
    async with server.client.get(f"{server.url}/nothing-here") as response:
        assert response.status == 404


async def _free_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()
    return port


async def test_sigterm_lets_an_in_flight_send_finish_before_exiting(
    tmp_path: Path,
) -> None:
    """A real `python main.py serve` process, a slow Telegram, and SIGTERM mid-send."""
    async with FakeTelegram(TELEGRAM_TOKEN, latency=1.5) as telegram:
        port = await _free_port()
        database = tmp_path / "bot.db"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "main.py",
            "serve",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await eventually(lambda: telegram.calls_of("deleteWebhook"), timeout=30)
            telegram.push_update(text_update(1, 4242, "hi"))
            await eventually(
                lambda: (
                    any(name == "sendMessage" for name, _ in telegram.calls)
                    or len(telegram.sent) > 0
                ),
                timeout=10,
            )
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, output.decode()
        assert len(telegram.sent) == 1
        log = output.decode()
        assert "out telegram:4242" in log and " sent " in log

        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            async with engine.connect() as connection:
                statuses = (await connection.execute(select(outbox.c.status))).scalars().all()
        finally:
            await engine.dispose()
        assert statuses == ["sent"]


async def test_a_missing_twilio_setting_fails_serve_fast_with_its_name(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "TWILIO_ACCOUNT_SID": "AC123",
        "PORT": str(await _free_port()),
    }
    env.pop("TWILIO_AUTH_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "main.py",
        "serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, error = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert b"TWILIO_AUTH_TOKEN" in error


async def test_healthz_is_503_when_the_database_is_gone(runtime: Runtime) -> None:
    async with running_server(runtime) as server:
        # A real engine to a port where no database listens.
        gone = create_engine("postgresql+asyncpg://postgres@127.0.0.1:9/gone")
        server.services.runtime = replace(runtime, engine=gone)
        try:
            async with server.client.get(f"{server.url}/healthz") as response:
                assert response.status == 503
                assert (await response.json())["database"] == "down"
        finally:
            server.services.runtime = runtime
            await gone.dispose()
