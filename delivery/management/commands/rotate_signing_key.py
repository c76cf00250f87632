"""Create a new grant-signing key; optionally retire an old one.

New tokens are signed with the new key at once. Tokens signed with older keys keep verifying as
long as those keys are published in /.well-known/jwks.json, that is until they are retired
(`--retire KID`, once the tokens they signed have expired).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from delivery.models import SigningKey
from delivery.services import signing_key_create, signing_key_retire


class Command(BaseCommand):
    help = "Rotate the key that signs grant tokens (private keys are never printed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--retire", metavar="KID", help="Retire this key instead of creating one."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retire"]:
            if not SigningKey.objects.filter(kid=options["retire"]).exists():
                raise CommandError(f"No signing key with kid {options['retire']}.")
            key = signing_key_retire(kid=options["retire"])
            self.stdout.write(f"Retired {key.kid}: it is no longer published in the JWKS.")
            return
        key = signing_key_create()
        published = SigningKey.objects.filter(retired_at__isnull=True).count()
        self.stdout.write(
            f"New signing key {key.kid} now signs grant tokens; {published} key(s) published."
        )
