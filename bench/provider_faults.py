"""Provider faults during a broadcast (issue 6): retried with backoff, nothing lost, and a chat
held by a 429 holds back no one else.

A broadcast to `--recipients` subscribers (one in `--sms-every` by SMS) is sent by a real
`python main.py worker` (Telegram 30/s, SMS `--sms-rate` segments/s) to the fake Telegram
and the fake Twilio, each in a process of its own, while the fakes inject faults on a
schedule counted from the first message they receive (each message drawn at random with
a fixed seed):

| provider | from–to (s) | share | fault |
| --- | --- | --- | --- |
| both | 5–15 | 20% | HTTP 500 (Twilio 20500) |
| both | 10–40 | 1% | time-out: accepted, answered after 15 s (the clients wait 10 s) |
| Twilio | 20–30 | 10% | connection reset before anything is accepted |
| Telegram | 45–55 | 10% | the same (after the time-outs, which slow Telegram down) |
| Twilio | 15–25 | 20% | 429, code 20429 |

and `--held` Telegram chats answer their first message with 429 and `retry_after`
`--retry-after` (30 s). Each held chat also has two notices queued beside the broadcast
(a session moved, say): a hold then meets another message of the same chat in the same
batch, which must wait out the hold without keeping anyone else waiting.

Reported: the faults injected by kind, messages lost (recipients short of a message, and
outbox rows not sent), duplicates (a time-out whose request the fake had accepted is sent
again: that is the in-flight risk, and every duplicate is checked against those), when
everyone else was served (99% and all) compared with the held chats and with the rate
limits alone, the longest pause in arrivals before that, and the worker's ERROR/WARNING
lines.

    .venv/bin/python bench/provider_faults.py                 # SQLite, ~2 minutes
    .venv/bin/python bench/provider_faults.py --postgres      # a throwaway database on :5432
    .venv/bin/python bench/provider_faults.py --recipients 600 --keep
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from delivery import (
    CHAT_BASE,
    TOKEN,
    Population,
    create_and_send,
    database,
    daytime_zone,
    prepared,
    progress_of,
    run_in_folder,
    seed,
    settings_for,
    stop_process,
    utc_now,
)
from fake_providers import Burst, FakeTelegramProcess, FakeTwilioProcess, Injected
from pg_restart import (
    TELEGRAM_RATE,
    bot_env,
    bot_process,
    free_port,
    log_problems,
    longest_gap,
    phone,
)

from bot.messages import ChannelName, OutboundKind, Priority
from bot.outbox import Status
from bot.store.tables import contacts, outbox

TELEGRAM_BURSTS = (
    Burst("500", 5, 15, 0.20),
    Burst("timeout", 10, 40, 0.01, stall=15),
    Burst("reset", 45, 55, 0.10),
)
TWILIO_BURSTS = (
    Burst("500", 5, 15, 0.20),
    Burst("429", 15, 25, 0.20),
    Burst("timeout", 10, 40, 0.01, stall=15),
    Burst("reset", 20, 30, 0.10),
)
NOTICES_PER_HELD_CHAT = 2


@dataclass
class Result:
    telegram: list[tuple[float, int]] = field(default_factory=list)
    sms: list[tuple[float, str]] = field(default_factory=list)
    injected: dict[str, Injected] = field(default_factory=dict)
    started: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    attempts: Counter[int] = field(default_factory=Counter)
    unsent: list[str] = field(default_factory=list)
    worker_alive: bool = False
    worker_log: str = ""


async def queue_notices(engine: AsyncEngine, chats: list[int]) -> None:
    """Two notices for each held chat, due now: claimed in the first batch, before the bulk."""
    now = utc_now()
    async with engine.begin() as connection:
        ids = dict(
            (
                await connection.execute(
                    select(contacts.c.address, contacts.c.id).where(
                        contacts.c.channel == ChannelName.TELEGRAM.value,
                        contacts.c.address.in_([str(c) for c in chats]),
                    )
                )
            ).all()
        )
        await connection.execute(
            outbox.insert(),
            [
                {
                    "channel": ChannelName.TELEGRAM.value,
                    "address": str(chat),
                    "contact_id": ids.get(str(chat)),
                    "kind": OutboundKind.NOTICE.value,
                    "priority": Priority.NOTICE,
                    "locale": "en",
                    "body": f"Session moved ({n + 1} of {NOTICES_PER_HELD_CHAT})",
                    "buttons": [],
                    "item": "bench-held",
                    "status": Status.QUEUED.value,
                    "send_after": now,
                    "attempts": 0,
                    "created_at": now,
                }
                for chat in chats
                for n in range(NOTICES_PER_HELD_CHAT)
            ],
        )


async def outbox_state(engine: AsyncEngine, result: Result) -> None:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.kind, outbox.c.status, func.count()).group_by(
                outbox.c.kind, outbox.c.status
            )
        )
        result.statuses = {f"{kind} {status}": int(n) for kind, status, n in rows}
        attempts = await connection.execute(
            select(outbox.c.attempts, func.count()).group_by(outbox.c.attempts)
        )
        result.attempts = Counter({int(a): int(n) for a, n in attempts})
        unsent = await connection.execute(
            select(
                outbox.c.id,
                outbox.c.address,
                outbox.c.status,
                outbox.c.attempts,
                outbox.c.last_error,
            )
            .where(outbox.c.status.not_in([Status.SENT.value, Status.DELIVERED.value]))
            .limit(20)
        )
        result.unsent = [
            f"#{r.id} {r.address} {r.status} ×{r.attempts} {r.last_error}" for r in unsent
        ]


async def run(args: argparse.Namespace, folder: Path) -> Result:
    result = Result()
    held = [CHAT_BASE + n for n in range(1, args.recipients + 1) if not _is_sms(n, args)][
        : args.held
    ]
    async with database(args.postgres, folder) as url:
        engine = await prepared(url)
        try:
            zone = daytime_zone(utc_now())
            await seed(engine, Population(1, args.recipients, (zone,), sms_every=args.sms_every))
            async with (
                FakeTelegramProcess(TOKEN, bursts=TELEGRAM_BURSTS, seed=args.seed) as telegram,
                FakeTwilioProcess(bursts=TWILIO_BURSTS, seed=args.seed + 1) as twilio,
            ):
                for chat in held:
                    await telegram.call(
                        "fail_chat",
                        chat,
                        429,
                        f"Too Many Requests: retry after {args.retry_after}",
                        retry_after=args.retry_after,
                    )
                env = bot_env(url, telegram.base_url, twilio.base_url, args.sms_rate, free_port())
                async with bot_process(
                    ["worker"], env, folder, folder / "worker.log", "worker running"
                ) as worker:
                    result.started = time.time()
                    await queue_notices(engine, held)
                    broadcast_id, _ = await create_and_send(engine, settings_for(url))
                    print(f"broadcast {broadcast_id} sent to {args.recipients:,}", flush=True)
                    deadline = time.monotonic() + args.timeout
                    while time.monotonic() < deadline:
                        progress = await progress_of(engine, broadcast_id)
                        if not progress.queued and not progress.sending:
                            break
                        await asyncio.sleep(1.0)
                    await asyncio.sleep(2.0)  # the held chats' notices, anything sent twice
                    result.worker_alive = worker.returncode is None
                    await stop_process(worker)
                result.telegram, _ = await telegram.take()
                result.sms, _ = await twilio.take()
                result.injected = {
                    "Telegram": await telegram.faults(),
                    "Twilio": await twilio.faults(),
                }
            await outbox_state(engine, result)
        finally:
            await engine.dispose()
    result.worker_log = (folder / "worker.log").read_text(errors="replace")
    report(result, args, held)
    return result


def _is_sms(number: int, args: argparse.Namespace) -> bool:
    return bool(args.sms_every) and number % args.sms_every == 0


def report(result: Result, args: argparse.Namespace, held: list[int]) -> None:
    numbers = range(1, args.recipients + 1)
    want: Counter[str] = Counter()
    for n in numbers:
        want[phone(n) if _is_sms(n, args) else str(CHAT_BASE + n)] += 1
    for chat in held:
        want[str(chat)] += NOTICES_PER_HELD_CHAT
    got = Counter([str(c) for _, c in result.telegram] + [n for _, n in result.sms])
    short = {k: want[k] - got[k] for k in want if got[k] < want[k]}
    extra = {k: got[k] - want[k] for k in got if got[k] > want[k]}
    stalled = Counter(key for injected in result.injected.values() for key in injected.stalled)
    explained = sum(min(n, stalled[k]) for k, n in extra.items())
    held_keys = {str(c) for c in held}
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for at, key in sorted([(t, str(c)) for t, c in result.telegram] + list(result.sms)):
        first.setdefault(key, at)
        last[key] = at
    held_done = [last[k] for k in held_keys if k in last]
    tg_count = sum(1 for n in numbers if not _is_sms(n, args))
    start = result.started

    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n## Provider faults during a broadcast ({backend})\n")
    print("| what | figure |")
    print("| --- | --- |")
    print(
        f"| recipients | {args.recipients:,} ({tg_count:,} Telegram, "
        f"{args.recipients - tg_count:,} SMS); {len(held)} Telegram chats held by a 429 "
        f"retry_after={args.retry_after}, each with {NOTICES_PER_HELD_CHAT} notices too |"
    )
    for provider, injected in result.injected.items():
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(injected.counts.items()))
        print(f"| faults injected, {provider} | {kinds} |")
    print(
        f"| messages accepted by the fakes | {len(result.telegram):,} Telegram, "
        f"{len(result.sms):,} SMS (expected {sum(want.values()):,}) |"
    )
    print(f"| lost (messages a recipient is short of) | {sum(short.values())} |")
    print(
        f"| duplicates | {sum(extra.values())}, of which {explained} to a recipient whose "
        f"request timed out after the fake had accepted it "
        f"({sum(stalled.values())} such time-outs) |"
    )
    sms_count = args.recipients - tg_count
    flows = (
        ("Telegram", result.telegram, tg_count / TELEGRAM_RATE),
        ("SMS", result.sms, 2 * sms_count / args.sms_rate),  # two segments each
    )
    for name, arrivals, ideal in flows:
        keys = {str(key) for _, key in arrivals} - held_keys
        firsts = sorted(first[k] for k in keys)
        if not firsts:
            continue
        most = firsts[math.ceil(0.99 * len(firsts)) - 1]
        gap = longest_gap(sorted(t for t, _ in arrivals), start, most)
        print(
            f"| {name}: everyone else served | 99% by {most - start:.1f} s, all by "
            f"{firsts[-1] - start:.1f} s (the rate limit alone: {ideal:.0f} s); longest pause "
            f"before the 99%: {gap:.1f} s |"
        )
    if held_done:
        print(
            f"| held chats served (all {1 + NOTICES_PER_HELD_CHAT} messages) | "
            f"{min(held_done) - start:.1f}–{max(held_done) - start:.1f} s after the send |"
        )
    print(f"| outbox at the end | {', '.join(f'{k}: {v:,}' for k, v in result.statuses.items())} |")
    print(
        f"| attempts per message | "
        f"{', '.join(f'{a}: {n:,}' for a, n in sorted(result.attempts.items()))} |"
    )
    print(f"| worker stayed up | {'yes' if result.worker_alive else '**no**'} |")
    grouped, tracebacks = log_problems(result.worker_log)
    print(f"\nworker log: {sum(grouped.values())} ERROR/WARNING lines, {tracebacks} tracebacks")
    for message, n in grouped.most_common(12):
        print(f"    {n:5d} × {message}")
    if short:
        print(f"\nshort: {sorted(short.items())[:20]}")
    unexplained = {k: n for k, n in extra.items() if n > stalled[k]}
    if unexplained:
        print(f"\nduplicates without a time-out: {sorted(unexplained.items())[:20]}")
    if result.unsent:
        print("\noutbox rows not sent:\n" + "\n".join(f"    {row}" for row in result.unsent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--recipients", type=int, default=2_000)
    parser.add_argument("--sms-every", type=int, default=10, help="one in N recipients by SMS")
    parser.add_argument("--sms-rate", type=float, default=10.0, help="SMS segments per second")
    parser.add_argument("--held", type=int, default=5, help="Telegram chats answered 429")
    parser.add_argument("--retry-after", type=int, default=30, help="their retry_after, s")
    parser.add_argument("--seed", type=int, default=1, help="which messages meet the faults")
    parser.add_argument("--timeout", type=float, default=300, help="give up after, s")
    parser.add_argument("--keep", action="store_true", help="keep the folder with the logs")
    args = parser.parse_args()
    run_in_folder("bench-provider-faults-", args, run)


if __name__ == "__main__":
    main()
