"""Register a partner system and print its OAuth2 client id and secret, once."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a partner client (OAuth2 client credentials) bound to publishers and/or a "
        "research organisation; prints the client id and the secret, which is not shown again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--publisher",
            action="append",
            default=[],
            metavar="SLUG",
            help="A publisher whose datasets, requests and grants the client handles "
            "(repeat, or separate with spaces).",
            nargs="+",
        )
        parser.add_argument(
            "--research-organisation",
            default="",
            help="The organisation whose researchers it submits requests for (access:request).",
        )
        parser.add_argument(
            "--scopes",
            nargs="+",
            required=True,
            help=" ".join(settings.PARTNER_SCOPES),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # accounts must not import catalogue: the model is looked up by name.
        Publisher = apps.get_model("catalogue", "Publisher")
        slugs = [slug for group in options["publisher"] for slug in group]
        publishers = list(Publisher.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {p.slug for p in publishers})
        if missing:
            raise CommandError(f"Unknown publisher(s): {', '.join(missing)}.")
        scopes = [s for group in options["scopes"] for s in group.replace(",", " ").split()]
        try:
            client, secret = services.partner_client_create(
                name=options["name"],
                scopes=scopes,
                publishers=publishers,
                research_organisation=options["research_organisation"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"client_id: {client.application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write(f"scopes: {' '.join(client.scopes)}")
        self.stderr.write(
            "The secret is stored hashed: copy it now, it is not shown again. Tokens: POST "
            "/o/token/ with grant_type=client_credentials."
        )
