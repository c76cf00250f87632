"""Swagger UI (/api/docs/) and Redoc (/api/redoc/) work offline: every script, style sheet and icon
they load is one of our static files (drf-spectacular-sidecar), served by runserver in `make run`
and collected for nginx in production. No page loads anything from a CDN or another site."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

DOCS = ["/api/docs/", "/api/redoc/"]


class _References(HTMLParser):
    """The URLs a page makes the browser load: scripts, style sheets, icons, images..."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, value))


def references(html: str) -> list[tuple[str, str]]:
    parser = _References()
    parser.feed(html)
    return parser.urls


@pytest.mark.django_db
@pytest.mark.parametrize("page", DOCS)
def test_a_docs_page_loads_nothing_from_another_site(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    urls = references(html)
    assert any(tag == "script" for tag, _ in urls), urls  # the page does load its code
    offsite = [url for _, url in urls if urlsplit(url).scheme or url.startswith("//")]
    assert offsite == []
    # nor in an inline script or style (a font import, a CDN fallback, a validator badge...)
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", html) == []
    assert all(url.startswith(settings.STATIC_URL) or url.startswith("/static/") for _, url in urls)


@pytest.mark.django_db
@pytest.mark.parametrize("page", DOCS)
def test_a_docs_page_lets_the_browser_load_only_from_this_server(client, page):
    """What a bundle would fetch by itself (Redoc's logo from cdn.redoc.ly) is refused too."""
    policy = client.get(page)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    for name, sources in directives.items():
        assert not re.search(r"https?:|\*|//", sources), (name, sources)


@pytest.mark.django_db
def test_swagger_ui_does_not_send_the_schema_to_the_online_validator(client):
    """Swagger UI shows a badge fetched from validator.swagger.io, given the schema's URL,
    unless validatorUrl is null."""
    html = client.get("/api/docs/").content.decode()
    assert re.search(r'"validatorUrl":\s*null', html)


# The live server is another thread: a transactional database, whose reference data
# serialized_rollback puts back for the tests after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("page", DOCS)
def test_the_files_a_docs_page_loads_are_served(live_server, page):
    """As runserver serves them in `make run` (DEBUG on: the static files handler)."""
    url = live_server.url + page
    html = requests.get(url, timeout=10).text
    loaded = references(html)
    assert loaded
    for _, ref in loaded:
        response = requests.get(urljoin(url, ref), timeout=10)
        assert response.status_code == 200, ref
        assert response.content, ref


@pytest.mark.django_db
def test_collectstatic_gathers_every_file_the_docs_load(client, settings, tmp_path):
    """In production nginx serves /static/ from what collectstatic gathered (deploy/)."""
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", verbosity=0)
    for page in DOCS:
        for _, ref in references(client.get(page).content.decode()):
            path = urlsplit(ref).path
            assert path.startswith("/static/"), ref
            assert (tmp_path / path.removeprefix("/static/")).is_file(), ref
