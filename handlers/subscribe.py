"""Reminder subscriptions by word: to every session or to one topic, and how early.

Every answer says what the person now gets and how early, because on SMS the reply is
the only record they have of it, and tells them how to change it or turn it off.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel.lists import format_list

from bot.i18n import Translator
from bot.messages import InboundMessage, Reply
from bot.router import Match
from bot.store import subscriptions
from catalog.models import Topic
from catalog.normalize import stem, tokens
from handlers.context import Context
from handlers.lead_times import (
    DAY,
    HOUR,
    MIN_LEAD_MINUTES,
    WEEK,
    LeadTimes,
    parse_lead_times,
)
from handlers.render import text


def _topic_named(query: str, topics: Iterable[Topic]) -> Topic | None:
    """The topic whose name or keywords share the most words with `query`, if any."""
    wanted = {stem(t) for t in tokens(query) if len(t) > 2}
    best: tuple[int, Topic] | None = None
    for topic in topics:
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


def _duration(minutes: int, tr: Translator) -> str:
    """One lead time in the largest unit that states it exactly: "1 day", "90 minutes"."""
    if minutes % WEEK == 0:
        return tr.ngettext("{n} week", "{n} weeks", minutes // WEEK)
    if minutes % DAY == 0:
        return tr.ngettext("{n} day", "{n} days", minutes // DAY)
    if minutes % HOUR == 0:
        return tr.ngettext("{n} hour", "{n} hours", minutes // HOUR)
    return tr.ngettext("{n} minute", "{n} minutes", minutes)


def _durations(leads: Iterable[int], tr: Translator) -> str:
    """Several lead times as one phrase: "1 day and 1 hour", "1 día y 1 hora"."""
    return format_list([_duration(m, tr) for m in leads], locale=tr.language)


def _subjects(topic_ids: Iterable[str], ctx: Context) -> str:
    """What the reminders are about, in the reader's language: "every session, Equity"."""
    names = []
    for topic_id in topic_ids:
        if topic_id == subscriptions.ALL_SESSIONS:
            names.append(ctx.tr.gettext("every session"))
        elif topic := ctx.catalog.topic(topic_id):
            names.append(text(topic.name, ctx.tr))
        else:
            # A topic since removed from the catalog: the subscription is still there.
            names.append(topic_id)
    return format_list(names, locale=ctx.tr.language)


def _when(leads: Iterable[int], tr: Translator) -> str:
    return tr.gettext("I remind you {leads} before each session.", leads=_durations(leads, tr))


def _change_hint(tr: Translator) -> str:
    return tr.gettext("To change when, send e.g. REMIND ME 2 HOURS BEFORE.")


def _stop_hint(tr: Translator) -> str:
    return tr.gettext("To turn them off, send NO REMINDERS.")


def _hints(tr: Translator) -> str:
    return _change_hint(tr) + "\n" + _stop_hint(tr)


def _done(leads: Iterable[int], topic: Topic | None, tr: Translator) -> str:
    if topic is None:
        return tr.gettext(
            "Done! I will remind you {leads} before each session.", leads=_durations(leads, tr)
        )
    return tr.gettext(
        'Done! I will remind you {leads} before each session about "{topic}".',
        leads=_durations(leads, tr),
        topic=text(topic.name, tr),
    )


async def subscribe(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    """Subscribe to every session or a topic, or choose how early ("2 hours before")."""
    leads = parse_lead_times(match.argument)
    if leads is not None:
        return await _choose_leads(leads, ctx)
    tr = ctx.tr
    topic = _topic_named(match.argument, ctx.catalog.topics)
    topic_id = topic.id if topic else subscriptions.ALL_SESSIONS
    added = await subscriptions.subscribe(ctx.db, ctx.contact.id, topic_id, ctx.now)
    current = await subscriptions.lead_minutes_of(ctx.db, ctx.contact.id)
    if added:
        return [Reply(_done(current, topic, tr) + "\n" + _hints(tr))]
    if topic is not None:
        already = tr.gettext(
            'You already get reminders about "{topic}".', topic=text(topic.name, tr)
        )
    else:
        already = tr.gettext("You already get reminders for every session.")
    # Kept to one SMS: they asked to subscribe, not to stop.
    return [Reply(already + "\n" + _when(current, tr) + "\n" + _change_hint(tr))]


async def _choose_leads(leads: LeadTimes, ctx: Context) -> list[Reply]:
    """Store the lead times asked for, all or none: half of a request is a surprise.

    Someone with no subscription yet gets every session (or the topic they name), since
    asking to be reminded 2 hours before means wanting reminders at all.
    """
    tr = ctx.tr
    if leads.out_of_range:
        return [
            Reply(
                tr.gettext(
                    "Sorry, I can remind you between {shortest} and {longest} before a "
                    "session. For example, send REMIND ME 2 HOURS BEFORE.",
                    shortest=_duration(MIN_LEAD_MINUTES, tr),
                    longest=_duration(subscriptions.MAX_LEAD_MINUTES, tr),
                )
            )
        ]
    topic = _topic_named(leads.rest, ctx.catalog.topics)
    if topic is not None:
        await subscriptions.subscribe(ctx.db, ctx.contact.id, topic.id, ctx.now)
    elif not await subscriptions.topics_of(ctx.db, ctx.contact.id):
        await subscriptions.subscribe(ctx.db, ctx.contact.id, subscriptions.ALL_SESSIONS, ctx.now)
    chosen = await subscriptions.set_lead_minutes(ctx.db, ctx.contact.id, leads.minutes)
    return [Reply(_done(chosen, topic, tr) + "\n" + _stop_hint(tr))]


async def unsubscribe(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    """Stop the reminders about one topic when one is named, otherwise all of them."""
    tr = ctx.tr
    followed = await subscriptions.topics_of(ctx.db, ctx.contact.id)
    candidates = [t for t in ctx.catalog.topics if t.id in followed]
    topic = _topic_named(match.argument, candidates)
    if topic is not None:
        await subscriptions.unsubscribe(ctx.db, ctx.contact.id, topic.id)
        stopped = tr.gettext(
            'You will no longer get reminders about "{topic}".', topic=text(topic.name, tr)
        )
        remaining = [topic_id for topic_id in followed if topic_id != topic.id]
        if not remaining:
            none_left = tr.gettext("You have no reminders. Send SUBSCRIBE to get them.")
            return [Reply(stopped + "\n" + none_left)]
        still = tr.gettext(
            "You still get reminders for: {subjects}.", subjects=_subjects(remaining, ctx)
        )
        return [Reply(stopped + "\n" + still)]
    removed = await subscriptions.unsubscribe_all(ctx.db, ctx.contact.id)
    if not removed:
        return [Reply(tr.gettext("You have no reminders. Send SUBSCRIBE to get them."))]
    return [Reply(tr.gettext("Reminders are off. You can still ask me about sessions any time."))]


async def my_reminders(message: InboundMessage, match: Match, ctx: Context) -> list[Reply]:
    """What the contact is subscribed to and how early, with how to change or stop it."""
    tr = ctx.tr
    followed = await subscriptions.topics_of(ctx.db, ctx.contact.id)
    if not followed:
        return [Reply(tr.gettext("You have no reminders. Send SUBSCRIBE to get them."))]
    leads = await subscriptions.lead_minutes_of(ctx.db, ctx.contact.id)
    lines = [
        tr.gettext("You get reminders for: {subjects}.", subjects=_subjects(followed, ctx)),
        _when(leads, tr),
        _hints(tr),
    ]
    return [Reply("\n".join(lines))]
