"""Shared set-up of the harvest tests: a source pointing at the local catalogue server."""

from __future__ import annotations

from catalogue.models import DataSpace, Licence
from interop.harvest import services
from interop.models import HarvestRun, HarvestSource
from tests.catalogue.factories import PublisherFactory


def make_source(url: str, *, kind: str = "dcat", default_licence: str | None = None,
                publisher=None, **fields) -> HarvestSource:  # fmt: skip
    return HarvestSource.objects.create(
        name=fields.pop("name", f"source {url}"),
        url=url,
        kind=kind,
        publisher=publisher or PublisherFactory(slug="harvested", name="Harvested"),
        data_space=DataSpace.objects.get(slug="agriculture"),
        default_licence=Licence.objects.get(identifier=default_licence)
        if default_licence
        else None,
        **fields,
    )


def harvest(source: HarvestSource) -> HarvestRun:
    return services.harvest_source_run(source_id=source.pk)
