"""Catalogue objects -> DCAT-AP 3.0.1 triples.

Every node a property points at is typed with the class the DCAT-AP range shapes expect
(dct:LicenseDocument, dct:Location, vcard:Kind...): pyshacl does no RDFS inference, so a subclass
or an untyped URI would be a violation. Nodes of our own get URIs under ``SITE_URL``; public ones
(datasets, distributions) are the API's own URLs, so that a harvester can dereference them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalogue.formats import FORMAT_MEDIA_TYPES
from catalogue.models import AccessRights, Dataset, DataSpace, Distribution, Licence, Publisher

from . import vocabularies as vocab
from .vocabularies import ADMS, HYDRA, LOCN, SPDX, VCARD


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def catalogue_uri() -> URIRef:
    return URIRef(absolute("/catalogue"))


def operator_uri() -> URIRef:
    return URIRef(absolute("/id/operator"))


def dataset_uri(dataset: Dataset) -> URIRef:
    return URIRef(absolute(reverse("api:dataset-detail", kwargs={"id_or_slug": str(dataset.id)})))


def distribution_uri(distribution: Distribution) -> URIRef:
    return URIRef(
        absolute(
            reverse(
                "api:distribution-detail",
                kwargs={
                    "id_or_slug": str(distribution.dataset_id),
                    "distribution_id": distribution.id,
                },
            )
        )
    )


def publisher_uri(publisher: Publisher) -> URIRef:
    return URIRef(absolute(f"/id/publishers/{publisher.slug}"))


def data_space_uri(data_space: DataSpace) -> URIRef:
    return URIRef(absolute(f"/id/data-spaces/{data_space.slug}"))


class CatalogueGraph(Graph):
    """A graph that remembers which shared nodes (publishers, licences, concepts) it already
    describes: a page names the same few of them a hundred times, and re-adding their triples
    cost more than everything else (rdflib's store does work on every add, duplicate or not)."""

    def __init__(self) -> None:
        # SimpleMemory: no named-graph indexes, which these graphs never use.
        super().__init__(store="SimpleMemory", bind_namespaces="none")
        self.described: set[URIRef] = set()

    def describes(self, node: URIRef) -> bool:
        """True if ``node`` is described already; else records that the caller describes it."""
        if node in self.described:
            return True
        self.described.add(node)
        return False


def new_graph() -> CatalogueGraph:
    graph = CatalogueGraph()
    for prefix, namespace in vocab.PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _text(value: str) -> Literal:
    return Literal(value)


def _document(graph: CatalogueGraph, url: str) -> URIRef:
    node = URIRef(url)
    graph.add((node, RDF.type, FOAF.Document))
    return node


# --- the catalogue and its data spaces ---------------------------------------------------------


def add_operator(graph: CatalogueGraph) -> URIRef:
    """Whoever runs this Passerelle: the publisher of the catalogue records themselves."""
    node = operator_uri()
    if graph.describes(node):
        return node
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, _text(getattr(settings, "DCAT_OPERATOR_NAME", "Passerelle"))))
    return node


def add_catalogue(graph: CatalogueGraph, *, modified: datetime | None) -> URIRef:
    node = catalogue_uri()
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, Literal("Passerelle catalogue", lang="en")))
    graph.add(
        (
            node,
            DCTERMS.description,
            Literal(
                "Datasets of the Common European Data Spaces brokered by Passerelle: open data "
                "to download, restricted data to request.",
                lang="en",
            ),
        )
    )
    graph.add((node, DCTERMS.publisher, add_operator(graph)))
    graph.add((node, FOAF.homepage, _document(graph, absolute("/"))))
    graph.add((node, DCTERMS.language, _language(graph, "en")))
    graph.add((node, DCAT.themeTaxonomy, vocab.DATA_THEME_SCHEME))
    graph.add((vocab.DATA_THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    graph.add((vocab.DATA_THEME_SCHEME, DCTERMS.title, Literal("Data theme", lang="en")))
    if modified is not None:
        graph.add((node, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
    return node


def add_data_space(graph: CatalogueGraph, data_space: DataSpace) -> URIRef:
    """A data space is a sub-catalogue: the root catalogue has it as a part, and it lists its
    datasets, so a portal can harvest one data space or tell them apart."""
    node = data_space_uri(data_space)
    if graph.describes(node):
        return node
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.identifier, _text(data_space.slug)))
    graph.add((node, DCTERMS.title, _text(data_space.name)))
    # dct:description is mandatory for a catalogue; the name is the best description we have.
    graph.add((node, DCTERMS.description, _text(data_space.description or data_space.name)))
    graph.add((node, DCTERMS.publisher, add_operator(graph)))
    # Its records are written in English and classified by the EU data themes, like the root's.
    graph.add((node, DCTERMS.language, _language(graph, "en")))
    graph.add((node, DCAT.themeTaxonomy, vocab.DATA_THEME_SCHEME))
    if data_space.url:
        graph.add((node, FOAF.homepage, _document(graph, data_space.url)))
    graph.add((node, DCTERMS.isPartOf, catalogue_uri()))
    graph.add((catalogue_uri(), DCTERMS.hasPart, node))
    return node


# --- agents, licences, concepts ----------------------------------------------------------------


def add_publisher(graph: CatalogueGraph, publisher: Publisher) -> URIRef:
    node = publisher_uri(publisher)
    if graph.describes(node):
        return node
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, _text(publisher.name)))
    graph.add((node, DCTERMS.identifier, _text(publisher.slug)))
    if publisher.homepage:
        graph.add((node, FOAF.homepage, _document(graph, publisher.homepage)))
    if publisher.email:
        graph.add((node, FOAF.mbox, URIRef(f"mailto:{publisher.email}")))
    if publisher.description:
        graph.add((node, DCTERMS.description, _text(publisher.description)))
    country = vocab.country_uri(publisher.country) if publisher.country else None
    if country is not None:
        graph.add((node, DCTERMS.spatial, country))
        graph.add((country, SKOS.inScheme, vocab.COUNTRY_SCHEME))
    return node


def licence_uri(licence: Licence) -> URIRef:
    """The EU licence table's URI where it has this licence, else the licence's own URL, else one
    of ours (our LicenseRef- terms have no URL of their own)."""
    eu_uri = vocab.eu_licence_uri(licence.identifier)
    if eu_uri is not None:
        return eu_uri
    if licence.url:
        return URIRef(licence.url)
    return URIRef(absolute(f"/id/licences/{licence.identifier}"))


def add_licence(graph: CatalogueGraph, licence: Licence) -> URIRef:
    node = licence_uri(licence)
    if graph.describes(node):
        return node
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    graph.add((node, DCTERMS.identifier, _text(licence.identifier)))
    graph.add((node, DCTERMS.title, _text(licence.title)))
    if licence.url and URIRef(licence.url) != node:
        graph.add((node, RDFS.seeAlso, URIRef(licence.url)))
    if not licence.url:
        # Nothing to dereference: the terms travel with the catalogue.
        current = licence.current_version
        if current is not None:
            graph.add((node, DCTERMS.description, _text(current.text)))
    for local_name in vocab.licence_types(licence):
        concept = vocab.LICENCE_TYPE[local_name]
        graph.add((node, DCTERMS.type, concept))
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(vocab.LICENCE_TYPE_LABELS[local_name], "en")))
        graph.add((concept, SKOS.inScheme, vocab.LICENCE_TYPE_SCHEME))
    return node


def _language(graph: CatalogueGraph, code: str) -> URIRef | None:
    node = vocab.language_uri(code)
    if node is not None and not graph.describes(node):
        graph.add((node, RDF.type, DCTERMS.LinguisticSystem))
        graph.add((node, SKOS.inScheme, vocab.LANGUAGE_SCHEME))
    return node


def _access_right(graph: CatalogueGraph, access_rights: str) -> URIRef:
    node = vocab.access_right_uri(access_rights)
    if graph.describes(node):
        return node
    graph.add((node, RDF.type, DCTERMS.RightsStatement))
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.prefLabel, Literal(vocab.ACCESS_RIGHT_LABELS[access_rights], "en")))
    graph.add((node, SKOS.inScheme, vocab.ACCESS_RIGHT_SCHEME))
    return node


def _file_type(graph: CatalogueGraph, format_code: str) -> URIRef:
    eu_node = vocab.file_type_uri(format_code)
    node = eu_node or URIRef(absolute(f"/id/file-types/{format_code}"))
    if graph.describes(node):
        return node
    graph.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
    if eu_node is not None:
        graph.add((node, SKOS.inScheme, vocab.FILE_TYPE_SCHEME))
    graph.add((node, RDFS.label, _text(format_code.replace("_", "-"))))
    return node


_NOT_IN_IRIS = re.compile(r'[\s<>"{}|\\^`]')


def _spatial(graph: CatalogueGraph, spatial: str) -> URIRef | BNode:
    """A URI (a GeoNames or EU place) as it is; a place name as a location named by it. Free
    text that only starts like a URI stays a name: a space in an IRI would break the Turtle."""
    if spatial.startswith(("http://", "https://")) and not _NOT_IN_IRIS.search(spatial):
        node: URIRef | BNode = URIRef(spatial)
    else:
        node = BNode()
        graph.add((node, LOCN.geographicName, _text(spatial)))
        graph.add((node, SKOS.prefLabel, _text(spatial)))
    graph.add((node, RDF.type, DCTERMS.Location))
    return node


# --- datasets and distributions ----------------------------------------------------------------


def access_request_url(dataset: Dataset) -> str:
    """Where a researcher asks for a dataset that is not public: its page in the workspace,
    which offers the request form (by URL name: interop does not import the workspace)."""
    return absolute(reverse("workspace:workspace_cataloguedataset_change", args=[dataset.pk]))


def add_dataset(graph: CatalogueGraph, dataset: Dataset) -> URIRef:
    """The dataset, its publisher, contact point, themes, licence and distributions."""
    node = dataset_uri(dataset)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, _text(str(dataset.id))))
    # The slug too, as a second identifier: a harvester or CKAN client can keep the same name.
    slug = BNode()
    graph.add((slug, RDF.type, ADMS.Identifier))
    graph.add((slug, SKOS.notation, _text(dataset.slug)))
    graph.add((node, ADMS.identifier, slug))
    graph.add((node, DCTERMS.title, _text(dataset.title)))
    graph.add((node, DCTERMS.description, _text(dataset.description)))
    graph.add((node, DCTERMS.publisher, add_publisher(graph, dataset.publisher)))
    graph.add((node, DCTERMS.accessRights, _access_right(graph, dataset.access_rights)))
    # DCAT-AP puts the licence on distributions; on the dataset too, so that a dataset without
    # distributions still says its terms (DCAT allows it on any resource).
    graph.add((node, DCTERMS.license, add_licence(graph, dataset.licence)))
    graph.add((node, DCTERMS.modified, Literal(dataset.modified, datatype=XSD.dateTime)))
    if dataset.issued:
        # A calendar date: xsd:date says exactly what is known (DCAT-AP allows date or dateTime).
        graph.add((node, DCTERMS.issued, Literal(dataset.issued, datatype=XSD.date)))
    if dataset.version:
        graph.add((node, vocab.DCAT3.version, _text(dataset.version)))
    if dataset.landing_page:
        graph.add((node, DCAT.landingPage, _document(graph, dataset.landing_page)))
    for keyword in dataset.keywords or []:
        graph.add((node, DCAT.keyword, _text(str(keyword))))
    for code in dataset.languages or []:
        language = _language(graph, str(code))
        if language is not None:
            graph.add((node, DCTERMS.language, language))
    for theme in dataset.themes.all():
        concept = URIRef(theme.uri) if theme.uri else vocab.theme_uri(theme.code)
        graph.add((node, DCAT.theme, concept))
        if graph.describes(concept):
            continue
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(theme.label, lang="en")))
        graph.add((concept, SKOS.notation, _text(theme.code)))
        graph.add((concept, SKOS.inScheme, vocab.DATA_THEME_SCHEME))
    if dataset.spatial:
        graph.add((node, DCTERMS.spatial, _spatial(graph, dataset.spatial)))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))
        graph.add((node, DCTERMS.temporal, period))
    contact = _contact_point(graph, dataset)
    if contact is not None:
        graph.add((node, DCAT.contactPoint, contact))
    if dataset.access_rights != AccessRights.PUBLIC:
        graph.add((node, FOAF.page, _document(graph, access_request_url(dataset))))
    for distribution in dataset.distributions.all():
        graph.add((node, DCAT.distribution, add_distribution(graph, distribution, dataset)))
    return node


def _contact_point(graph: CatalogueGraph, dataset: Dataset) -> BNode | None:
    """The dataset's own contact, else its publisher's address: whom to ask about the data."""
    name = dataset.contact_name or (dataset.publisher.name if not dataset.contact_email else "")
    email = dataset.contact_email or dataset.publisher.email
    if not email and not dataset.contact_name:
        return None
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, _text(name or email)))
    if email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    return contact


def add_distribution(graph: CatalogueGraph, distribution: Distribution, dataset: Dataset) -> URIRef:
    """A distribution of a public dataset links its bytes; one of a restricted or non-public
    dataset only points at the access-request flow, never at a download."""
    node = distribution_uri(distribution)
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, _text(distribution.title)))
    if distribution.description:
        graph.add((node, DCTERMS.description, _text(distribution.description)))
    graph.add((node, DCTERMS.format, _file_type(graph, distribution.format)))
    media_type = distribution.media_type or FORMAT_MEDIA_TYPES.get(distribution.format)
    if media_type:
        media_node = vocab.media_type_uri(media_type)
        if not graph.describes(media_node):
            graph.add((media_node, RDF.type, DCTERMS.MediaType))
        graph.add((node, DCAT.mediaType, media_node))
    graph.add((node, DCTERMS.license, add_licence(graph, dataset.licence)))
    graph.add((node, DCTERMS.rights, _access_right(graph, dataset.access_rights)))
    graph.add((node, DCTERMS.issued, Literal(distribution.created, datatype=XSD.dateTime)))
    if distribution.byte_size is not None:
        graph.add(
            (node, DCAT.byteSize, Literal(distribution.byte_size, datatype=XSD.nonNegativeInteger))
        )
    if distribution.sha256:
        checksum = BNode()
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, vocab.SHA256))
        if not graph.describes(vocab.SHA256):
            graph.add((vocab.SHA256, RDF.type, SPDX.ChecksumAlgorithm))
        graph.add(
            (checksum, SPDX.checksumValue, Literal(distribution.sha256, datatype=XSD.hexBinary))
        )
        graph.add((node, SPDX.checksum, checksum))

    if dataset.access_rights != AccessRights.PUBLIC:
        graph.add((node, DCAT.accessURL, URIRef(access_request_url(dataset))))
    elif distribution.file:
        download = URIRef(
            absolute(
                reverse(
                    "api:distribution-download",
                    kwargs={"id_or_slug": str(dataset.id), "distribution_id": distribution.id},
                )
            )
        )
        graph.add((node, DCAT.downloadURL, download))
        graph.add((node, DCAT.accessURL, download))
    elif distribution.access_url:
        graph.add((node, DCAT.accessURL, URIRef(distribution.access_url)))
    else:
        # dcat:accessURL is mandatory; with neither file nor endpoint, the dataset's page.
        graph.add((node, DCAT.accessURL, URIRef(dataset.landing_page or dataset_uri(dataset))))
    return node


# --- a page of the catalogue -------------------------------------------------------------------


@dataclass(frozen=True)
class CataloguePage:
    number: int
    page_count: int
    total: int
    datasets: list[Dataset]
    modified: datetime | None


def page_graph(page: CataloguePage, *, page_url: Callable[[int], str]) -> CatalogueGraph:
    """One page of the catalogue: the catalogue, the data spaces and datasets of the page, and
    the Hydra links (first, previous, next, last) a harvester follows to the other pages."""
    graph = new_graph()
    catalogue = add_catalogue(graph, modified=page.modified)
    spaces: dict[int, URIRef] = {}
    for dataset in page.datasets:
        node = add_dataset(graph, dataset)
        graph.add((catalogue, DCAT.dataset, node))
        space = spaces.get(dataset.data_space_id)
        if space is None:
            space = spaces[dataset.data_space_id] = add_data_space(graph, dataset.data_space)
        graph.add((space, DCAT.dataset, node))

    view = URIRef(page_url(page.number))
    graph.add((catalogue, HYDRA.totalItems, Literal(page.total, datatype=XSD.nonNegativeInteger)))
    graph.add((catalogue, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, URIRef(page_url(1))))
    graph.add((view, HYDRA.last, URIRef(page_url(page.page_count))))
    if page.number > 1:
        graph.add((view, HYDRA.previous, URIRef(page_url(page.number - 1))))
    if page.number < page.page_count:
        graph.add((view, HYDRA.next, URIRef(page_url(page.number + 1))))
    return graph


def dataset_graph(dataset: Dataset) -> CatalogueGraph:
    """One dataset on its own, with the catalogue and data space it belongs to."""
    graph = new_graph()
    catalogue = add_catalogue(graph, modified=None)
    node = add_dataset(graph, dataset)
    graph.add((catalogue, DCAT.dataset, node))
    graph.add((add_data_space(graph, dataset.data_space), DCAT.dataset, node))
    return graph
