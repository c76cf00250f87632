"""Reads of the accounts app."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser


def email_is_verified(*, user: AbstractBaseUser) -> bool:
    """Whether ``user`` has a verified e-mail address.

    TEMPORARY stand-in: helper A (django-allauth) replaces this with a check of allauth's
    verified addresses. Until then an account counts as verified when it has an address at all,
    so an account without one is refused as it will be then.
    """
    return bool(user.is_authenticated and user.email)
