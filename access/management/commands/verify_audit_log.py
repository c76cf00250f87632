"""Check the hash chain of the access-request audit trail; exit 1 naming the first broken event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from access.services import audit_log_verify


class Command(BaseCommand):
    help = "Verify that no access-request event was changed or removed after it was written."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_log_verify()
        if not result.ok:
            raise CommandError(
                f"Audit log BROKEN after {result.events_checked} events: {result.message}"
            )
        self.stdout.write(self.style.SUCCESS(result.message))
