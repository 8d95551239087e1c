"""`python main.py broadcast …`: an organizer's announcement from the terminal.

create (a draft, with its preview) → send (asks for confirmation, then shows a progress
bar until every message is settled) → status / cancel / list. Sending itself is done by
`serve` or `worker`, whichever holds the channel; the terminal only queues and watches,
so closing it never stops a broadcast, and Ctrl-C stops only the watching.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from bot import broadcasts
from bot.broadcasts import BroadcastStatus, Draft, Preview, Progress
from bot.config import Settings
from bot.errors import BroadcastError
from bot.fanout import Audience
from bot.messages import ChannelName
from bot.runtime import utc_now
from bot.store import catalog_repo
from bot.store.engine import create_engine, upgrade
from catalog.models import LANGUAGES

WATCH_SECONDS = 0.5
# With no message settled for this long, say that no sender seems to be running.
IDLE_HINT = timedelta(seconds=15)
# As in the console: "later" means later, and within a year (a typo like 2062 is caught).
MAX_AHEAD = timedelta(days=366)
# Ids are 64-bit integers in the database; a larger number is a typo, not a broadcast.
MAX_ID = 2**63 - 1


def id_argument(text: str) -> int:
    """A broadcast id argument; argparse says what is wrong with anything else."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise argparse.ArgumentTypeError(f"not a broadcast number: {text!r}")
    return int(text)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("broadcast", help="announce something to subscribers")
    actions = parser.add_subparsers(dest="action", required=True)

    create = actions.add_parser("create", help="write a draft and see who it reaches and cost")
    create.add_argument("--text", required=True, help="the English text (the fallback)")
    create.add_argument("--text-es", default="", help="the Spanish text")
    create.add_argument("--text-ar", default="", help="the Arabic text")
    create.add_argument(
        "--lang", action="append", choices=("en", "es", "ar"), help="only these languages"
    )
    create.add_argument(
        "--channel", action="append", choices=("telegram", "sms"), help="only these channels"
    )
    create.add_argument("--topic", action="append", help="only subscribers of these topic ids")
    create.add_argument(
        "--everyone",
        action="store_true",
        help="everyone who wrote to the bot and did not opt out, not only subscribers",
    )
    create.add_argument(
        "--at", help="send later: 'YYYY-MM-DD HH:MM' in BOT_TIMEZONE, or ISO 8601 with offset"
    )

    send = actions.add_parser("send", help="confirm and send a draft, then watch it")
    send.add_argument("id", type=id_argument)
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.add_argument("--no-watch", action="store_true", help="return once it is queued")

    status = actions.add_parser("status", help="where a broadcast stands")
    status.add_argument("id", type=id_argument, nargs="?", help="default: the newest")
    status.add_argument("--watch", action="store_true", help="follow it until it is done")

    actions.add_parser("cancel", help="stop a broadcast; what is queued is not sent").add_argument(
        "id", type=id_argument
    )
    actions.add_parser("list", help="the most recent broadcasts")


def parse_time(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The moment `--at` names, which must be ahead of `now` and within a year of it."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise BroadcastError(
            f"--at {text!r} is not a date and time like 2026-12-01 18:00"
        ) from error
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    try:
        ahead = moment - now
    except OverflowError:  # year 1 or 9999 with an offset that takes it off the calendar
        ahead = MAX_AHEAD * 2 if moment.year > now.year else -MAX_AHEAD
    if ahead <= timedelta(0):
        raise BroadcastError(f"--at {text!r} has passed: choose a time in the future")
    if ahead > MAX_AHEAD:
        raise BroadcastError(f"--at {text!r} is more than a year ahead")
    return moment


def format_preview(preview: Preview, zone: ZoneInfo) -> str:
    lines = [f"Broadcast {preview.broadcast_id} ({preview.status.value})", "Recipients:"]
    channels = (ChannelName.TELEGRAM, ChannelName.SMS)
    lines.append(f"  {'language':<10}{'telegram':>10}{'sms':>10}{'total':>10}")
    for language in LANGUAGES:
        counts = [preview.counts.get((language, channel), 0) for channel in channels]
        lines.append(f"  {language:<10}{counts[0]:>10}{counts[1]:>10}{sum(counts):>10}")
    lines.append(f"  {'all':<10}{'':>10}{'':>10}{preview.total:>10}")
    lines.append("Texts:")
    for item in preview.languages:
        note = " — no text of its own: gets the English one" if item.fallback else ""
        lines.append(
            f"  {item.language}: {item.characters} characters, {item.encoding.value.upper()}, "
            f"{item.segments} SMS segment(s) each{note}"
        )
    lines.append(
        f"SMS: {preview.sms_segments} segments, about ${preview.cost:,.2f}; Telegram is free"
    )
    first = preview.first_send.astimezone(zone)
    lines.append(
        f"Starts {first:%Y-%m-%d %H:%M} ({zone.key}), takes about "
        f"{_duration(preview.seconds)} at the configured rate limits"
    )
    return "\n".join(lines)


def format_progress(progress: Progress) -> str:
    return (
        f"Broadcast {progress.broadcast_id} ({progress.status.value}): "
        f"{progress.recipients} recipients — {progress.sent} sent, {progress.delivered} delivered, "
        f"{progress.failed} failed, {progress.opted_out} opted out during it, "
        f"{progress.cancelled} cancelled, {progress.queued + progress.sending} to go"
    )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


async def run(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await _dispatch(args, settings, engine, utc_now)
    except BroadcastError as error:
        print(f"broadcast: {error}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()


async def _dispatch(
    args: argparse.Namespace,
    settings: Settings,
    engine: AsyncEngine,
    clock: Callable[[], datetime],
) -> int:
    zone = settings.zone
    if args.action == "create":
        if args.topic:
            async with engine.connect() as connection:
                known = {topic.id for topic in (await catalog_repo.load(connection)).topics}
            unknown = sorted(set(args.topic) - known)
            if unknown:
                raise BroadcastError(f"no such topic: {', '.join(unknown)}")
        draft = Draft(
            texts={"en": args.text, "es": args.text_es, "ar": args.text_ar},
            audience=Audience(
                languages=tuple(args.lang or ()),
                channels=tuple(ChannelName(c) for c in args.channel or ()),
                topics=tuple(args.topic or ()),
                subscribed=not args.everyone,
            ),
            send_at=parse_time(args.at, zone, clock()) if args.at else None,
        )
        async with engine.begin() as connection:
            broadcast_id = await broadcasts.create(connection, draft, clock())
            preview = await broadcasts.preview(connection, broadcast_id, settings, clock())
        print(format_preview(preview, zone))
        print(f"To send it: python main.py broadcast send {broadcast_id}")
        return 0
    if args.action == "send":
        return await _send(args, settings, engine, clock)
    if args.action == "cancel":
        async with engine.begin() as connection:
            dropped = await broadcasts.cancel(connection, args.id, clock())
        print(f"broadcast {args.id} cancelled: {dropped} queued messages will not be sent")
        return 0
    if args.action == "list":
        async with engine.connect() as connection:
            rows = await broadcasts.recent(connection)
        for row in rows:
            text = row.texts["en"].replace("\n", " ")
            print(
                f"{row.id:>5}  {row.status:<10} {row.send_at.astimezone(zone):%Y-%m-%d %H:%M}  "
                f"{row.recipients:>7}  {text[:50]}"
            )
        return 0
    wanted: int | None = args.id
    if wanted is None:
        async with engine.connect() as connection:
            wanted = await broadcasts.latest(connection)
    if wanted is None:
        raise BroadcastError("there are no broadcasts yet")
    if args.watch:
        return await _watch(engine, wanted, clock)
    async with engine.connect() as connection:
        print(format_progress(await broadcasts.progress(connection, wanted)))
    return 0


async def _send(
    args: argparse.Namespace,
    settings: Settings,
    engine: AsyncEngine,
    clock: Callable[[], datetime],
) -> int:
    async with engine.connect() as connection:
        preview = await broadcasts.preview(connection, args.id, settings, clock())
    print(format_preview(preview, settings.zone))
    if preview.status is not BroadcastStatus.DRAFT:
        raise BroadcastError(f"broadcast {args.id} is already {preview.status.value}")
    if not args.yes:
        try:
            answer = await asyncio.to_thread(input, f"Send to {preview.total} people? Type yes: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            print("not sent; the draft is kept")
            return 1
    async with engine.begin() as connection:
        status = await broadcasts.send(connection, args.id, settings, clock())
    if status is BroadcastStatus.SCHEDULED:
        print(f"scheduled for {preview.first_send.astimezone(settings.zone):%Y-%m-%d %H:%M}")
        return 0
    if args.no_watch:
        print(f"queued; follow it with: python main.py broadcast status {args.id} --watch")
        return 0
    return await _watch(engine, args.id, clock)


async def _watch(engine: AsyncEngine, broadcast_id: int, clock: Callable[[], datetime]) -> int:
    """A progress bar until nothing is left to send; Ctrl-C leaves the broadcast running."""
    async with engine.connect() as connection:
        progress = await broadcasts.progress(connection, broadcast_id)
    bar = tqdm(total=progress.recipients, unit="msg", desc=f"broadcast {broadcast_id}")
    last_change, settled, hinted = clock(), -1, False
    with bar, contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        while True:
            async with engine.connect() as connection:
                progress = await broadcasts.progress(connection, broadcast_id)
            bar.total = progress.recipients
            bar.n = progress.settled
            bar.set_postfix(
                sent=progress.sent + progress.delivered,
                failed=progress.failed,
                opted_out=progress.opted_out,
            )
            bar.refresh()
            if progress.settled != settled:
                last_change, settled = clock(), progress.settled
            elif not hinted and clock() - last_change > IDLE_HINT:
                bar.write("nothing has moved for a while: is `serve` or `worker` running?")
                hinted = True
            if progress.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED) or (
                progress.recipients and not progress.queued + progress.sending
            ):
                break
            await asyncio.sleep(WATCH_SECONDS)
    print(format_progress(progress))
    return 0
