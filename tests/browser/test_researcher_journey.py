"""The researcher's whole web path, in a real browser, with no researcher ever made staff.

Lena signs up (verification link from the outbox); Ines signs in through a real OpenID Connect
provider process. Each asks for a restricted dataset in the workspace, answering the publisher's
form and attaching an ethics letter. The steward invites a reviewer in /admin/, the reviewer
recommends in the workspace, the steward approves in /admin/. Lena downloads the file from the
workspace and checks its SHA-256, then asks for an extension; Ines gives up her access and her
link stops working.

Set SCREENSHOT_DIR to keep the pages it passes through (docs/screenshots/ was made so).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from access import services
from access.models import AccessRequest, Grant, GrantState, RequestState, Review
from catalogue.models import AccessRights
from config.settings.base import oidc_socialaccount_providers
from tests.accounts.factories import PASSWORD, UserFactory, admin_user_in
from tests.browser.conftest import fill_sign_in, log_in
from tests.catalogue.factories import DatasetFactory, file_distribution
from tests.oidc_provider import OidcProvider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
User = get_user_model()
NEW_PASSWORD = "kingfishers nest in river banks"
PURPOSE = (
    "We model how soil moisture drives winter wheat yields on Bavarian farms, 2019 to 2024, "
    "for the SoilNet project."
)
QUESTIONS = [
    {"key": "ethics-id", "label": "Ethics approval number", "kind": "text", "required": True,
     "help_text": "As printed on the committee's letter."},
    {"key": "ethics-letter", "label": "Ethics approval letter (PDF)", "kind": "attachment",
     "required": True},
]  # fmt: skip
LETTER = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
WORKSPACE = "/workspace/workspace"


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def request_access(page, dataset, letter: Path, ethics_id: str, shots: Path | None = None) -> None:
    """In the workspace: find the dataset, open its page, fill the form with the publisher's
    questions and the letter, accept the licence, submit."""
    page.goto(f"{WORKSPACE}/cataloguedataset/")
    page.fill("#searchbar", "soil moisture")
    page.press("#searchbar", "Enter")
    page.locator("#result_list a", has_text=dataset.title).click()
    if shots:
        page.screenshot(path=shots / "researcher-2-dataset.png", full_page=True)
    page.click("#request-access")
    page.fill("#id_purpose", PURPOSE)
    page.fill("[name='answers.ethics-id']", ethics_id)
    page.set_input_files("[name='answers.ethics-letter']", str(letter))
    page.check("#id_accept_licence")
    if shots:
        page.screenshot(path=shots / "researcher-3-request-form.png", full_page=True)
    page.click("input[name=_submit]")
    expect(page.locator(".messagelist .success")).to_contain_text("was submitted")
    expect(page.locator("#application-answers")).to_contain_text(ethics_id)
    expect(page.locator("#application-answers")).to_contain_text("ethics.pdf")


def test_researchers_sign_up_or_in_ask_with_a_form_and_a_letter_and_download(
    chromium, live_server, settings, tmp_path, screenshots, steward, publisher
):
    settings.SITE_URL = live_server.url  # signed links carry the live server's address
    dataset = DatasetFactory(
        title="Soil moisture on Bavarian farms",
        publisher=publisher,
        access_rights=AccessRights.RESTRICTED,
    )
    readings = file_distribution(dataset, title="Moisture readings")
    services.application_form_publish(
        user=steward, publisher=publisher, questions=QUESTIONS, name="Ethics questions"
    )
    admin_user_in(steward, "Stewards")
    reviewer = UserFactory(username="eva", first_name="Eva", last_name="Ethik")
    letter = tmp_path / "ethics.pdf"
    letter.write_bytes(LETTER)

    # --- Lena signs up; the verification link comes by e-mail --------------------------------
    lena_page = new_page(chromium, live_server)
    lena_page.goto("/accounts/signup/")
    lena_page.fill("#id_email", "lena@uni-wien.example")
    lena_page.fill("#id_password1", NEW_PASSWORD)
    lena_page.fill("#id_password2", NEW_PASSWORD)
    lena_page.screenshot(path=screenshots / "researcher-1-sign-up.png", full_page=True)
    lena_page.click("main button[type=submit]")
    lena_page.wait_for_url("**/accounts/confirm-email/")
    # She opens the link from her mail client (another browser), then signs in here.
    mail_client = new_page(chromium, live_server)
    mail_client.goto(re.search(r"https?://\S+", mail.outbox[-1].body).group(0))
    mail_client.click("main button[type=submit]")
    mail_client.context.close()
    lena_page.goto("/accounts/login/")
    fill_sign_in(lena_page, "lena@uni-wien.example", NEW_PASSWORD)
    lena_page.wait_for_url("**/workspace/")
    request_access(lena_page, dataset, letter, "EK-2026-117", screenshots)
    lena_request_url = lena_page.url

    # --- Ines signs in with her institution's identity (OpenID Connect) -----------------------
    provider = OidcProvider().start()
    try:
        settings.SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_providers(
            [provider.settings_entry(name="University of Lisbon")]
        )
        provider.set_user("ines", email="ines@uni-lisboa.example", email_verified=True)
        ines_page = new_page(chromium, live_server)
        ines_page.goto(f"{WORKSPACE}/myrequest/")
        ines_page.wait_for_url("**/accounts/login/**")
        ines_page.click("text=University of Lisbon")
        ines_page.click("main button[type=submit]")
        ines_page.wait_for_url(f"{provider.issuer}/**")
        ines_page.fill("input[name=sub]", "ines")
        ines_page.click("button:text('Authorize')")
        ines_page.wait_for_url(f"**{WORKSPACE}/myrequest/")
    finally:
        provider.stop()
    request_access(ines_page, dataset, letter, "CE-LX-2026-08")

    lena = User.objects.get(email="lena@uni-wien.example")
    ines = User.objects.get(email="ines@uni-lisboa.example")
    lena_request = AccessRequest.objects.get(requester=lena)
    ines_request = AccessRequest.objects.get(requester=ines)
    assert lena_request.answers["ethics-id"] == "EK-2026-117"
    assert lena_request.attachments.get().sha256 == hashlib.sha256(LETTER).hexdigest()

    # --- The steward invites a reviewer in /admin/ -------------------------------------------
    steward_page = new_page(chromium, live_server)
    log_in(steward_page, steward.username, "/admin/access/accessrequest/")
    steward_page.goto(f"/admin/access/accessrequest/{lena_request.pk}/change/")
    steward_page.fill("#id_invite_email", reviewer.email)
    steward_page.click("#access-invite input[type=submit]")
    expect(steward_page.locator(".messagelist .success")).to_be_visible()

    # --- The reviewer recommends, in the workspace (not staff, sees this request only) -------
    reviewer_page = new_page(chromium, live_server)
    reviewer_page.goto("/accounts/login/")
    fill_sign_in(reviewer_page, reviewer.email, PASSWORD)
    reviewer_page.wait_for_url("**/workspace/")
    reviewer_page.goto(f"{WORKSPACE}/requesttoreview/")
    rows = reviewer_page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.locator("a").first.click()
    expect(reviewer_page.locator("#application-answers")).to_contain_text("EK-2026-117")
    with reviewer_page.expect_download() as letter_download:
        reviewer_page.locator("#application-answers a.attachment-download").click()
    assert Path(letter_download.value.path()).read_bytes() == LETTER
    reviewer_page.click("#add-review")
    reviewer_page.check("input[name=recommendation][value=approve]")
    reviewer_page.fill("#id_comment", "The committee's letter covers this use.")
    reviewer_page.screenshot(path=screenshots / "researcher-4-reviewer.png", full_page=True)
    reviewer_page.click("#review_form input[type=submit]")
    expect(reviewer_page.locator("#reviews")).to_contain_text("covers this use")
    assert Review.objects.get().reviewer == reviewer

    # --- The steward approves both in /admin/; a worker's provisioning makes the grants -------
    for access_request in (lena_request, ines_request):
        steward_page.goto(f"/admin/access/accessrequest/{access_request.pk}/change/")
        steward_page.fill("#id_approve_comment", "Approved for SoilNet.")
        steward_page.click("#access-approve input[type=submit]")
        expect(steward_page.locator(".messagelist .success")).to_be_visible()
        services.grant_provision(access_request_id=access_request.pk)

    # --- Lena downloads from the workspace and checks the SHA-256 ----------------------------
    lena_page.goto(lena_request_url)
    expect(lena_page.locator(".field-state_label")).to_contain_text("Approved")
    expect(lena_page.locator("body")).not_to_contain_text("covers this use")  # reviews hidden
    lena_page.locator(".field-grant_link a").click()
    expect(lena_page.locator("#grant-files")).to_contain_text(readings.sha256)
    lena_page.screenshot(path=screenshots / "researcher-5-grant.png", full_page=True)
    with lena_page.expect_download() as download:
        lena_page.click("#grant-files input[value=Download]")
    body = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(body).hexdigest() == readings.sha256

    # --- Lena asks for an extension; her access keeps working until the decision -------------
    lena_page.click("#renew-grant")
    lena_page.check("#id_accept_licence")
    lena_page.screenshot(path=screenshots / "researcher-6-renewal.png", full_page=True)
    lena_page.click("#renew_form input[type=submit]")
    expect(lena_page.locator(".messagelist .success")).to_contain_text("keeps working")
    renewal = AccessRequest.objects.get(renews=lena_request)
    assert renewal.state == RequestState.SUBMITTED
    assert Grant.objects.get(access_request=lena_request).state == GrantState.ACTIVE

    # --- Ines gives up her access; her link stops at once ------------------------------------
    ines_grant = Grant.objects.get(access_request=ines_request)
    ines_page.goto(f"{WORKSPACE}/mygrant/{ines_grant.pk}/change/")
    curl = ines_page.locator(".curl-command").first.input_value()
    link = re.search(r"'(https?://[^']+)'", curl).group(1)
    assert requests.get(link, timeout=10).status_code == 200
    ines_page.click("#relinquish-grant")
    ines_page.click("#relinquish_form input[type=submit]")
    expect(ines_page.locator("#grant-state")).to_contain_text("Relinquished")
    assert requests.get(link, timeout=10).status_code == 403

    # No researcher, nor the reviewer, was ever made staff.
    for account in (lena, ines, reviewer):
        account.refresh_from_db()
        assert not account.is_staff and not account.is_superuser
