"""``balm manage score_rows``: check the scores export's kept rows against their responses
(exit 1 when they differ), or with ``--rebuild`` write them again (after a restore from an
old backup or any change made behind balm's back)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from balm.outcomes import score_rows
from balm.programmes.models import Enrolment


class Command(BaseCommand):
    help = "Check (or --rebuild) the merged score rows the scores export reads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="write every row again from the responses"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        courses = list(Enrolment.objects.order_by("pk").values_list("pk", flat=True))
        if options["rebuild"]:
            with transaction.atomic():
                written = score_rows.rebuild(courses)
            self.stdout.write(
                f"Score rows written again: {written} rows of {len(courses)} courses."
            )
            return
        found = score_rows.differences(courses)
        if found:
            for line in found[:50]:
                self.stderr.write(line)
            raise CommandError(
                f"{len(found)} score row(s) differ from their responses; "
                "run `balm manage score_rows --rebuild`."
            )
        self.stdout.write(f"Score rows agree with the responses of {len(courses)} courses.")
