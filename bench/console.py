"""How fast the console's busiest pages answer on a deployment-sized database.

Seeds CONTACTS subscribers (Telegram and SMS, three languages, a few topics), with
MESSAGES rows each in the outbox and in the inbound log spread over the last 30 days,
then serves the real app (`build_app`, ADMIN_PASSWORD set, no provider configured) and
times, through a signed-in client, the dashboard, a subscriber search by last digits, a
search by name, a contact's page, the broadcast preview of a draft to everyone and the
live progress call. Prints the median and p95 of REPEAT requests each.

    .venv/bin/python bench/console.py                  # SQLite, 50,000 contacts
    .venv/bin/python bench/console.py --postgres --contacts 50000 --messages 10
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery import database

from bot.broadcasts import Draft, create
from bot.config import Settings
from bot.runtime import open_runtime
from bot.store.tables import contacts, inbound_log, outbox, subscriptions
from bot.web.app import build_app
from handlers import HANDLERS
from tests.support.console import browser, sign_in

PASSWORD = "bench-password"
CHUNK = 5_000
LANGUAGES = ("en", "es", "ar")
TOPICS = ("*", "community-schools", "restorative-practices", "diverse-teachers")
NAMES = ("Maria", "José", "Fatima", "Ahmed", "Lucia", "John", "Amal", "Rosa")


def contact_rows(count: int, now: datetime) -> list[dict[str, object]]:
    rng = random.Random(1)
    rows = []
    for n in range(count):
        sms = n % 2 == 0
        rows.append(
            {
                "id": n + 1,
                "channel": "sms" if sms else "telegram",
                "address": f"+1555{n:07d}" if sms else str(10_000_000 + n),
                "locale": LANGUAGES[n % 3],
                "locale_chosen": True,
                "display_name": f"{NAMES[n % len(NAMES)]} {n}",
                "opted_out": rng.random() < 0.03,
                "state": {},
                "created_at": now - timedelta(days=rng.randint(1, 300)),
                "last_seen_at": now - timedelta(minutes=rng.randint(1, 40_000)),
            }
        )
    return rows


async def seed(url: str, count: int, per_contact: int, now: datetime) -> None:
    settings = Settings(database_url=url, admin_password=PASSWORD)
    runtime = await open_runtime(settings, HANDLERS)
    rng = random.Random(2)
    try:
        people = contact_rows(count, now)
        async with runtime.engine.begin() as connection:
            for start in range(0, count, CHUNK):
                chunk = people[start : start + CHUNK]
                await connection.execute(insert(contacts), chunk)
                await connection.execute(
                    insert(subscriptions),
                    [
                        {"contact_id": p["id"], "topic_id": TOPICS[i % 4], "created_at": now}
                        for i, p in enumerate(chunk)
                    ],
                )
                sent, said = [], []
                for p in chunk:
                    for _ in range(per_contact):
                        at = now - timedelta(seconds=rng.randint(0, 30 * 86_400))
                        said.append(
                            {
                                "contact_id": p["id"],
                                "channel": p["channel"],
                                "locale": p["locale"],
                                "text": "when is the next session?",
                                "created_at": at,
                            }
                        )
                        sent.append(
                            {
                                "channel": p["channel"],
                                "address": p["address"],
                                "contact_id": p["id"],
                                "kind": "reply",
                                "priority": 0,
                                "locale": p["locale"],
                                "body": "The next session is on Thursday.",
                                "buttons": [],
                                "status": rng.choice(("sent", "delivered", "delivered", "failed")),
                                "send_after": at,
                                "attempts": 1,
                                "created_at": at,
                                "sent_at": at,
                            }
                        )
                await connection.execute(insert(inbound_log), said)
                await connection.execute(insert(outbox), sent)
    finally:
        await runtime.close()


async def timed(client: aiohttp.ClientSession, path: str, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        async with client.get(path) as response:
            await response.read()
            assert response.status == 200, (path, response.status)
        seconds.append(time.perf_counter() - began)
    return seconds


async def measure(url: str, repeat: int, port: int) -> list[tuple[str, list[float]]]:
    settings = Settings(database_url=url, admin_password=PASSWORD, port=port)
    runtime = await open_runtime(settings, HANDLERS)
    async with runtime.engine.begin() as connection:
        draft = await create(connection, Draft({"en": "Family night on Friday."}), runtime.clock())
        first = await connection.scalar(select(contacts.c.id).limit(1))
    app = build_app(settings, runtime=runtime, workers=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        async with browser(base) as client:
            response = await sign_in(client, PASSWORD)
            assert response.status == 303
            for label, path in (
                ("dashboard", "/admin/"),
                ("search by last 4 digits", "/admin/subscribers?q=4567"),
                ("search by name", "/admin/subscribers?q=fatima"),
                ("a contact's page", f"/admin/subscribers/{first}"),
                ("broadcast preview (everyone)", f"/admin/broadcasts/{draft}"),
                ("progress call", f"/admin/api/broadcasts/{draft}/progress"),
            ):
                await timed(client, path, 2)
                results.append((label, await timed(client, path, repeat)))
    finally:
        await runner.cleanup()
        await runtime.close()
    return results


def milliseconds(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f}"


async def run(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        async with database(args.postgres, Path(folder)) as url:
            began = time.perf_counter()
            await seed(url, args.contacts, args.messages, now)
            kind = re.sub(r"\+.*", "", url.split(":")[0])
            print(
                f"{kind}: {args.contacts:,} contacts, {args.contacts * args.messages:,} "
                f"messages each way, seeded in {time.perf_counter() - began:.1f} s"
            )
            print(f"{'page':32} {'median ms':>10} {'p95 ms':>8}")
            for label, seconds in await measure(url, args.repeat, args.port):
                median = statistics.median(seconds) * 1000
                print(f"{label:32} {median:10.0f} {milliseconds(seconds, 0.95):>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=10, help="per contact, each way")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--port", type=int, default=8791)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
