"""No test may reach the internet: every socket may connect to this machine only.

Installed for the whole session by `tests/conftest.py`. It wraps `socket.socket.connect`
(which asyncio, httpx and aiohttp all end up calling) so that a test pointing a real
client at a real provider fails loudly instead of hanging on a network that is not there,
or, worse, succeeding against one that is.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_LOOPBACK_NAMES = frozenset({"localhost"})


class NonLoopbackConnectionError(ConnectionError):
    """A test tried to connect somewhere other than 127.0.0.1 / ::1."""


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket path (the PostgreSQL socket) never leaves the machine
    host = str(address[0])
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def install() -> None:
    if getattr(socket.socket.connect, "loopback_only", False):
        return
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise NonLoopbackConnectionError(f"tests may only connect to loopback, not {address}")
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise NonLoopbackConnectionError(f"tests may only connect to loopback, not {address}")
        return connect_ex(self, address)

    guarded_connect.loopback_only = True  # type: ignore[attr-defined]
    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
