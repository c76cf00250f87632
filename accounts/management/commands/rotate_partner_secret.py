"""Give a partner client a new secret; the old one works for the overlap period, then stops."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Rotate a partner client's secret (client id, UUID or name). The previous secret keeps "
        "working for --overlap-hours (PARTNER_SECRET_OVERLAP_HOURS by default; 0 ends it now)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("client", help="Client id, partner client UUID or name.")
        parser.add_argument("--overlap-hours", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["overlap_hours"]
        if hours is None:
            hours = settings.PARTNER_SECRET_OVERLAP_HOURS
        try:
            client = selectors.partner_client_get(id_or_client_id=options["client"])
            secret = services.partner_client_rotate_secret(
                client=client, overlap=timedelta(hours=hours)
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        client.refresh_from_db()
        self.stdout.write(f"client_id: {client.application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        until = client.previous_secret_expires_at
        self.stderr.write(
            f"The previous secret works until {until:%Y-%m-%d %H:%M:%S} UTC."
            if until
            else "The previous secret no longer works."
        )
