"""Whole conversations, one per language, as a parent would have them in the terminal.

Each step is (what the parent sends, texts the answer must contain). An empty tuple of
expectations means the bot must stay silent (the parent opted out). Steps run in order
in one conversation, so they also prove the dialogue memory (menus, MORE, numbers).
"""

from __future__ import annotations

import pytest

from tests.support.chat import Chat

SILENT: tuple[str, ...] = ()
RECORDINGS = "https://futureoflearningca.org/shared-learning/"

ENGLISH = [
    ("hi", ("Hello!", "NEXT - the next session", "STOP - no more messages")),
    (
        "when is the next session?",
        (
            "There is no upcoming session scheduled right now.",
            "1. May 9, 2024: Developing Diverse, Prepared, and Supported Educators",
            "Send a number for details.",
        ),
    ),
    (
        "1",
        (
            "Developing Diverse, Prepared, and Supported Educators",
            "Held on May 9, 2024.",
            f"Watch the recording: {RECORDINGS}",
        ),
    ),
    ("resources", ('Resources for "Developing Diverse', "Slides and resources")),
    (
        "sessions",
        ("Recordings of past sessions, newest first:", "5. April 27, 2022", "Send MORE"),
    ),
    ("more", ("6. January 13, 2022: The First Steps Toward School Transformation",)),
    ("6", ("Held on January 13, 2022.", "needs")),
    ("restorative", ("Reimagining School Safety",)),
    ("coordinator", ("Community School Coordinator",)),
    ("teachers", ("Developing Diverse, Prepared, and Supported Educators",)),
    ("asdfghjkl", ('I found nothing for "asdfghjkl"', "SESSIONS")),
    ("report", ("Beacons of Hope", "https://futureoflearningca.org/shared-story/")),
    ("subscribe", ("Done! I will remind you 1 day and 1 hour before each session.",)),
    ("remind me", ("You already get reminders for every session.",)),
    ("no reminders", ("Reminders are off.",)),
    ("I need help", ("Here is what you can ask me:",)),
    ("stop please", ("To stop all messages, send only the word STOP.",)),
    ("thanks", ("You're welcome!",)),
    ("🙂", ("I can only read text.",)),
    ("9", ("Please send a number from 1 to",)),
    ("STOP", ("You will not get any more messages from us. Send START",)),
    ("next", SILENT),
    ("HELP", ("Here is what you can ask me:",)),
    ("START", ("Welcome back!",)),
    ("language", ("Which language do you prefer?",)),
    ("español", ("Listo, a partir de ahora te escribiré en español.",)),
]

SPANISH = [
    ("hola", ("¡Hola!", "PRÓXIMA - la próxima sesión", "ALTO - no recibir más mensajes")),
    (
        "¿Cuándo es la próxima sesión?",
        (
            "Por ahora no hay ninguna sesión programada.",
            "1. 9 de mayo de 2024: Docentes diversos, bien preparados y con apoyo",
        ),
    ),
    ("2", ("Repensar la seguridad escolar", "Se realizó el 4 de diciembre de 2023.")),
    ("recursos", ('Recursos de "Repensar la seguridad escolar',)),
    (
        "sesiones",
        ("Grabaciones de sesiones anteriores", "5. 27 de abril de 2022", "Escribe MÁS"),
    ),
    ("mas", ("6. 13 de enero de 2022",)),
    ("maestros", ("Docentes diversos, bien preparados y con apoyo",)),
    ("practicas restaurativas", ("Repensar la seguridad escolar",)),
    ("coordinador", ("el papel del coordinador de la escuela comunitaria",)),
    ("salud mental", ("Faros de esperanza",)),
    ("quiero el informe", ("Faros de esperanza", "https://futureoflearningca.org/shared-story/")),
    ("suscribir", ("¡Listo! Te avisaré un día y una hora antes de cada sesión.",)),
    ("sin recordatorios", ("desactivé los recordatorios",)),
    ("ayuda", ("Esto es lo que puedes preguntarme:",)),
    ("gracias", ("¡Con gusto!",)),
    ("xyzxyz", ('No encontré nada sobre "xyzxyz"',)),
    ("ALTO", ("Ya no recibirás más mensajes nuestros.",)),
    ("próxima", SILENT),
    ("INICIAR", ("¡Qué bueno tenerte de vuelta!",)),
    ("idioma", ("¿En qué idioma prefieres?",)),
    ("english", ("Done, I will write to you in English.",)),
]

ARABIC = [
    ("مرحبا", ("مرحبًا!", "القادمة - موعد الجلسة القادمة", "توقف - لإيقاف كل الرسائل")),
    (
        "متى الجلسة القادمة؟",
        (
            "لا توجد جلسة قادمة مقررة في الوقت الحالي.",
            "1. 9 مايو 2024: إعداد معلمين متنوعين ومؤهلين يحظون بالدعم",
        ),
    ),
    ("١", ("إعداد معلمين متنوعين ومؤهلين يحظون بالدعم", "عُقدت في 9 مايو 2024.")),
    ("الموارد", ("موارد جلسة «إعداد معلمين",)),
    ("الجلسات", ("تسجيلات الجلسات السابقة، من الأحدث إلى الأقدم:", "أرسل «المزيد»")),
    ("المزيد", ("6. 13 يناير 2022",)),
    ("المعلمين", ("إعداد معلمين متنوعين",)),
    ("المُعلّمين", ("إعداد معلمين متنوعين",)),
    ("الممارسات التصالحية", ("إعادة التفكير في سلامة المدارس",)),
    ("منسق", ("دور منسق المدرسة المجتمعية",)),
    ("الصحة النفسية", ("منارات الأمل",)),
    ("تقرير", ("منارات الأمل", "https://futureoflearningca.org/shared-story/")),
    ("اشترك", ("تم! سأذكّرك قبل يوم وساعة من موعد كل جلسة.",)),
    ("إلغاء التذكير", ("تم إيقاف التذكيرات.",)),
    ("مساعدة", ("إليك ما يمكنك أن ترسله لي:",)),
    ("شكرا", ("على الرحب والسعة!",)),
    ("توقف", ("لن تصلك منا أي رسائل بعد الآن.",)),
    ("القادمة", SILENT),
    ("ابدأ", ("أهلًا بعودتك!",)),
    ("اللغة", ("بأي لغة تفضّل أن أراسلك؟",)),
    ("español", ("Listo, a partir de ahora te escribiré en español.",)),
]


async def run(chat: Chat, steps: list[tuple[str, tuple[str, ...]]]) -> None:
    for number, (said, expected) in enumerate(steps, start=1):
        replies = await chat.say(said)
        text = "\n".join(m.text for m in replies)
        where = f"step {number}: {said!r} got {text!r}"
        if expected is SILENT:
            assert not replies, where
        for fragment in expected:
            assert fragment in text, where


@pytest.mark.parametrize(
    ("language", "steps"),
    [("en", ENGLISH), ("es", SPANISH), ("ar", ARABIC)],
)
async def test_a_parent_can_do_everything_in_their_language(
    chat: Chat, language: str, steps: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert len(steps) >= 15
    await run(chat, steps)
