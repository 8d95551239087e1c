"""Search as parents use it: any of the three languages, typos, no accents, Arabic spelt
with or without diacritics, and nonsense that must find nothing rather than something."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog.models import Catalog, Localized, Resource, ResourceKind, Session, Topic
from catalog.search import CatalogIndex, Hit


def text(en: str, es: str, ar: str) -> Localized:
    return Localized({"en": en, "es": es, "ar": ar})


LINK = Localized({"en": "https://example.org/s"})

TOPICS = (
    Topic(
        "restorative-justice",
        text("Restorative justice", "Justicia restaurativa", "العدالة التصالحية"),
        text(
            "restorative practices, circles, discipline, suspensions",
            "prácticas restaurativas, círculos, disciplina, suspensiones",
            "الممارسات التصالحية، حلقات الحوار، الانضباط، الإيقاف عن الدراسة",
        ),
    ),
    Topic(
        "school-safety",
        text("School safety", "Seguridad escolar", "السلامة المدرسية"),
        text(
            "safety, police on campus, bullying",
            "seguridad, policía escolar, acoso escolar",
            "الأمان، الشرطة المدرسية، التنمر",
        ),
    ),
    Topic(
        "teacher-diversity",
        text("Teacher diversity", "Diversidad docente", "تنوع المعلمين"),
        text(
            "teachers, educators of color, recruitment, retention",
            "maestros, docentes, profesores, contratación",
            "المعلمين، المعلمون، المدرسين، التوظيف",
        ),
    ),
    Topic(
        "community-schools",
        text("Community schools", "Escuelas comunitarias", "المدارس المجتمعية"),
        text(
            "coordinator, family resource center, after-school programs",
            "coordinador, centro de recursos familiares, programas extraescolares",
            "منسق، مركز موارد الأسرة، برامج ما بعد المدرسة",
        ),
    ),
    Topic(
        "mental-health",
        text("Mental health", "Salud mental", "الصحة النفسية"),
        text(
            "counselors, wellbeing, anxiety",
            "consejeros, bienestar, ansiedad",
            "المرشدين، الرفاهية، القلق",
        ),
    ),
)


def session(
    session_id: str, when: datetime, title: Localized, summary: Localized, *topics: str
) -> Session:
    return Session(
        id=session_id,
        starts_at=when,
        timezone="America/Los_Angeles",
        duration_minutes=60,
        title=title,
        summary=summary,
        link=LINK,
        topics=topics,
    )


RESTORATIVE = session(
    "restorative-2025",
    datetime(2025, 10, 2, 1, 0, tzinfo=UTC),
    text(
        "Restorative practices and school safety",
        "Prácticas restaurativas y seguridad escolar",
        "الممارسات التصالحية والسلامة المدرسية",
    ),
    text(
        "How circles and repair conversations can replace suspensions and keep every student safe.",
        "Cómo los círculos y las conversaciones reparadoras pueden reemplazar las "
        "suspensiones y mantener seguro a cada estudiante.",
        "كيف يمكن لحلقات الحوار ومحادثات الإصلاح أن تحل محل الإيقاف عن الدراسة وتحافظ "
        "على سلامة كل طالب.",
    ),
    "restorative-justice",
    "school-safety",
)
TEACHERS = session(
    "teachers-2025",
    datetime(2025, 11, 6, 2, 0, tzinfo=UTC),
    text(
        "Why diverse teachers matter",
        "Por qué importan los maestros diversos",
        "لماذا يهم تنوع المعلمين",
    ),
    text(
        "What research says about students having teachers who share their background, "
        "and how districts recruit and keep them.",
        "Lo que dice la investigación sobre estudiantes que tienen maestros de su misma "
        "comunidad, y cómo los distritos los contratan y retienen.",
        "ماذا تقول الأبحاث عن الطلاب الذين يدرّسهم معلمون من خلفيتهم، وكيف توظف "
        "المناطق التعليمية المعلمين وتحافظ عليهم.",
    ),
    "teacher-diversity",
)
COORDINATORS_TITLE = text(
    "Community school coordinators: who they are and how to reach yours",
    "Coordinadores de escuelas comunitarias: quiénes son y cómo contactar al suyo",
    "منسقو المدارس المجتمعية: من هم وكيف تتواصل معهم",
)
COORDINATORS_SUMMARY = text(
    "Coordinators connect families with tutoring, food, health care and after-school programs.",
    "Los coordinadores conectan a las familias con tutorías, comida, atención médica y "
    "programas extraescolares.",
    "يربط المنسقون الأسر بالدروس الخصوصية والغذاء والرعاية الصحية وبرامج ما بعد المدرسة.",
)
COORDINATORS = session(
    "coordinators-2025",
    datetime(2025, 12, 4, 2, 0, tzinfo=UTC),
    COORDINATORS_TITLE,
    COORDINATORS_SUMMARY,
    "community-schools",
)
COORDINATORS_LAST_YEAR = session(
    "coordinators-2024",
    datetime(2024, 12, 5, 2, 0, tzinfo=UTC),
    COORDINATORS_TITLE,
    COORDINATORS_SUMMARY,
    "community-schools",
)
BEACONS = Resource(
    id="beacons-of-hope",
    kind=ResourceKind.REPORT,
    title=text(
        "Beacons of Hope: student mental health in our schools",
        "Faros de esperanza: la salud mental estudiantil en nuestras escuelas",
        "منارات الأمل: الصحة النفسية للطلاب في مدارسنا",
    ),
    link=LINK,
    summary=text(
        "A report on counselors, wellbeing and what families asked for.",
        "Un informe sobre consejeros, bienestar y lo que pidieron las familias.",
        "تقرير عن المرشدين والرفاهية وما طلبته الأسر.",
    ),
    topics=("mental-health",),
)
SLIDES = Resource(
    id="restorative-slides",
    kind=ResourceKind.SLIDES,
    title=text(
        "Slides: restorative circles",
        "Diapositivas: círculos restaurativos",
        "الشرائح: حلقات الحوار التصالحية",
    ),
    link=LINK,
    session_ids=("restorative-2025",),
    topics=("restorative-justice",),
)

CATALOG = Catalog.of(
    [RESTORATIVE, TEACHERS, COORDINATORS, COORDINATORS_LAST_YEAR], [BEACONS, SLIDES], TOPICS
)


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex(CATALOG)


def top(index: CatalogIndex, query: str) -> str:
    hits = index.search(query)
    assert hits, f"nothing found for {query!r}"
    return hits[0].item.id


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # each language, whatever the asker's language
        ("restorative", "restorative-2025"),
        ("restaurativas", "restorative-2025"),
        ("الممارسات التصالحية", "restorative-2025"),
        ("maestros", "teachers-2025"),
        ("teachers", "teachers-2025"),
        ("المعلمين", "teachers-2025"),
        ("coordinator", "coordinators-2025"),
        ("coordinador", "coordinators-2025"),
        ("منسق", "coordinators-2025"),
        ("salud mental", "beacons-of-hope"),
        ("mental health", "beacons-of-hope"),
        ("الصحة النفسية", "beacons-of-hope"),
        ("beacons of hope", "beacons-of-hope"),
        # typos
        ("restorativ", "restorative-2025"),
        ("cordinator", "coordinators-2025"),
        ("coordinater", "coordinators-2025"),
        ("maestors", "teachers-2025"),
        ("salud mentl", "beacons-of-hope"),
        ("المعلمبن", "teachers-2025"),
        # prefixes
        ("coord", "coordinators-2025"),
        # accents and case
        ("practicas restaurativas", "restorative-2025"),
        ("PRÁCTICAS RESTAURATIVAS", "restorative-2025"),
        ("Coordinadores de Escuelas Comunitarias", "coordinators-2025"),
        # Arabic spelt with diacritics, tatweel, alef variants, prepositions
        ("المُعلّمين", "teachers-2025"),
        ("المعـــلمين", "teachers-2025"),
        ("والمعلمين", "teachers-2025"),
        ("الصحّة النفسيّة", "beacons-of-hope"),
        ("الاسرة", "coordinators-2025"),
        # questions wrapped around the topic
        ("is there a session about restorative practices?", "restorative-2025"),
        ("¿hay una sesión sobre salud mental?", "beacons-of-hope"),
        ("هل هناك جلسة عن المعلمين", "teachers-2025"),
    ],
)
def test_finds_the_item_meant(index: CatalogIndex, query: str, expected: str) -> None:
    assert top(index, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "asdfgh",
        "pizza",
        "qwertyuiop zxcvbnm",
        "?!…",
        "٢٠٢٥",
        "xy",
        "pizza party for the kids",
    ],
)
def test_nonsense_finds_nothing(index: CatalogIndex, query: str) -> None:
    assert index.search(query) == []


@pytest.mark.parametrize(
    "query",
    ["the session", "about the sessions", "sobre la sesión de", "عن الجلسة", "of and for"],
)
def test_stopwords_alone_find_nothing(index: CatalogIndex, query: str) -> None:
    assert index.search(query) == []


def test_arabic_indic_digits_are_ignored(index: CatalogIndex) -> None:
    assert index.search("المعلمين ٢٠٢٥") == index.search("المعلمين")
    assert index.search("maestros 2025") == index.search("maestros")


def test_exact_match_outranks_typo_and_scores_are_bounded(index: CatalogIndex) -> None:
    exact = index.search("restorative")[0]
    typo = index.search("restorativ")[0]
    assert exact.item == typo.item
    assert 0 < typo.score < exact.score <= 1


def test_results_best_first_and_limit_respected(index: CatalogIndex) -> None:
    every = index.search("school", limit=10)
    assert len(every) >= 4
    scores = [hit.score for hit in every]
    assert scores == sorted(scores, reverse=True)
    assert index.search("school") == every[:3]
    assert index.search("school", limit=1) == every[:1]
    assert index.search("school", limit=0) == []


def test_a_phrase_outranks_the_same_words_apart(index: CatalogIndex) -> None:
    hits = index.search("restorative circles", limit=10)
    assert hits[0].item.id == "restorative-slides"  # says "restorative circles"
    assert "restorative-2025" in [hit.item.id for hit in hits[1:]]


def test_ties_go_to_sessions_then_newest() -> None:
    words = text("Family literacy night", "Noche de lectura familiar", "ليلة القراءة العائلية")
    old = session("literacy-old", datetime(2024, 3, 1, tzinfo=UTC), words, Localized())
    new = session("literacy-new", datetime(2025, 3, 1, tzinfo=UTC), words, Localized())
    guide = Resource("literacy-guide", ResourceKind.PAGE, words, LINK)
    index = CatalogIndex(Catalog.of([old, new], [guide]))

    hits = index.search("lectura familiar")

    assert [hit.item.id for hit in hits] == ["literacy-new", "literacy-old", "literacy-guide"]
    assert len({hit.score for hit in hits}) == 1


def test_coordinators_newest_first(index: CatalogIndex) -> None:
    ids = [hit.item.id for hit in index.search("coordinadores")]
    assert ids[:2] == ["coordinators-2025", "coordinators-2024"]


def test_unknown_topic_and_empty_catalog_are_harmless() -> None:
    orphan = session(
        "orphan",
        datetime(2025, 1, 1, tzinfo=UTC),
        text("Budget", "Presupuesto", "الميزانية"),
        Localized(),
        "no-such-topic",
    )
    assert CatalogIndex(Catalog.of([orphan], [])).search("presupuesto")[0].item is orphan
    assert CatalogIndex(Catalog()).search("restorative") == []


def test_hit_is_a_frozen_value() -> None:
    hit = Hit(RESTORATIVE, 1.0)
    with pytest.raises(AttributeError):
        hit.score = 0.5  # type: ignore[misc]
    assert hit == Hit(RESTORATIVE, 1.0)
