"""Reminder subscriptions by word: to every session, or to one topic."""

from __future__ import annotations

from bot.messages import InboundMessage, Reply
from bot.router import Match
from bot.store import subscriptions
from catalog.models import Topic
from catalog.normalize import stem, tokens
from handlers.context import Context
from handlers.render import text


def _topic_named(query: str, ctx: Context) -> Topic | None:
    """The topic whose name or keywords share the most words with `query`, if any."""
    wanted = {stem(t) for t in tokens(query) if len(t) > 2}
    best: tuple[int, Topic] | None = None
    for topic in ctx.catalog.topics:
        vocabulary = {
            stem(t)
            for value in (topic.name, topic.keywords)
            for words in value.values.values()
            for t in tokens(words)
        }
        overlap = len(wanted & vocabulary)
        if overlap and (best is None or overlap > best[0]):
            best = (overlap, topic)
    return None if best is None else best[1]


async def subscribe(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    tr = ctx.tr
    topic = _topic_named(match.argument, ctx) if match.argument else None
    topic_id = topic.id if topic else subscriptions.ALL_SESSIONS
    added = await subscriptions.subscribe(ctx.db, ctx.contact.id, topic_id, ctx.now)
    if topic is not None:
        name = text(topic.name, tr)
        if not added:
            return [Reply(tr.gettext('You already get reminders about "{topic}".', topic=name))]
        confirmation = tr.gettext(
            'Done! I will remind you one day and one hour before each session about "{topic}".',
            topic=name,
        )
    else:
        if not added:
            return [Reply(tr.gettext("You already get reminders for every session."))]
        confirmation = tr.gettext(
            "Done! I will remind you one day and one hour before each session."
        )
    return [Reply(confirmation + "\n" + tr.gettext("To turn them off, send NO REMINDERS."))]


async def unsubscribe(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    tr = ctx.tr
    removed = await subscriptions.unsubscribe_all(ctx.db, ctx.contact.id)
    if not removed:
        return [Reply(tr.gettext("You have no reminders. Send SUBSCRIBE to get them."))]
    return [Reply(tr.gettext("Reminders are off. You can still ask me about sessions any time."))]


async def my_reminders(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    raise NotImplementedError("being written")
