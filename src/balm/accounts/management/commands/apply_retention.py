"""``balm manage apply_retention [--dry-run]``: remove the identifiers of participants past
their site's retention period (``balm.accounts.erasure.apply_retention``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from balm.accounts.erasure import apply_retention


class Command(BaseCommand):
    help = "Remove names, contact details and personal links of participants past retention."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        lines = apply_retention(dry_run=dry_run)
        for line in lines:
            self.stdout.write(line)
        verb = "would be changed" if dry_run else "changed"
        self.stdout.write(f"{len(lines)} participant(s) {verb}.")
