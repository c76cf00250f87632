"""The ``ckanapi`` client, unchanged, against a running Passerelle (pytest-django's live server)."""

from __future__ import annotations

from datetime import UTC, datetime

import ckanapi
import pytest

from catalogue.models import AccessRights, Dataset
from tests.catalogue.factories import DatasetFactory, PublisherFactory, file_distribution

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres,
]


@pytest.fixture
def remote(live_server):
    bauer = PublisherFactory(slug="bauer-agrar", name="Bauer Agrar Institut")
    public = DatasetFactory(slug="crop-yields", title="Crop yields in Lower Saxony",
                            publisher=bauer, keywords=["yield"])  # fmt: skip
    file_distribution(public, filename="yields.csv")
    DatasetFactory(slug="soil-moisture", title="Soil moisture", publisher=bauer,
                   access_rights=AccessRights.RESTRICTED)  # fmt: skip
    Dataset.objects.filter(slug="crop-yields").update(modified=datetime(2026, 3, 1, tzinfo=UTC))
    Dataset.objects.filter(slug="soil-moisture").update(modified=datetime(2025, 3, 1, tzinfo=UTC))
    with ckanapi.RemoteCKAN(live_server.url, user_agent="passerelle-tests/1.0") as ckan:
        yield ckan


def test_package_search_with_ckanapi(remote):
    found = remote.action.package_search(
        q="metadata_modified:[2026-01-01T00:00:00Z TO *]",
        fq="organization:bauer-agrar",
        rows=1000,
        **{"facet.field": ["organization", "tags"]},
    )
    assert found["count"] == 1
    assert [p["name"] for p in found["results"]] == ["crop-yields"]
    assert found["facets"]["tags"] == {"yield": 1}
    everything = remote.action.package_search(q="*:*", sort="name asc")
    assert [p["name"] for p in everything["results"]] == ["crop-yields", "soil-moisture"]


def test_package_show_with_ckanapi(remote):
    package = remote.action.package_show(id="crop-yields")
    assert package["title"] == "Crop yields in Lower Saxony"
    assert package["organization"]["name"] == "bauer-agrar"
    (resource,) = package["resources"]
    assert resource["url"].startswith(remote.address) and resource["url"].endswith("/download/")
    with pytest.raises(ckanapi.NotFound):
        remote.action.package_show(id="no-such-dataset")


def test_organization_list_with_ckanapi(remote):
    assert remote.action.organization_list() == ["bauer-agrar"]
    (organization,) = remote.action.organization_list(all_fields=True)
    assert organization["title"] == "Bauer Agrar Institut" and organization["package_count"] == 2


def test_license_list_with_ckanapi(remote):
    licences = {licence["id"]: licence for licence in remote.action.license_list()}
    assert "CC-BY-4.0" in licences and licences["CC-BY-4.0"]["title"]


def test_ckanapi_gets_its_own_exceptions_for_refused_queries(remote):
    with pytest.raises(ckanapi.SearchQueryError):
        remote.action.package_search(fq="unknown_field:x")
    with pytest.raises(ckanapi.ValidationError):
        remote.action.package_search(rows="many")


def test_ckanapi_in_get_only_mode(live_server, remote):
    with ckanapi.RemoteCKAN(live_server.url, user_agent="t/1", get_only=True) as ckan:
        found = ckan.action.package_search(fq="tags:yield")
    assert [p["name"] for p in found["results"]] == ["crop-yields"]
