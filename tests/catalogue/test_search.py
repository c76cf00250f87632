"""Searching, filtering, facets and ordering of GET /api/v1/datasets/."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection

from catalogue import search_sql
from catalogue.models import AccessRights, Dataset, DataSpace, Licence, Publisher, Theme
from catalogue.search import search_filter
from tests.catalogue.factories import DatasetFactory, DistributionFactory, PublisherFactory

URL = "/api/v1/datasets/"
pytestmark = pytest.mark.django_db


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["title"] for item in response.json()["results"]}


@pytest.fixture
def catalogue():
    agri = DataSpace.objects.get(slug="agriculture")
    mobility = DataSpace.objects.get(slug="mobility")
    cc0 = Licence.objects.get(identifier="CC0-1.0")
    research = Licence.objects.get(identifier="LicenseRef-Passerelle-Research-Only-1.0")
    inrae = PublisherFactory(slug="institut-agro", name="Institut Agronomique Européen")
    dlr = PublisherFactory(slug="verkehrsamt", name="Bundesverkehrsamt")
    soil = DatasetFactory(
        title="Soil moisture measurements",
        description="Weekly soil moisture readings from farms across Bavaria.",
        publisher=inrae,
        data_space=agri,
        licence=cc0,
        keywords=["soil", "moisture"],
        themes=[Theme.objects.get(code="AGRI"), Theme.objects.get(code="ENVI")],
    )
    DistributionFactory(dataset=soil, format="CSV")
    DistributionFactory(dataset=soil, format="JSON")
    harvest = DatasetFactory(
        title="Wheat harvest yields",
        description="The harvest of wheat per region and year, with soil type.",
        publisher=inrae,
        data_space=agri,
        licence=research,
        access_rights=AccessRights.RESTRICTED,
        keywords=["wheat", "yield"],
        themes=[Theme.objects.get(code="AGRI")],
    )
    DistributionFactory(dataset=harvest, format="PARQUET")
    traffic = DatasetFactory(
        title="Anonymised mobility traces Germany",
        description="Anonymised trips of e-scooters in Berlin and Munich.",
        publisher=dlr,
        data_space=mobility,
        licence=research,
        access_rights=AccessRights.NON_PUBLIC,
        keywords=["mobility", "scooter"],
        themes=[Theme.objects.get(code="TRAN")],
    )
    DistributionFactory(dataset=traffic, format="CSV")
    return {"soil": soil, "harvest": harvest, "traffic": traffic}


def test_lists_every_dataset_with_the_documented_fields(api_client, catalogue):
    response = api_client.get(URL)
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3
    item = next(r for r in body["results"] if r["slug"] == catalogue["soil"].slug)
    assert item["publisher"] == {"slug": "institut-agro", "name": "Institut Agronomique Européen"}
    assert item["data_space"] == {"slug": "agriculture", "name": "Agricultural Data Space"}
    assert item["licence"]["id"] == "CC0-1.0"
    assert item["licence"]["url"].startswith("https://creativecommons.org/")
    assert item["access_rights"] == "PUBLIC"
    assert [t["code"] for t in item["themes"]] == ["AGRI", "ENVI"]
    assert item["keywords"] == ["soil", "moisture"]
    assert item["url"].endswith(f"/api/v1/datasets/{catalogue['soil'].id}/")
    assert set(body["facets"]) == {
        "data_space", "publisher", "licence", "access_rights", "theme", "format",
    }  # fmt: skip


def test_full_text_finds_words_in_title_description_keywords_and_publisher(api_client, catalogue):
    assert titles(api_client.get(URL, {"q": "wheat"})) == {"Wheat harvest yields"}
    assert titles(api_client.get(URL, {"q": "scooter"})) == {"Anonymised mobility traces Germany"}
    assert titles(api_client.get(URL, {"q": "Bundesverkehrsamt"})) == {
        "Anonymised mobility traces Germany"
    }
    assert titles(api_client.get(URL, {"q": "Bavaria"})) == {"Soil moisture measurements"}


def test_search_is_stemmed(api_client, catalogue):
    assert titles(api_client.get(URL, {"q": "harvests"})) == {"Wheat harvest yields"}
    assert titles(api_client.get(URL, {"q": "measurement"})) == {"Soil moisture measurements"}


def test_exact_phrase_exclusion_and_or(api_client, catalogue):
    # "soil" is in two datasets; the phrase only in one.
    assert titles(api_client.get(URL, {"q": "soil"})) == {
        "Soil moisture measurements",
        "Wheat harvest yields",
    }
    assert titles(api_client.get(URL, {"q": '"soil moisture"'})) == {"Soil moisture measurements"}
    assert titles(api_client.get(URL, {"q": '"moisture soil"'})) == set()
    assert titles(api_client.get(URL, {"q": "soil -wheat"})) == {"Soil moisture measurements"}
    assert titles(api_client.get(URL, {"q": "wheat or scooter"})) == {
        "Wheat harvest yields",
        "Anonymised mobility traces Germany",
    }


@pytest.mark.postgres
def test_relevance_ranks_title_matches_above_description_matches(api_client, catalogue):
    response = api_client.get(URL, {"q": "soil"})
    assert [r["title"] for r in response.json()["results"]] == [
        "Soil moisture measurements",
        "Wheat harvest yields",
    ]


@pytest.mark.postgres
def test_search_vector_is_stored_and_indexed(catalogue):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM catalogue_dataset WHERE search_vector IS NULL",
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'dataset_search_vector_gin'"
        )
        assert "gin (search_vector)" in cursor.fetchone()[0]


@pytest.mark.postgres
def test_search_vector_follows_every_write_path(api_client, catalogue):
    soil = catalogue["soil"]
    # A queryset update (as bulk commands do) bypasses save() but not the trigger.
    type(soil).objects.filter(pk=soil.pk).update(keywords=["groundwater"])
    assert titles(api_client.get(URL, {"q": "groundwater"})) == {"Soil moisture measurements"}
    # Renaming the publisher re-indexes its datasets.
    Publisher.objects.filter(slug="institut-agro").update(name="Landwirtschaftskammer Nord")
    assert titles(api_client.get(URL, {"q": "Landwirtschaftskammer"})) == {
        "Soil moisture measurements",
        "Wheat harvest yields",
    }


@pytest.mark.postgres
def test_french_dataset_is_stemmed_in_french_and_keeps_exact_words(api_client, db):
    DatasetFactory(
        title="Rendement de la récolte de blé",
        description="La récolte annuelle par département, données agricoles ouvertes.",
        languages=["fr"],
    )
    DatasetFactory(title="Unrelated", description="Nothing about crops.", languages=["en"])
    # A French inflected form finds the French stem...
    assert titles(api_client.get(URL, {"q": "récoltes"})) == {"Rendement de la récolte de blé"}
    assert titles(api_client.get(URL, {"q": "agricole"})) == {"Rendement de la récolte de blé"}
    # ...and a shared exact word (a name, an acronym) matches from any language.
    assert titles(api_client.get(URL, {"q": "département"})) == {"Rendement de la récolte de blé"}


@pytest.mark.postgres
def test_german_dataset_is_stemmed_in_german(api_client, db):
    DatasetFactory(
        title="Verkehrszählungen an Autobahnen",
        description="Stündliche Zählungen der Fahrzeuge.",
        languages=["de"],
    )
    assert titles(api_client.get(URL, {"q": "Verkehrszählung"})) == {
        "Verkehrszählungen an Autobahnen"
    }


def test_accents_are_optional_in_the_query_and_in_the_text(api_client, db):
    DatasetFactory(title="Rendements des récoltes de blé", languages=["fr"])
    DatasetFactory(title="Recoltes de cereales en Beauce", languages=["fr"])  # typed without
    DatasetFactory(
        title="Groundwater levels, Müller collection", keywords=["hydrogéologie"], languages=["en"]
    )
    DatasetFactory(title="Air quality in São Paulo", languages=["en"])
    DatasetFactory(title="Unrelated survey", languages=["en"])
    french = {"Rendements des récoltes de blé", "Recoltes de cereales en Beauce"}
    assert titles(api_client.get(URL, {"q": "recoltes"})) == french
    assert titles(api_client.get(URL, {"q": "récoltes"})) == french
    assert titles(api_client.get(URL, {"q": "Muller"})) == {"Groundwater levels, Müller collection"}
    assert titles(api_client.get(URL, {"q": "MÜLLER"})) == {"Groundwater levels, Müller collection"}
    assert titles(api_client.get(URL, {"q": "sao paulo"})) == {"Air quality in São Paulo"}
    assert titles(api_client.get(URL, {"q": "hydrogeologie"})) == {
        "Groundwater levels, Müller collection"
    }


# Per language: a title, then queries that must each find it. The accented queries are other
# forms of a word, which only the stemmer fed the accented spelling relates ("cultivées" and
# "cultiver" share "cultiv"; "cultivees" stems to "cultive"), so they fail if the unaccented
# configurations replace PostgreSQL's; the unaccented ones are what a keyboard without the
# letters gives.
STEMMING_CASES = {
    "fr": ("Surfaces cultivées et céréales en Beauce", ["cultiver", "cereale", "cultivees"]),
    "de": ("Stündliche Verkehrszählungen in Köln und Kraków", ["Verkehrszählung", "Krakow"]),
    "nl": ("Neerslag en meetstations op Curaçao", ["meetstation", "Curacao"]),
    "fi": ("Järvien vedenlaatu kesällä", ["järvi", "jarvi"]),
    "hu": ("Adatok a városban végzett mérésekből", ["mérés", "varos"]),
    "tr": ("Şehirlerde ölçülen hava sıcaklığı", ["sıcaklık", "sehir"]),  # noqa: RUF001 (dotless i: Turkish)
}


@pytest.mark.postgres
@pytest.mark.parametrize("language", sorted(STEMMING_CASES))
def test_stems_match_with_and_without_accents(api_client, db, language):
    title, queries = STEMMING_CASES[language]
    DatasetFactory(title=title, languages=[language])
    DatasetFactory(title="Unrelated survey", languages=["en"])
    found = {q: titles(api_client.get(URL, {"q": q})) for q in queries}
    assert found == {q: {title} for q in queries}


@pytest.mark.postgres
def test_phrases_and_exclusions_ignore_accents(api_client, db):
    DatasetFactory(title="Rendements des récoltes de céréales", languages=["fr"])
    DatasetFactory(title="Céréales : prix et récoltes", languages=["fr"])
    DatasetFactory(title="Prix du blé", languages=["fr"])
    # The same words, in that order only in the first title, whichever side has the accents.
    assert titles(api_client.get(URL, {"q": '"recoltes de cereales"'})) == {
        "Rendements des récoltes de céréales"
    }
    assert titles(api_client.get(URL, {"q": '"récoltes de céréales"'})) == {
        "Rendements des récoltes de céréales"
    }
    assert titles(api_client.get(URL, {"q": "prix -recoltes"})) == {"Prix du blé"}
    assert titles(api_client.get(URL, {"q": "prix -cereales"})) == {"Prix du blé"}
    assert titles(api_client.get(URL, {"q": "recoltes or ble"})) == {
        "Rendements des récoltes de céréales",
        "Céréales : prix et récoltes",
        "Prix du blé",
    }


@pytest.mark.postgres
def test_relevance_ranks_title_matches_first_without_accents_too(api_client, db):
    DatasetFactory(
        title="Enquête agricole", description="Les récoltes de chaque commune.", languages=["fr"]
    )
    DatasetFactory(title="Récoltes de blé", description="Par département.", languages=["fr"])
    response = api_client.get(URL, {"q": "recoltes"})
    assert [r["title"] for r in response.json()["results"]] == [
        "Récoltes de blé",
        "Enquête agricole",
    ]


@pytest.mark.postgres
def test_the_gin_index_can_serve_accent_insensitive_queries(db):
    DatasetFactory(title="Rendements des récoltes de blé", languages=["fr"])
    matches = search_filter(Dataset.objects.order_by(), '"recoltes de ble" -soja').values("id")
    sql, params = matches.query.sql_with_params()
    with connection.cursor() as cursor:
        # One row reads faster sequentially: forbid that, to see whether the index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on dataset_search_vector_gin" in plan, plan


def test_the_latest_search_migration_installs_what_search_sql_describes():
    """Databases migrated before a change to search_sql.py (or languages.py) only get it from a
    new migration: without one, the query side would use configurations they do not have."""
    migration = import_module("catalogue.migrations.0008_unaccent_search")
    assert migration.CREATE_SQL == search_sql.CREATE_SQL, (
        "catalogue/search_sql.py no longer generates what migration 0008 installs: write a new "
        "migration with the new SQL frozen in it, and point this test at it"
    )
    assert migration.DROP_CONFIGURATIONS_SQL == search_sql.DROP_CONFIGURATIONS_SQL


def test_filters_by_slug_identifier_code_and_value(api_client, catalogue):
    assert titles(api_client.get(URL, {"data_space": "mobility"})) == {
        "Anonymised mobility traces Germany"
    }
    assert titles(api_client.get(URL, {"publisher": "institut-agro"})) == {
        "Soil moisture measurements",
        "Wheat harvest yields",
    }
    assert titles(api_client.get(URL, {"licence": "CC0-1.0"})) == {"Soil moisture measurements"}
    assert titles(api_client.get(URL, {"access_rights": "RESTRICTED"})) == {"Wheat harvest yields"}
    assert titles(api_client.get(URL, {"theme": "ENVI"})) == {"Soil moisture measurements"}
    assert titles(api_client.get(URL, {"keyword": "scooter"})) == {
        "Anonymised mobility traces Germany"
    }
    assert titles(api_client.get(URL, {"format": "csv"})) == {
        "Soil moisture measurements",
        "Anonymised mobility traces Germany",
    }
    # Repeated values are alternatives, and a dataset with both themes is listed once.
    response = api_client.get(URL, {"theme": ["AGRI", "ENVI"]})
    assert response.json()["count"] == 2
    assert titles(response) == {"Soil moisture measurements", "Wheat harvest yields"}


def test_modified_since(api_client, catalogue):
    harvest = catalogue["harvest"]
    type(harvest).objects.filter(pk=harvest.pk).update(modified="2020-01-01T00:00:00Z")
    response = api_client.get(URL, {"modified_since": "2021-01-01"})
    assert "Wheat harvest yields" not in titles(response)
    assert response.json()["count"] == 2


def test_facets_count_the_current_query_and_filters(api_client, catalogue):
    facets = api_client.get(URL, {"q": "soil"}).json()["facets"]
    assert facets["publisher"] == [
        {"value": "institut-agro", "label": "Institut Agronomique Européen", "count": 2}
    ]
    assert {f["value"]: f["count"] for f in facets["licence"]} == {
        "CC0-1.0": 1,
        "LicenseRef-Passerelle-Research-Only-1.0": 1,
    }
    assert {f["value"]: f["count"] for f in facets["theme"]} == {"AGRI": 2, "ENVI": 1}
    assert {f["value"]: f["count"] for f in facets["format"]} == {"CSV": 1, "JSON": 1, "PARQUET": 1}
    assert {f["value"]: f["count"] for f in facets["access_rights"]} == {
        "PUBLIC": 1,
        "RESTRICTED": 1,
    }
    filtered = api_client.get(URL, {"data_space": "mobility"}).json()["facets"]
    assert filtered["data_space"] == [
        {"value": "mobility", "label": "Mobility Data Space", "count": 1}
    ]
    assert {f["value"]: f["count"] for f in filtered["format"]} == {"CSV": 1}


def test_ordering_by_title_and_modified(api_client, catalogue):
    by_title = api_client.get(URL, {"ordering": "title"}).json()["results"]
    assert [r["title"] for r in by_title] == sorted(r["title"] for r in by_title)
    by_modified = api_client.get(URL, {"ordering": "-modified"}).json()["results"]
    stamps = [r["modified"] for r in by_modified]
    assert stamps == sorted(stamps, reverse=True)


def test_pagination_links_and_page_size(api_client, catalogue):
    first = api_client.get(URL, {"page_size": 2, "ordering": "title"}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_list_queries_do_not_grow_with_the_page_size(
    api_client, catalogue, django_assert_max_num_queries
):
    for n in range(30):
        dataset = DatasetFactory(
            title=f"Extra soil dataset {n}",
            themes=[Theme.objects.get(code="AGRI"), Theme.objects.get(code="ENVI")],
        )
        DistributionFactory(dataset=dataset)
    # query readings + count and facets + ranked page + four facet labels + rows + themes
    # prefetch, and the search's transaction with its time limit (savepoint, set, reset, release).
    with django_assert_max_num_queries(13):
        small = api_client.get(URL, {"q": "soil", "page_size": 2})
    with django_assert_max_num_queries(13):
        large = api_client.get(URL, {"q": "soil", "page_size": 100})
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 32


def test_reading_needs_no_account(api_client, catalogue):
    for url in (URL, "/api/v1/licences/", "/api/v1/data-spaces/", "/api/v1/publishers/"):
        assert api_client.get(url).status_code == 200


def test_facets_follow_theme_and_distribution_changes(api_client, steward_client, publisher):
    from django.core.files.uploadedfile import SimpleUploadedFile

    dataset = DatasetFactory(publisher=publisher, themes=[Theme.objects.get(code="AGRI")])

    def facets():
        body = api_client.get(URL, {"publisher": publisher.slug}).json()["facets"]
        return (
            {f["value"]: f["count"] for f in body["theme"]},
            {f["value"]: f["count"] for f in body["format"]},
        )

    assert facets() == ({"AGRI": 1}, {})
    steward_client.patch(f"{URL}{dataset.id}/", {"themes": ["HEAL", "TECH"]}, format="json")
    upload = steward_client.post(
        f"{URL}{dataset.id}/distributions/", {"file": SimpleUploadedFile("a.geojson", b"{}")}
    )
    assert upload.status_code == 201
    assert facets() == ({"HEAL": 1, "TECH": 1}, {"GEOJSON": 1})
    assert titles(api_client.get(URL, {"format": "GEOJSON"})) == {dataset.title}
    dataset.distributions.all().delete()
    dataset.themes.clear()
    assert facets() == ({}, {})
