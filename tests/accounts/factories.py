"""Accounts for tests: users with a known password, and API clients holding a token."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.services import api_token_create

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


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
