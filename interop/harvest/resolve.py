"""A remote record meets the catalogue: licence hints become one of our licences, theme codes
our themes, format names our format codes; values our fields cannot hold are dropped with a note
rather than failing the record."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from catalogue.formats import EXTENSION_FORMATS, FORMAT_MEDIA_TYPES, normalise_format
from catalogue.languages import LANGUAGE_NAMES
from catalogue.models import AccessRights, Licence, Theme
from catalogue.services import DatasetData, DistributionData
from interop.dcat import vocabularies as vocab
from interop.models import HarvestSource

from .records import RecordError, RemoteDistribution, RemoteRecord

# CKAN's own licence ids (its default licence list) for the licences we hold.
CKAN_LICENCE_IDS = {
    "cc-zero": "CC0-1.0",
    "cc-by": "CC-BY-4.0",
    "cc-by-sa": "CC-BY-SA-4.0",
    "cc-nc": "CC-BY-NC-4.0",
    "odc-odbl": "ODbL-1.0",
    "dl-de-by-2.0": "DL-DE-BY-2.0",
    "fr-lo": "LicenseRef-Etalab-2.0",
}
EU_LICENCE_IDENTIFIERS = {code: spdx for spdx, code in vocab.EU_LICENCE_CODES.items()}
MEDIA_TYPE_FORMATS = {}
for _code, _media_type in FORMAT_MEDIA_TYPES.items():
    MEDIA_TYPE_FORMATS.setdefault(_media_type, _code)
_url = URLValidator(schemes=["http", "https"])


def _normal_url(url: str) -> str:
    text = url.strip().lower().rstrip("/")
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.removeprefix("www.")


@dataclass
class CatalogueIndex:
    """The licences and themes of this instance, loaded once per run."""

    licences: dict[str, Licence] = field(default_factory=dict)
    themes: dict[str, Theme] = field(default_factory=dict)

    @classmethod
    def load(cls) -> CatalogueIndex:
        index = cls()
        for licence in Licence.objects.all():
            index.licences[licence.identifier.lower()] = licence
            if licence.url:
                index.licences.setdefault(_normal_url(licence.url), licence)
        for ckan_id, identifier in CKAN_LICENCE_IDS.items():
            if identifier.lower() in index.licences:
                index.licences.setdefault(ckan_id, index.licences[identifier.lower()])
        for theme in Theme.objects.all():
            index.themes[theme.code.upper()] = theme
        return index

    def licence(self, hints: list[str]) -> Licence | None:
        for hint in hints:
            text = hint.strip()
            eu_code = (
                text[len(str(vocab.EU_LICENCE)) :]
                if text.startswith(str(vocab.EU_LICENCE))
                else None
            )
            if eu_code and eu_code in EU_LICENCE_IDENTIFIERS:
                text = EU_LICENCE_IDENTIFIERS[eu_code]
            if "/id/licences/" in text:  # a Passerelle's own URI for a licence without a URL
                text = text.rsplit("/id/licences/", 1)[1]
            found = self.licences.get(text.lower()) or self.licences.get(_normal_url(text))
            if found is not None:
                return found
        return None


def _valid_url(url: str, max_length: int) -> bool:
    if not url or len(url) > max_length:
        return False
    try:
        _url(url)
    except ValidationError:
        return False
    return True


def _format(item: RemoteDistribution) -> str | None:
    for hint in item.format_hints:
        code = normalise_format(hint) or MEDIA_TYPE_FORMATS.get(hint.strip().lower())
        if code:
            return code
    path = item.access_url.split("?", 1)[0].lower()
    return next((code for ext, code in EXTENSION_FORMATS.items() if path.endswith(ext)), None)


@dataclass
class Resolved:
    data: DatasetData
    distributions: list[DistributionData]
    notes: list[str]


def resolve(record: RemoteRecord, *, source: HarvestSource, index: CatalogueIndex) -> Resolved:
    notes: list[str] = []
    licence = index.licence(record.licence_hints) or source.default_licence
    if licence is None:
        said = ", ".join(record.licence_hints) or "none"
        raise RecordError(
            record.identifier,
            f"No licence of this catalogue matches the record's ({said}), and the source has "
            "no default licence.",
        )
    access_rights = record.access_rights
    if access_rights not in AccessRights.values:
        if access_rights:
            notes.append(f"unknown access rights '{access_rights}': the source's default")
        access_rights = source.default_access_rights
    landing_page = record.landing_page
    if landing_page and not _valid_url(landing_page, 200):
        notes.append("landing page dropped (not an http(s) URL of at most 200 characters)")
        landing_page = ""
    contact_email = record.contact_email
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            notes.append(f"contact e-mail '{contact_email[:100]}' dropped (not an address)")
            contact_email = ""
    spatial = record.spatial if len(record.spatial) <= 255 else ""
    temporal_start, temporal_end = record.temporal_start, record.temporal_end
    if temporal_start and temporal_end and temporal_start > temporal_end:
        notes.append("temporal coverage dropped (it ends before it starts)")
        temporal_start = temporal_end = None
    distributions = []
    for item in record.distributions:
        code = _format(item)
        if code is None:
            notes.append(f"distribution '{item.identifier}' skipped: its format is not one of ours")
            continue
        access_url = item.access_url if _valid_url(item.access_url, 200) else ""
        distributions.append(
            DistributionData(
                identifier=item.identifier[:255],
                title=item.title or item.identifier,
                description=item.description,
                format=code,
                media_type=item.media_type[:120],
                byte_size=item.byte_size,
                sha256=item.sha256,
                access_url=access_url,
            )
        )
    data = DatasetData(
        title=record.title,
        description=record.description,
        publisher=source.publisher,
        data_space=source.data_space,
        licence=licence,
        access_rights=access_rights,
        themes=tuple(
            dict.fromkeys(
                index.themes[c.upper()] for c in record.theme_codes if c.upper() in index.themes
            )
        ),
        keywords=tuple(k[:100] for k in record.keywords[:50]),
        languages=tuple(code for code in record.languages if code in LANGUAGE_NAMES),
        spatial=spatial,
        temporal_start=temporal_start,
        temporal_end=temporal_end,
        issued=record.issued,
        modified=record.modified,
        landing_page=landing_page,
        contact_name=record.contact_name[:200],
        contact_email=contact_email,
        version=record.version[:50],
    )
    return Resolved(data=data, distributions=distributions, notes=notes)
