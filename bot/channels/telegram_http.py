"""PTB's HTTP transport over one aiohttp session, instead of httpx.

Measured in docs/benchmarks.md (delivery engine): httpcore, under PTB's default
`HTTPXRequest`, probes every idle connection of its pool (a `poll()` and a
`getpeername()` each) whenever it hands a connection out or takes one back. With the
pool a broadcast needs, that cost 2–8 ms of CPU per message and held one worker to ~400
messages a second; the same request through aiohttp, which the server already uses,
costs ~0.4 ms. PTB's `Bot` stays as is: only the transport under it changes, so its
types, error mapping (`RetryAfter`, `Forbidden`, `BadRequest`) and retries are PTB's own.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Text messages and API calls only: the bot never uploads files."""

    def __init__(self, connections: int, timeout: float) -> None:
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        # Built on first use, inside the running loop (aiohttp binds a session to it).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is not None and request_data.contains_files:
            raise NetworkError("file uploads are not supported by this transport")
        await self.initialize()
        assert self._session is not None
        seconds = sum(
            t
            for t in (read_timeout, write_timeout, connect_timeout, pool_timeout)
            if isinstance(t, int | float)
        )
        timeout = aiohttp.ClientTimeout(total=seconds or self._timeout)
        data = request_data.json_parameters if request_data is not None else None
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp: {error!r}") from error
