"""Accounts for tests: users with a known password, and API clients holding a token."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.services import api_token_create

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True  # the hook writes the address, not the user

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def email_verified(user, create: bool, extracted: bool | None, **kwargs) -> None:
        """Accounts have a verified primary address, as after following allauth's link;
        ``UserFactory(email_verified=False)`` makes one that was never confirmed."""
        if not create or not user.email:
            return
        EmailAddress.objects.update_or_create(
            user=user,
            email=user.email.lower(),
            defaults={"verified": extracted is not False, "primary": True},
        )


def admin_user_in(user, group: str):
    """``user`` with admin access (staff) through one of the migrated groups."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=group))
    return user


def token_client(user) -> APIClient:
    """An API client sending a fresh personal token of ``user``."""
    client = APIClient()
    _, raw = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


# --- partner clients -----------------------------------------------------------------------------


def partner_client(
    name: str = "Uni Research Office",
    *,
    scopes: tuple[str, ...] = ("access:request",),
    publishers=(),
    research_organisation: str = "",
):
    """A partner client made by the service, with its secret (as the admin would show it)."""
    from accounts.services import partner_client_create

    return partner_client_create(
        name=name,
        scopes=scopes,
        publishers=list(publishers),
        research_organisation=research_organisation,
    )


def obtain_partner_token(client, secret: str, *, scope: str | None = None) -> dict:
    """POST /o/token/ with HTTP Basic client authentication, as a partner system does."""
    import base64

    basic = base64.b64encode(f"{client.application.client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = APIClient().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return response.json()


def bearer_client(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def partner_api(client, secret: str, *, scope: str | None = None) -> APIClient:
    """An API client sending a fresh token of the partner ``client``."""
    return bearer_client(obtain_partner_token(client, secret, scope=scope)["access_token"])
