"""Choosing how early to be reminded, seeing one's reminders, and dropping one topic.

The parser is pinned as a table of what people actually type in each language; the
dialogues then prove, through the whole bot on both databases, that the choice is stored
and said back. Spanish and Arabic expectations are built with the reader's translator, so
they hold before and after the translations of the new texts land.
"""

from __future__ import annotations

import pytest

from bot.router import Intent, route
from bot.runtime import Runtime
from bot.store import contacts, subscriptions
from handlers.lead_times import LeadTimes, parse_lead_times
from tests.support.chat import Chat

# --- the parser ------------------------------------------------------------------------

PARSED = [
    # English
    ("2 hours before", (120,)),
    ("1 day and 1 hour before", (1440, 60)),
    ("30 minutes", (30,)),
    ("a day before", (1440,)),
    ("an hour before", (60,)),
    ("one week", (10080,)),
    ("the day before", (1440,)),
    ("2 days and 30 minutes before", (2880, 30)),
    ("1 day, 2 hours", (1440, 120)),
    ("an hour and a half before", (90,)),
    ("2 and a half hours", (150,)),
    ("half an hour before", (30,)),
    ("a half hour", (30,)),
    ("1 day and half an hour", (1440, 30)),
    ("quarter of an hour", (15,)),
    ("a couple of hours before", (120,)),
    ("twenty five minutes", (25,)),
    ("2h", (120,)),
    ("30min before", (30,)),
    ("48 hrs", (2880,)),
    ("1 hour and 60 minutes", (60,)),
    # Spanish (accents already folded by the router, but the parser folds them too)
    ("2 horas antes", (120,)),
    ("1 día y 1 hora antes", (1440, 60)),
    ("una hora antes", (60,)),
    ("un dia antes", (1440,)),
    ("media hora", (30,)),
    ("una hora y media antes", (90,)),
    ("dos horas y media", (150,)),
    ("tres dias antes", (4320,)),
    ("quince minutos antes", (15,)),
    ("un cuarto de hora", (15,)),
    ("un par de horas", (120,)),
    ("una semana antes", (10080,)),
    ("el dia antes", (1440,)),
    # Arabic: the singular is one, the dual two; "و" and "ب" are written joined
    ("قبل ساعتين", (120,)),
    ("قبل يوم", (1440,)),
    ("قبل ساعة و يوم", (60, 1440)),
    ("قبل ساعة ويوم", (60, 1440)),
    ("قبل 3 ساعات", (180,)),
    ("قبل ٣ ساعات", (180,)),
    ("قبل أسبوع", (10080,)),
    ("قبل نصف ساعة", (30,)),
    ("قبل يومين", (2880,)),
    ("قبل ربع ساعة", (15,)),
    ("قبل ساعتين ونصف", (150,)),
    ("قبل الجلسة بيوم", (1440,)),
    ("قبل خمسة عشر دقيقة", (15,)),
    ("قبل ثلاث ساعات", (180,)),
    ("قبل يوم واحد", (1440,)),
    ("قبل 30 دقيقة", (30,)),
]


@pytest.mark.parametrize(("text", "minutes"), PARSED)
def test_durations_are_read_in_english_spanish_and_arabic(
    text: str, minutes: tuple[int, ...]
) -> None:
    parsed = parse_lead_times(text)
    assert parsed is not None, text
    assert parsed.minutes == minutes
    assert parsed.out_of_range == ()


NOT_DURATIONS = [
    "",
    "about safety",
    "about teachers",
    "me please",
    "at 5 pm",
    "every day",
    "family day",
    "the day of the session",
    "hours",
    "1",
    "a las 5",
    "sobre seguridad escolar",
    "الساعة 5",
    "عن سلامة المدارس",
]


@pytest.mark.parametrize("text", NOT_DURATIONS)
def test_texts_without_a_duration_are_not_a_lead_time_choice(text: str) -> None:
    assert parse_lead_times(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 minutes before", LeadTimes((), (2,), "before")),
        ("0 hours", LeadTimes((), (0,), "")),
        ("8 days before", LeadTimes((), (11520,), "before")),
        ("2 weeks", LeadTimes((), (20160,), "")),
        ("1 day and 2 weeks", LeadTimes((1440,), (20160,), "")),
        ("قبل دقيقتين", LeadTimes((), (2,), "قبل")),
    ],
)
def test_leads_shorter_than_five_minutes_or_longer_than_a_week_are_set_apart(
    text: str, expected: LeadTimes
) -> None:
    assert parse_lead_times(text) == expected


def test_at_most_three_leads_are_kept_in_the_order_named() -> None:
    parsed = parse_lead_times("1 week, 1 day, 1 hour and 30 minutes")
    assert parsed is not None
    assert parsed.minutes == (10080, 1440, 60)


def test_the_words_around_the_durations_are_kept_for_a_topic() -> None:
    parsed = parse_lead_times("about school safety 2 hours before")
    assert parsed is not None
    assert parsed.rest == "about school safety before"


@pytest.mark.parametrize(
    ("message", "minutes"),
    [
        ("remind me 2 hours before", (120,)),
        ("Recuérdame 1 día antes", (1440,)),
        ("avísame media hora antes", (30,)),
        ("ذكرني قبل ساعتين", (120,)),
        ("تذكير قبل ٣ ساعات", (180,)),
    ],
)
def test_the_routers_subscribe_argument_is_what_the_parser_reads(
    message: str, minutes: tuple[int, ...]
) -> None:
    match = route(message)
    assert match.intent is Intent.SUBSCRIBE
    parsed = parse_lead_times(match.argument)
    assert parsed is not None
    assert parsed.minutes == minutes


# --- dialogues ---------------------------------------------------------------------------


async def stored(runtime: Runtime, chat: Chat) -> tuple[tuple[int, ...], list[str]]:
    """The contact's lead times and subscriptions as the scheduler will read them."""
    async with runtime.engine.connect() as connection:
        contact = await contacts.find(connection, chat.address)
        assert contact is not None
        leads = await subscriptions.lead_minutes_of(connection, contact.id)
        return leads, await subscriptions.topics_of(connection, contact.id)


async def test_choosing_two_hours_before_is_stored_and_stated_back(
    runtime: Runtime, chat: Chat
) -> None:
    answer = await chat.reply("remind me 2 hours before")
    assert "Done! I will remind you 2 hours before each session." in answer
    assert "To turn them off, send NO REMINDERS." in answer
    assert await stored(runtime, chat) == ((120,), ["*"])


@pytest.mark.parametrize(
    ("message", "minutes", "said"),
    [
        ("remind me 1 week and 2 hours before", (10080, 120), "1 week and 2 hours"),
        ("remind me 2 days and 30 minutes before", (2880, 30), "2 days and 30 minutes"),
        ("remind me an hour and a half before", (90,), "90 minutes"),
    ],
)
async def test_several_leads_in_one_message_are_all_kept(
    runtime: Runtime, chat: Chat, message: str, minutes: tuple[int, ...], said: str
) -> None:
    answer = await chat.reply(message)
    assert f"I will remind you {said} before each session." in answer
    assert await stored(runtime, chat) == (minutes, ["*"])


async def test_one_day_and_one_hour_is_the_default_again(runtime: Runtime, chat: Chat) -> None:
    await chat.say("remind me 2 hours before")
    answer = await chat.reply("remind me 1 day and 1 hour before")
    assert "I will remind you 1 day and 1 hour before each session." in answer
    assert await stored(runtime, chat) == (subscriptions.DEFAULT_LEAD_MINUTES, ["*"])


@pytest.mark.parametrize(
    ("language", "message", "minutes", "units"),
    [
        ("español", "recuérdame 1 día y 2 horas antes", (1440, 120), (("day", 1), ("hour", 2))),
        ("español", "avísame media hora antes", (30,), (("minute", 30),)),
        ("español", "quiero recordatorios una semana antes", (10080,), (("week", 1),)),
        ("عربي", "ذكرني قبل ساعتين", (120,), (("hour", 2),)),
        ("عربي", "ذكرني قبل ساعة ويومين", (2880, 60), (("day", 2), ("hour", 1))),
        ("عربي", "تذكير قبل ٣ ساعات", (180,), (("hour", 3),)),
        ("عربي", "ذكرني قبل نصف ساعة", (30,), (("minute", 30),)),
    ],
)
async def test_spanish_and_arabic_lead_times_are_stored_and_said_in_that_language(
    runtime: Runtime,
    chat: Chat,
    language: str,
    message: str,
    minutes: tuple[int, ...],
    units: tuple[tuple[str, int], ...],
) -> None:
    await chat.say(language)
    answer = await chat.reply(message)
    assert await stored(runtime, chat) == (minutes, ["*"])
    tr = runtime.i18n["es" if language == "español" else "ar"]
    for unit, n in units:
        assert tr.ngettext(f"{{n}} {unit}", f"{{n}} {unit}s", n) in answer


@pytest.mark.parametrize(
    "message",
    ["remind me 10 days before", "remind me 2 minutes before", "remind me 1 day and 2 weeks"],
)
async def test_a_lead_out_of_range_is_refused_and_changes_nothing(
    runtime: Runtime, chat: Chat, message: str
) -> None:
    await chat.say("remind me 2 hours before")
    answer = await chat.reply(message)
    assert answer == (
        "Sorry, I can remind you between 5 minutes and 1 week before a session. "
        "For example, send REMIND ME 2 HOURS BEFORE."
    )
    assert await stored(runtime, chat) == ((120,), ["*"])


async def test_a_refused_lead_does_not_subscribe_anyone(runtime: Runtime, chat: Chat) -> None:
    await chat.say("ذكرني قبل أسبوعين")
    assert await stored(runtime, chat) == (subscriptions.DEFAULT_LEAD_MINUTES, [])


async def test_a_lead_time_and_a_topic_in_one_message_subscribe_to_that_topic(
    runtime: Runtime, chat: Chat
) -> None:
    answer = await chat.reply("remind me about mental health 30 minutes before")
    assert 'I will remind you 30 minutes before each session about "Mental health".' in answer
    assert await stored(runtime, chat) == ((30,), ["mental-health"])


async def test_a_plain_subscribe_states_the_default_leads_in_one_sms(chat: Chat) -> None:
    answer = await chat.reply("subscribe")
    assert answer == (
        "Done! I will remind you 1 day and 1 hour before each session.\n"
        "To change when, send e.g. REMIND ME 2 HOURS BEFORE.\n"
        "To turn them off, send NO REMINDERS."
    )
    assert len(answer) <= 160


async def test_subscribing_to_a_topic_states_the_leads_already_chosen(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("remind me 2 hours before")
    answer = await chat.reply("remind me about school safety")
    assert 'Done! I will remind you 2 hours before each session about "School safety".' in answer
    assert await stored(runtime, chat) == ((120,), ["*", "school-safety"])


async def test_subscribing_again_says_so_and_how_early(chat: Chat) -> None:
    await chat.say("remind me 3 hours before")
    answer = await chat.reply("subscribe")
    assert answer.splitlines() == [
        "You already get reminders for every session.",
        "I remind you 3 hours before each session.",
        "To change when, send e.g. REMIND ME 2 HOURS BEFORE.",
    ]


async def test_a_topic_request_without_a_duration_keeps_the_default_leads(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("remind me about safety")
    assert await stored(runtime, chat) == (subscriptions.DEFAULT_LEAD_MINUTES, ["school-safety"])


async def test_my_reminders_lists_topics_and_lead_times(chat: Chat) -> None:
    await chat.say("remind me about school safety")
    await chat.say("remind me about mental health")
    await chat.say("remind me 1 day before")
    answer = await chat.reply("my reminders")
    assert answer.splitlines() == [
        "You get reminders for: School safety and Mental health.",
        "I remind you 1 day before each session.",
        "To change when, send e.g. REMIND ME 2 HOURS BEFORE.",
        "To turn them off, send NO REMINDERS.",
    ]


@pytest.mark.parametrize(
    ("language", "ask", "names"),
    [
        ("español", "mis recordatorios", ("Seguridad escolar", "Salud mental")),
        ("عربي", "تذكيراتي", ("سلامة المدارس", "الصحة النفسية")),
    ],
)
async def test_my_reminders_names_topics_in_the_readers_language(
    runtime: Runtime, chat: Chat, language: str, ask: str, names: tuple[str, ...]
) -> None:
    await chat.say(language)
    await chat.say("remind me about school safety")
    await chat.say("remind me about mental health")
    answer = await chat.reply(ask)
    tr = runtime.i18n["es" if language == "español" else "ar"]
    for name in names:
        assert name in answer
    assert tr.ngettext("{n} day", "{n} days", 1) in answer


async def test_my_reminders_with_none_says_how_to_subscribe(chat: Chat) -> None:
    answer = await chat.reply("my reminders")
    assert answer == "You have no reminders. Send SUBSCRIBE to get them."


async def test_my_reminders_for_every_session(chat: Chat) -> None:
    await chat.say("subscribe")
    answer = await chat.reply("my reminders")
    assert "You get reminders for: every session." in answer
    assert "I remind you 1 day and 1 hour before each session." in answer


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("english", "no reminders about safety"),
        ("español", "sin recordatorios de seguridad"),
        ("عربي", "إلغاء التذكير سلامة المدارس"),
    ],
)
async def test_unsubscribing_from_one_topic_keeps_the_others(
    runtime: Runtime, chat: Chat, language: str, message: str
) -> None:
    await chat.say(language)
    await chat.say("remind me about school safety")
    await chat.say("remind me about mental health")
    answer = await chat.reply(message)
    assert await stored(runtime, chat) == (subscriptions.DEFAULT_LEAD_MINUTES, ["mental-health"])
    if language == "english":
        assert answer.splitlines() == [
            'You will no longer get reminders about "School safety".',
            "You still get reminders for: Mental health.",
        ]


async def test_unsubscribing_from_the_last_topic_says_none_are_left(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("remind me about mental health")
    answer = await chat.reply("stop reminders about mental health")
    assert answer.splitlines() == [
        'You will no longer get reminders about "Mental health".',
        "You have no reminders. Send SUBSCRIBE to get them.",
    ]
    assert await stored(runtime, chat) == (subscriptions.DEFAULT_LEAD_MINUTES, [])


async def test_no_reminders_without_a_topic_still_stops_them_all(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("remind me about school safety")
    await chat.say("subscribe")
    answer = await chat.reply("no reminders")
    assert answer == "Reminders are off. You can still ask me about sessions any time."
    assert (await stored(runtime, chat))[1] == []
