"""Sources that answer garbage, HTML, endless bodies, endless paging or slowly: each run ends
in bounded time with a clear error, and nothing of the source is imported."""

from __future__ import annotations

import time

import pytest

from catalogue.models import Dataset
from interop.models import HarvestRunStatus

from .harvest_helpers import harvest, make_source
from .harvest_server import send, static

pytestmark = pytest.mark.django_db

GOOD_PAGE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<https://x.example/ds/1> a dcat:Dataset ; dct:title "First page dataset" ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC0> .
<?page=1> a hydra:PartialCollectionView ; hydra:next <%s> .
"""


def _failed(run, *words: str) -> None:
    assert run.status == HarvestRunStatus.FAILED
    for word in words:
        assert word in run.error, run.error
    assert run.finished is not None
    assert run.created_count == run.updated_count == run.removed_count == 0


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (b"\x00\x01garbage{{{", "text/turtle", ("could not be read as turtle",)),
        (b"<!DOCTYPE html><html><body>Login</body></html>", "text/html", ("HTML",)),
        (b"<html><body>Oops</body></html>", "text/turtle", ("HTML",)),
        (b"<rdf:RDF", "application/rdf+xml", ("could not be read as xml",)),
        (b'{"@context": {"@vocab": 5}, "x": [', "application/ld+json", ("not JSON",)),
    ],
)
def test_garbage_fails_the_run_with_a_clear_error(catalogue_server, body, content_type, words):
    catalogue_server.routes["/c"] = static(body, content_type)
    _failed(harvest(make_source(catalogue_server.url("/c"))), *words)


def test_ckan_answering_html_or_an_error_envelope_fails_the_run(catalogue_server):
    catalogue_server.routes["/api/3/action/package_search"] = static(
        "<!doctype html><title>Maintenance</title>", "text/html"
    )
    _failed(harvest(make_source(catalogue_server.base, kind="ckan")), "HTML")
    catalogue_server.routes["/api/3/action/package_search"] = static(
        '{"success": false, "error": {"message": "Search index down", "__type": "Search Error"}}',
        "application/json",
    )
    _failed(harvest(make_source(catalogue_server.base, kind="ckan", name="b")), "Search index down")


def test_a_failing_second_page_leaves_nothing_of_the_first_imported(catalogue_server):
    catalogue_server.routes["/p1.ttl"] = static(GOOD_PAGE % "/p2.ttl", "text/turtle")
    catalogue_server.routes["/p2.ttl"] = static(b"<html>error</html>", "text/html", status=502)
    run = harvest(make_source(catalogue_server.url("/p1.ttl")))

    _failed(run, "HTTP 502")
    assert not Dataset.objects.filter(title="First page dataset").exists()


def test_a_page_pointing_to_itself_is_a_paging_loop(catalogue_server):
    catalogue_server.routes["/p1.ttl"] = static(GOOD_PAGE % "/p1.ttl", "text/turtle")
    _failed(harvest(make_source(catalogue_server.url("/p1.ttl"))), "paging loops")


def test_endless_distinct_pages_stop_at_the_page_limit(catalogue_server, settings):
    settings.HARVEST_MAX_PAGES = 5

    def endless(handler, query):
        number = int(query.get("page", ["1"])[0])
        send(handler, (GOOD_PAGE % f"/c?page={number + 1}").encode(), "text/turtle")

    catalogue_server.routes["/c"] = endless
    run = harvest(make_source(catalogue_server.url("/c")))
    _failed(run, "more than 5 pages")
    assert run.pages == 5


def test_an_endless_body_stops_at_the_size_limit(catalogue_server, settings):
    settings.HARVEST_MAX_PAGE_BYTES = 1024 * 1024
    sent = []

    def ten_gigabytes(handler, query):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/turtle")
        handler.end_headers()  # no Content-Length: the limit must be found while reading
        chunk = b"# padding " * 6553
        for _ in range(160_000):  # 10 GB if nobody stopped it
            handler.wfile.write(chunk)
            sent.append(len(chunk))

    catalogue_server.routes["/huge.ttl"] = ten_gigabytes
    run = harvest(make_source(catalogue_server.url("/huge.ttl")))

    _failed(run, "page limit")
    assert sum(sent) < 50 * 1024 * 1024  # it hung up long before the end


def test_an_announced_huge_body_is_refused_before_reading(catalogue_server, settings):
    settings.HARVEST_MAX_PAGE_BYTES = 1000

    def announced(handler, query):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/turtle")
        handler.send_header("Content-Length", str(10 * 1024**3))
        handler.end_headers()
        handler.wfile.write(b"# start")

    catalogue_server.routes["/big.ttl"] = announced
    _failed(harvest(make_source(catalogue_server.url("/big.ttl"))), "announces")


def test_a_silent_source_trips_the_read_timeout(catalogue_server, settings):
    settings.HARVEST_READ_TIMEOUT = 0.5

    def silent(handler, query):
        time.sleep(3)

    catalogue_server.routes["/slow.ttl"] = silent
    started = time.monotonic()
    _failed(harvest(make_source(catalogue_server.url("/slow.ttl"))), "did not answer in time")
    assert time.monotonic() - started < 3


def test_a_dripping_source_is_stopped_by_the_run_deadline(catalogue_server, settings):
    """One byte every 0.2 s never trips a 1 s read timeout; the 2 s deadline ends it."""
    settings.HARVEST_READ_TIMEOUT = 1.0

    def drip(handler, query):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/turtle")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)

    catalogue_server.routes["/drip.ttl"] = drip
    started = time.monotonic()
    run = harvest(make_source(catalogue_server.url("/drip.ttl"), deadline_seconds=2))
    _failed(run, "deadline")
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/catalogue.ttl", "http://10.0.0.8/c.ttl", "http://169.254.169.254/latest",
     "http://[::1]/c.ttl", "http://[::ffff:127.0.0.1]/c.ttl", "http://localhost/c.ttl"],
)  # fmt: skip
def test_private_and_loopback_sources_are_refused(settings, url):
    settings.HARVEST_ALLOW_PRIVATE_ADDRESSES = False
    _failed(harvest(make_source(url)), "Refused to fetch", "private or reserved address")


def test_redirects_to_private_addresses_are_refused(catalogue_server, settings):
    def redirect(handler, query):
        handler.send_response(302)
        handler.send_header("Location", "http://169.254.169.254/latest/meta-data")
        handler.end_headers()

    catalogue_server.routes["/r"] = redirect
    # The first hop is the test server (allowed by name below); its redirect target is not.
    settings.HARVEST_ALLOW_PRIVATE_ADDRESSES = True
    from core import net

    checked = []
    original = net.url_check_public

    def strict_after_first(url, *, resolve=True, allow_private=None):
        checked.append(url)
        return original(url, allow_private=len(checked) == 1)

    import interop.harvest.fetch as fetch

    fetch.url_check_public, saved = strict_after_first, fetch.url_check_public
    try:
        run = harvest(make_source(catalogue_server.url("/r")))
    finally:
        fetch.url_check_public = saved
    _failed(run, "169.254.169.254", "private or reserved address")


def test_only_http_urls_are_fetched():
    from core.net import UnsafeURLError, url_check_public

    for url in ("file:///etc/passwd", "ftp://x.example/c", "gopher://x", "http:///nohost"):
        with pytest.raises(UnsafeURLError):
            url_check_public(url, allow_private=True)


def test_a_compressed_bomb_is_measured_after_decompression(catalogue_server, settings):
    import gzip

    settings.HARVEST_MAX_PAGE_BYTES = 1024 * 1024
    bomb = gzip.compress(b"#" * (64 * 1024 * 1024))  # 64 MB of comment in ~64 KB

    def compressed(handler, query):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/turtle")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    catalogue_server.routes["/bomb.ttl"] = compressed
    _failed(harvest(make_source(catalogue_server.url("/bomb.ttl"))), "page limit")


@pytest.mark.parametrize(
    "document",
    [
        '{"@context": {"@import": "http://169.254.169.254/ctx"}, "@id": "x"}',
        '{"@context": {"T": {"@id": "http://x/T", "@context": "http://10.0.0.1/c"}}, "@id": "x"}',
    ],
)
def test_jsonld_never_fetches_imported_or_nested_remote_contexts(catalogue_server, document):
    catalogue_server.routes["/c.jsonld"] = static(document, "application/ld+json")
    _failed(harvest(make_source(catalogue_server.url("/c.jsonld"))), "context")
