"""``balm manage send_due_reminders`` — run daily (cron or a systemd timer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand

from balm.outcomes.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Queue today's questionnaire e-mails (due and reminder); safe to run repeatedly."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        queued = send_due_reminders(options["today"])
        self.stdout.write(f"queued {queued} e-mail(s)")
