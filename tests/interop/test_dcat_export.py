"""DCAT-AP 3.0.1 out: /catalogue(.ttl|.jsonld|.rdf) and /api/v1/datasets/{id}/dcat.*, checked
against the official SHACL shapes and read back with rdflib."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from catalogue.models import AccessRights, Dataset, Licence, Theme
from interop.dcat.vocabularies import ADMS, HYDRA, SPDX, VCARD
from tests.catalogue.factories import DatasetFactory, DistributionFactory, file_distribution

from .conftest import shacl_check

pytestmark = pytest.mark.django_db

MANDATORY = ("shapes.ttl", "range.ttl")
EU = "http://publications.europa.eu/resource/authority/"


def fetch(client: Client, url: str, **headers) -> Graph:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    media_type = response["Content-Type"].split(";")[0]
    assert response["Content-Type"].endswith("charset=utf-8")
    return Graph().parse(data=body, format={"text/turtle": "turtle",
                                            "application/ld+json": "json-ld",
                                            "application/rdf+xml": "xml"}[media_type])  # fmt: skip


def whole_catalogue(client: Client, extension: str = "ttl", query: str = "") -> Graph:
    """Every page followed through hydra:next, merged."""
    merged = Graph()
    url = f"/catalogue.{extension}{query}"
    pages = 0
    while url:
        page = fetch(client, url)
        merged += page
        pages += 1
        following = list(page.objects(None, HYDRA.next))
        url = str(following[0]).removeprefix("http://testserver") if following else None
        assert pages < 50
    return merged


def dataset_node(graph: Graph, dataset: Dataset) -> URIRef:
    nodes = list(graph.subjects(DCTERMS.identifier, Literal(str(dataset.id))))
    assert len(nodes) == 1
    return nodes[0]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def client() -> Client:
    return Client()


# --- conformance -------------------------------------------------------------------------------


def test_the_demo_catalogue_has_no_dcat_ap_violations(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    graph = whole_catalogue(client)
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == Dataset.objects.count() > 5

    report = shacl_check(graph, *MANDATORY)
    assert report.violations == 0, report.text
    recommended = shacl_check(graph, "shapes_recommended.ttl")
    vocabularies = shacl_check(graph, "mdr-vocabularies.shape.ttl")
    print(
        f"\nDCAT-AP on the demo catalogue: recommended shapes {recommended.warnings} warnings; "
        f"controlled vocabularies {vocabularies.violations} violations, "
        f"{vocabularies.warnings} warnings"
    )


def test_minimal_and_non_ascii_datasets_have_no_violations(client):
    bare = DatasetFactory(
        title="Données de qualité de l'air — Zürich, Łódź, Αθήνα, 北京",
        description="",
        keywords=[],
        languages=[],
        access_rights=AccessRights.NON_PUBLIC,
        licence=Licence.objects.get(identifier="LicenseRef-Passerelle-Research-Only-1.0"),
        spatial="https://example.org/a place <not an IRI>",
    )
    bare.publisher.homepage = ""
    bare.publisher.save()
    several = DatasetFactory(
        title="Mehrsprachig / multilingue / многоязычный",
        languages=["de", "fr", "ru", "xx"],
        keywords=["Bodenfeuchte", "humidité du sol", "влажность"],
        spatial="https://sws.geonames.org/2921044/",
        temporal_start=dt.date(2020, 1, 1),
        issued=dt.date(2020, 6, 1),
        contact_name="Ærøskøbing data desk",
        contact_email="data@example.org",
        version="2.0",
        landing_page="https://example.org/ds",
        themes=[Theme.objects.get(code="AGRI"), Theme.objects.get(code="ENVI")],
    )
    DistributionFactory(dataset=several, format="DICOM", media_type="", title="Scans")
    DistributionFactory(dataset=several, format="API", access_url="https://api.example.org/v1")

    graph = whole_catalogue(client)
    report = shacl_check(graph, *MANDATORY)
    assert report.violations == 0, report.text
    assert (dataset_node(graph, bare), DCTERMS.title, Literal(bare.title)) in graph
    for code in ("DEU", "FRA", "RUS"):
        assert (
            dataset_node(graph, several),
            DCTERMS.language,
            URIRef(f"{EU}language/{code}"),
        ) in graph

    for fmt in ("jsonld", "rdf"):
        other = whole_catalogue(client, fmt)
        assert (dataset_node(other, bare), DCTERMS.title, Literal(bare.title)) in other
        assert shacl_check(other, *MANDATORY).violations == 0


def test_a_missing_mandatory_property_is_caught_by_the_shapes(client):
    """The check is not vacuous: a dataset stripped of its title is a violation."""
    dataset = DatasetFactory()
    graph = fetch(client, f"/api/v1/datasets/{dataset.slug}/dcat.ttl")
    graph.remove((dataset_node(graph, dataset), DCTERMS.title, None))
    assert shacl_check(graph, *MANDATORY).violations == 1


# --- the mapping -------------------------------------------------------------------------------


def test_every_field_maps_to_the_eu_vocabularies(client):
    dataset = DatasetFactory(
        title="Soil moisture",
        keywords=["soil"],
        languages=["en"],
        spatial="Lower Saxony",
        temporal_start=dt.date(2021, 1, 1),
        temporal_end=dt.date(2021, 12, 31),
        issued=dt.date(2021, 2, 1),
        themes=[Theme.objects.get(code="AGRI")],
        version="1.1",
    )
    dataset.publisher.email = "office@publisher.example"
    dataset.publisher.country = "FR"
    dataset.publisher.save()
    distribution = file_distribution(dataset, content=b"a,b\n1,2\n", filename="x.csv")
    graph = fetch(client, f"/api/v1/datasets/{dataset.id}/dcat.ttl")
    node = dataset_node(graph, dataset)

    publisher = graph.value(node, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert graph.value(publisher, FOAF.name) == Literal(dataset.publisher.name)
    assert graph.value(publisher, DCTERMS.spatial) == URIRef(f"{EU}country/FRA")
    slug = graph.value(node, ADMS.identifier)
    assert graph.value(slug, SKOS.notation) == Literal(dataset.slug)
    assert (node, DCAT.theme, URIRef(f"{EU}data-theme/AGRI")) in graph
    assert (node, DCTERMS.accessRights, URIRef(f"{EU}access-right/PUBLIC")) in graph
    assert (node, DCTERMS.license, URIRef(f"{EU}licence/CC_BY_4_0")) in graph
    assert (URIRef(f"{EU}licence/CC_BY_4_0"), RDF.type, DCTERMS.LicenseDocument) in graph
    modified = graph.value(node, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    assert modified.toPython() == dataset.modified
    assert graph.value(node, DCTERMS.issued) == Literal(dt.date(2021, 2, 1), datatype=XSD.date)
    period = graph.value(node, DCTERMS.temporal)
    assert graph.value(period, DCAT.endDate) == Literal(dt.date(2021, 12, 31), datatype=XSD.date)
    contact = graph.value(node, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:office@publisher.example")

    dist = graph.value(node, DCAT.distribution)
    assert graph.value(dist, DCTERMS.format) == URIRef(f"{EU}file-type/CSV")
    assert graph.value(dist, DCAT.byteSize) == Literal(8, datatype=XSD.nonNegativeInteger)
    checksum = graph.value(dist, SPDX.checksum)
    assert (checksum, RDF.type, SPDX.Checksum) in graph
    assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    value = graph.value(checksum, SPDX.checksumValue)
    assert value.datatype == XSD.hexBinary and str(value).lower() == distribution.sha256
    download = graph.value(dist, DCAT.downloadURL)
    assert str(download).endswith(f"/distributions/{distribution.id}/download/")
    assert client.get(str(download).removeprefix("http://testserver")).status_code == 200


def test_a_licence_outside_the_eu_table_keeps_its_own_uri(client):
    odbl = DatasetFactory(licence=Licence.objects.get(identifier="ODbL-1.0"))
    ours = DatasetFactory(
        licence=Licence.objects.get(identifier="LicenseRef-Passerelle-Commercial-Agreement-1.0")
    )
    graph = whole_catalogue(client)
    odbl_uri = graph.value(dataset_node(graph, odbl), DCTERMS.license)
    assert odbl_uri == URIRef("https://opendatacommons.org/licenses/odbl/1-0/")
    ours_uri = graph.value(dataset_node(graph, ours), DCTERMS.license)
    assert str(ours_uri).startswith("http://testserver/")
    for uri in (odbl_uri, ours_uri):
        assert (uri, RDF.type, DCTERMS.LicenseDocument) in graph
    assert "Onward distribution" in str(graph.value(ours_uri, DCTERMS.description))


@pytest.mark.parametrize("access_rights", [AccessRights.RESTRICTED, AccessRights.NON_PUBLIC])
def test_a_restricted_distribution_points_at_the_request_flow_never_a_download(
    client, access_rights
):
    dataset = DatasetFactory(access_rights=access_rights)
    file_distribution(dataset)
    DistributionFactory(dataset=dataset, format="API", access_url="https://secret.example/api")
    graph = fetch(client, f"/api/v1/datasets/{dataset.slug}/dcat.ttl")

    assert list(graph.subject_objects(DCAT.downloadURL)) == []
    request_flow = URIRef(
        "http://testserver"
        + reverse("workspace:workspace_cataloguedataset_change", args=[dataset.pk])
    )
    assert set(graph.objects(None, DCAT.accessURL)) == {request_flow}
    assert len(list(graph.objects(None, DCAT.accessURL))) == 2  # one per distribution
    assert "secret.example" not in graph.serialize(format="turtle")


def test_data_spaces_are_sub_catalogues_listing_their_datasets(client):
    dataset = DatasetFactory()
    graph = whole_catalogue(client)
    root = URIRef("http://testserver/catalogue")
    space = graph.value(root, DCTERMS.hasPart)
    assert (space, RDF.type, DCAT.Catalog) in graph
    assert graph.value(space, DCTERMS.identifier) == Literal("agriculture")
    assert (space, DCAT.dataset, dataset_node(graph, dataset)) in graph


# --- paging, negotiation, errors ---------------------------------------------------------------


def test_pages_link_first_previous_next_and_last(client, settings):
    settings.DCAT_PAGE_SIZE = 2
    datasets = DatasetFactory.create_batch(5)
    page2 = fetch(client, "/catalogue.ttl?page=2")
    view = URIRef("http://testserver/catalogue.ttl?page=2")
    assert (view, RDF.type, HYDRA.PartialCollectionView) in page2
    links = {
        p: str(page2.value(view, p)) for p in (HYDRA.first, HYDRA.previous, HYDRA.next, HYDRA.last)
    }
    assert links == {
        HYDRA.first: "http://testserver/catalogue.ttl?page=1",
        HYDRA.previous: "http://testserver/catalogue.ttl?page=1",
        HYDRA.next: "http://testserver/catalogue.ttl?page=3",
        HYDRA.last: "http://testserver/catalogue.ttl?page=3",
    }
    assert page2.value(URIRef("http://testserver/catalogue"), HYDRA.totalItems).toPython() == 5
    assert len(set(page2.subjects(RDF.type, DCAT.Dataset))) == 2

    merged = whole_catalogue(client)
    assert {str(d.id) for d in datasets} == {
        str(i) for i in merged.objects(None, DCTERMS.identifier) if len(str(i)) == 36
    }
    last = fetch(client, "/catalogue.ttl?page=3")
    assert last.value(URIRef("http://testserver/catalogue.ttl?page=3"), HYDRA.next) is None


def test_modified_since_keeps_only_recent_changes_and_in_its_links(client, settings):
    settings.DCAT_PAGE_SIZE = 1
    old = DatasetFactory(modified=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    new = DatasetFactory.create_batch(2, modified=dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    graph = whole_catalogue(client, query="?modified_since=2024-01-01")
    ids = {str(i) for i in graph.objects(None, DCTERMS.identifier)}
    assert {str(d.id) for d in new} <= ids and str(old.id) not in ids


def test_the_catalogue_negotiates_its_format_by_accept(client):
    DatasetFactory()
    for accept, media_type in (
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.5", "application/rdf+xml"),
        ("text/html,*/*;q=0.8", "text/turtle"),
        ("", "text/turtle"),
    ):
        response = client.get("/catalogue", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        assert response["Content-Type"].startswith(media_type), accept
        assert response["Vary"] == "Accept"
        assert (
            len(
                set(
                    fetch(client, "/catalogue", Accept=accept or "*/*").subjects(
                        RDF.type, DCAT.Dataset
                    )
                )
            )
            == 1
        )

    refused = client.get("/catalogue", headers={"Accept": "application/pdf"})
    assert refused.status_code == 406
    assert refused.json()["error"]["code"] == "not_acceptable"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [("?page=0", 400, "page"), ("?page=abc", 400, "page"), ("?page=7", 404, None),
     ("?modified_since=yesterday", 400, "modified_since"),
     ("?modified_since=2024-13-45", 400, "modified_since")],
)  # fmt: skip
def test_bad_paging_parameters_answer_the_api_error_shape(client, query, status, field):
    DatasetFactory()
    response = client.get(f"/catalogue.ttl{query}")
    assert response.status_code == status
    error = response.json()["error"]
    if field:
        assert field in error["fields"]


def test_one_dataset_by_id_or_slug_in_every_format(client):
    dataset = DatasetFactory(title="Étude")
    for key in (str(dataset.id), dataset.slug):
        for extension in ("ttl", "jsonld", "rdf"):
            graph = fetch(client, f"/api/v1/datasets/{key}/dcat.{extension}")
            assert graph.value(dataset_node(graph, dataset), DCTERMS.title) == Literal("Étude")
    missing = client.get("/api/v1/datasets/no-such-dataset/dcat.ttl")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(client):
    def queries_for_one_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            fetch(client, "/catalogue.ttl")
        return len(captured)

    DistributionFactory(dataset=DatasetFactory(themes=[Theme.objects.get(code="HEAL")]))
    small = queries_for_one_page()
    for dataset in DatasetFactory.create_batch(30, themes=[Theme.objects.get(code="AGRI")]):
        DistributionFactory.create_batch(2, dataset=dataset)
    assert queries_for_one_page() == small <= 8
