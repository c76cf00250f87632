"""Accounts on the web: sign-up with mandatory e-mail verification, unique addresses, password
reset, the admin's sign-in handed to allauth, a second factor (TOTP) and the staff rule, the
researcher's own API tokens, and the verified-address rule for access requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from access import services as access_services
from accounts.models import ApiToken
from accounts.selectors import email_is_verified
from accounts.services import api_token_create
from core.errors import PermissionDeniedError
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a long and new passphrase 2026"


def link_in(message) -> str:
    return re.search(r"https?://[^\s]+", message.body).group(0).split("testserver", 1)[-1]


def sign_in(client, email: str, password: str = PASSWORD, next_url: str = ""):
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


# --- sign-up and verification ------------------------------------------------------------


def test_sign_up_makes_a_researcher_who_must_verify_before_signing_in(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "lena@uni-wien.example", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="lena@uni-wien.example")
    assert not user.is_staff and not user.is_superuser
    assert not user.groups.exists() and not user.user_permissions.exists()
    assert not email_is_verified(user=user)
    assert signed_in_user_id(client) is None

    # Not verified: signing in only sends the verification again.
    client.logout()
    assert sign_in(client, "lena@uni-wien.example", NEW_PASSWORD).status_code == 302
    assert signed_in_user_id(client) is None
    assert len(mail.outbox) == 2

    confirm = link_in(mail.outbox[-1])
    assert client.get(confirm).status_code == 200  # a page with a button: GET changes nothing
    assert not email_is_verified(user=user)
    assert client.post(confirm).status_code == 302
    assert email_is_verified(user=user)

    response = sign_in(client, "lena@uni-wien.example", NEW_PASSWORD)
    assert response["Location"] == "/workspace/"
    assert signed_in_user_id(client) == user.pk


def test_a_second_sign_up_with_a_taken_address_creates_no_account(client):
    UserFactory(username="marek", email="marek@uw.example")
    client.post(
        "/accounts/signup/",
        {"email": "Marek@UW.example", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert User.objects.filter(email__iexact="marek@uw.example").count() == 1
    assert signed_in_user_id(client) is None


def test_a_signed_up_account_cannot_open_the_admin(client):
    user = UserFactory(username="nadia")
    client.force_login(user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "cannot use the administration site" in response.content.decode()


# --- password reset -------------------------------------------------------------------------


def test_password_reset_by_e_mail_link(client):
    user = UserFactory(username="olga")
    response = client.post("/accounts/password/reset/", {"email": "olga@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    key_url = link_in(mail.outbox[0])
    set_password = client.get(key_url)
    assert set_password.status_code == 302  # the key moves into the session, out of the URL
    response = client.post(
        set_password["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert sign_in(client, "olga@example.org", PASSWORD).status_code == 200  # old one refused
    assert sign_in(client, "olga@example.org", NEW_PASSWORD).status_code == 302
    assert signed_in_user_id(client) == user.pk


def test_password_reset_says_nothing_about_unknown_addresses(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert all("nobody@example.org" in m.to for m in mail.outbox)  # at most a notice to it
    assert not User.objects.filter(email="nobody@example.org").exists()


# --- the admin's sign-in --------------------------------------------------------------------


def test_the_admin_sign_in_hands_over_to_allauth(client):
    response = client.get("/admin/login/?next=/admin/access/accessrequest/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Faccess%2Faccessrequest%2F"
    # Its form cannot be posted to either: nothing signs in there.
    staff = UserFactory(username="petra", is_staff=True)
    client.post("/admin/login/", {"username": "petra", "password": PASSWORD})
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, "petra@example.org", next_url="/admin/")["Location"] == "/admin/"
    assert signed_in_user_id(client) == staff.pk


def test_the_admin_sign_in_ignores_a_next_on_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


# --- a second factor --------------------------------------------------------------------------


def activate_totp(client) -> str:
    """Set up an authenticator app as a person does: read the secret, answer a code."""
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        # Changing how one signs in asks for the password again.
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.content
    return secret


def test_totp_is_asked_at_sign_in_once_activated(client):
    user = UserFactory(username="quentin")
    sign_in(client, "quentin@example.org")
    secret = activate_totp(client)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert stored.data["secret"] == secret  # what the authenticator app was given
    client.logout()

    response = sign_in(client, "quentin@example.org")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    assert client.post("/accounts/2fa/authenticate/", {"code": wrong}).status_code == 200
    assert signed_in_user_id(client) is None
    response = client.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/workspace/"
    assert signed_in_user_id(client) == user.pk


def test_staff_must_set_up_a_second_factor_before_the_admin_when_required(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    UserFactory(username="rosa", is_staff=True)
    sign_in(client, "rosa@example.org")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    activate_totp(client)
    assert client.get("/admin/").status_code == 200


def test_staff_reach_the_admin_without_a_second_factor_when_not_required(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    client.force_login(UserFactory(username="sam", is_staff=True))
    assert client.get("/admin/").status_code == 200


# --- the researcher's API tokens --------------------------------------------------------------


def test_the_token_page_needs_a_signed_in_account(client):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/tokens/")


def test_a_researcher_creates_a_token_sees_the_secret_once_and_uses_it(client, settings):
    settings.API_TOKEN_TTL_DAYS = 90
    user = UserFactory(username="tomas")
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": "Laptop notebook", "lifetime_days": 30})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("pst_") and secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    assert token.name == "Laptop notebook"
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)

    listed = client.get("/accounts/tokens/").content.decode()
    assert "Laptop notebook" in listed and token.prefix in listed
    assert secret not in listed  # shown once
    api = client.get("/api/v1/access-requests/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.status_code == 200


def test_a_token_cannot_outlive_the_configured_maximum(client, settings):
    settings.API_TOKEN_TTL_DAYS = 90
    user = UserFactory(username="ulla")
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": "Forever", "lifetime_days": 91})
    assert response.status_code == 200
    assert "90" in str(response.context["form"].errors["lifetime_days"])
    assert not ApiToken.objects.filter(user=user).exists()


def test_a_researcher_revokes_their_token_and_it_stops_working(client):
    user = UserFactory(username="vera")
    token, secret = api_token_create(user=user, name="Cluster job")
    client.force_login(user)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = client.get("/api/v1/access-requests/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.status_code == 401
    assert "revoked" in client.get("/accounts/tokens/").content.decode()


def test_another_users_token_is_not_found_and_stays_live(client):
    owner = UserFactory(username="walter")
    token, _ = api_token_create(user=owner, name="Walter's")
    client.force_login(UserFactory(username="xenia"))
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Walter's" not in client.get("/accounts/tokens/").content.decode()


def test_revoking_needs_a_post_with_the_csrf_token(client):
    from django.test import Client

    user = UserFactory(username="yusuf")
    token, _ = api_token_create(user=user)
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(user)
    assert checked.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    assert checked.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


# --- a verified address before asking for data --------------------------------------------------


def test_an_unverified_account_cannot_request_access(restricted):
    unverified = UserFactory(username="zoe", email_verified=False)
    with pytest.raises(PermissionDeniedError) as refused:
        access_services.access_request_create(
            requester=unverified,
            dataset=restricted,
            purpose="We compare soil moisture with yields over ten seasons.",
            accept_licence=True,
        )
    assert refused.value.extra == {"rule": "email_unverified"}
    assert "Verify your e-mail address" in refused.value.message


def test_the_api_refuses_a_request_from_an_unverified_account(restricted):
    from tests.accounts.factories import token_client

    client = token_client(UserFactory(username="zack", email_verified=False))
    response = client.post(
        "/api/v1/access-requests/",
        {"dataset": restricted.slug, "accept_licence": True,
         "purpose": "We compare soil moisture with yields over ten seasons."},
        format="json",
    )  # fmt: skip
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["rule"] == "email_unverified"
    assert "Verify your e-mail address" in error["message"]


def test_a_draft_cannot_be_submitted_once_the_address_is_no_longer_verified(restricted):
    from allauth.account.models import EmailAddress

    user = UserFactory(username="yara")
    draft = access_services.access_request_create(
        requester=user,
        dataset=restricted,
        purpose="We compare soil moisture with yields over ten seasons.",
        accept_licence=True,
        submit=False,
    )
    EmailAddress.objects.filter(user=user).update(verified=False)
    with pytest.raises(PermissionDeniedError):
        access_services.access_request_submit(user=user, request=draft)
