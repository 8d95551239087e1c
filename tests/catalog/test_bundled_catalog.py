"""The catalog the bot ships with: complete in three languages, true to the seeds.

The seeds do not give the recordings' exact addresses, so the catalog may only link the
public pages the seeds name; an invented address would send parents to a dead page.
"""

from __future__ import annotations

from datetime import date

import pytest

from catalog.io import BUNDLED_CATALOG, check_catalog, dump_catalog_text, load_catalog_text
from catalog.models import LANGUAGES, Catalog, Localized, ResourceKind
from catalog.normalize import normalize

SHARED_LEARNING = "https://futureoflearningca.org/shared-learning/"
SHARED_STORY = "https://futureoflearningca.org/shared-story/"
INITIATIVE = "https://learningpolicyinstitute.org/project/shared-learning-initiative"

SEED_DATES = {
    "needs-assets-assessment": date(2022, 1, 13),
    "community-school-coordinators": date(2022, 4, 27),
    "building-trusting-relationships": date(2022, 12, 8),
    "shared-decision-making-teams": date(2023, 4, 25),
    "reimagining-school-safety": date(2023, 12, 4),
    "diverse-prepared-supported-educators": date(2024, 5, 9),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    loaded, problems = check_catalog(BUNDLED_CATALOG)
    assert problems == []
    assert loaded is not None
    return loaded


def all_links(catalog: Catalog) -> list[Localized]:
    return [s.link for s in catalog.sessions] + [r.link for r in catalog.resources]


def test_bundled_catalog_has_no_errors_and_no_warnings() -> None:
    assert check_catalog(BUNDLED_CATALOG)[1] == []


def test_six_sessions_on_the_seed_dates(catalog: Catalog) -> None:
    assert {s.id: s.local_start.date() for s in catalog.sessions} == SEED_DATES


def test_every_link_is_one_of_the_public_pages_the_seeds_name(catalog: Catalog) -> None:
    for link in all_links(catalog):
        assert set(link.values) == set(LANGUAGES)
        assert set(link.values.values()) <= {SHARED_LEARNING, SHARED_STORY, INITIATIVE}


def test_every_session_links_the_page_that_lists_its_recordings(catalog: Catalog) -> None:
    for session in catalog.sessions:
        assert set(session.link.values.values()) == {SHARED_LEARNING}


def test_every_session_has_title_and_summary_in_every_language(catalog: Catalog) -> None:
    for session in catalog.sessions:
        assert session.title.missing() == ()
        assert session.summary.missing() == ()


def test_every_text_in_every_item_is_translated(catalog: Catalog) -> None:
    texts = [t.name for t in catalog.topics] + [t.keywords for t in catalog.topics]
    texts += [r.title for r in catalog.resources] + [r.summary for r in catalog.resources]
    assert [text for text in texts if text.missing()] == []


def test_session_summaries_fit_a_phone_screen(catalog: Catalog) -> None:
    for session in catalog.sessions:
        assert all(len(session.summary.get(lang)) <= 200 for lang in LANGUAGES), session.id


def test_beacons_of_hope_report_links_the_shared_story_page(catalog: Catalog) -> None:
    (report,) = [r for r in catalog.resources if r.kind is ResourceKind.REPORT]

    assert report.id == "beacons-of-hope"
    assert report.title.get("en").startswith("Beacons of Hope")
    assert set(report.link.values.values()) == {SHARED_STORY}
    assert "mental-health" in report.topics


def test_every_session_has_its_slides_and_resources(catalog: Catalog) -> None:
    for session in catalog.sessions:
        kinds = [r.kind for r in catalog.resources_for(session.id)]
        assert kinds == [ResourceKind.SLIDES], session.id


def test_the_initiative_page_is_listed(catalog: Catalog) -> None:
    pages = [r for r in catalog.resources if r.kind is ResourceKind.PAGE]

    assert [set(page.link.values.values()) for page in pages] == [{INITIATIVE}]


@pytest.mark.parametrize(
    ("words", "item_id"),
    [
        ("restorative", "reimagining-school-safety"),
        ("maestros", "diverse-prepared-supported-educators"),
        ("المعلمين", "diverse-prepared-supported-educators"),
        ("coordinator", "community-school-coordinators"),
        ("salud mental", "beacons-of-hope"),
        ("الصحة النفسية", "beacons-of-hope"),
        ("confianza", "building-trusting-relationships"),
        ("familias", "shared-decision-making-teams"),
    ],
)
def test_words_parents_use_appear_in_the_item_or_its_topics(
    catalog: Catalog, words: str, item_id: str
) -> None:
    """The searchable text exists; ranking is catalog.search's job and tested there."""
    item = catalog.session(item_id) or next(r for r in catalog.resources if r.id == item_id)
    texts = [item.title, item.summary]
    for topic_id in item.topics:
        topic = catalog.topic(topic_id)
        assert topic is not None
        texts += [topic.name, topic.keywords]

    searchable = normalize(" ".join(v for text in texts for v in text.values.values()))

    assert normalize(words) in searchable


def test_bundled_catalog_survives_export_to_csv_and_back(catalog: Catalog) -> None:
    assert load_catalog_text(dump_catalog_text(catalog, "csv"), "csv", "x.csv") == catalog
