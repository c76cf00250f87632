"""A researcher requests access in the admin and a steward approves it, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from access.models import AccessRequest, RequestState
from catalogue.models import AccessRights
from tests.accounts.factories import UserFactory, admin_user_in
from tests.browser.conftest import log_in
from tests.catalogue.factories import DatasetFactory

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed; serialized_rollback
    # puts the migrated reference data and groups back for whichever test comes next.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PURPOSE = (
    "We model how soil moisture drives winter wheat yields on Bavarian farms, 2019 to 2024, "
    "for the SoilNet project."
)
COMMENT = "Approved for SoilNet; please cite the institute."


@pytest.fixture
def browser(chromium):
    return chromium


def new_page(browser, live_server):
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 1000}
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture
def researcher(db):
    return admin_user_in(
        UserFactory(username="rui", first_name="Rui", last_name="Costa"), "Researchers"
    )


@pytest.fixture
def restricted(publisher):
    DatasetFactory(title="Bavarian weather stations", publisher=publisher)
    return DatasetFactory(
        title="Soil moisture on Bavarian farms",
        publisher=publisher,
        access_rights=AccessRights.RESTRICTED,
    )


def test_researcher_requests_access_and_steward_approves_it_in_admin(
    browser, live_server, researcher, admin_steward, restricted
):
    licence_text = restricted.licence.current_version.text
    _, page = new_page(browser, live_server)

    # The researcher finds the dataset, reads the licence and asks.
    log_in(page, researcher.username, "/admin/catalogue/dataset/")
    page.fill("#searchbar", "soil moisture")
    page.press("#searchbar", "Enter")
    page.click(f"#result_list a:text('{restricted.title}')")
    expect(page.locator("input[name=_save]")).to_have_count(0)  # browsing, read-only
    page.screenshot(path="/tmp/access_0_dataset.png", full_page=True)
    page.click("#request-access")

    expect(page.locator("h1")).to_contain_text(f"Request access: {restricted.title}")
    expect(page.locator("#licence")).to_contain_text(f"{restricted.licence.identifier}, version 1")
    expect(page.locator("#licence-text")).to_contain_text(licence_text[:60])
    expect(page.locator(".field-duration_days")).to_contain_text("At most 365 days")
    page.fill("#id_purpose", PURPOSE)
    page.fill("#id_duration_days", "120")
    page.check("#id_accept_licence")
    page.screenshot(path="/tmp/access_1_request_form.png", full_page=True)
    page.click("input[name=_submit]")

    expect(page.locator(".messagelist .success")).to_contain_text("was submitted")
    expect(page.locator(".field-state_label")).to_contain_text("Submitted")
    page.screenshot(path="/tmp/access_2_submitted.png", full_page=True)
    request_url = page.url
    request = AccessRequest.objects.get()
    assert (request.requester, request.state, request.duration_days) == (
        researcher, RequestState.SUBMITTED, 120,
    )  # fmt: skip

    # The steward, in another browser context, works through the review queue.
    context, steward_page = new_page(browser, live_server)
    try:
        log_in(steward_page, admin_steward.username, "/admin/access/accessrequest/")
        queue = steward_page.locator("#result_list")
        expect(queue).to_contain_text(restricted.title)
        expect(queue).to_contain_text("Rui Costa (rui)")
        steward_page.screenshot(path="/tmp/access_3_queue.png", full_page=True)
        queue.locator("tbody a", has_text=restricted.title).click()

        history = steward_page.locator("#events-group")
        expect(history).to_contain_text("Draft → Submitted")
        expect(history).to_contain_text("Rui Costa")
        expect(steward_page.locator(".field-purpose")).to_contain_text("SoilNet project")
        steward_page.fill("#id_approve_comment", COMMENT)
        steward_page.screenshot(path="/tmp/access_4_review.png", full_page=True)
        steward_page.click("#access-approve input[type=submit]")

        expect(steward_page.locator(".messagelist .success")).to_contain_text(
            "The request was approved."
        )
        expect(steward_page.locator("#events-group")).to_contain_text(COMMENT)
        steward_page.screenshot(path="/tmp/access_5_approved.png", full_page=True)
    finally:
        context.close()

    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert request.decided_by == admin_steward
    assert request.events.last().comment == COMMENT

    # The researcher sees the decision.
    page.goto(request_url)
    expect(page.locator(".field-state_label")).to_contain_text("Approved")
    expect(page.locator("#events-group")).to_contain_text("Submitted → Approved")
    page.goto("/admin/access/accessrequest/")
    expect(page.locator("#result_list")).to_contain_text("Approved")
    page.screenshot(path="/tmp/access_6_researcher_list.png", full_page=True)
