"""``manage.py harvest <source id or name>``: harvest one source now, with a progress bar and
the run's summary (created, updated, unchanged, removed, failed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from interop.harvest import selectors, services
from interop.models import HarvestRunStatus, HarvestSource


class Command(BaseCommand):
    help = "Harvest one source (by id or name) now and print what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="The harvest source's id or name.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, source: str, no_progress: bool, **options: Any) -> None:
        try:
            found = selectors.harvest_source_find(source)
        except HarvestSource.DoesNotExist:
            raise CommandError(f"No harvest source has the id or name '{source}'.") from None
        try:
            run = services.harvest_run_start(source=found)
        except services.HarvestAlreadyRunningError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Harvesting '{found.name}' ({found.get_kind_display()}) from {found.url}"
        )

        def progress(items: Iterable[Any], total: int) -> Iterable[Any]:
            return tqdm(items, total=total, unit="dataset", disable=no_progress, file=self.stderr)

        run = services.harvest_source_run(source_id=found.pk, progress=progress, run=run)
        summary = f"{run.summary()} ({run.pages} page(s), run {run.pk})"
        for error in run.record_errors[:20]:
            self.stdout.write(f"  {error['identifier']}: {error['message']}")
        if len(run.record_errors) > 20:
            self.stdout.write(f"  ... and {len(run.record_errors) - 20} more (see the admin).")
        if run.status == HarvestRunStatus.FAILED:
            raise CommandError(f"The harvest failed: {run.error} ({summary})")
        self.stdout.write(self.style.SUCCESS(summary))
