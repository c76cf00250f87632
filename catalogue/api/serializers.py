"""Input and output shapes of the catalogue API. Output shapes are the public contract."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from catalogue.formats import FORMAT_MEDIA_TYPES
from catalogue.languages import LANGUAGE_NAMES
from catalogue.models import (
    AccessRights,
    Dataset,
    DataSpace,
    Distribution,
    Licence,
    Publisher,
    Theme,
)
from core.api.serializers import StrictInputSerializer

# --- small nested shapes --------------------------------------------------------------------


class PublisherRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class DataSpaceRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class LicenceRefSerializer(serializers.Serializer):
    id = serializers.CharField(source="identifier")
    title = serializers.CharField()
    url = serializers.URLField(allow_blank=True)


class ThemeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    uri = serializers.URLField()


# --- datasets -------------------------------------------------------------------------------


class DatasetListOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    description = serializers.CharField()
    publisher = PublisherRefSerializer()
    data_space = DataSpaceRefSerializer()
    licence = LicenceRefSerializer()
    access_rights = serializers.ChoiceField(choices=AccessRights.choices)
    themes = ThemeSerializer(many=True)
    keywords = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    spatial = serializers.CharField()
    temporal_start = serializers.DateField(allow_null=True)
    temporal_end = serializers.DateField(allow_null=True)
    issued = serializers.DateField(allow_null=True)
    modified = serializers.DateTimeField()
    identifier = serializers.CharField(help_text="The publisher's own identifier, if it gave one.")

    @extend_schema_field(serializers.URLField())
    def get_url(self, dataset: Dataset) -> str:
        path = reverse("api:dataset-detail", kwargs={"id_or_slug": str(dataset.id)})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DistributionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    identifier = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    format = serializers.CharField()
    media_type = serializers.CharField()
    byte_size = serializers.IntegerField(allow_null=True)
    checksum = serializers.CharField(allow_null=True, help_text="sha256:<hex>")
    access_url = serializers.URLField(allow_blank=True, help_text="Service endpoint, if any.")
    download_url = serializers.SerializerMethodField(
        help_text="Only for files of PUBLIC datasets; restricted bytes need a grant."
    )
    created = serializers.DateTimeField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, distribution: Distribution) -> str | None:
        dataset = distribution.dataset
        if dataset.access_rights != AccessRights.PUBLIC or not distribution.file:
            return None
        path = reverse(
            "api:distribution-download",
            kwargs={"id_or_slug": str(dataset.id), "distribution_id": str(distribution.id)},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class LicenceDetailRefSerializer(LicenceRefSerializer):
    is_open = serializers.BooleanField()
    version = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version(self, licence: Licence) -> int | None:
        current = licence.current_version
        return current.version if current else None


class ContactPointSerializer(serializers.Serializer):
    name = serializers.CharField(source="contact_name")
    email = serializers.EmailField(source="contact_email", allow_blank=True)


class DatasetDetailOutputSerializer(DatasetListOutputSerializer):
    licence = LicenceDetailRefSerializer()
    landing_page = serializers.URLField(allow_blank=True)
    contact_point = ContactPointSerializer(source="*")
    version = serializers.CharField()
    created = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Set when the dataset was withdrawn: no longer listed nor requestable; "
        "existing grants are unaffected.",
    )
    withdrawn_reason = serializers.CharField()
    distributions = DistributionOutputSerializer(many=True)


class DatasetInputSerializer(StrictInputSerializer):
    """Publisher and data space by slug, licence by identifier: the values the filters take."""

    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=20000)
    slug = serializers.SlugField(max_length=120, required=False)
    identifier = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Your own identifier for the dataset (unique per publisher).",
    )
    publisher = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Publisher.objects.all(),
        error_messages={"does_not_exist": "Unknown publisher '{value}'."},
    )
    data_space = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=DataSpace.objects.all(),
        error_messages={"does_not_exist": "Unknown data space '{value}'."},
    )
    licence = serializers.SlugRelatedField(
        slug_field="identifier",
        queryset=Licence.objects.all(),
        error_messages={"does_not_exist": "Unknown licence '{value}'."},
    )
    access_rights = serializers.ChoiceField(choices=AccessRights.choices, required=False)
    themes = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Theme.objects.all(),
        many=True,
        required=False,
        error_messages={"does_not_exist": "Unknown theme '{value}'."},
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(LANGUAGE_NAMES)), required=False, max_length=30
    )
    spatial = serializers.CharField(max_length=255, required=False, allow_blank=True)
    temporal_start = serializers.DateField(required=False, allow_null=True)
    temporal_end = serializers.DateField(required=False, allow_null=True)
    issued = serializers.DateField(required=False, allow_null=True)
    modified = serializers.DateTimeField(required=False)
    landing_page = serializers.URLField(required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    version = serializers.CharField(max_length=50, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("temporal_start")
        end = attrs.get("temporal_end")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"temporal_end": ["Must be on or after temporal_start."]}
            )
        return attrs


class DistributionUploadInputSerializer(StrictInputSerializer):
    file = serializers.FileField(allow_empty_file=True)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    format = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=f"One of {', '.join(FORMAT_MEDIA_TYPES)}; inferred from the file name if absent.",
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    media_type = serializers.CharField(max_length=120, required=False, allow_blank=True)
    checksum = serializers.CharField(
        max_length=71,
        required=False,
        allow_blank=True,
        help_text="Optional sha256:<hex>; the upload is refused if the bytes differ.",
    )


# --- reference lists ------------------------------------------------------------------------


class LicenceVersionRefSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    created = serializers.DateTimeField()


class LicenceOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="identifier")
    title = serializers.CharField()
    url = serializers.URLField(allow_blank=True)
    is_open = serializers.BooleanField()
    requires_attribution = serializers.BooleanField()
    requires_share_alike = serializers.BooleanField()
    permits_commercial_use = serializers.BooleanField()
    research_only = serializers.BooleanField()
    version = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version(self, licence: Licence) -> int | None:
        current = licence.current_version
        return current.version if current else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_text(self, licence: Licence) -> str | None:
        current = licence.current_version
        return current.text if current else None

    @extend_schema_field(LicenceVersionRefSerializer(many=True))
    def get_versions(self, licence: Licence) -> list[dict]:
        return [
            {"version": v.version, "created": v.created.isoformat()}
            for v in sorted(licence.versions.all(), key=lambda v: -v.version)
        ]


class DataSpaceOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    url = serializers.URLField(allow_blank=True)
    dataset_count = serializers.IntegerField()


class PublisherOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    homepage = serializers.URLField(allow_blank=True)
    country = serializers.CharField()
    dataset_count = serializers.IntegerField()


class FacetBucketSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    data_space = FacetBucketSerializer(many=True)
    publisher = FacetBucketSerializer(many=True)
    licence = FacetBucketSerializer(many=True)
    access_rights = FacetBucketSerializer(many=True)
    theme = FacetBucketSerializer(many=True)
    format = FacetBucketSerializer(many=True)


# The whole answer of the dataset list, already a page: many=False stops drf-spectacular from
# describing it as an array of pages, as it does for the response of any `list` action.
@extend_schema_serializer(many=False)
class DatasetSearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Matching datasets. Exact when count_exact is true; otherwise a lower bound "
        "(the installation's SEARCH_EXACT_COUNT_UP_TO, 10,000 by default): there are more, "
        "and pages stop there."
    )
    count_exact = serializers.BooleanField(
        help_text="False when more datasets match than the search counts exactly."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DatasetListOutputSerializer(many=True)
    facets = FacetsSerializer(
        help_text="Counts per value among the matches: exact when facets_exact is true; "
        "otherwise estimates from a sample of the catalogue, scaled to it."
    )
    facets_exact = serializers.BooleanField(
        help_text="False when the facet counts are estimates (as many matches as count_exact "
        "false)."
    )


class DatasetWithdrawInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why: shown to stewards and kept in the dataset's history."
    )
