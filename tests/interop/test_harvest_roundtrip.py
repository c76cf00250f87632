"""The issue's "done when": this instance's catalogue, exported as DCAT-AP and through the CKAN
API, served by a local server and harvested into a fresh publisher, comes back as the same
datasets (titles, descriptions, keywords, themes, licences, access rights, languages,
distributions' metadata)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from catalogue.models import Dataset
from interop.models import HarvestRunStatus
from tests.catalogue.factories import PublisherFactory

from .harvest_helpers import harvest, make_source
from .harvest_server import ckan_search, send

pytestmark = pytest.mark.django_db


def content(dataset: Dataset) -> dict:
    return {
        "title": dataset.title,
        "description": dataset.description,
        "keywords": sorted(dataset.keywords),
        "themes": sorted(t.code for t in dataset.themes.all()),
        "licence": dataset.licence.identifier,
        "access_rights": dataset.access_rights,
        "languages": sorted(dataset.languages),
        "temporal": (dataset.temporal_start, dataset.temporal_end),
        "issued": dataset.issued,
        "version": dataset.version,
        "distributions": sorted(
            (d.title, d.description, d.format, d.media_type, d.byte_size, d.sha256)
            for d in dataset.distributions.all()
        ),
    }


@pytest.fixture
def demo_catalogue(monkeypatch) -> dict[str, dict]:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    originals = {str(d.id): content(d) for d in Dataset.objects.filter(withdrawn_at__isnull=True)}
    assert len(originals) > 5
    # The comparison means something: the demo has all of these, in more than one kind.
    values = originals.values()
    assert sum(bool(o["distributions"]) for o in values) > 3
    assert all(o["themes"] and o["keywords"] for o in values)
    assert len({o["licence"] for o in values}) > 2
    assert len({o["access_rights"] for o in values}) == 3
    return originals


def assert_same_datasets(run, mirror, originals: dict[str, dict]) -> None:
    assert run.status == HarvestRunStatus.SUCCEEDED, run.error
    assert (run.created_count, run.failed_count) == (len(originals), 0), run.record_errors
    copies = {d.identifier: content(d) for d in Dataset.objects.filter(publisher=mirror)}
    assert copies.keys() == originals.keys()
    for identifier, original in originals.items():
        assert copies[identifier] == original, identifier


@pytest.mark.parametrize(
    ("extension", "media_type"),
    [("ttl", "text/turtle"), ("rdf", "application/rdf+xml"), ("jsonld", "application/ld+json")],
)
def test_dcat_ap_export_harvested_into_a_fresh_publisher_gives_the_same_datasets(
    demo_catalogue, catalogue_server, settings, extension, media_type
):
    settings.SITE_URL = catalogue_server.base
    settings.DCAT_PAGE_SIZE = 3
    client = Client()
    pages: dict[str, bytes] = {}
    number = 1
    while True:
        response = client.get(f"/catalogue.{extension}?page={number}")
        if response.status_code == 404:
            break
        assert response.status_code == 200
        pages[str(number)] = (
            b"".join(response.streaming_content) if response.streaming else response.content
        )
        number += 1
    assert len(pages) >= 3

    def serve(handler, query):
        send(handler, pages[query.get("page", ["1"])[0]], f"{media_type}; charset=utf-8")

    catalogue_server.routes[f"/catalogue.{extension}"] = serve
    mirror = PublisherFactory(slug="mirror", name="Mirror")
    source = make_source(catalogue_server.url(f"/catalogue.{extension}"), publisher=mirror)

    run = harvest(source)

    assert run.pages == len(pages)
    assert_same_datasets(run, mirror, demo_catalogue)
    again = harvest(source)
    assert (again.unchanged_count, again.updated_count, again.created_count) == (
        len(demo_catalogue),
        0,
        0,
    )


def test_ckan_package_search_harvested_into_a_fresh_publisher_gives_the_same_datasets(
    demo_catalogue, catalogue_server, settings
):
    settings.SITE_URL = catalogue_server.base
    settings.HARVEST_CKAN_ROWS = 4
    answer = Client().get("/api/3/action/package_search", {"rows": 1000})
    packages = answer.json()["result"]["results"]
    assert len(packages) == len(demo_catalogue)
    catalogue_server.routes["/api/3/action/package_search"] = ckan_search(packages)
    mirror = PublisherFactory(slug="mirror", name="Mirror")

    run = harvest(make_source(catalogue_server.base, kind="ckan", publisher=mirror))

    assert run.pages > 1
    assert_same_datasets(run, mirror, demo_catalogue)
