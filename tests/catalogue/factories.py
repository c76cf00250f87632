"""Catalogue rows for tests, written with the ORM (services are exercised by their own tests)."""

from __future__ import annotations

import hashlib

import factory
from django.core.files.base import ContentFile

from catalogue.models import AccessRights, Dataset, DataSpace, Distribution, Licence, Publisher

CSV_CONTENT = b"station,moisture\n" + b"".join(b"s%05d,%d\n" % (i, i % 97) for i in range(20000))


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"publisher-{n}")
    name = factory.Sequence(lambda n: f"Publisher {n}")
    homepage = factory.LazyAttribute(lambda p: f"https://{p.slug}.example.org")


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    title = factory.Sequence(lambda n: f"Dataset {n}")
    description = "A dataset used in tests."
    publisher = factory.SubFactory(PublisherFactory)
    data_space = factory.LazyFunction(lambda: DataSpace.objects.get(slug="agriculture"))
    licence = factory.LazyFunction(lambda: Licence.objects.get(identifier="CC-BY-4.0"))
    access_rights = AccessRights.PUBLIC
    keywords = factory.LazyFunction(list)
    languages = factory.LazyFunction(lambda: ["en"])

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)


class DistributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Distribution

    dataset = factory.SubFactory(DatasetFactory)
    title = factory.Sequence(lambda n: f"File {n}")
    format = "CSV"
    media_type = "text/csv"


def file_distribution(
    dataset: Dataset, content: bytes = CSV_CONTENT, filename: str = "moisture.csv", **fields
) -> Distribution:
    """A distribution with real bytes in the private storage, its size and SHA-256 recorded."""
    distribution = DistributionFactory(
        dataset=dataset,
        byte_size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        **fields,
    )
    distribution.file.save(filename, ContentFile(content))
    return distribution
