"""Reading a DCAT-AP catalogue (Turtle, RDF/XML or JSON-LD), page by page along its Hydra links
(``hydra:next`` of a PartialCollectionView, ``hydra:nextPage`` of the older PagedCollection).

The mapping is the export's (interop/dcat/mapping.py) read backwards: EU data-theme URIs to theme
codes, access-right URIs, licence URIs (EU table, the licence's own URL, ours), EU file types and
IANA media types to formats, EU language URIs, vCard contact points, periods of time, places,
distributions with their download or access URL, size and SHA-256 checksum.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS

from interop.dcat import vocabularies as vocab
from interop.dcat.vocabularies import HYDRA, LOCN, SPDX, VCARD

from .fetch import FetchedPage, Fetcher, HarvestError
from .records import (
    RecordError,
    RemoteDistribution,
    RemoteRecord,
    as_date,
    as_datetime,
    as_sha256,
    as_size,
)

SCHEMA = "http://schema.org/"
ACCEPT = "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8"
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
EXTENSION_FORMATS = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld",
                     ".json": "json-ld"}  # fmt: skip
LANGUAGES_BY_EU_CODE = {code: iso for iso, code in vocab.EU_LANGUAGE_CODES.items()}


def read_catalogue(url: str, fetcher: Fetcher) -> Iterator[RemoteRecord | RecordError]:
    """Every dataset of the catalogue at ``url``, following its pages; a page that cannot be
    read, or paging that loops, raises HarvestError (the run then applies nothing)."""
    seen_pages: set[str] = set()
    next_url: str | None = url
    while next_url:
        seen_pages.add(next_url)
        page = fetcher.get(next_url, accept=ACCEPT)
        graph = parse_page(page)
        yield from read_datasets(graph)
        following = next_page_url(graph, page.url)
        if following is not None and (following in seen_pages or following == page.url):
            raise HarvestError(f"The catalogue's paging loops: {following} was read already.")
        next_url = following


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:256]


def parse_page(page: FetchedPage) -> Graph:
    if page.content_type == "text/html" or _looks_like_html(page.body):
        raise HarvestError(f"{page.url} answered an HTML page, not a DCAT-AP catalogue.")
    rdf_format = RDF_FORMATS.get(page.content_type)
    if rdf_format is None:
        path = page.url.split("?", 1)[0].lower()
        rdf_format = next((f for ext, f in EXTENSION_FORMATS.items() if path.endswith(ext)), None)
    if rdf_format is None:
        first = page.body.lstrip()[:1]
        rdf_format = {b"{": "json-ld", b"[": "json-ld", b"<": "xml"}.get(first, "turtle")
    graph = Graph(bind_namespaces="none")
    try:
        if rdf_format == "json-ld":
            graph.parse(data=_local_contexts(page), format="json-ld", publicID=page.url)
        else:
            graph.parse(data=page.body, format=rdf_format, publicID=page.url)
    except HarvestError:
        raise
    except Exception as exc:  # rdflib's parsers raise many kinds of errors on bad input
        message = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise HarvestError(
            f"{page.url} could not be read as {rdf_format} ({page.content_type or 'no type'}): "
            f"{message}"
        ) from None
    return graph


def _local_contexts(page: FetchedPage) -> str:
    """The JSON-LD document with every @context named by URL replaced by its local copy: the
    parser would otherwise fetch it, from anywhere the document says, unbounded."""
    try:
        document = json.loads(page.body)
    except (ValueError, RecursionError) as exc:
        raise HarvestError(f"{page.url} is not JSON: {str(exc)[:200]}") from None
    known: dict[str, str] = getattr(settings, "HARVEST_JSONLD_CONTEXTS", {})

    def local(url: str) -> Any:
        path = known.get(url)
        if path is None:
            raise HarvestError(
                f"{page.url} names the JSON-LD context {url}, which is not fetched; "
                "only contexts listed in HARVEST_JSONLD_CONTEXTS are read (from local copies)."
            )
        return json.loads(Path(path).read_text(encoding="utf-8"))["@context"]

    def replace(node: Any, depth: int = 0) -> Any:
        if depth > 100:
            raise HarvestError(f"{page.url} nests JSON deeper than 100 levels.")
        if isinstance(node, dict):
            result = {}
            for key, value in node.items():
                if key == "@import":
                    raise HarvestError(f"{page.url} imports a JSON-LD context, which is not read.")
                if key == "@context":
                    values = value if isinstance(value, list) else [value]
                    value = [local(v) if isinstance(v, str) else v for v in values]
                    value = value[0] if len(value) == 1 else value
                # Contexts nest (type-scoped contexts): those are replaced too.
                result[key] = replace(value, depth + 1)
            return result
        if isinstance(node, list):
            return [replace(item, depth + 1) for item in node]
        return node

    return json.dumps(replace(document))


def next_page_url(graph: Graph, page_url: str) -> str | None:
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in graph.objects(None, predicate):
            return urljoin(page_url, str(value))
    return None


# --- one dataset -------------------------------------------------------------------------------


def _text(graph: Graph, node: Any, predicate: URIRef) -> str:
    """The value in English, else without a language, else the first in a stable order."""
    literals = sorted(
        (o for o in graph.objects(node, predicate) if isinstance(o, Literal)),
        key=lambda literal: (literal.language or "", str(literal)),
    )
    if not literals:
        return ""
    for wanted in ("en", None):
        for literal in literals:
            if (literal.language or None) == wanted or (
                wanted and (literal.language or "").lower().startswith(wanted)
            ):
                return str(literal).strip()
    return str(literals[0]).strip()


def _local_name(uri: Any, namespace: str) -> str | None:
    text = str(uri)
    return (
        text[len(namespace) :] if isinstance(uri, URIRef) and text.startswith(namespace) else None
    )


def _email(value: Any) -> str:
    text = str(value or "").strip()
    return text[7:] if text.lower().startswith("mailto:") else text


def read_datasets(graph: Graph) -> Iterator[RemoteRecord | RecordError]:
    for node in sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str):
        identifier = _text(graph, node, DCTERMS.identifier) or (
            str(node) if isinstance(node, URIRef) else ""
        )
        if not identifier:
            yield RecordError("(no identifier)", "A dataset with neither dct:identifier nor a URI.")
            continue
        try:
            yield read_dataset(graph, node, identifier)
        except RecordError as error:
            yield error
        except Exception as exc:  # one malformed record never aborts the run
            yield RecordError(identifier, f"Could not be read: {type(exc).__name__}: {exc}")


def read_dataset(graph: Graph, node: Any, identifier: str) -> RemoteRecord:
    title = _text(graph, node, DCTERMS.title)
    if not title:
        raise RecordError(identifier, "The dataset has no dct:title.")
    record = RemoteRecord(
        identifier=identifier, title=title, description=_text(graph, node, DCTERMS.description)
    )
    keywords = [o for o in graph.objects(node, DCAT.keyword) if isinstance(o, Literal)]
    preferred = [k for k in keywords if (k.language or "en").lower().startswith("en")]
    record.keywords = sorted({str(k).strip() for k in (preferred or keywords)} - {""})
    for theme in graph.objects(node, DCAT.theme):
        code = _local_name(theme, str(vocab.DATA_THEME))
        if code:
            record.theme_codes.append(code)
    for rights in graph.objects(node, DCTERMS.accessRights):
        record.access_rights = _local_name(rights, str(vocab.ACCESS_RIGHT)) or record.access_rights
    record.licence_hints = _licence_hints(graph, node)
    for language in graph.objects(node, DCTERMS.language):
        code = _local_name(language, str(vocab.EU_LANGUAGE))
        iso = LANGUAGES_BY_EU_CODE.get(code or "") or (
            str(language).lower() if isinstance(language, Literal) and len(language) == 2 else ""
        )
        if iso:
            record.languages.append(iso)
    record.spatial = _spatial(graph, node)
    for period in graph.objects(node, DCTERMS.temporal):
        start = graph.value(period, DCAT.startDate) or graph.value(
            period, URIRef(SCHEMA + "startDate")
        )
        end = graph.value(period, DCAT.endDate) or graph.value(period, URIRef(SCHEMA + "endDate"))
        record.temporal_start = as_date(start.toPython() if start is not None else None)
        record.temporal_end = as_date(end.toPython() if end is not None else None)
        break
    issued = graph.value(node, DCTERMS.issued)
    record.issued = as_date(issued.toPython()) if isinstance(issued, Literal) else None
    modified = graph.value(node, DCTERMS.modified)
    record.modified = as_datetime(modified.toPython()) if isinstance(modified, Literal) else None
    landing = graph.value(node, DCAT.landingPage)
    record.landing_page = str(landing) if isinstance(landing, URIRef) else ""
    record.version = _text(graph, node, vocab.DCAT3.version) or _text(graph, node, OWL.versionInfo)
    contact = graph.value(node, DCAT.contactPoint)
    if contact is not None:
        record.contact_name = _text(graph, contact, VCARD.fn)
        record.contact_email = _email(graph.value(contact, VCARD.hasEmail))
    used: set[str] = set()
    for position, distribution in enumerate(
        sorted(graph.objects(node, DCAT.distribution), key=str)
    ):
        record.distributions.append(_distribution(graph, distribution, identifier, position, used))
    return record


def _licence_hints(graph: Graph, node: Any) -> list[str]:
    """The dataset's licences, then its distributions': each licence's URI, what it says it
    matches exactly (skos:exactMatch, as DCAT-AP HVD maps national licences), its identifier."""
    nodes = list(graph.objects(node, DCTERMS.license))
    for distribution in graph.objects(node, DCAT.distribution):
        nodes.extend(graph.objects(distribution, DCTERMS.license))
    hints: list[str] = []
    for licence in nodes:
        if isinstance(licence, URIRef):
            hints.append(str(licence))
        hints.extend(str(m) for m in graph.objects(licence, SKOS.exactMatch))
        identifier = _text(graph, licence, DCTERMS.identifier)
        if identifier:
            hints.append(identifier)
        if isinstance(licence, Literal):
            hints.append(str(licence))
    return list(dict.fromkeys(hints))


def _spatial(graph: Graph, node: Any) -> str:
    for place in sorted(graph.objects(node, DCTERMS.spatial), key=str):
        name = _text(graph, place, LOCN.geographicName) or _text(graph, place, SKOS.prefLabel)
        if name:
            return name
        if isinstance(place, URIRef):
            return str(place)
    return ""


def _distribution(
    graph: Graph, node: Any, dataset_identifier: str, position: int, used: set[str]
) -> RemoteDistribution:
    download = graph.value(node, DCAT.downloadURL)
    access = graph.value(node, DCAT.accessURL)
    url = str(download or access or "")
    identifier = _text(graph, node, DCTERMS.identifier) or (
        str(node) if isinstance(node, URIRef) else url
    )
    if not identifier or identifier in used:
        identifier = f"{dataset_identifier}#distribution-{position + 1}"
    used.add(identifier)
    hints: list[str] = []
    for value in graph.objects(node, DCTERMS.format):
        code = _local_name(value, str(vocab.FILE_TYPE))
        if code is None and isinstance(value, URIRef) and "/id/file-types/" in str(value):
            code = str(value).rsplit("/", 1)[-1]  # a Passerelle's own, for formats outside the EU
        hints.append(code or str(graph.value(value, RDFS.label) or value))
    media_type = ""
    for value in graph.objects(node, DCAT.mediaType):
        text = str(value)
        media_type = (
            text[len(vocab.IANA_MEDIA_TYPE) :] if text.startswith(vocab.IANA_MEDIA_TYPE) else text
        )
        media_type = media_type.rsplit("/media-types/", 1)[-1]
        hints.append(media_type)
    sha256 = ""
    for checksum in graph.objects(node, SPDX.checksum):
        if graph.value(checksum, SPDX.algorithm) == vocab.SHA256:
            sha256 = as_sha256(graph.value(checksum, SPDX.checksumValue))
    size = graph.value(node, DCAT.byteSize)
    return RemoteDistribution(
        identifier=identifier,
        title=_text(graph, node, DCTERMS.title),
        description=_text(graph, node, DCTERMS.description),
        format_hints=hints,
        media_type=media_type if "/" in media_type else "",
        byte_size=as_size(size) if size is not None else None,
        sha256=sha256,
        access_url=url if url.startswith(("http://", "https://")) else "",
    )
