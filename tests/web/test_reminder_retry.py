"""Questionnaire e-mails are not lost silently: a claimed e-mail that could not be queued or
sent is queued again by a later check, a bounded number of times, never twice at once, and
not at all once the questionnaire is answered or closed or the participant withdrew."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.message import EmailMessage
from django.db import connections
from django.test import override_settings
from django.utils import timezone
from tests.web import factories
from tests.web.concurrency import run_together
from tests.web.doubles import QUEUE_DOWN, SMTP_DOWN

from balm.accounts.models import ParticipantLink
from balm.outcomes import actions, tasks
from balm.outcomes.models import ReminderLog
from balm.outcomes.reminders import send_due_reminders
from balm.outcomes.tasks import send_questionnaire_email

pytestmark = pytest.mark.django_db


def _p1_only(world: Any) -> None:
    # Only P1 has an address, so each check sends at most one e-mail.
    world.p2.email = ""
    world.p2.save()


def _after_grace(settings: Any) -> None:
    """Move every attempt back past the grace period, as if the next check came later."""
    ReminderLog.objects.update(
        last_attempt_at=timezone.now()
        - timedelta(minutes=settings.BALM_REMINDER_RETRY_MINUTES, seconds=1)
    )


def _rows() -> list[ReminderLog]:
    return list(ReminderLog.objects.order_by("pk"))


def test_defaults() -> None:
    from django.conf import settings

    assert settings.BALM_REMINDER_RETRY_MINUTES == 30
    assert settings.BALM_REMINDER_MAX_ATTEMPTS == 5


def test_an_email_that_could_not_be_queued_is_queued_again_by_a_later_check(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    _p1_only(world)
    with override_settings(TASKS=QUEUE_DOWN):
        assert check() == 1  # claimed and handed to the queue, which failed
    rows = _rows()
    assert len(rows) >= 2  # P1's baseline questionnaires, one e-mail
    for row in rows:
        assert row.sent_at is None
        assert row.attempts == 1
        assert row.last_error.startswith("could not queue the e-mail: OperationalError: server")
    assert mail.outbox == []
    assert check() == 0  # within the grace period: the task may still be on its way
    assert mail.outbox == []
    _after_grace(settings)
    assert check() == 1
    assert [message.to for message in mail.outbox] == [[world.p1.email]]
    for row in _rows():
        assert row.sent_at is not None
        assert row.outcome == "sent"
        assert row.attempts == 2
        assert "could not queue" in row.last_error  # what happened on the way stays visible
    _after_grace(settings)
    assert check() == 0
    assert len(mail.outbox) == 1


def test_smtp_failures_are_retried_then_given_up_with_the_error_recorded(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    _p1_only(world)
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        assert check() == 1
        for attempt in range(1, 6):
            rows = _rows()
            assert {row.attempts for row in rows} == {attempt}
            assert all(
                row.last_error == "sending failed: ConnectionRefusedError: "
                "[Errno 111] Connection refused"
                for row in rows
            )
            if attempt < 5:
                assert {(row.sent_at, row.outcome) for row in rows} == {(None, "")}
                assert check() == 0  # not before the grace period
                _after_grace(settings)
                assert check() == 1
        # The fifth attempt failed: given up, the error kept.
        rows = _rows()
        assert all(row.sent_at is not None for row in rows)
        assert {row.outcome for row in rows} == {"not sent: gave up after 5 attempts"}
        _after_grace(settings)
        assert check() == 0
    # The server is back, but the e-mail was given up on: nothing more goes out, and none of
    # the five links whose e-mail failed still works.
    _after_grace(settings)
    assert check() == 0
    assert mail.outbox == []
    links = ParticipantLink.objects.filter(participant=world.p1)
    assert links.count() == 5
    assert not links.filter(revoked_at__isnull=True).exists()
    assert {row.attempts for row in _rows()} == {5}


def test_max_attempts_setting_bounds_the_retries(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    _p1_only(world)
    settings.BALM_REMINDER_MAX_ATTEMPTS = 2
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        assert check() == 1
        _after_grace(settings)
        assert check() == 1
        _after_grace(settings)
        assert check() == 0
    assert {row.outcome for row in _rows()} == {"not sent: gave up after 2 attempts"}


def test_a_failed_send_succeeds_on_the_next_attempt_with_a_working_link(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    _p1_only(world)
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        check()
    _after_grace(settings)
    assert check() == 1
    assert len(mail.outbox) == 1
    assert {(row.outcome, row.attempts) for row in _rows()} == {("sent", 2)}
    working = ParticipantLink.objects.filter(participant=world.p1, revoked_at__isnull=True)
    assert working.count() == 1  # the link of the failed attempt was revoked
    token = mail.outbox[0].body.split("/p/")[1].split("/")[0]
    assert ParticipantLink.find_active(token) == working.get()


def test_an_answered_questionnaire_is_not_retried(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    _p1_only(world)
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        check()
    phq9 = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    actions.submit_response(
        assessment=phq9,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    _after_grace(settings)
    assert check() == 1  # the others, still open
    answered = ReminderLog.objects.get(assessment=phq9)
    assert answered.outcome == "not sent: answered"
    assert answered.attempts == 1
    assert answered.sent_at is not None
    assert "PHQ-9" not in mail.outbox[0].body
    assert "GAD-7" in mail.outbox[0].body
    assert {row.attempts for row in _rows() if row.pk != answered.pk} == {2}


def _withdraw(world: Any) -> None:
    from balm.programmes.actions import change_enrolment_status

    change_enrolment_status(
        enrolment=world.enrolment_p1, status="withdrawn", reason="moved", by=None
    )


def _close(world: Any) -> None:
    world.enrolment_p1.assessments.update(closes_on=timezone.localdate() - timedelta(days=1))


@pytest.mark.parametrize(
    ("change", "outcome"),
    [(_withdraw, "not sent: participant withdrew"), (_close, "not sent: closed")],
    ids=["withdrawn", "closed"],
)
def test_no_retry_once_the_participant_withdrew_or_the_questionnaire_closed(
    world: Any,
    check: Callable[[], int],
    settings: Any,
    change: Callable[[Any], None],
    outcome: str,
) -> None:
    _p1_only(world)
    with override_settings(TASKS=QUEUE_DOWN):
        check()
    change(world)
    _after_grace(settings)
    assert check() == 0
    assert mail.outbox == []
    rows = _rows()
    assert {(row.outcome, row.attempts) for row in rows} == {(outcome, 1)}
    assert all(row.sent_at is not None for row in rows)
    _after_grace(settings)
    assert check() == 0


def test_the_task_run_twice_sends_once(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    _p1_only(world)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        send_due_reminders()
    ids = [row.pk for row in _rows()]
    assert send_questionnaire_email.call(ids) == f"sent {len(ids)}"
    assert send_questionnaire_email.call(ids) == "nothing to send"
    for callback in queued:  # the task queued by the check runs after all
        callback()
    assert len(mail.outbox) == 1


def test_rows_another_run_is_sending_are_left_to_it_unless_it_died(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    _p1_only(world)
    with override_settings(TASKS=QUEUE_DOWN):
        check()
    ids = [row.pk for row in _rows()]
    ReminderLog.objects.update(outcome=ReminderLog.SENDING)  # another worker is sending them
    assert send_questionnaire_email.call(ids) == "nothing to send"
    assert check() == 0
    assert mail.outbox == []
    _after_grace(settings)  # ... and it died while sending: the check queues them again
    assert check() == 1
    assert len(mail.outbox) == 1
    assert {(row.outcome, row.attempts) for row in _rows()} == {("sent", 2)}


# A send that outlasts the grace period: the check queues the e-mail again while the first
# run is still talking to the mail server. Each piece is called in the order of the race.


def _claimed_for_p1(world: Any, check: Callable[[], int]) -> list[int]:
    _p1_only(world)
    with override_settings(TASKS=QUEUE_DOWN):
        check()  # claimed; the task could not be queued
    return [row.pk for row in _rows()]


def _check_requeues(settings: Any, capture: Any) -> None:
    """The grace period has passed since the first run took the rows: the next check resets
    them and queues a retry (captured, not run)."""
    settings.BALM_REMINDER_RETRY_MINUTES = 0
    with capture(execute=False) as queued:
        assert send_due_reminders() == 1
    assert len(queued) == 1
    assert {(row.outcome, row.attempts) for row in _rows()} == {("", 2)}


def test_a_late_success_leaves_the_rows_a_retry_is_sending_to_it(
    world: Any,
    check: Callable[[], int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ids = _claimed_for_p1(world, check)
    today = timezone.localdate()
    first = tasks.take(ids, today)  # run 1 marks the rows sending, then the server is slow
    assert first is not None
    _check_requeues(settings, django_capture_on_commit_callbacks)
    second = tasks.take(ids, today)  # run 2 (the retry) takes them and starts sending
    assert second is not None and second.taken_at > first.taken_at
    assert tasks.record_sent(first) == 0  # run 1's e-mail went out at last
    rows = _rows()
    assert {(row.outcome, row.sent_at) for row in rows} == {(ReminderLog.SENDING, None)}
    assert {row.last_attempt_at for row in rows} == {second.taken_at}  # still run 2's
    tasks.record_failure(first, TimeoutError("timed out"))  # nor does a late failure touch them
    assert {(r.outcome, r.last_error) for r in _rows()} == {
        (ReminderLog.SENDING, rows[0].last_error)
    }
    assert tasks.record_sent(second) == len(ids)  # run 2 finishes: its result is kept
    assert {(row.outcome, row.attempts) for row in _rows()} == {("sent", 2)}


def test_a_late_failure_does_not_undo_the_retrys_mark(
    world: Any,
    check: Callable[[], int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ids = _claimed_for_p1(world, check)
    today = timezone.localdate()
    first = tasks.take(ids, today)
    assert first is not None
    _check_requeues(settings, django_capture_on_commit_callbacks)
    second = tasks.take(ids, today)
    assert second is not None
    tasks.record_failure(first, smtplib.SMTPServerDisconnected("Connection closed"))
    rows = _rows()
    assert {(row.outcome, row.last_attempt_at) for row in rows} == {
        (ReminderLog.SENDING, second.taken_at)
    }
    assert not any("SMTPServerDisconnected" in row.last_error for row in rows)
    assert tasks.send_questionnaire_email.call(ids) == "nothing to send"  # still run 2's
    tasks.record_failure(second, ConnectionRefusedError(111, "Connection refused"))
    assert {(row.outcome, row.sent_at) for row in _rows()} == {("", None)}  # retried later
    assert all("Connection refused" in row.last_error for row in _rows())


def test_a_late_success_before_the_retry_took_the_rows_is_recorded(
    world: Any,
    check: Callable[[], int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Nobody holds the rows yet: the e-mail that went out is recorded, so the queued retry
    finds nothing to send."""
    ids = _claimed_for_p1(world, check)
    first = tasks.take(ids, timezone.localdate())
    assert first is not None
    _check_requeues(settings, django_capture_on_commit_callbacks)
    assert tasks.record_sent(first) == len(ids)
    assert {row.outcome for row in _rows()} == {"sent"}
    assert send_questionnaire_email.call(ids) == "nothing to send"


class SlowSmtp(locmem.EmailBackend):
    """locmem, where the first message takes longer than the grace period: ``meanwhile``
    runs while it is on its way."""

    meanwhile: ClassVar[list[Callable[[], None]]] = []

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if SlowSmtp.meanwhile:
            SlowSmtp.meanwhile.pop()()
        return super().send_messages(messages)


def test_the_whole_task_outlasting_the_grace_period_keeps_the_retrys_result(
    world: Any, check: Callable[[], int], settings: Any
) -> None:
    ids = _claimed_for_p1(world, check)
    retried: dict[str, Any] = {}

    def check_and_retry() -> None:
        settings.BALM_REMINDER_RETRY_MINUTES = 0  # the grace period has passed
        assert check() == 1  # queued again, and the retry runs and sends
        retried["rows"] = {(r.pk, r.outcome, r.sent_at, r.last_attempt_at) for r in _rows()}

    SlowSmtp.meanwhile[:] = [check_and_retry]
    with override_settings(EMAIL_BACKEND=f"{__name__}.SlowSmtp"):
        assert send_questionnaire_email.call(ids) == f"sent {len(ids)}"
    assert len(mail.outbox) == 2  # at least once: the slow e-mail went out too
    assert {outcome for _, outcome, _, _ in retried["rows"]} == {"sent"}
    # the first run's late success changed nothing the retry had recorded
    assert {(r.pk, r.outcome, r.sent_at, r.last_attempt_at) for r in _rows()} == retried["rows"]
    assert not ParticipantLink.objects.filter(revoked_at__isnull=False).exists()


# When the mail server's answer is unknown the participant may have the e-mail: its link stays.


class SmtpTimesOut(locmem.EmailBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise TimeoutError("timed out")  # socket.timeout is TimeoutError since Python 3.10


class SmtpDropsConnection(locmem.EmailBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class SmtpRefusesAddress(locmem.EmailBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({"p1@example.org": (550, b"5.1.1 User unknown")})


@pytest.mark.parametrize(
    ("backend", "error", "revoked"),
    [
        (f"{__name__}.SmtpTimesOut", "TimeoutError", False),
        (f"{__name__}.SmtpDropsConnection", "SMTPServerDisconnected", False),
        (f"{__name__}.SmtpRefusesAddress", "SMTPRecipientsRefused", True),
        (SMTP_DOWN, "ConnectionRefusedError", True),
    ],
    ids=["timeout", "disconnected", "address-refused", "connection-refused"],
)
def test_the_link_is_revoked_only_if_the_server_clearly_did_not_take_the_email(
    world: Any, check: Callable[[], int], settings: Any, backend: str, error: str, revoked: bool
) -> None:
    _p1_only(world)
    with override_settings(EMAIL_BACKEND=backend):
        assert check() == 1
    [link] = ParticipantLink.objects.filter(participant=world.p1)
    assert (link.revoked_at is not None) is revoked
    rows = _rows()
    assert all(row.last_error.startswith(f"sending failed: {error}: ") for row in rows)
    assert {(row.sent_at, row.outcome) for row in rows} == {(None, "")}  # to be retried
    _after_grace(settings)
    assert check() == 1  # the retry goes out with a new link; a kept one still works
    working = ParticipantLink.objects.filter(participant=world.p1, revoked_at__isnull=True)
    assert working.count() == (1 if revoked else 2)


def test_may_have_been_sent() -> None:
    assert tasks.may_have_been_sent(TimeoutError("timed out"))  # socket.timeout
    assert tasks.may_have_been_sent(smtplib.SMTPServerDisconnected("closed"))
    assert tasks.may_have_been_sent(ConnectionResetError(104, "Connection reset by peer"))
    assert not tasks.may_have_been_sent(ConnectionRefusedError(111, "Connection refused"))
    assert not tasks.may_have_been_sent(smtplib.SMTPRecipientsRefused({}))
    assert not tasks.may_have_been_sent(smtplib.SMTPDataError(554, b"rejected"))
    assert not tasks.may_have_been_sent(smtplib.SMTPAuthenticationError(535, b"bad login"))
    assert not tasks.may_have_been_sent(socket.gaierror(-2, "Name or service not known"))


def test_rows_claimed_before_the_retries_existed_are_picked_up(
    world: Any, check: Callable[[], int]
) -> None:
    """The migration copies ``queued_at`` into ``last_attempt_at``: rows stuck before it
    (claimed, never queued) are retried by the first check after the upgrade."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("balm.outcomes.migrations.0002_reminder_retries")
    _p1_only(world)
    with override_settings(TASKS=QUEUE_DOWN):
        check()
    long_ago = timezone.now() - timedelta(days=1)
    ReminderLog.objects.update(queued_at=long_ago, last_attempt_at=timezone.now())
    migration.last_attempt_is_when_queued(apps, connections["default"].schema_editor())
    assert {row.last_attempt_at for row in _rows()} == {long_ago}
    assert check() == 1
    assert len(mail.outbox) == 1


def _import_settings(**extra: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BALM_", "DATABASE_URL"))}
    keep.pop("DJANGO_SETTINGS_MODULE", None)
    code = (
        "import balm.web.settings as s; "
        "print(s.BALM_REMINDER_INTERVAL, s.BALM_REMINDER_RETRY_MINUTES, "
        "s.BALM_REMINDER_MAX_ATTEMPTS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, "BALM_SECRET_KEY": "x", **extra},
        capture_output=True,
        text=True,
        check=False,
    )


def test_retry_settings_come_from_the_environment_and_bad_values_stop_start_up() -> None:
    read = _import_settings(
        BALM_REMINDER_INTERVAL="12.5",
        BALM_REMINDER_RETRY_MINUTES="45",
        BALM_REMINDER_MAX_ATTEMPTS="3",
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["12.5", "45", "3"]
    for name, value, message in [
        ("BALM_REMINDER_INTERVAL", "soon", "is not a number of seconds"),
        ("BALM_REMINDER_RETRY_MINUTES", "0", "must be 1 or more"),
        ("BALM_REMINDER_MAX_ATTEMPTS", "0", "must be 1 (no retries) or more"),
    ]:
        bad = _import_settings(**{name: value})
        assert bad.returncode != 0
        assert name in bad.stderr and message in bad.stderr


# PostgreSQL: several workers at once.


@contextmanager
def _threads(target: Callable[[], Any], count: int = 4) -> Iterator[list[Any]]:
    """Run ``target`` in ``count`` threads released together; yields their results."""
    results, errors = run_together(target, count)
    assert errors == []
    yield results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_queue_each_retry_once(world: Any, settings: Any) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        assert send_due_reminders() == 2  # P1 and P2; neither could be queued
    assert mail.outbox == []
    _after_grace(settings)
    with _threads(send_due_reminders) as queued:
        assert sum(queued) == 2
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        [world.p1.email, world.p2.email]
    )
    assert {(row.outcome, row.attempts) for row in _rows()} == {("sent", 2)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_the_task_send_once(world: Any) -> None:
    _p1_only(world)
    with override_settings(TASKS=QUEUE_DOWN):
        send_due_reminders()
    ids = [row.pk for row in _rows()]
    with _threads(lambda: send_questionnaire_email.call(ids)) as outcomes:
        assert sorted(outcomes) == ["nothing to send"] * 3 + [f"sent {len(ids)}"]
    assert len(mail.outbox) == 1
