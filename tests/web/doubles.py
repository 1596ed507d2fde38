"""Stand-ins for the outside world failing, for ``override_settings``: an SMTP server that is
down and a task queue whose database went away. Everything else in the tests is real."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends import locmem
from django.core.mail.message import EmailMessage
from django.db import OperationalError
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db import DatabaseBackend


class SmtpDown(locmem.EmailBackend):
    """The locmem backend with the SMTP server gone: every send fails."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError(111, "Connection refused")


class QueueDown(ImmediateBackend):
    """A task backend whose enqueue fails (the queue's database went away)."""

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")


class DatabaseQueueDown(DatabaseBackend):
    """The database queue, failing to enqueue (its database connection dropped)."""

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")


SMTP_DOWN = f"{__name__}.SmtpDown"
QUEUE_DOWN = {"default": {"BACKEND": f"{__name__}.QueueDown", "QUEUES": ["default"]}}
DATABASE_QUEUE_DOWN = {
    "default": {"BACKEND": f"{__name__}.DatabaseQueueDown", "QUEUES": ["default"]}
}
