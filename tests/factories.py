from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from catalogue.models import AccessRights, Dataset, DataSpace, Distribution, Licence, Publisher


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"publisher-{n}")
    name = factory.Sequence(lambda n: f"Publisher {n}")
    homepage = factory.LazyAttribute(lambda p: f"https://{p.slug}.example.org")


class DatasetFactory(factory.django.DjangoModelFactory):
    """Datasets are written with the ORM here; services are exercised by their own tests."""

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
