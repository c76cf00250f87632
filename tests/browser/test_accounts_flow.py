"""A researcher's own account, in a real browser: sign-up with the verification link from the
outbox, sign-in through a real OpenID Connect provider process (authorization-code flow), and a
password reset by e-mail link."""

from __future__ import annotations

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from accounts.selectors import email_is_verified
from config.settings.base import oidc_socialaccount_providers
from tests.accounts.factories import UserFactory
from tests.browser.conftest import fill_sign_in
from tests.oidc_provider import OidcProvider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "hedgehogs sleep through the winter"
User = get_user_model()


def new_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 1000}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def last_link() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def test_a_new_researcher_signs_up_verifies_and_signs_in(chromium, live_server):
    page = new_page(chromium, live_server)
    page.goto("/accounts/signup/")
    expect(page.locator("#site-name")).to_have_text("Passerelle")
    page.fill("#id_email", "lena@uni-wien.example")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    assert mail.outbox[-1].to == ["lena@uni-wien.example"]
    user = User.objects.get(email="lena@uni-wien.example")
    assert not email_is_verified(user=user)

    # Verified in another browser (the mail client's), then signed in here.
    other = new_page(chromium, live_server)
    other.goto(last_link())
    other.click("main button[type=submit]")
    other.context.close()
    assert email_is_verified(user=user)

    page.goto("/accounts/login/")
    fill_sign_in(page, "lena@uni-wien.example", PASSWORD)
    page.wait_for_url("**/workspace/")
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser and not user.groups.exists()

    page.goto("/admin/")
    expect(page.locator("#admin-refused")).to_contain_text("researcher account")
    assert page.url.endswith("/admin/login/?next=/admin/")
    page.screenshot(path="/tmp/accounts_signed_up_admin_refused.png", full_page=True)


def test_the_same_verified_email_through_openid_connect_is_one_account(
    chromium, live_server, settings
):
    provider = OidcProvider().start()
    try:
        settings.SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_providers(
            [provider.settings_entry(name="University IdP")]
        )
        provider.set_user("ines-eduid", email="ines@uni-lisboa.example", email_verified=True)
        provider.set_user("ines-orcid", email="ines@uni-lisboa.example", email_verified=True)

        for sub in ("ines-eduid", "ines-orcid"):
            page = new_page(chromium, live_server)
            page.goto("/accounts/login/")
            page.click("text=University IdP")
            page.click("main button[type=submit]")  # allauth's "Continue" (a POST)
            page.wait_for_url(f"{provider.issuer}/**")
            page.fill("input[name=sub]", sub)
            page.click("button:text('Authorize')")
            page.wait_for_url("**/workspace/")
            page.context.close()
    finally:
        provider.stop()

    user = User.objects.get(email="ines@uni-lisboa.example")
    assert not user.is_staff and not user.is_superuser
    assert email_is_verified(user=user)
    assert set(SocialAccount.objects.values_list("user_id", "uid")) == {
        (user.pk, "ines-eduid"),
        (user.pk, "ines-orcid"),
    }
    assert User.objects.count() == 1


def test_a_forgotten_password_is_reset_by_e_mail_link(chromium, live_server):
    UserFactory(username="olga", email="olga@uni-krakow.example")
    page = new_page(chromium, live_server)
    page.goto("/accounts/login/")
    page.click("nav >> text=Forgotten password")
    page.fill("#id_email", "olga@uni-krakow.example")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/password/reset/done/")
    page.goto(last_link())
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/password/reset/key/done/")

    page.goto("/accounts/login/")
    fill_sign_in(page, "olga@uni-krakow.example", PASSWORD)
    page.wait_for_url("**/workspace/")
