"""The search's bounded cost, as a client sees it: exact counts and facets up to a threshold, a
lower bound and estimated facets beyond it, relevance ranked within a window of the newest
matches, and a time limit that answers 503. Thresholds are set small through settings; nothing
here is timed."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from catalogue.models import DataSpace, Theme
from tests.catalogue.factories import DatasetFactory, DistributionFactory, PublisherFactory

URL = "/api/v1/datasets/"
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def soil_datasets():
    """Five datasets about soil (two in health), one about traffic; newest first by index."""
    now = timezone.now()
    agri = DataSpace.objects.get(slug="agriculture")
    health = DataSpace.objects.get(slug="health")
    publisher = PublisherFactory(slug="soil-institute", name="Soil Institute")
    made = []
    for n in range(5):
        dataset = DatasetFactory(
            slug=f"soil-{n}",
            title=f"Survey number {n}",
            description="Readings of soil moisture." if n else "Soil soil soil.",
            publisher=publisher,
            data_space=health if n in (1, 3) else agri,
            themes=[Theme.objects.get(code="AGRI")],
            modified=now - timedelta(days=n),
        )
        DistributionFactory(dataset=dataset, format="CSV")
        made.append(dataset)
    DatasetFactory(slug="traffic", title="Road traffic counts", description="Cars.")
    return made


def search(client, **params) -> dict:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def buckets(body: dict, facet: str) -> dict[str, int]:
    return {bucket["value"]: bucket["count"] for bucket in body["facets"][facet]}


def test_counts_and_facets_are_exact_up_to_the_threshold(api_client, soil_datasets, settings):
    settings.SEARCH_EXACT_COUNT_UP_TO = 5
    body = search(api_client, q="soil")
    assert body["count"] == 5
    assert body["count_exact"] is True
    assert body["facets_exact"] is True
    assert buckets(body, "data_space") == {"agriculture": 3, "health": 2}


def test_past_the_threshold_count_is_a_lower_bound_and_facets_are_estimates(
    api_client, soil_datasets, settings
):
    settings.SEARCH_EXACT_COUNT_UP_TO = 3
    # A sample larger than the catalogue reads all of it: the estimates are then the counts.
    settings.SEARCH_FACET_SAMPLE_ROWS = 1_000_000
    body = search(api_client, q="soil")
    assert body["count"] == 3
    assert body["count_exact"] is False
    assert body["facets_exact"] is False
    assert buckets(body, "data_space") == {"agriculture": 3, "health": 2}
    assert buckets(body, "theme") == {"AGRI": 5}
    assert buckets(body, "format") == {"CSV": 5}
    # The page stops at the lower bound, and so do the links. (Which three: the window is
    # ranked among the matches the count read, in the order PostgreSQL found them.)
    slugs = [r["slug"] for r in body["results"]]
    assert len(set(slugs)) == 3
    assert set(slugs) <= {"soil-0", "soil-1", "soil-2", "soil-3", "soil-4"}
    assert body["next"] is None

    # No parameters: six datasets, over the threshold too, but the whole catalogue's counts are
    # kept by triggers: exact (tests/catalogue/test_facet_totals.py).
    landing = search(api_client)
    assert (landing["count"], landing["count_exact"], landing["facets_exact"]) == (6, True, True)
    assert sum(buckets(landing, "data_space").values()) == 6


def test_withdrawn_datasets_are_left_out_of_counts_estimates_and_pages(
    api_client, soil_datasets, settings
):
    from catalogue.models import Dataset

    Dataset.objects.filter(slug__in=["soil-1", "soil-3"]).update(withdrawn_at=timezone.now())
    settings.SEARCH_FACET_SAMPLE_ROWS = 1_000_000
    settings.SEARCH_RANK_WINDOW = 1
    exact = search(api_client, q="soil")
    assert (exact["count"], exact["count_exact"]) == (3, True)
    assert buckets(exact, "data_space") == {"agriculture": 3}

    settings.SEARCH_EXACT_COUNT_UP_TO = 2
    estimated = search(api_client, q="soil")
    assert (estimated["count_exact"], estimated["facets_exact"]) == (False, False)
    assert buckets(estimated, "data_space") == {"agriculture": 3}  # health's two are withdrawn
    assert {r["slug"] for r in estimated["results"]} <= {"soil-0", "soil-2", "soil-4"}
    landing = search(api_client)
    assert sum(buckets(landing, "data_space").values()) == 4


def test_pages_past_the_lower_bound_are_not_served(api_client, soil_datasets, settings):
    settings.SEARCH_EXACT_COUNT_UP_TO = 3
    assert search(api_client, q="soil", page_size=2, page=2)["results"]  # positions 3 (and 4)
    response = api_client.get(URL, {"q": "soil", "page_size": 2, "page": 3})
    assert response.status_code == 404
    assert "first 3 results only" in response.json()["error"]["message"]


def test_relevance_ranks_the_newest_matches_then_the_rest_newest_first(
    api_client, soil_datasets, settings
):
    # soil-0 says "soil" three times, so it ranks first whenever it is in the window.
    everything = [r["slug"] for r in search(api_client, q="soil")["results"]]
    assert everything[0] == "soil-0"
    assert sorted(everything) == ["soil-0", "soil-1", "soil-2", "soil-3", "soil-4"]

    # Make soil-0 the oldest: outside a window of the two newest it comes in date order.
    soil_datasets[0].modified = timezone.now() - timedelta(days=30)
    soil_datasets[0].save(update_fields=["modified"])
    settings.SEARCH_RANK_WINDOW = 2
    ranked = [r["slug"] for r in search(api_client, q="soil")["results"]]
    assert ranked[2:] == ["soil-3", "soil-4", "soil-0"]
    assert sorted(ranked[:2]) == ["soil-1", "soil-2"]
    # A page that straddles the window's end reads both parts.
    paged = [r["slug"] for r in search(api_client, q="soil", page_size=3, page=1)["results"]]
    assert paged == ranked[:3]
    second = [r["slug"] for r in search(api_client, q="soil", page_size=3, page=2)["results"]]
    assert second == ranked[3:]

    # Past the count threshold too, page after page never repeats a dataset.
    settings.SEARCH_EXACT_COUNT_UP_TO = 4
    one_by_one = [
        search(api_client, q="soil", page_size=1, page=page)["results"][0]["slug"]
        for page in (1, 2, 3, 4)
    ]
    assert len(set(one_by_one)) == 4
    assert set(one_by_one) <= {"soil-0", "soil-1", "soil-2", "soil-3", "soil-4"}


def test_filters_alone_and_other_orderings_keep_their_order(api_client, soil_datasets, settings):
    settings.SEARCH_EXACT_COUNT_UP_TO = 2
    settings.SEARCH_FACET_SAMPLE_ROWS = 1_000_000
    body = search(api_client, data_space="agriculture", ordering="title")
    assert body["count_exact"] is False
    # Pages stop at the lower bound: "Road traffic counts" and "Survey number 0" of four.
    assert [r["slug"] for r in body["results"]] == ["traffic", "soil-0"]
    newest = search(api_client, publisher="soil-institute")
    assert [r["slug"] for r in newest["results"]] == ["soil-0", "soil-1"]


def test_ckan_package_search_still_counts_exactly(api_client, soil_datasets, settings):
    settings.SEARCH_EXACT_COUNT_UP_TO = 2
    response = api_client.get(
        "/api/3/action/package_search", {"q": "soil", "facet.field": '["groups"]'}
    )
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    assert result["count"] == 5
    assert result["facets"]["groups"] == {"agri": 5}


def test_the_schema_describes_the_estimate_flags():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    page = schema["components"]["schemas"]["DatasetSearchOutput"]
    assert {"count_exact", "facets_exact"} <= set(page["required"])
    assert page["properties"]["count_exact"]["type"] == "boolean"
    assert "lower bound" in page["properties"]["count"]["description"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_search_past_the_time_limit_answers_503_in_the_error_shape(api_client, settings):
    DatasetFactory(slug="soil-a", title="Soil moisture")
    settings.SEARCH_STATEMENT_TIMEOUT_MS = 300
    # Another session holds the table: the search waits on the lock until its time limit.
    params = connection.get_connection_params()
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(**params) as other, other.cursor() as cursor:
            cursor.execute("LOCK TABLE catalogue_dataset IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        response = api_client.get(URL, {"q": "soil"})
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "search_timeout"
    assert error["timeout_ms"] == 300
    assert "0.3 s" in error["message"]
    # The limit belonged to the search: the connection answers as before once the lock is gone.
    assert search(api_client, q="soil")["count"] == 1


@pytest.mark.parametrize(
    ("estimated", "rows", "by_index"),
    [
        (11_000, 100_000, True),  # "hospital or patients": 11% of the catalogue
        (110_000, 1_000_000, True),  # the same share of a catalogue ten times larger
        (2_400, 100_000, True),  # a selective word: fewer matches than the threshold
        (77_000, 100_000, False),  # "dataset": 77%, the read in order stops after 13,000 rows
        (770_000, 1_000_000, False),  # the bitmap alone would hold 770,000 entries
        (0, 100_000, True),  # PostgreSQL expects nothing: the index finds it fastest
    ],
)
def test_the_plan_for_words_follows_their_share_of_the_catalogue(estimated, rows, by_index):
    """Each plan's cost stays bounded by the threshold where it is chosen: the index for words
    that match a few percent, reading in order for words that match most datasets."""
    from catalogue.selectors import words_read_by_index

    assert words_read_by_index(estimated_matches=estimated, rows=rows, threshold=10_000) is by_index
