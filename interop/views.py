"""DCAT-AP endpoints: the catalogue a page at a time, and one dataset. Plain Django views (the
bodies are RDF, not DRF's JSON); errors still leave in the API's one JSON shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalogue import selectors as catalogue_selectors
from core.errors import ApplicationError, NotAcceptableError, error_body

from .dcat import export, mapping


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return JsonResponse(
                error_body(error.code, error.message, error.fields, **error.extra),
                status=error.status_code,
            )

    return wrapped


def _negotiate(request: HttpRequest) -> export.RdfFormat:
    """Turtle unless the Accept header prefers JSON-LD (or plain JSON) or RDF/XML; a client that
    accepts none of them gets a 406 naming them."""
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return export.FORMATS["ttl"]
    preferred = request.get_preferred_type(list(export.FORMATS_BY_MEDIA_TYPE))
    if preferred is None:
        raise NotAcceptableError(
            "The catalogue is served as text/turtle, application/ld+json (also as "
            "application/json) or application/rdf+xml.",
            extra={"acceptable": list(export.FORMATS_BY_MEDIA_TYPE)},
        )
    return export.FORMATS_BY_MEDIA_TYPE[preferred]


def _serialise(graph, rdf_format: export.RdfFormat) -> bytes:
    if rdf_format.rdflib_name == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in graph.namespaces()}
        return graph.serialize(format="json-ld", context=context, auto_compact=True).encode()
    return graph.serialize(format=rdf_format.rdflib_name, encoding="utf-8")


@require_safe
@_json_errors
def catalogue_view(request: HttpRequest, extension: str | None = None) -> HttpResponse:
    rdf_format = export.FORMATS[extension] if extension else _negotiate(request)
    number = export.parse_page_number(request.GET.get("page"))
    modified_since_raw = request.GET.get("modified_since")
    modified_since = export.parse_modified_since(modified_since_raw)
    page = export.catalogue_page(
        number=number, modified_since=modified_since, size=export.page_size()
    )

    path = reverse("interop:catalogue", kwargs={"extension": rdf_format.extension})

    def page_url(n: int) -> str:
        query = {"page": n, **({"modified_since": modified_since_raw} if modified_since else {})}
        return mapping.absolute(f"{path}?{urlencode(query)}")

    def body() -> Iterator[bytes]:
        # Built and serialised once the headers are out: one page's graph in memory at a time.
        yield _serialise(mapping.page_graph(page, page_url=page_url), rdf_format)

    response = StreamingHttpResponse(body(), content_type=f"{rdf_format.media_type}; charset=utf-8")
    if extension is None:
        response["Vary"] = "Accept"
        response["Content-Location"] = page_url(number)
    return response


@require_safe
@_json_errors
def dataset_view(request: HttpRequest, id_or_slug: str, extension: str) -> HttpResponse:
    rdf_format = export.FORMATS[extension]
    dataset = catalogue_selectors.dataset_get(id_or_slug=id_or_slug)
    return HttpResponse(
        _serialise(mapping.dataset_graph(dataset), rdf_format),
        content_type=f"{rdf_format.media_type}; charset=utf-8",
    )
