"""Due e-mails without cron: the reminder schedule, ``balm worker`` and how they stop, and
how the worker's check retries e-mails that could not be queued or sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import OperationalError, ProgrammingError, connection
from django.db.backends.signals import connection_created
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from tests.web.doubles import DATABASE_QUEUE_DOWN, SMTP_DOWN

from balm.outcomes.management.commands import worker as worker_command
from balm.outcomes.management.commands.worker import Command as WorkerCommand
from balm.outcomes.management.commands.worker import ReminderWorker
from balm.outcomes.models import ReminderLog
from balm.outcomes.reminders import ReminderSchedule

pytestmark = pytest.mark.django_db

BALM = Path(sys.executable).with_name("balm")


def _worker(**options: Any) -> ReminderWorker:
    defaults: dict[str, Any] = {
        "reminder_interval": 900,
        "queue_names": ["default"],
        "interval": 0.02,
        "batch": False,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
    }
    return ReminderWorker(**{**defaults, **options})


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def database_queue(settings) -> None:  # type: ignore[no-untyped-def]
    """Tasks go to the database queue (as in production) instead of running at once."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def own_signal_handlers() -> Iterator[None]:
    """The worker installs SIGINT/SIGTERM/SIGQUIT handlers; give pytest its own back."""
    names = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {name: signal.getsignal(name) for name in names}
    yield
    for name, handler in saved.items():
        signal.signal(name, handler)


def test_each_check_queues_due_emails_then_one_reminder(
    world,
    django_capture_on_commit_callbacks,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    schedule = ReminderSchedule(60)
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.tick() == 2  # P1 and P2, one "due" e-mail each
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.tick() == 0
    assert _recipients() == sorted([world.p1.email, world.p2.email])
    ReminderLog.objects.update(
        queued_at=timezone.now() - timedelta(days=settings.BALM_REMINDER_AFTER_DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.tick() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.tick() == 0
    assert len(mail.outbox) == 4
    assert [m.subject.startswith("A gentle reminder") for m in mail.outbox] == [
        False,
        False,
        True,
        True,
    ]
    assert schedule.checks == 4


def test_interval_zero_turns_the_check_off(world, transactional_db) -> None:  # type: ignore[no-untyped-def]
    # The worker loop closes connections between polls, so it needs committed data.
    schedule = ReminderSchedule(0)
    assert not schedule.enabled
    assert schedule.start() is False
    assert not schedule.is_alive()
    worker = _worker(reminder_interval=0, batch=True)
    worker.run()
    assert worker.schedule.checks == 0
    assert not ReminderLog.objects.exists()
    assert mail.outbox == []
    with pytest.raises(ValueError, match="0 \\(off\\) or more"):
        ReminderSchedule(-1)


def test_worker_sends_due_emails_through_the_database_queue_once(
    world,
    transactional_db,
    database_queue,  # type: ignore[no-untyped-def]
) -> None:
    _worker(batch=True).run()  # check once, then run everything queued
    assert _recipients() == sorted([world.p1.email, world.p2.email])
    assert DBTaskResult.objects.successful().count() == 2
    assert not ReminderLog.objects.filter(sent_at__isnull=True).exists()
    _worker(batch=True).run()  # a second worker (another server, or later) sends nothing again
    assert len(mail.outbox) == 2
    assert DBTaskResult.objects.count() == 2


def test_schedule_thread_checks_at_start_and_again_without_sending_twice(
    world,
    transactional_db,  # type: ignore[no-untyped-def]
) -> None:
    schedule = ReminderSchedule(0.02)
    assert schedule.start()
    try:
        assert _wait_for(lambda: schedule.checks >= 4)
    finally:
        schedule.stop()
    assert not schedule.is_alive()
    assert _recipients() == sorted([world.p1.email, world.p2.email])
    assert ReminderLog.objects.count() > 0
    assert not ReminderLog.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.postgres
def test_schedule_thread_closes_its_connection_after_each_check(
    world,
    transactional_db,  # type: ignore[no-untyped-def]
) -> None:
    opened: list[Any] = []

    def note(sender: Any, connection: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == "balm-reminders":
            opened.append(connection)

    connection_created.connect(note)
    schedule = ReminderSchedule(0.02)
    try:
        schedule.start()
        assert _wait_for(lambda: schedule.checks >= 3)
    finally:
        schedule.stop()
        connection_created.disconnect(note)
    assert len(opened) >= 3  # a fresh connection for every check
    assert all(wrapper.connection is None for wrapper in opened)


def test_worker_stops_on_sigterm_and_stops_its_schedule(
    world,
    transactional_db,
    own_signal_handlers,  # type: ignore[no-untyped-def]
) -> None:
    worker = _worker(reminder_interval=60, interval=10)
    worker.configure_signals()
    seen: list[bool] = []

    def terminate() -> None:
        seen.append(_wait_for(worker.schedule.is_alive))
        time.sleep(0.2)  # the worker is now polling or sleeping between polls
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate)
    killer.start()
    with pytest.raises(SystemExit) as stopped:
        worker.run()
    killer.join()
    assert seen == [True]
    assert stopped.value.code == 0
    assert worker.running is False
    assert not worker.schedule.is_alive()
    assert _recipients() == sorted([world.p1.email, world.p2.email])  # the check at start


def test_stop_flag_ends_the_worker_loop_and_its_schedule(
    world,
    transactional_db,  # type: ignore[no-untyped-def]
) -> None:
    worker = _worker(reminder_interval=60, interval=0.02)
    backstop_fired: list[bool] = []

    def stop() -> None:
        _wait_for(worker.schedule.is_alive)
        time.sleep(0.1)
        worker.stop()

    def backstop() -> None:  # so a broken stop fails the test instead of hanging it
        backstop_fired.append(True)
        worker.running = False

    stopper = threading.Thread(target=stop)
    timer = threading.Timer(20, backstop)
    stopper.start()
    timer.start()
    try:
        worker.run()
    finally:
        timer.cancel()
        stopper.join()
    assert backstop_fired == []
    assert not worker.schedule.is_alive()
    assert worker.schedule.checks == 1


def test_worker_that_ends_by_itself_stops_its_schedule(
    world,
    transactional_db,
    database_queue,  # type: ignore[no-untyped-def]
) -> None:
    worker = _worker(reminder_interval=60, max_tasks=1)
    worker.run()  # the check at start queues two e-mails; the worker runs one and exits
    assert len(mail.outbox) == 1
    assert not worker.schedule.is_alive()


def test_balm_worker_refuses_a_backend_without_a_queue(tmp_path: Path) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BALM_", "DATABASE_URL"))}
    keep.pop("DJANGO_SETTINGS_MODULE", None)
    env = {
        **keep,
        "BALM_DEMO": "1",
        "BALM_DATA_DIR": str(tmp_path),
        "BALM_TASKS_BACKEND": "immediate",
    }
    result = subprocess.run(
        [str(BALM), "worker", "--batch"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "BALM_TASKS_BACKEND=database" in result.stderr


def _after_grace(settings: Any) -> None:
    ReminderLog.objects.update(
        last_attempt_at=timezone.now()
        - timedelta(minutes=settings.BALM_REMINDER_RETRY_MINUTES, seconds=1)
    )


def test_worker_check_queues_again_what_could_not_be_queued(
    world,
    transactional_db,
    database_queue,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    with override_settings(TASKS=DATABASE_QUEUE_DOWN):
        _worker(batch=True).run()
    assert mail.outbox == []
    assert not DBTaskResult.objects.exists()
    assert ReminderLog.objects.filter(sent_at__isnull=True, last_error__contains="queue").exists()
    _worker(batch=True).run()  # a restarted worker, within the grace period: nothing yet
    assert mail.outbox == []
    _after_grace(settings)
    _worker(batch=True).run()
    assert _recipients() == sorted([world.p1.email, world.p2.email])
    assert DBTaskResult.objects.successful().count() == 2
    assert set(ReminderLog.objects.values_list("outcome", "attempts")) == {("sent", 2)}


def test_worker_retries_a_failed_send_after_the_grace_period(
    world,
    transactional_db,
    database_queue,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        _worker(batch=True).run()
    assert DBTaskResult.objects.failed().count() == 2  # the queue shows the failure too
    assert mail.outbox == []
    assert set(ReminderLog.objects.values_list("sent_at", "attempts")) == {(None, 1)}
    assert not ReminderLog.objects.exclude(last_error__contains="Connection refused").exists()
    _after_grace(settings)
    _worker(batch=True).run()
    assert _recipients() == sorted([world.p1.email, world.p2.email])
    assert DBTaskResult.objects.successful().count() == 2
    assert set(ReminderLog.objects.values_list("outcome", "attempts")) == {("sent", 2)}


def test_reminder_interval_defaults_to_the_setting(settings, database_queue) -> None:  # type: ignore[no-untyped-def]
    settings.BALM_REMINDER_INTERVAL = 42.5
    parser = WorkerCommand().create_parser("balm", "worker")
    assert parser.parse_args([]).reminder_interval == 42.5
    assert parser.parse_args(["--reminder-interval", "7"]).reminder_interval == 7.0


def test_balm_worker_leaves_the_interval_to_the_setting_unless_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import django
    from django.core import management
    from typer.testing import CliRunner

    from balm.cli import app

    calls: list[tuple[str, ...]] = []
    monkeypatch.setenv("BALM_DATA_DIR", str(tmp_path))
    # Django is set up already; setting it up again would point logging at the runner's stream.
    monkeypatch.setattr(django, "setup", lambda: None)
    monkeypatch.setattr(management, "call_command", lambda *args: calls.append(args))
    runner = CliRunner()
    assert runner.invoke(app, ["worker", "--batch"]).exit_code == 0
    assert runner.invoke(app, ["worker", "--reminder-interval", "0"]).exit_code == 0
    assert not any(arg.startswith("--reminder-interval") for arg in calls[0])
    assert "--reminder-interval=0.0" in calls[1]


class DatabaseGoesAway:
    """An execute wrapper: the worker's first ``times`` polls of the queue fail as they do
    while PostgreSQL restarts (the driver's error, raised by Django as OperationalError);
    everything else reaches the real database."""

    def __init__(self, times: int, error: type[Exception] = OperationalError) -> None:
        self.left = times
        self.error = error

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        polls = DBTaskResult._meta.db_table in sql and sql.lstrip().upper().startswith("SELECT")
        if polls and self.left:
            self.left -= 1
            raise self.error("terminating connection due to administrator command")
        return execute(sql, params, many, context)


def test_worker_keeps_polling_when_the_database_goes_away(
    world,
    transactional_db,
    database_queue,
    monkeypatch,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    # Found by bench/faults.py: db_worker let the error of a PostgreSQL restart end the
    # process, so no e-mail went out until someone started the worker again.
    monkeypatch.setattr(worker_command, "DATABASE_RETRY_SECONDS", 0.01)
    fault = DatabaseGoesAway(times=3)
    worker = _worker(reminder_interval=900, max_tasks=2)
    with connection.execute_wrapper(fault):
        worker.run()  # the check at start queues two e-mails; the polls fail three times
    assert fault.left == 0
    assert _recipients() == sorted([world.p1.email, world.p2.email])
    assert set(ReminderLog.objects.values_list("outcome", flat=True)) == {"sent"}
    assert caplog.text.count("The database could not be reached") == 3
    assert not worker.schedule.is_alive()


def test_worker_still_stops_on_other_database_errors(
    world,
    transactional_db,
    database_queue,  # type: ignore[no-untyped-def]
) -> None:
    worker = _worker(reminder_interval=900, max_tasks=2)
    fault = DatabaseGoesAway(1, ProgrammingError)
    with connection.execute_wrapper(fault), pytest.raises(ProgrammingError):
        worker.run()  # a missing table is not waited out: it needs someone to look
    assert mail.outbox == []
    assert not worker.schedule.is_alive()
