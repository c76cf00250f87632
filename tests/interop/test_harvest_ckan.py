"""Harvesting a CKAN site through package_search: a recorded catalogue over several pages."""

from __future__ import annotations

import json

import pytest

from catalogue.models import Dataset
from interop.models import HarvestRunStatus

from .harvest_helpers import harvest, make_source
from .harvest_server import FIXTURES, ckan_search

pytestmark = pytest.mark.django_db

RECORDED = json.loads((FIXTURES / "ckan" / "packages.json").read_text())
SEARCH = "/api/3/action/package_search"


def test_recorded_ckan_catalogue_is_harvested_over_two_pages(catalogue_server, settings):
    settings.HARVEST_CKAN_ROWS = 2
    catalogue_server.routes[SEARCH] = ckan_search(RECORDED)
    source = make_source(catalogue_server.base, kind="ckan", default_licence="CC-BY-4.0")

    run = harvest(source)

    assert run.status == HarvestRunStatus.SUCCEEDED, run.error
    assert (run.pages, run.created_count, run.failed_count) == (2, 3, 0)
    energy = Dataset.objects.get(identifier="1c65c66a-fdec-4138-9c64-0f9bf087bcbb")
    assert energy.title == "Cabinet Office 70 Whitehall energy use"
    assert energy.description.startswith("Cabinet Office head office energy use")
    assert sorted(energy.keywords) == ["consumption", "energy"]
    assert energy.landing_page == "http://www.carbonculture.net/orgs/cabinet-office/70-whitehall/"
    assert energy.modified.isoformat().startswith("2014-05-09T22:00:01.486366")
    [resource] = energy.distributions.all()
    assert resource.identifier == "f156019d-ea88-46a6-8fa3-3d12582e2161"
    assert resource.format == "CSV"
    assert resource.access_url.endswith("/70-whitehall/reports/elec00.csv")
    assert resource.byte_size == 299107
    survey = Dataset.objects.get(identifier="756d6426-d52d-492a-a263-599ad1caa123")
    assert survey.title == "Zimbabwe Regional Geochemical Survey."
    assert survey.distributions.get().format == "HTML"  # its format is given as text/html
    assert survey.licence.identifier == "CC-BY-4.0"  # none given: the source's default


def test_packages_without_a_licence_of_ours_are_reported_and_skipped(catalogue_server, settings):
    """uk-ogl is not a licence of this catalogue, and two packages say none: without a default
    licence on the source, each is a record error; the run itself succeeds."""
    settings.HARVEST_CKAN_ROWS = 2
    catalogue_server.routes[SEARCH] = ckan_search(RECORDED)
    run = harvest(make_source(catalogue_server.base, kind="ckan"))

    assert run.status == HarvestRunStatus.SUCCEEDED
    assert (run.created_count, run.failed_count) == (0, 3)
    messages = {e["identifier"]: e["message"] for e in run.record_errors}
    assert "uk-ogl" in messages["1c65c66a-fdec-4138-9c64-0f9bf087bcbb"]


def test_a_malformed_package_is_skipped_and_the_others_imported(catalogue_server):
    broken = [*RECORDED, {"id": "broken-1", "title": "", "name": ""}, "not a package"]
    catalogue_server.routes[SEARCH] = ckan_search(broken)
    run = harvest(make_source(catalogue_server.base, kind="ckan", default_licence="CC0-1.0"))

    assert (run.status, run.created_count, run.failed_count) == ("succeeded", 3, 2)
    assert {e["identifier"] for e in run.record_errors} == {"broken-1", "(not a package)"}


def test_a_site_that_ignores_start_is_stopped_as_a_paging_loop(catalogue_server, settings):
    settings.HARVEST_CKAN_ROWS = 2
    catalogue_server.routes[SEARCH] = ckan_search(RECORDED, ignore_start=True)
    run = harvest(make_source(catalogue_server.base, kind="ckan", default_licence="CC0-1.0"))

    assert run.status == HarvestRunStatus.FAILED
    assert "paging loops" in run.error
    assert run.created_count == 0 and not Dataset.objects.filter(identifier="dataset1-id").exists()
