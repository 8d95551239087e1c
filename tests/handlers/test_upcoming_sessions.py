"""The next session when one is scheduled: local date and time, language, link fallback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.runtime import Runtime
from bot.store import catalog_repo
from catalog.io import BUNDLED_CATALOG, load_catalog
from catalog.models import Catalog, SessionStatus
from tests.support.chat import Chat

UPCOMING = Path(__file__).parent.parent / "fixtures" / "upcoming.yaml"


@pytest.fixture
async def with_upcoming(runtime: Runtime) -> Runtime:
    async with runtime.engine.begin() as connection:
        stored = await catalog_repo.load(connection)
        await catalog_repo.save(connection, load_catalog(UPCOMING, base=stored), runtime.clock())
    return runtime


@pytest.mark.parametrize(
    ("greeting", "question", "expected"),
    [
        (
            "hello",
            "next session?",
            (
                "Next session:",
                "Family Voice in Community Schools",
                "Thursday, December 3, 2026 at 5:30\u202fPM (Pacific Time)",
                "Join here: https://futureoflearningca.org/shared-learning/",
                "1 more session is coming up. Send SESSIONS to see it.",
            ),
        ),
        (
            "hola",
            "¿cuándo es la próxima sesión?",
            (
                "Próxima sesión:",
                "La voz de las familias en las escuelas comunitarias",
                "jueves, 3 de diciembre de 2026 a las 17:30 (hora del Pacífico)",
                "https://futureoflearningca.org/shared-learning/?lang=es",
                "Viene 1 sesión más.",
            ),
        ),
        (
            "مرحبا",
            "متى الجلسة القادمة",
            (
                "الجلسة القادمة:",
                "صوت الأسر في المدارس المجتمعية",
                "الخميس، 3 ديسمبر 2026 الساعة 5:30 م (توقيت المحيط الهادي)",
                "https://futureoflearningca.org/shared-learning/?lang=ar",
                "هناك جلسة أخرى قادمة.",
            ),
        ),
    ],
)
async def test_next_session_is_shown_in_local_time_and_the_readers_language(
    with_upcoming: Runtime, chat: Chat, greeting: str, question: str, expected: tuple[str, ...]
) -> None:
    await chat.say(greeting)
    answer = await chat.reply(question)
    for fragment in expected:
        assert fragment in answer


async def test_sessions_list_puts_upcoming_before_recordings(
    with_upcoming: Runtime, chat: Chat
) -> None:
    answer = await chat.reply("sessions")
    lines = answer.splitlines()
    assert lines[0] == "Coming up first, then recordings of past sessions:"
    assert lines[1].startswith("1. December 3, 2026: Family Voice")
    assert lines[2].startswith("2. January 14, 2027: Student Mental Health")
    assert lines[3].startswith("3. May 9, 2024:")


async def test_a_missing_arabic_link_falls_back_to_english_and_says_so(
    with_upcoming: Runtime, chat: Chat
) -> None:
    await chat.say("مرحبا")
    await chat.say("الجلسات")
    answer = await chat.reply("2")
    assert "الصحة النفسية للطلاب بعد الجائحة" in answer
    assert "رابط الانضمام: https://futureoflearningca.org/shared-learning/\n" in answer
    assert "(هذه الصفحة باللغة الإنجليزية.)" in answer


async def test_a_session_about_a_topic_answers_when_is_question(
    with_upcoming: Runtime, chat: Chat
) -> None:
    answer = await chat.reply("when is the session about mental health?")
    assert "Student Mental Health After the Pandemic" in answer
    assert "Thursday, January 14, 2027 at 4:00\u202fPM (Pacific Time)" in answer


async def test_a_cancelled_session_is_flagged_and_the_next_real_one_announced(
    with_upcoming: Runtime, chat: Chat
) -> None:
    first = load_catalog(UPCOMING, base=load_catalog(BUNDLED_CATALOG)).sessions[0]
    cancelled = Catalog.of([replace(first, status=SessionStatus.CANCELLED)], [])
    async with with_upcoming.engine.begin() as connection:
        report = await catalog_repo.save(connection, cancelled, with_upcoming.clock())
    assert report.rescheduled == (first.id,)
    answer = await chat.reply("next")
    assert answer.index("Family Voice in Community Schools\nCancelled:") < answer.index(
        "Next session:\nStudent Mental Health After the Pandemic"
    )
    listing = await chat.reply("sessions")
    assert "Family Voice in Community Schools (cancelled)" in listing


async def test_a_subscriber_can_choose_a_topic(with_upcoming: Runtime, chat: Chat) -> None:
    answer = await chat.reply("subscribe mental health")
    assert 'before each session about "Mental health' in answer
    assert "already" in await chat.reply("remind me about mental health")
