"""``manage.py verify_facet_totals [--repair]``: the landing page's facet totals against the data.

For after loading rows with the triggers off (a data-only ``pg_restore --disable-triggers``, a
bulk copy under ``session_replication_role = replica``); a beat task runs the same check daily.
Exits 1 when totals differ and were not repaired.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from catalogue.services import facet_totals_verify


class Command(BaseCommand):
    help = "Compare the landing page's facet totals with a recount of the datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair", action="store_true", help="recount the totals when any differs"
        )

    def handle(self, *args, repair: bool = False, **options) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Facet totals are kept on PostgreSQL only: nothing to verify.")
            return
        differences = facet_totals_verify(repair=repair)
        if not differences:
            self.stdout.write(self.style.SUCCESS("The facet totals match the datasets."))
            return
        for facet, value, kept, counted in differences[:50]:
            self.stdout.write(f"{facet} {value or '(all)'}: kept {kept:,}, counted {counted:,}")
        if repair:
            self.stdout.write(
                self.style.WARNING(f"{len(differences)} values differed; recounted them all.")
            )
            return
        raise CommandError(
            f"{len(differences)} values differ from the datasets; run with --repair to recount."
        )
