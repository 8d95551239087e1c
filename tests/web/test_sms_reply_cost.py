"""What every SMS reply costs: no avoidable UCS-2, no accents that add a segment, ≤ 3 segments.

Parents walk through everything the bot can say, in each language, over the real SMS path
(webhook, conversation, outbox, twilio client, fake Twilio), with sessions both past and
upcoming in the catalog, so dates, times, titles, links and every translated sentence
appear. The bodies Twilio received are then measured with the segment report organizers see.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.channels.sms_text import AccentMode, Encoding, segment_report, sms_safe
from bot.runtime import Runtime
from bot.store import catalog_repo
from catalog.io import load_catalog
from tests.support.server import running_server

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]+")
UPCOMING = Path(__file__).parent.parent / "fixtures" / "upcoming.yaml"

# Everything a parent can ask, in the words of each language; numbers pick from menus.
SCRIPTS = {
    "en": [
        "hi",
        "help",
        "next session",
        "sessions",
        "more",
        "more",
        "1",
        "2",
        "resources",
        "3",
        "teachers",
        "safety",
        "community schools",
        "xyzzy qwerty",
        "subscribe",
        "subscribe restorative practices",
        "my reminders",
        "no reminders",
        "thanks",
        "",
        "language",
        "english",
        "STOP please",
        "STOP",
        "hello",
        "START",
        "9",
    ],
    "es": [
        "hola",
        "ayuda",
        "próxima sesión",
        "sesiones",
        "más",
        "más",
        "1",
        "2",
        "recursos",
        "3",
        "maestros",
        "seguridad",
        "escuelas comunitarias",
        "xyzzy qwerty",
        "suscribir",
        "suscribir prácticas restaurativas",
        "no más recordatorios",
        "gracias",
        "",
        "idioma",
        "español",
        "ALTO por favor",
        "ALTO",
        "hola",
        "INICIAR",
        "9",
    ],
    "ar": [
        "مرحبا",
        "مساعدة",
        "الجلسة القادمة",
        "الجلسات",
        "المزيد",
        "المزيد",
        "1",
        "٢",
        "موارد",
        "3",
        "المعلمين",
        "السلامة",
        "المدارس المجتمعية",
        "xyzzy qwerty",
        "اشترك",
        "إلغاء التذكيرات",
        "شكرا",
        "",
        "اللغة",
        "عربي",
        "توقف",
        "مرحبا",
        "ابدأ",
        "9",
    ],
}


@pytest.fixture
async def replies(runtime: Runtime) -> dict[str, list[str]]:
    async with runtime.engine.begin() as connection:
        stored = await catalog_repo.load(connection)
        await catalog_repo.save(connection, load_catalog(UPCOMING, base=stored), runtime.clock())
    bodies: dict[str, list[str]] = {}
    # Each script is typed in one frozen instant, far past the flood limit (which has
    # tests of its own); a real parent's pace would need the clock to move, and the
    # server's sender lease would then lapse between messages.
    unlimited = runtime.with_settings(replace(runtime.settings, flood_limit_per_minute=0))
    async with running_server(unlimited) as server:
        for language, script in SCRIPTS.items():
            parent = f"+1555{len(bodies):07d}"
            before = len(server.twilio.sent)
            for number, text in enumerate(script):
                status, _ = await server.post_sms(parent, text, sid=f"SM{language}{number:030d}")
                assert status == 200
                await server.services.inbox.close()  # keep the replies in order
            bodies[language] = [m["Body"] for m in server.twilio.sent[before:]]
    return bodies


async def test_every_reply_is_short_and_as_cheap_as_its_language_allows(
    replies: dict[str, list[str]],
) -> None:
    for language, bodies in replies.items():
        assert len(bodies) >= len(SCRIPTS[language]) - 2, f"{language}: replies went missing"
        for body in bodies:
            report = segment_report(body)
            assert 1 <= report.segments <= 3, f"{language}: {report.segments} segments: {body!r}"
            if language == "en":
                assert _ucs2_is_unavoidable(body), f"avoidable UCS-2: {body!r}"
            if language == "es":
                folded = sms_safe(body, "es", AccentMode.STRIP)
                assert report.segments <= segment_report(folded).segments, f"accents cost: {body!r}"
                assert _ucs2_is_unavoidable(folded), f"UCS-2 beyond accents: {body!r}"


def _ucs2_is_unavoidable(body: str) -> bool:
    """GSM-7, or UCS-2 only for Arabic words an Arabic reader needs (the language menu's
    "عربي") and at no extra segment."""
    if segment_report(body).encoding is Encoding.GSM7:
        return True
    latin = ARABIC_SCRIPT.sub("", body)
    report = segment_report(latin)
    return report.encoding is Encoding.GSM7 and report.segments == segment_report(body).segments


async def test_long_answers_arrive_as_pages_the_parent_pulls_with_more(
    replies: dict[str, list[str]],
) -> None:
    hints = {"en": "Reply MORE", "es": "Responde M", "ar": "المزيد"}
    for language, bodies in replies.items():
        assert all("\u202f" not in b and "\u200f" not in b for b in bodies)
        assert any(hints[language] in body for body in bodies), f"{language}: nothing paged"
