"""Sign-in is throttled per account and per address (the web sign-in, which the admin hands to
allauth, and the API alike), and spoofed X-Forwarded-For headers do not buy more attempts."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/?next=/admin/"
LIMIT = 3


@pytest.fixture(autouse=True)
def sign_in_throttle(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def steward_user(db):
    user = UserFactory(username="stella", is_staff=True)
    user.groups.add(Group.objects.get(name="Stewards"))
    return user


def admin_login(client, username: str, password: str, address: str = "198.51.100.7", **headers):
    """Sign in for the admin through allauth's form, which takes the e-mail address."""
    return client.post(
        LOGIN,
        {"login": f"{username}@example.org", "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def api_login(client, username: str, password: str, address: str = "198.51.100.7", **headers):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
        **headers,
    )


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(
    client, steward_user
):
    for _ in range(LIMIT - 1):
        assert admin_login(client, "stella", "wrong").status_code == 200  # the form again
    assert admin_login(client, "stella", "wrong").status_code == 429  # the failure that locks
    locked = admin_login(client, "stella", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert locked["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session


def test_the_account_lock_holds_from_other_addresses(client, steward_user):
    for n in range(LIMIT):
        admin_login(client, "stella", "wrong", address=f"203.0.113.{n + 1}")
    assert admin_login(client, "stella", PASSWORD, address="192.0.2.99").status_code == 429


def test_an_address_is_locked_after_failures_on_many_accounts(client, steward_user):
    for n in range(LIMIT):
        admin_login(client, f"guess{n}", "wrong")
    assert admin_login(client, "stella", PASSWORD).status_code == 429
    # Another address, the same account: the account itself was never attacked.
    assert admin_login(client, "stella", PASSWORD, address="192.0.2.5").status_code == 302


def test_forged_forwarded_for_headers_do_not_reset_the_count(client, steward_user, settings):
    settings.NUM_PROXIES = 0  # reached directly: X-Forwarded-For is the client's own words
    for n in range(LIMIT):
        admin_login(client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}")
    forged = admin_login(
        client, "stella", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200", address="198.51.100.7"
    )
    assert forged.status_code == 429


def test_behind_one_proxy_only_the_address_it_saw_counts(client, steward_user, settings):
    settings.NUM_PROXIES = 1  # nginx appends the address it saw; what is left of it is forged
    for n in range(LIMIT):
        admin_login(
            client, f"guess{n}", "wrong", address="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.50",
        )  # fmt: skip
    again = admin_login(
        client, "stella", PASSWORD, address="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.77, 203.0.113.50",
    )  # fmt: skip
    assert again.status_code == 429
    other_client = admin_login(
        client, "stella", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.51"
    )
    assert other_client.status_code == 302


def test_the_api_token_endpoint_shares_the_lock_and_answers_json(client, steward_user):
    for _ in range(LIMIT - 1):
        response = api_login(client, "stella", "wrong")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"
    assert api_login(client, "stella", "wrong").status_code == 429
    locked = api_login(client, "stella", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert "Too many failed sign-ins" in locked.json()["error"]["message"]
    # The admin is locked for this account as well.
    assert admin_login(client, "stella", PASSWORD, address="192.0.2.1").status_code == 429


def test_an_administrator_unlocks_an_account(client, steward_user, admin_user):
    for _ in range(LIMIT):
        admin_login(client, "stella", "wrong")
    assert admin_login(client, "stella", PASSWORD).status_code == 429
    admin_client = client.__class__()
    admin_client.force_login(admin_user)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": attempts},
        follow=True,
    )
    assert "Unlocked stella" in response.content.decode()
    assert admin_login(client, "stella", PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_the_count_on_another(client, steward_user):
    """An attacker with an account of their own cannot wipe their failures on someone else's
    by signing in to it between guesses."""
    UserFactory(username="mallory", is_staff=True)
    for _ in range(LIMIT - 1):
        admin_login(client, "stella", "guess")
        assert admin_login(client, "mallory", PASSWORD).status_code == 302
        client.logout()
    assert admin_login(client, "stella", "guess").status_code == 429


def test_password_change_revokes_the_users_api_tokens(client, steward_user):
    first = api_login(client, "stella", PASSWORD).json()["token"]
    second = api_login(client, "stella", PASSWORD).json()["token"]
    headers = {"HTTP_AUTHORIZATION": f"Token {first}"}
    assert client.get("/api/v1/access-requests/", **headers).status_code == 200
    steward_user.set_password("a brand new passphrase 2026")
    steward_user.save()
    for token in (first, second):
        response = client.get("/api/v1/access-requests/", HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 401
        assert "revoked" in response.json()["error"]["message"]


def test_a_rehashed_password_at_sign_in_keeps_the_tokens(client, steward_user, settings):
    token = api_login(client, "stella", PASSWORD).json()["token"]
    # A stronger hasher configured later: the next sign-in upgrades the stored hash.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert api_login(client, "stella", PASSWORD).status_code == 201
    steward_user.refresh_from_db()
    assert steward_user.password.startswith("pbkdf2_sha256$")
    assert (
        client.get("/api/v1/access-requests/", HTTP_AUTHORIZATION=f"Token {token}").status_code
        == 200
    )
