"""A researcher without the staff flag finds a dataset in the workspace, asks for it, and
downloads the file once a steward approved; the bytes match the published SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from access import services
from access.models import AccessRequest, RequestState
from catalogue.models import AccessRights
from tests.accounts.factories import PASSWORD, UserFactory
from tests.browser.conftest import fill_sign_in
from tests.catalogue.factories import DatasetFactory, file_distribution

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread, so the data must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PURPOSE = (
    "We model how soil moisture drives winter wheat yields on Bavarian farms, 2019 to 2024, "
    "for the SoilNet project."
)


@pytest.fixture
def researcher(db):
    return UserFactory(username="rui", first_name="Rui", last_name="Costa")


@pytest.fixture
def restricted(publisher):
    DatasetFactory(title="Bavarian weather stations", publisher=publisher)
    return DatasetFactory(
        title="Soil moisture on Bavarian farms",
        publisher=publisher,
        access_rights=AccessRights.RESTRICTED,
    )


def test_researcher_requests_in_the_workspace_and_downloads_the_approved_file(
    page, live_server, settings, researcher, steward, restricted
):
    # Signed links carry the site's address: here, the live server's.
    settings.SITE_URL = live_server.url
    distribution = file_distribution(restricted, title="Moisture readings")
    assert not researcher.is_staff

    # Anyone who is not signed in is sent to sign in, and back.
    page.goto("/workspace/workspace/cataloguedataset/")
    page.wait_for_url("**/accounts/login/**")
    fill_sign_in(page, researcher.email, PASSWORD)
    page.wait_for_url("**/workspace/workspace/cataloguedataset/")
    expect(page.locator("#site-name")).to_contain_text("Passerelle workspace")

    # The catalogue's full-text search, then the dataset's page.
    page.fill("#searchbar", "moisture")
    page.press("#searchbar", "Enter")
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    results.locator("a", has_text=restricted.title).click()
    expect(page.locator(".field-file_table")).to_contain_text("Moisture readings")
    page.screenshot(path="/tmp/workspace_0_dataset.png", full_page=True)
    page.click("#request-access")

    # The request form: the licence's exact text, accepted.
    expect(page.locator("#licence-text")).to_contain_text(
        restricted.licence.current_version.text[:60]
    )
    expect(page.locator("#id_duration_days")).to_have_value("90")
    page.fill("#id_purpose", PURPOSE)
    page.fill("#id_project_title", "SoilNet")
    page.check("#id_accept_licence")
    page.screenshot(path="/tmp/workspace_1_request.png", full_page=True)
    page.click("input[name=_submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("was submitted")
    expect(page.locator(".field-state_label")).to_contain_text("Submitted")
    expect(page.locator("#history")).to_contain_text("Draft → Submitted")

    # A steward approves; the worker's provisioning runs as a service call.
    access_request = AccessRequest.objects.get(requester=researcher)
    services.access_request_approve(user=steward, request=access_request)
    grant = services.grant_provision(access_request_id=access_request.pk)
    access_request.refresh_from_db()
    assert access_request.state == RequestState.APPROVED

    # The researcher sees the decision and the grant, and downloads with the button.
    page.reload()
    expect(page.locator(".field-state_label")).to_contain_text("Approved")
    page.locator(".field-grant_link a").click()
    expect(page.locator("#grant-state")).to_contain_text("Active")
    expect(page.locator("#grant-files")).to_contain_text(distribution.sha256)
    expect(page.locator("#token-value")).not_to_be_empty()
    page.screenshot(path="/tmp/workspace_2_grant.png", full_page=True)
    with page.expect_download() as download_info:
        page.click("#grant-files input[value=Download]")
    download = download_info.value
    assert download.suggested_filename == "moisture.csv"
    body = Path(download.path()).read_bytes()
    assert hashlib.sha256(body).hexdigest() == distribution.sha256
    grant.refresh_from_db()
    assert grant.download_count == 1
