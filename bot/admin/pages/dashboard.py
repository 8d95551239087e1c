"""The dashboard: who is subscribed, what went in and out, the next session's reminders.

Figures come from `bot.admin.stats` (aggregate queries); this module only words them
in the console's language and on the bot's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date
from markupsafe import Markup

from bot.admin import audience_wording as wording
from bot.admin import stats
from bot.admin.chart import Series, bar_chart
from bot.admin.i18n import current_language
from bot.admin.i18n import gettext as _
from bot.admin.views import engine, now, render, services

routes = web.RouteTableDef()

IN_COLOR = "#7fb3e6"
OUT_COLOR = "#1f5fbf"


@routes.get("/")
async def dashboard_page(request: web.Request) -> web.Response:
    settings = services(request).settings
    zone = settings.zone
    moment = now(request)
    week_start = stats.day_starts(moment, zone, stats.WEEK_DAYS)[0]
    async with engine(request).connect() as connection:
        catalog = (await services(request).runtime.catalog.current(connection)).catalog
        people = await stats.people(connection)
        traffic = await stats.traffic(connection, moment, zone)
        delivery = await stats.delivery(connection, week_start)
        opt_outs = await stats.opt_outs(connection, week_start)
        upcoming = await stats.next_session(connection, catalog, moment, settings.bot_timezone)
    subscribers = people.subscribers
    context = {
        "people": people,
        "traffic": traffic,
        "delivery": delivery,
        "opt_outs": opt_outs,
        "opt_out_rate": wording.percent(opt_outs / subscribers if subscribers else None),
        "languages_shown": [
            (code, wording.language_name(code), count) for code, count in people.by_language.items()
        ],
        "channels_shown": [
            (wording.channel_name(channel), count) for channel, count in people.by_channel.items()
        ],
        "topics_shown": [
            (wording.topic_name(catalog, topic), count) for topic, count in people.by_topic
        ],
        "share": lambda count: wording.percent(count / subscribers if subscribers else None),
        "chart": _chart(traffic),
        "day_label": lambda day: format_date(day, "EEE d MMM", locale=current_language.get()),
        "next": _next_session(upcoming, zone, moment) if upcoming else None,
        "zone_name": settings.bot_timezone,
        "number": wording.number,
        "percent": wording.percent,
        "channel_name": wording.channel_name,
    }
    return render(request, "dashboard.html", context)


def _chart(traffic: stats.Traffic) -> Markup:
    language = current_language.get()
    # The day of the month under each bar, the month where it starts and on the 1st: the
    # full date of each bar is in its tooltip and in the table below the chart.
    labels = [
        format_date(day.day, "d MMM", locale=language)
        if index == 0 or day.day.day == 1
        else str(day.day.day)
        for index, day in enumerate(traffic.days)
    ]
    full = [format_date(day.day, "EEE d MMM", locale=language) for day in traffic.days]
    return bar_chart(
        "traffic-chart",
        labels,
        [
            Series(_("In"), [day.messages_in for day in traffic.days], IN_COLOR),
            Series(_("Out"), [day.messages_out for day in traffic.days], OUT_COLOR),
        ],
        title=_("Messages in and out per day, last {n} days", n=len(traffic.days)),
        description=_(
            "From {first} to {last}: {total_in} messages in, {total_out} out.",
            first=full[0],
            last=full[-1],
            total_in=sum(day.messages_in for day in traffic.days),
            total_out=sum(day.messages_out for day in traffic.days),
        ),
        full_labels=full,
    )


def _next_session(upcoming: stats.NextSession, zone: ZoneInfo, moment: datetime) -> dict[str, Any]:
    session = upcoming.session
    return {
        "title": session.title.get(current_language.get()),
        "starts": wording.moment(session.starts_at, zone),
        "audience": upcoming.audience,
        "slots": [
            {
                "lead": wording.lead(slot.lead_minutes),
                "at": wording.moment(slot.at, zone),
                "people": slot.people,
                "done": slot.at <= moment,
            }
            for slot in upcoming.slots
        ],
        "skipped": [
            (wording.lead(lead), count) for lead, count in sorted(upcoming.skipped.items())
        ],
    }
