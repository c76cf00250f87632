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
