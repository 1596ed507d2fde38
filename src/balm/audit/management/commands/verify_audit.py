"""``balm manage verify_audit``: recompute every audit hash; exit 1 at a broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from balm.audit.verify import first_broken_links


class Command(BaseCommand):
    help = "Check the audit trail's hash chains; report the first broken link of each chain."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = first_broken_links()
        if broken:
            for link in broken:
                self.stderr.write(f"Broken: {link}")
            raise CommandError(
                f"The audit trail was changed behind balm's back: {len(broken)} chain(s) broken "
                f"({checked} events checked)."
            )
        self.stdout.write(f"Audit trail intact: {checked} events checked.")
