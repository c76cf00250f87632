"""Input and output shapes of the catalogue API. Output shapes are the public contract."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
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
from catalogue.selectors import publishers_stewarded_by
from catalogue.services.distributions import CHECKSUM_RE
from core.api.serializers import StrictInputSerializer
from core.partners import CATALOGUE_WRITE

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
    drs_uri = serializers.CharField(
        allow_null=True,
        read_only=True,
        help_text="For a file: its GA4GH DRS URI (drs://<host>/<id>), resolved at "
        "/ga4gh/drs/v1/objects/<id> (open data without credentials, restricted files with a "
        "grant). Null for a service endpoint.",
    )
    download_url = serializers.SerializerMethodField(
        help_text="Only for files of PUBLIC datasets; restricted bytes need a grant."
    )
    source_url = serializers.SerializerMethodField(
        help_text="For a file given by URL: where a worker fetches it from. Shown only to the "
        "publisher's stewards: for restricted data it may be a way around the grant."
    )
    source_checksum = serializers.SerializerMethodField(
        help_text="For a file given by URL: the declared sha256:<hex> the fetched bytes must "
        "match. `checksum` and `byte_size` describe the bytes held, once fetched."
    )
    fetch_status = serializers.SerializerMethodField(
        help_text="For a file given by URL: pending, ready or failed; null otherwise."
    )
    fetch_error = serializers.SerializerMethodField(
        help_text="Why the last fetch failed, if it did (shown to the publisher's stewards)."
    )
    fetched_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def _for_stewards(self, distribution: Distribution) -> bool:
        """Whether the viewer stewards the distribution's publisher; asked once per response."""
        root = self.root
        stewarded = getattr(root, "_stewarded_publisher_ids", None)
        if stewarded is None:
            user = getattr(self.context.get("request"), "user", None)
            stewarded = set(
                publishers_stewarded_by(user=user, scope=CATALOGUE_WRITE).values_list(
                    "pk", flat=True
                )
            )
            root._stewarded_publisher_ids = stewarded
        return distribution.dataset.publisher_id in stewarded

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_source_url(self, distribution: Distribution) -> str | None:
        if not distribution.source_url or not self._for_stewards(distribution):
            return None
        return distribution.source_url

    @extend_schema_field(serializers.CharField())
    def get_fetch_error(self, distribution: Distribution) -> str:
        if not distribution.fetch_error or not self._for_stewards(distribution):
            return ""
        return distribution.fetch_error

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_source_checksum(self, distribution: Distribution) -> str | None:
        return f"sha256:{distribution.source_sha256}" if distribution.source_sha256 else None

    @extend_schema_field(
        serializers.ChoiceField(choices=["pending", "ready", "failed"], allow_null=True)
    )
    def get_fetch_status(self, distribution: Distribution) -> str | None:
        return distribution.fetch_status or None

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
    identifier = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Your own identifier for the file, unique within the dataset (what a sync "
        "matches on).",
    )


# --- catalogue sync -------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class BatchLookupField(serializers.Field):
    """A data space, licence, publisher or theme by the name the API takes, looked up in tables
    read once for a whole batch (``context["lookups"]``, from selectors.sync_lookups): a
    thousand items cost no query each."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Give the {self.kind.replace('_', ' ')} by name.")
        row = self.context["lookups"][self.kind].get(data)
        if row is None:
            raise serializers.ValidationError(f"Unknown {self.kind.replace('_', ' ')} '{data}'.")
        return row

    def to_representation(self, value: Any) -> Any:
        return str(value)


class SyncDistributionInputSerializer(StrictInputSerializer):
    identifier = serializers.CharField(
        max_length=255,
        trim_whitespace=False,
        help_text="Your own identifier for the file, unique within the dataset.",
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    format = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=f"One of {', '.join(FORMAT_MEDIA_TYPES)}; inferred from the URL if absent.",
    )
    media_type = serializers.CharField(max_length=120, required=False, allow_blank=True)
    access_url = serializers.URLField(
        max_length=200, required=False, allow_blank=True, help_text="A service endpoint."
    )
    download_url = serializers.URLField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="A file for Passerelle to fetch (http or https, public address); "
        "`checksum` is then required.",
    )
    checksum = serializers.CharField(
        max_length=71,
        required=False,
        allow_blank=True,
        help_text="sha256:<hex>. With download_url, the fetched bytes must match it; "
        "the same checksum again is not fetched again.",
    )
    byte_size = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="With download_url: the exact size; a longer answer is cut off and refused.",
    )

    def validate_checksum(self, value: str) -> str:
        if value and not CHECKSUM_RE.match(value.strip()):
            raise serializers.ValidationError("Give sha256: and 64 hexadecimal digits.")
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs.get("download_url") and not attrs.get("checksum"):
            raise serializers.ValidationError(
                {"checksum": ["Required with download_url: sha256:<hex>."]}
            )
        return attrs


class SyncDatasetInputSerializer(DatasetInputSerializer):
    """The dataset input, plus its files; names resolved from the batch's lookups."""

    publisher = BatchLookupField(kind="publisher", help_text="The publisher's slug.")
    data_space = BatchLookupField(kind="data_space", help_text="The data space's slug.")
    licence = BatchLookupField(kind="licence", help_text="The licence identifier.")
    themes = serializers.ListField(
        child=BatchLookupField(kind="theme"),
        required=False,
        max_length=30,
        help_text="Theme codes.",
    )
    distributions = SyncDistributionInputSerializer(
        many=True,
        required=False,
        max_length=200,
        help_text="The dataset's files and services, matched by identifier; those with an "
        "identifier not listed are removed. Leave the key out to keep them as they are.",
    )


class SyncBulkItemInputSerializer(SyncDatasetInputSerializer):
    identifier = serializers.CharField(
        max_length=255,
        trim_whitespace=False,
        help_text="Your own identifier for the dataset (unique per publisher).",
    )


class SyncBulkInputSerializer(serializers.Serializer):
    """Only for the schema: the view reads the items itself (to count them before anything)."""

    items = SyncBulkItemInputSerializer(many=True)


class SyncUpsertOutputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged"])
    changed_fields = serializers.ListField(child=serializers.CharField())
    dataset = DatasetDetailOutputSerializer()


class SyncBulkItemOutputSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    identifier = serializers.CharField()
    publisher = serializers.CharField()
    id = serializers.UUIDField()
    slug = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged"])
    changed_fields = serializers.ListField(child=serializers.CharField())


class SyncBulkCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class SyncBulkOutputSerializer(serializers.Serializer):
    items = SyncBulkItemOutputSerializer(many=True)
    counts = SyncBulkCountsSerializer()


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
        "(the installation's SEARCH_EXACT_COUNT_UP_TO, 10,000 by default): there are more. "
        "Pages stop at SEARCH_EXACT_COUNT_UP_TO results either way: without words or filters "
        "the whole catalogue is counted exactly, past that number too."
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
