"""A changed password revokes the user's API tokens.

Django sends no "password changed" signal, but ``set_password`` leaves the new raw password in
``user._password`` until the next save, where Django itself tells the password validators
(``password_changed``). Every path that changes a password goes through it: the admin, password
reset, ``changepassword``. A hash upgraded at sign-in (a new hasher or more iterations) clears
``_password`` first, so it is not a change and revokes nothing.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .services import api_tokens_revoke_for_user

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="accounts.password_before_save")
def _note_password_change(sender: type, instance: Any, **kwargs: Any) -> None:
    instance._password_changed_in_save = (
        not instance._state.adding and getattr(instance, "_password", None) is not None
    )


@receiver(post_save, sender=User, dispatch_uid="accounts.password_after_save")
def _revoke_tokens_on_password_change(sender: type, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "_password_changed_in_save", False):
        instance._password_changed_in_save = False
        api_tokens_revoke_for_user(user_id=instance.pk, reason="password changed")


@receiver(post_save, sender=User, dispatch_uid="accounts.superuser_email_verified")
def _superuser_email_is_verified(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    """A superuser is made by an operator (``createsuperuser``), never through sign-up: the
    address they typed is as good as verified, and without it they could not sign in through
    allauth (mandatory verification) on a site that cannot send mail yet."""
    if not created or not instance.is_superuser or not instance.email:
        return
    email = instance.email.lower()
    if EmailAddress.objects.filter(email__iexact=email, verified=True).exists():
        return
    EmailAddress.objects.get_or_create(
        user=instance, email=email, defaults={"verified": True, "primary": True}
    )
