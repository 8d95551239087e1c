"""Outcomes of concurrent deliveries share transactions; every caller learns its fate."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.dispatcher import GroupCommit, Sent


async def test_concurrent_outcomes_share_one_transaction() -> None:
    writes: list[int] = []

    async def write(sent: Sequence[Sent]) -> None:
        writes.append(len(sent))
        await asyncio.sleep(0.01)

    commit = GroupCommit(write)
    one: Sequence[Sent] = [object()]  # type: ignore[list-item]
    await asyncio.gather(*(commit.record(one) for _ in range(10)))
    assert writes == [10]


async def test_outcomes_arriving_during_a_write_go_together_in_the_next() -> None:
    writes: list[int] = []

    async def write(sent: Sequence[Sent]) -> None:
        writes.append(len(sent))
        await asyncio.sleep(0.01)

    commit = GroupCommit(write)
    one: Sequence[Sent] = [object()]  # type: ignore[list-item]
    first = asyncio.create_task(commit.record(one))
    await asyncio.sleep(0.001)  # the first write is under way
    await asyncio.gather(first, *(commit.record(one) for _ in range(5)))
    assert writes == [1, 5]


async def test_a_quiet_server_writes_at_once() -> None:
    writes: list[int] = []

    async def write(sent: Sequence[Sent]) -> None:
        writes.append(len(sent))

    commit = GroupCommit(write)
    await commit.record([])
    await commit.record([])
    assert writes == [0, 0]


async def test_a_failed_write_fails_every_caller_in_its_batch_and_not_the_next() -> None:
    calls = 0

    async def write(sent: Sequence[Sent]) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 2:
            raise ConnectionError("database restarted")

    commit = GroupCommit(write)
    first = asyncio.create_task(commit.record([]))
    await asyncio.sleep(0)
    batch = [asyncio.create_task(commit.record([])) for _ in range(3)]
    await first
    for task in batch:
        with pytest.raises(ConnectionError):
            await task
    await commit.record([])
    assert calls == 3
