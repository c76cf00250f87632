"""Swagger UI and Redoc render the API in a real browser with no network beyond the server.

Every request the pages make is recorded, and any to another host is aborted: the pages must
still show the operations, and whatever their bundles try to fetch from elsewhere (Redoc's
"API docs by Redocly" logo from cdn.redoc.ly) must be refused by the page's
Content-Security-Policy before it leaves the browser."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def recorded(page, live_server):
    """The page, and what it requested: every URL, and those that failed."""
    server = urlsplit(live_server.url).netloc
    record = {"server": server, "requested": [], "failed": [], "errors": []}
    page.on("request", lambda request: record["requested"].append(request.url))
    page.on(
        "requestfailed", lambda request: record["failed"].append((request.url, request.failure))
    )
    page.on("pageerror", lambda exc: record["errors"].append(str(exc)))
    page.context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlsplit(route.request.url).netloc == server else route.abort()
        ),
    )
    return page, record


def assert_nothing_left_the_server(page, record) -> None:
    page.wait_for_load_state("networkidle")
    blocked_by_policy = {url for url, failure in record["failed"] if failure == "csp"}
    sent_elsewhere = [
        url
        for url in record["requested"]
        if urlsplit(url).netloc != record["server"]
        and not url.startswith(("data:", "blob:"))
        and url not in blocked_by_policy
    ]
    assert sent_elsewhere == []
    assert [url for url, failure in record["failed"] if failure != "csp"] == []
    assert record["errors"] == []
    assert any("/static/" in url for url in record["requested"])  # it did load our files


def test_swagger_ui_renders_the_operations_offline(recorded):
    page, record = recorded
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Passerelle API")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/datasets/").first
    ).to_be_visible()
    assert_nothing_left_the_server(page, record)


def test_redoc_renders_the_operations_offline(recorded):
    page, record = recorded
    page.goto("/api/redoc/")
    # Redoc parses the whole schema in the page before drawing anything: on a loaded two-core
    # machine that takes longer than Playwright's default five seconds.
    expect(page.locator("h1", has_text="Passerelle API")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/v1/access-requests/{id}/approve/").first).to_be_attached(
        timeout=30_000
    )
    assert_nothing_left_the_server(page, record)
