"""``balm manage send_due_reminders``: the due/reminder e-mail check, once.

``balm worker`` already runs this check at start and every ``BALM_REMINDER_INTERVAL``
seconds, so no schedule is needed; use this for a one-off run, or from cron for workers
started with ``--reminder-interval 0``.
"""

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
