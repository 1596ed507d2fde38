"""``balm worker`` (or ``balm manage worker``): the task worker plus the reminder schedule.

It is django-tasks-db's ``db_worker`` (same options, same queue polling, same signal handling)
with one addition: it checks for due questionnaire e-mails at start and then every
``--reminder-interval`` seconds (default: the ``BALM_REMINDER_INTERVAL`` setting; 0 turns it
off), so no cron job is needed; the check also queues again the questionnaire and
safety-alert e-mails that could not be queued or sent. Run one worker per app server, or
several: the check is idempotent (see ``balm.outcomes.reminders``).
"""

from __future__ import annotations

import logging
import os
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from balm.outcomes.reminders import ReminderSchedule

logger = logging.getLogger(__name__)

#: Seconds to wait before polling again after the database could not be reached.
DATABASE_RETRY_SECONDS = 1.0


class ReminderWorker(db_worker.Worker):
    """The database worker, with a :class:`ReminderSchedule` thread beside its polling loop.

    The first check runs in the worker's own thread before the first poll (marked as a running
    task, so a first Ctrl+C or SIGTERM lets it finish); later checks run in the schedule's
    thread. With ``batch`` the check runs once and the queue is drained, with no thread.
    """

    def __init__(self, *, reminder_interval: float, **worker_options: Any) -> None:
        super().__init__(**worker_options)
        self.schedule = ReminderSchedule(reminder_interval)

    def run(self) -> None:
        try:
            if self.schedule.enabled and self.running:
                self.running_task = True
                try:
                    self.schedule.tick()
                finally:
                    self.running_task = False
                if not self.batch and self.running:
                    self.schedule.start(check_now=False)
            self._poll_until_stopped()
        finally:
            self.schedule.stop()

    def _poll_until_stopped(self) -> None:
        """db_worker's loop, started again when the database cannot be reached.

        db_worker lets any database error but a locked SQLite file end the process, so a
        PostgreSQL restart (or a dropped connection) would stop the e-mails until someone
        restarted the worker; ``bench/faults.py`` found it. An e-mail whose task was running
        at that moment is left marked as being sent, and the reminder check sends it again
        after the grace period (at least once, as for a killed worker). Other errors (a
        missing table, say) still end the worker."""
        while self.running:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as error:
                logger.warning(
                    "The database could not be reached (%s); polling again in %ss",
                    str(error).strip() or type(error).__name__,
                    DATABASE_RETRY_SECONDS,
                )
                connections.close_all()  # this thread's: the next poll opens a fresh one
                if self.running:
                    time.sleep(DATABASE_RETRY_SECONDS)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        self.schedule.request_stop()
        super().shutdown(signum, frame)

    def stop(self) -> None:
        """Stop after the current task (from another thread, or a test)."""
        self.running = False
        self.schedule.request_stop()


class Command(db_worker.Command):
    help = (
        "Run a database task worker that also queues due questionnaire e-mails every "
        "--reminder-interval seconds."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--reminder-interval",
            type=db_worker.valid_interval,
            # Read when the command is run, so a test's override_settings applies.
            default=settings.BALM_REMINDER_INTERVAL,
            help="Seconds between checks for due questionnaire e-mails; 0 turns them off "
            "(default: the BALM_REMINDER_INTERVAL setting, now %(default)s)",
        )

    def handle(  # type: ignore[override]
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        reminder_interval: float,
        **options: Any,
    ) -> None:
        # As db_worker's handle, with ReminderWorker in place of its Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            db_worker.logger.warning(
                "Warning: --reload and --batch cannot be specified together. Disabling autoreload."
            )
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ReminderWorker(
            reminder_interval=reminder_interval,
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only in the child process
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
