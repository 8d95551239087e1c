"""Messages per second through router + handlers + store + outbox, in one process.

Each message is one full conversation turn (dedup, contact upsert, language, routing,
handler, state save, outbox insert, commit) followed by the dispatcher claiming it and
handing it to a channel that discards it, which is the path every real reply takes.
Messages are processed one after another, so the per-message latency is the real
end-to-end cost, and throughput is what one core sustains.

    .venv/bin/python bench/engine.py                     # SQLite, 5,000 messages
    .venv/bin/python bench/engine.py --postgres          # PostgreSQL at 127.0.0.1:5432
    .venv/bin/python bench/engine.py --messages 20000 --contacts 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from itertools import cycle
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.base import OutcomeKind, SendOutcome
from bot.config import Settings
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage
from bot.runtime import open_runtime, utc_now
from handlers import HANDLERS

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"

# A mix of what parents send, in the three languages, weighted toward the common asks.
MESSAGES = [
    "hi",
    "next",
    "when is the next session?",
    "sessions",
    "2",
    "restorative",
    "teachers",
    "resources",
    "help",
    "thanks",
    "hola",
    "¿cuándo es la próxima sesión?",
    "sesiones",
    "maestros",
    "salud mental",
    "recursos",
    "gracias",
    "مرحبا",
    "متى الجلسة القادمة",
    "الجلسات",
    "المعلمين",
    "١",
    "شكرا",
    "coordinator",
]


class NullChannel:
    name = ChannelName.CONSOLE

    async def send(self, message: OutboundMessage) -> SendOutcome:
        return SendOutcome(OutcomeKind.SENT, provider_id=str(message.id))


async def run(database_url: str, total: int, contacts: int, warmup: int) -> dict[str, float]:
    runtime = await open_runtime(Settings(database_url=database_url), HANDLERS)
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: NullChannel()})
    texts = cycle(MESSAGES)
    latencies: list[float] = []
    try:
        started = 0.0
        for number in range(warmup + total):
            if number == warmup:
                started = time.perf_counter()
            address = Address(ChannelName.CONSOLE, f"bench-{number % contacts}")
            message = InboundMessage(address, next(texts), utc_now(), external_id=f"m-{number}")
            began = time.perf_counter()
            outgoing = await runtime.conversation.handle(message)
            await dispatcher.deliver(outgoing)
            if number >= warmup:
                latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - started
    finally:
        await runtime.close()
    latencies.sort()
    return {
        "messages": total,
        "seconds": elapsed,
        "per_second": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def with_postgres(total: int, contacts: int, warmup: int) -> dict[str, float]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        return await run(url, total, contacts, warmup)
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        result = asyncio.run(with_postgres(args.messages, args.contacts, args.warmup))
        backend = "PostgreSQL"
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            result = asyncio.run(run(url, args.messages, args.contacts, args.warmup))
        backend = "SQLite"
    print(
        f"{backend}: {result['messages']:.0f} messages in {result['seconds']:.2f} s = "
        f"{result['per_second']:.0f} messages/s; p50 {result['p50_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms"
    )


if __name__ == "__main__":
    main()
