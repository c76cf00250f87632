"""Namespaces and the controlled vocabularies DCAT-AP expects: the EU Publications Office
authority tables (data theme, access right, file type, licence, language) and ADMS licence types.

Each function answers the URI a catalogue value maps to, or None where the vocabulary has no
entry; the mapping module then falls back to a URI of our own, typed as DCAT-AP requires.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalogue.models import AccessRights, Licence

DCATAP = Namespace("http://data.europa.eu/r5r/")
# DCAT 3 terms (dcat:version) that rdflib's closed DCAT 2 namespace does not list.
DCAT3 = Namespace(str(DCAT))
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATA_THEME = Namespace(f"{EU_AUTHORITY}data-theme/")
ACCESS_RIGHT = Namespace(f"{EU_AUTHORITY}access-right/")
FILE_TYPE = Namespace(f"{EU_AUTHORITY}file-type/")
EU_LICENCE = Namespace(f"{EU_AUTHORITY}licence/")
EU_LANGUAGE = Namespace(f"{EU_AUTHORITY}language/")
EU_COUNTRY = Namespace(f"{EU_AUTHORITY}country/")
LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"

DATA_THEME_SCHEME = URIRef(f"{EU_AUTHORITY}data-theme")
ACCESS_RIGHT_SCHEME = URIRef(f"{EU_AUTHORITY}access-right")
FILE_TYPE_SCHEME = URIRef(f"{EU_AUTHORITY}file-type")
LANGUAGE_SCHEME = URIRef(f"{EU_AUTHORITY}language")
COUNTRY_SCHEME = URIRef(f"{EU_AUTHORITY}country")
LICENCE_TYPE_SCHEME = URIRef("http://purl.org/adms/licencetype/1.0")
SHA256 = SPDX.checksumAlgorithm_sha256

# Prefixes the serialisations declare (Turtle @prefix, JSON-LD @context), so documents stay short.
PREFIXES: dict[str, Namespace] = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "dcatap": DCATAP,
    "foaf": FOAF,
    "vcard": VCARD,
    "spdx": SPDX,
    "locn": LOCN,
    "skos": SKOS,
    "hydra": HYDRA,
    "adms": ADMS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
}

ACCESS_RIGHT_LABELS: dict[str, str] = {
    AccessRights.PUBLIC: "public",
    AccessRights.RESTRICTED: "restricted",
    AccessRights.NON_PUBLIC: "non-public",
}

# Our format codes follow the EU file-type table; these are the ones it does not list.
FORMATS_OUTSIDE_EU_FILE_TYPES = frozenset({"FHIR", "DICOM", "VCF", "API", "HDF5"})

# SPDX identifier -> EU licence table code, only where the table has that exact licence and
# version. Others (ODbL, DL-DE, Etalab, our LicenseRef- terms) keep their own URI.
EU_LICENCE_CODES: dict[str, str] = {
    "CC0-1.0": "CC0",
    "CC-BY-4.0": "CC_BY_4_0",
    "CC-BY-SA-4.0": "CC_BYSA_4_0",
    "CC-BY-NC-4.0": "CC_BYNC_4_0",
    "CC-BY-NC-SA-4.0": "CC_BYNCSA_4_0",
    "CC-BY-ND-4.0": "CC_BYND_4_0",
    "CC-BY-NC-ND-4.0": "CC_BYNCND_4_0",
    "EUPL-1.2": "EUPL_1_2",
}

# ISO 639-1 (what datasets store) -> the EU language table, which uses ISO 639-3 codes.
EU_LANGUAGE_CODES: dict[str, str] = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE", "ca": "CAT", "eu": "EUS", "no": "NOR", "is": "ISL",
    "tr": "TUR", "sr": "SRP", "uk": "UKR", "ru": "RUS",
}  # fmt: skip

# ISO 3166-1 alpha-2 (what publishers store) -> the EU country table (alpha-3): the EU, the EEA,
# and the European countries that take part in the data spaces.
EU_COUNTRY_CODES: dict[str, str] = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK",
    "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "EL": "GRC", "HU": "HUN",
    "IE": "IRL", "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "NL": "NLD",
    "PL": "POL", "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN", "ES": "ESP", "SE": "SWE",
    "IS": "ISL", "LI": "LIE", "NO": "NOR", "CH": "CHE", "GB": "GBR", "UA": "UKR", "RS": "SRB",
    "TR": "TUR",
}  # fmt: skip

LICENCE_TYPE_LABELS: dict[str, str] = {
    "Attribution": "Attribution",
    "ShareAlike": "Share-alike",
    "NonCommercialUseOnly": "Non-commercial use only",
    "PublicDomain": "Public domain",
}


def theme_uri(code: str) -> URIRef:
    return DATA_THEME[code]


def access_right_uri(access_rights: str) -> URIRef:
    return ACCESS_RIGHT[access_rights]


def file_type_uri(format_code: str) -> URIRef | None:
    return None if format_code in FORMATS_OUTSIDE_EU_FILE_TYPES else FILE_TYPE[format_code]


def eu_licence_uri(identifier: str) -> URIRef | None:
    code = EU_LICENCE_CODES.get(identifier)
    return EU_LICENCE[code] if code else None


def language_uri(iso_639_1: str) -> URIRef | None:
    code = EU_LANGUAGE_CODES.get(iso_639_1.lower())
    return EU_LANGUAGE[code] if code else None


def country_uri(iso_3166_alpha_2: str) -> URIRef | None:
    code = EU_COUNTRY_CODES.get(iso_3166_alpha_2.upper())
    return EU_COUNTRY[code] if code else None


def media_type_uri(media_type: str) -> URIRef:
    return URIRef(IANA_MEDIA_TYPE + media_type)


def licence_types(licence: Licence) -> list[str]:
    """The ADMS licence types (local names) that describe what a licence asks of its users."""
    types = []
    if licence.is_open and not licence.requires_attribution and not licence.requires_share_alike:
        types.append("PublicDomain")
    if licence.requires_attribution:
        types.append("Attribution")
    if licence.requires_share_alike:
        types.append("ShareAlike")
    if not licence.permits_commercial_use:
        types.append("NonCommercialUseOnly")
    return types
