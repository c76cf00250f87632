"""Who may write a publisher's part of the catalogue."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from catalogue.models import Publisher
from catalogue.selectors import publishers_stewarded_by
from core.errors import PermissionDeniedError
from core.partners import CATALOGUE_WRITE


class NotAStewardError(PermissionDeniedError):
    pass


def ensure_steward(*, user: AbstractBaseUser, publisher: Publisher) -> None:
    if (
        not publishers_stewarded_by(user=user, scope=CATALOGUE_WRITE)
        .filter(pk=publisher.pk)
        .exists()
    ):
        raise NotAStewardError(
            f"You are not a steward of the publisher '{publisher.slug}'.",
            fields={"publisher": [f"You do not steward '{publisher.slug}'."]},
        )
