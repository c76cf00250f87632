"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Without /usr/bin/chromium the tests are skipped with the reason; with REQUIRE_SERVICES=1 they fail
instead, so that a CI job meant to run them cannot pass by skipping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.accounts.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if getattr(settings, "REQUIRE_SERVICES", False):
        pytest.fail(f"REQUIRE_SERVICES=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture
def chromium(live_server):
    """One headless Chromium per test.

    Playwright's sync API runs an asyncio event loop in the test thread, and Django refuses ORM
    calls from a thread with a running loop; the test code itself is synchronous, so allowing
    them is safe. The variable is set only while the browser runs: set for the whole session it
    would leak into subprocesses other tests start (``manage.py check --deploy`` rejects it).

    Function-scoped, so that it starts after pytest-django's database fixture and stops before
    that fixture's teardown: while the loop runs, ``django.db.connections`` answers with another
    connection object (asgiref's context-local storage) that lacks the serialized contents, so
    ``serialized_rollback`` would skip its restore and its flush would re-run post_migrate
    (content types re-created under new ids, groups gone), breaking every later
    ``serialized_rollback`` test.
    """
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while the loop ran opened that other connection: close it, or it
        # outlives the test database (whose removal then fails: "being accessed by other users").
        connections.close_all()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 1000}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def fill_sign_in(page, email: str, password: str) -> None:
    """Fill and send allauth's sign-in form (where /admin/login/ sends everyone)."""
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click("form[action^='/accounts/login/'] button[type=submit]")


def log_in(page, username: str, next_url: str) -> None:
    """Sign in as a person would: the admin's sign-in hands over to allauth's form, which takes
    the account's e-mail address, then comes back to ``next_url``."""
    from django.contrib.auth import get_user_model

    email = get_user_model().objects.get(username=username).email
    page.goto(f"/admin/login/?next={next_url}")
    page.wait_for_url("**/accounts/login/**")
    fill_sign_in(page, email, PASSWORD)
    page.wait_for_url(f"**{next_url}")
