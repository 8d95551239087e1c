"""The suite cannot reach the internet, so no test can call the real Telegram or Twilio."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from tests.support.loopback_only import NonLoopbackConnectionError


def test_a_plain_socket_cannot_leave_the_machine() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NonLoopbackConnectionError),
    ):
        sock.connect(("149.154.167.220", 443))  # one of api.telegram.org's addresses


async def test_an_asyncio_client_cannot_leave_the_machine() -> None:
    with pytest.raises(NonLoopbackConnectionError):
        await asyncio.open_connection("54.172.60.0", 443)  # in Twilio's API range


async def test_aiohttp_cannot_reach_a_provider_by_address() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises((NonLoopbackConnectionError, aiohttp.ClientConnectionError)):
            await session.get("http://93.184.215.14/")


async def test_loopback_still_works() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
