"""Harvesting DCAT-AP catalogues: the official examples, every field the export maps, Hydra
paging, and keeping in step (unchanged, changed, vanished)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from access import services as access_services
from access.models import GrantState
from catalogue.models import AccessRights, Dataset, DatasetEvent, DatasetEventAction
from interop.models import HarvestedDataset, HarvestRunStatus

from .harvest_helpers import harvest, make_source
from .harvest_server import FIXTURES, static

pytestmark = pytest.mark.django_db

EXAMPLES = FIXTURES / "dcat-ap"
EXAMPLE_CONTEXT = (
    "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/"
    "context.jsonld"
)

RICH = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix locn: <http://www.w3.org/ns/locn#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<https://data.example.eu/ds/soil> a dcat:Dataset ;
  dct:identifier "SOIL-42" ;
  dct:title "Bodenfeuchte"@de, "Soil moisture"@en ;
  dct:description "Daily soil moisture at 40 stations."@en ;
  dcat:keyword "soil"@en, "moisture"@en, "Boden"@de ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/AGRI>,
             <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/RESTRICTED> ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dct:language <http://publications.europa.eu/resource/authority/language/ENG>,
               <http://publications.europa.eu/resource/authority/language/DEU> ;
  dct:spatial [ a dct:Location ; locn:geographicName "Bavaria" ] ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ;
                 dcat:endDate "2023-12-31"^^xsd:date ] ;
  dct:issued "2021-03-01"^^xsd:date ;
  dct:modified "2024-05-06T07:08:09+00:00"^^xsd:dateTime ;
  dcat:landingPage <https://data.example.eu/soil> ;
  dcat:version "2.1" ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Soil desk" ;
                      vcard:hasEmail <mailto:soil@example.eu> ] ;
  dcat:distribution <https://data.example.eu/dist/soil-csv> .
<https://data.example.eu/dist/soil-csv> a dcat:Distribution ;
  dct:title "Soil moisture, CSV" ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
  dcat:downloadURL <https://data.example.eu/files/soil.csv> ;
  dcat:byteSize "2048"^^xsd:nonNegativeInteger ;
  spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ;
    spdx:checksumValue "%s"^^xsd:hexBinary ] .
""" % ("ab" * 32)


def test_official_examples_harvest_with_a_default_licence(catalogue_server):
    catalogue_server.routes["/bees.ttl"] = static(
        (EXAMPLES / "example-bee-population-2022-2023.ttl").read_bytes(), "text/turtle"
    )
    source = make_source(catalogue_server.url("/bees.ttl"), default_licence="CC-BY-4.0")

    run = harvest(source)

    assert run.status == HarvestRunStatus.SUCCEEDED, run.error
    assert (run.created_count, run.failed_count) == (2, 0)
    titles = set(Dataset.objects.filter(publisher=source.publisher).values_list("title", flat=True))
    assert titles == {"Bee population 2022", "Bee population 2023"}
    bees = Dataset.objects.get(identifier="https://data.gov.gr/id/dataset/BeePopulation2022")
    assert bees.description == "A dataset about bee population in Greece in 2022"
    assert bees.licence.identifier == "CC-BY-4.0"
    assert bees.data_space == source.data_space


def test_official_example_without_licence_is_a_record_error_without_a_default(catalogue_server):
    catalogue_server.routes["/bee.ttl"] = static(
        (EXAMPLES / "example-bee-population.ttl").read_bytes(), "text/turtle"
    )
    run = harvest(make_source(catalogue_server.url("/bee.ttl")))

    assert run.status == HarvestRunStatus.SUCCEEDED
    assert (run.created_count, run.failed_count) == (0, 1)
    [error] = run.record_errors
    assert error["identifier"] == "https://data.gov.gr/id/dataset/BeePopulation"
    assert "licence" in error["message"]


def test_official_jsonld_example_reads_its_context_from_the_local_copy(catalogue_server, settings):
    settings.HARVEST_JSONLD_CONTEXTS = {EXAMPLE_CONTEXT: str(EXAMPLES / "context.jsonld")}
    catalogue_server.routes["/bees.jsonld"] = static(
        (EXAMPLES / "example-bee-population-2022-2023.jsonld").read_bytes(), "application/ld+json"
    )
    run = harvest(make_source(catalogue_server.url("/bees.jsonld"), default_licence="CC0-1.0"))

    assert run.status == HarvestRunStatus.SUCCEEDED, run.error
    assert run.created_count == 2
    assert Dataset.objects.filter(title="Bee population 2023").exists()


def test_jsonld_naming_an_unknown_remote_context_fails_without_fetching_it(catalogue_server):
    catalogue_server.routes["/bees.jsonld"] = static(
        (EXAMPLES / "example-bee-population-2022-2023.jsonld").read_bytes(), "application/ld+json"
    )
    run = harvest(make_source(catalogue_server.url("/bees.jsonld"), default_licence="CC0-1.0"))

    assert run.status == HarvestRunStatus.FAILED
    assert "context" in run.error and "not fetched" in run.error
    assert not Dataset.objects.filter(title__startswith="Bee").exists()


def test_official_example_that_is_not_valid_turtle_fails_the_run_cleanly(catalogue_server):
    """The series example writes `example-dist:BeePopulation2023/biojson`, a prefixed name with
    a slash, which Turtle does not allow: the run fails with the parser's line, imports nothing."""
    catalogue_server.routes["/series.ttl"] = static(
        (EXAMPLES / "example-bee-population-dataset-series-api.ttl").read_bytes(), "text/turtle"
    )
    run = harvest(make_source(catalogue_server.url("/series.ttl"), default_licence="CC0-1.0"))

    assert run.status == HarvestRunStatus.FAILED
    assert "could not be read as turtle" in run.error and "line 20" in run.error
    assert run.created_count == 0
    assert not Dataset.objects.filter(title__startswith="Bee population 2023").exists()


def test_distribution_of_a_format_we_do_not_know_is_skipped_with_a_note(catalogue_server):
    odd = RICH.replace("file-type/CSV", "file-type/MDB").replace("text/csv", "x-odd/x-odd")
    catalogue_server.routes["/odd.ttl"] = static(odd.replace("soil.csv", "soil.mdb"), "text/turtle")
    run = harvest(make_source(catalogue_server.url("/odd.ttl")))

    assert run.created_count == 1
    assert Dataset.objects.get(identifier="SOIL-42").distributions.count() == 0
    [note] = run.record_errors
    assert note["identifier"] == "SOIL-42" and "skipped" in note["message"]


def test_every_mapped_field_is_read_back(catalogue_server):
    catalogue_server.routes["/rich.ttl"] = static(RICH, "text/turtle")
    run = harvest(make_source(catalogue_server.url("/rich.ttl")))

    assert run.created_count == 1, run.record_errors
    dataset = Dataset.objects.get(identifier="SOIL-42")
    assert dataset.title == "Soil moisture"
    assert dataset.description == "Daily soil moisture at 40 stations."
    assert sorted(dataset.keywords) == ["moisture", "soil"]
    assert sorted(t.code for t in dataset.themes.all()) == ["AGRI", "ENVI"]
    assert dataset.access_rights == AccessRights.RESTRICTED
    assert dataset.licence.identifier == "CC-BY-4.0"
    assert sorted(dataset.languages) == ["de", "en"]
    assert dataset.spatial == "Bavaria"
    assert (dataset.temporal_start, dataset.temporal_end) == (date(2020, 1, 1), date(2023, 12, 31))
    assert dataset.issued == date(2021, 3, 1)
    assert dataset.modified == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert dataset.landing_page == "https://data.example.eu/soil"
    assert dataset.version == "2.1"
    assert (dataset.contact_name, dataset.contact_email) == ("Soil desk", "soil@example.eu")
    [distribution] = dataset.distributions.all()
    assert distribution.identifier == "https://data.example.eu/dist/soil-csv"
    assert distribution.title == "Soil moisture, CSV"
    assert (distribution.format, distribution.media_type) == ("CSV", "text/csv")
    assert distribution.access_url == "https://data.example.eu/files/soil.csv"
    assert (distribution.byte_size, distribution.sha256) == (2048, "ab" * 32)
    provenance = HarvestedDataset.objects.get(dataset=dataset)
    assert provenance.remote_identifier == "SOIL-42" and provenance.last_run == run
    event = DatasetEvent.objects.get(dataset=dataset, action=DatasetEventAction.CREATED)
    assert event.detail["harvest_run"] == run.pk


def _page(number: int, *, next_path: str | None, predicate: str = "hydra:next") -> str:
    following = f"; {predicate} <{next_path}>" if next_path else ""
    return f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<https://x.example/ds/{number}> a dcat:Dataset ; dct:title "Page {number} dataset" ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC0> .
<?page={number}> a hydra:PartialCollectionView {following} .
"""


@pytest.mark.parametrize("predicate", ["hydra:next", "hydra:nextPage"])
def test_hydra_paging_is_followed_to_the_last_page(catalogue_server, predicate):
    pages = {1: _page(1, next_path="/p2.ttl", predicate=predicate),
             2: _page(2, next_path="/p3.ttl", predicate=predicate),
             3: _page(3, next_path=None)}  # fmt: skip
    catalogue_server.routes["/p1.ttl"] = static(pages[1], "text/turtle")
    catalogue_server.routes["/p2.ttl"] = static(pages[2], "text/turtle")
    catalogue_server.routes["/p3.ttl"] = static(pages[3], "text/turtle")

    run = harvest(make_source(catalogue_server.url("/p1.ttl")))

    assert (run.status, run.pages, run.created_count) == (HarvestRunStatus.SUCCEEDED, 3, 3)


def test_unchanged_reharvest_writes_nothing_and_a_change_is_one_update(catalogue_server):
    catalogue_server.routes["/rich.ttl"] = static(RICH, "text/turtle")
    source = make_source(catalogue_server.url("/rich.ttl"))
    harvest(source)
    dataset = Dataset.objects.get(identifier="SOIL-42")
    events = DatasetEvent.objects.filter(dataset=dataset).count()

    again = harvest(source)

    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)
    assert DatasetEvent.objects.filter(dataset=dataset).count() == events
    assert Dataset.objects.get(pk=dataset.pk).modified == dataset.modified
    assert HarvestedDataset.objects.get(dataset=dataset).last_run == again

    changed = RICH.replace('Soil moisture"@en', 'Soil moisture, revised"@en').replace(
        "2024-05-06T07:08:09", "2024-06-01T00:00:00"
    )
    catalogue_server.routes["/rich.ttl"] = static(changed, "text/turtle")
    third = harvest(source)

    assert (third.updated_count, third.unchanged_count) == (1, 0)
    dataset.refresh_from_db()
    assert dataset.title == "Soil moisture, revised"
    update = DatasetEvent.objects.filter(dataset=dataset, action=DatasetEventAction.UPDATED).get()
    assert "title" in update.changed_fields


def test_vanished_dataset_is_withdrawn_and_its_grant_stays_active(
    catalogue_server, researcher, steward
):
    from tests.access.factories import approved_request
    from tests.catalogue.factories import file_distribution

    catalogue_server.routes["/two.ttl"] = static(
        _page(1, next_path=None) + _page(2, next_path=None).split("\n", 3)[3], "text/turtle"
    )
    source = make_source(catalogue_server.url("/two.ttl"), default_access_rights="RESTRICTED")
    source.publisher.stewards.add(steward)
    assert harvest(source).created_count == 2
    leaving = Dataset.objects.get(identifier="https://x.example/ds/2")
    file_distribution(leaving)
    grant = access_services.grant_provision(
        access_request_id=approved_request(researcher, steward, leaving).pk
    )

    catalogue_server.routes["/two.ttl"] = static(_page(1, next_path=None), "text/turtle")
    run = harvest(source)

    assert (run.unchanged_count, run.removed_count) == (1, 1)
    leaving.refresh_from_db()
    assert leaving.withdrawn_at is not None and "harvest source" in leaving.withdrawn_reason
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    assert Dataset.objects.filter(pk=leaving.pk).exists()
