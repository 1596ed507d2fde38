"""Safety-alert e-mails to the team are not lost silently: one that could not be queued or sent
is queued again by a later check, a bounded number of times, never twice at once, and not at
all once the alert has been acknowledged; giving up is logged as an error and shown on the
dashboard."""

from __future__ import annotations

import importlib
import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from tests.web import factories
from tests.web.concurrency import run_together
from tests.web.doubles import QUEUE_DOWN, SMTP_DOWN

from balm.outcomes import actions, tasks
from balm.outcomes.models import SafetyAlert
from balm.outcomes.reminders import send_due_reminders
from balm.outcomes.tasks import send_safety_alert_email

pytestmark = pytest.mark.django_db

REFUSED = "sending failed: ConnectionRefusedError: [Errno 111] Connection refused"
FAILED_NOTE = "E-mail to the team failed; please check the alert list"


@pytest.fixture(autouse=True)
def _no_questionnaire_emails(world: Any) -> None:
    """Participants without an address get no questionnaire e-mails, so every e-mail the
    checks send here is an alert's."""
    for person in (world.p1, world.p2):
        person.email = ""
        person.save()


def _raise_alert(world: Any, capture: Any, participant: str = "p1") -> SafetyAlert:
    """P1 (or P2) answers PHQ-9 item 9 above 0; the alert's e-mail is queued after commit."""
    enrolment = getattr(world, f"enrolment_{participant}")
    with capture(execute=True):
        response = actions.submit_response(
            assessment=enrolment.assessments.get(instrument_id="phq9", timepoint="baseline"),
            answers={**factories.PHQ9_ZEROS, "q9": 2},
            client_id=factories.client_id(),
            by=getattr(world, participant),
        )
    return SafetyAlert.objects.get(response=response)


def _after_grace(settings: Any) -> None:
    """Move every attempt back past the grace period, as if the next check came later."""
    SafetyAlert.objects.update(
        email_last_attempt_at=timezone.now()
        - timedelta(minutes=settings.BALM_REMINDER_RETRY_MINUTES, seconds=1)
    )


def _fresh(alert: SafetyAlert) -> SafetyAlert:
    return SafetyAlert.objects.get(pk=alert.pk)


def _alert_emails() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Safety answer to review")]


def test_a_new_alert_is_emailed_once_and_recorded(
    world: Any, check: Callable[[], int], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = _raise_alert(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[world.facilitator_a.email]]
    alert = _fresh(alert)
    assert alert.email_sent_at is not None
    assert (alert.email_outcome, alert.email_attempts, alert.email_last_error) == ("sent", 1, "")
    assert not alert.email_failed
    _after_grace(settings)
    assert check() == 0
    assert len(mail.outbox) == 1


def test_an_alert_email_that_could_not_be_queued_is_sent_by_a_later_check(
    world: Any, check: Callable[[], int], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)  # logged, not raised
    alert = _fresh(alert)
    assert (alert.email_sent_at, alert.email_attempts) == (None, 1)
    assert alert.email_last_attempt_at is not None
    assert alert.email_last_error.startswith("could not queue the e-mail: OperationalError:")
    assert alert.email_failed  # the dashboard says so at once
    assert mail.outbox == []
    assert check() == 0  # within the grace period: the task may still be on its way
    assert mail.outbox == []
    _after_grace(settings)
    with override_settings(TASKS=QUEUE_DOWN):
        assert check() == 1  # queued again, and queueing failed again: recorded this time
    alert = _fresh(alert)
    assert alert.email_last_error.startswith("could not queue the e-mail: OperationalError:")
    assert alert.email_attempts == 2
    assert alert.email_failed
    assert check() == 0
    _after_grace(settings)
    assert check() == 1
    assert [m.to for m in mail.outbox] == [[world.facilitator_a.email]]
    assert f"/alerts/{alert.pk}/" in mail.outbox[0].body
    alert = _fresh(alert)
    assert (alert.email_outcome, alert.email_attempts) == ("sent", 3)
    assert "could not queue" in alert.email_last_error  # what happened on the way stays
    assert not alert.email_failed
    _after_grace(settings)
    assert check() == 0
    assert len(mail.outbox) == 1


def test_smtp_failures_are_retried_then_given_up_with_the_error_logged(
    world: Any,
    check: Callable[[], int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
        for attempt in range(1, 6):
            alert = _fresh(alert)
            assert alert.email_attempts == attempt
            assert alert.email_last_error == REFUSED
            assert alert.email_failed
            if attempt < 5:
                assert (alert.email_sent_at, alert.email_outcome) == (None, "")
                assert check() == 0  # not before the grace period
                _after_grace(settings)
                caplog.clear()
                assert check() == 1
        alert = _fresh(alert)
        assert alert.email_sent_at is not None
        assert alert.email_outcome == "not sent: gave up after 5 attempts"
        assert alert.email_last_error == REFUSED
        assert alert.email_failed
        gave_up = [r for r in caplog.records if "Gave up" in r.getMessage()]
        assert [r.levelno for r in gave_up] == [logging.ERROR]
        assert f"alert {alert.pk} after 5 attempts" in gave_up[0].getMessage()
        _after_grace(settings)
        assert check() == 0
    _after_grace(settings)  # the server is back, but the e-mail was given up on
    assert check() == 0
    assert mail.outbox == []
    assert _fresh(alert).email_attempts == 5


def test_the_check_gives_up_on_an_email_whose_task_never_ran(
    world: Any,
    check: Callable[[], int],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.BALM_REMINDER_MAX_ATTEMPTS = 2
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
        _after_grace(settings)
        assert check() == 1
        _after_grace(settings)
        caplog.clear()
        assert check() == 0
    alert = _fresh(alert)
    assert alert.email_outcome == "not sent: gave up after 2 attempts"
    assert alert.email_failed
    assert any(
        r.levelno == logging.ERROR and f"alert {alert.pk} after 2 attempts" in r.getMessage()
        for r in caplog.records
    )
    _after_grace(settings)
    assert check() == 0
    assert mail.outbox == []


def test_an_acknowledged_alert_is_not_emailed(
    world: Any, check: Callable[[], int], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
    actions.acknowledge_alert(alert=alert, by=world.facilitator_a, note="called her")
    _after_grace(settings)
    assert check() == 0
    assert mail.outbox == []
    alert = _fresh(alert)
    assert alert.email_sent_at is not None
    assert (alert.email_outcome, alert.email_attempts) == ("not sent: acknowledged", 1)
    assert not alert.email_failed


def test_the_task_does_not_email_an_alert_acknowledged_after_it_was_queued(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
    actions.acknowledge_alert(alert=alert, by=world.facilitator_a)
    assert send_safety_alert_email.call(alert.pk) == "nothing to send"
    assert mail.outbox == []
    assert _fresh(alert).email_outcome == "not sent: acknowledged"


def test_the_task_run_twice_sends_once(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
    assert send_safety_alert_email.call(alert.pk) == "sent to 1"
    assert send_safety_alert_email.call(alert.pk) == "nothing to send"
    assert len(mail.outbox) == 1


def test_no_recipients_is_a_failure_that_is_retried(
    world: Any, check: Callable[[], int], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for person in (world.facilitator_a, world.admin_a):
        person.email = ""
        person.save()
    alert = _raise_alert(world, django_capture_on_commit_callbacks)
    alert = _fresh(alert)
    assert alert.email_sent_at is None
    assert alert.email_last_error.startswith("sending failed: NoRecipientsError: ")
    assert alert.email_failed
    world.admin_a.email = "admin_a@example.org"  # someone adds an address meanwhile
    world.admin_a.save()
    _after_grace(settings)
    assert check() == 1
    assert [m.to for m in mail.outbox] == [["admin_a@example.org"]]
    assert _fresh(alert).email_outcome == "sent"


def test_an_alert_never_queued_is_queued_by_the_next_check(
    world: Any, check: Callable[[], int], django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
    SafetyAlert.objects.update(email_attempts=0, email_last_attempt_at=None)
    assert check() == 1  # no grace period to wait for
    assert len(_alert_emails()) == 1
    assert (_fresh(alert).email_outcome, _fresh(alert).email_attempts) == ("sent", 1)


# A send that outlasts the grace period: the check queues the e-mail again while the first
# run is still talking to the mail server. Each piece is called in the order of the race.


def _race(world: Any, settings: Any, capture: Any) -> tuple[SafetyAlert, tasks.AlertClaim]:
    """An alert whose first run has taken it (and is slow), then a check that queues it again
    (the retry is captured, not run). Returns the alert and the first run's claim."""
    with override_settings(TASKS=QUEUE_DOWN):
        alert = _raise_alert(world, capture)
    first = tasks.take_alert(alert.pk)
    assert first is not None
    assert _fresh(alert).email_outcome == SafetyAlert.EMAIL_SENDING
    settings.BALM_REMINDER_RETRY_MINUTES = 0  # the grace period has passed
    with capture(execute=False) as queued:
        assert send_due_reminders() == 1
    assert len(queued) == 1
    alert = _fresh(alert)
    assert (alert.email_outcome, alert.email_attempts) == ("", 2)
    return alert, first


def test_a_late_success_leaves_the_alert_a_retry_is_sending_to_it(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert, first = _race(world, settings, django_capture_on_commit_callbacks)
    second = tasks.take_alert(alert.pk)  # the retry takes it and starts sending
    assert second is not None and second.taken_at > first.taken_at
    assert tasks.record_alert_sent(first) is False  # the first run's e-mail went out at last
    alert = _fresh(alert)
    assert (alert.email_outcome, alert.email_sent_at) == (SafetyAlert.EMAIL_SENDING, None)
    assert alert.email_last_attempt_at == second.taken_at  # still the retry's mark
    assert tasks.record_alert_failure(first, TimeoutError("timed out")) is False
    assert "TimeoutError" not in _fresh(alert).email_last_error  # nor does a late failure
    assert tasks.record_alert_sent(second) is True  # the retry finishes: its result is kept
    alert = _fresh(alert)
    assert (alert.email_outcome, alert.email_attempts) == ("sent", 2)


def test_a_late_failure_does_not_undo_the_retrys_mark(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert, first = _race(world, settings, django_capture_on_commit_callbacks)
    second = tasks.take_alert(alert.pk)
    assert second is not None
    tasks.record_alert_failure(first, smtplib.SMTPServerDisconnected("Connection closed"))
    alert = _fresh(alert)
    assert (alert.email_outcome, alert.email_last_attempt_at) == (
        SafetyAlert.EMAIL_SENDING,
        second.taken_at,
    )
    assert "SMTPServerDisconnected" not in alert.email_last_error
    assert send_safety_alert_email.call(alert.pk) == "nothing to send"  # still the retry's
    tasks.record_alert_failure(second, ConnectionRefusedError(111, "Connection refused"))
    alert = _fresh(alert)
    assert (alert.email_outcome, alert.email_sent_at) == ("", None)  # retried later
    assert alert.email_last_error == REFUSED


def test_a_late_success_before_the_retry_took_the_alert_is_recorded(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Nobody holds the alert yet: the e-mail that went out is recorded, so the queued retry
    finds nothing to send."""
    alert, first = _race(world, settings, django_capture_on_commit_callbacks)
    assert tasks.record_alert_sent(first) is True
    assert _fresh(alert).email_outcome == "sent"
    assert send_safety_alert_email.call(alert.pk) == "nothing to send"


# The upgrade: alerts raised before delivery was recorded count as e-mailed.


def _migration() -> Any:
    return importlib.import_module("balm.outcomes.migrations.0003_alert_email_retries")


def _as_before_the_upgrade() -> None:
    SafetyAlert.objects.update(
        email_sent_at=None, email_outcome="", email_attempts=0, email_last_attempt_at=None
    )


def test_the_migration_counts_existing_alerts_as_sent(
    world: Any, check: Callable[[], int], django_capture_on_commit_callbacks: Any
) -> None:
    from django.apps import apps

    old = _raise_alert(world, django_capture_on_commit_callbacks)
    acknowledged = _raise_alert(world, django_capture_on_commit_callbacks, "p2")
    actions.acknowledge_alert(alert=acknowledged, by=world.facilitator_a)
    long_ago = timezone.now() - timedelta(days=30)
    SafetyAlert.objects.filter(pk=old.pk).update(created_at=long_ago)
    mail.outbox.clear()
    _as_before_the_upgrade()
    _migration().existing_alerts_count_as_sent(apps, connections["default"].schema_editor())
    old = _fresh(old)
    assert (old.email_sent_at, old.email_last_attempt_at) == (long_ago, long_ago)
    assert (old.email_outcome, old.email_attempts) == (SafetyAlert.EMAIL_BEFORE_RECORDING, 1)
    assert not old.email_failed
    assert _fresh(acknowledged).email_sent_at == _fresh(acknowledged).created_at
    assert check() == 0  # the first check after the upgrade mails nothing
    assert mail.outbox == []
    assert _migration().BEFORE_RECORDING == SafetyAlert.EMAIL_BEFORE_RECORDING


def test_a_task_queued_before_the_upgrade_still_sends_its_alert_once(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.apps import apps

    with override_settings(TASKS=QUEUE_DOWN):  # stands for "queued, not run yet"
        alert = _raise_alert(world, django_capture_on_commit_callbacks)
    _as_before_the_upgrade()
    _migration().existing_alerts_count_as_sent(apps, connections["default"].schema_editor())
    assert send_safety_alert_email.call(alert.pk) == "sent to 1"
    assert send_safety_alert_email.call(alert.pk) == "nothing to send"
    assert len(mail.outbox) == 1
    assert _fresh(alert).email_outcome == "sent"


# The dashboards: an alert whose e-mail failed says so.


@pytest.mark.parametrize("page", ["home", "cohort"])
def test_the_open_alerts_box_says_when_the_email_failed(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any, page: str
) -> None:
    client = Client()
    client.force_login(world.facilitator_a)
    url = reverse("cohort", args=[world.cohort_a.pk]) if page == "cohort" else reverse("home")
    alert = _raise_alert(world, django_capture_on_commit_callbacks)  # e-mailed
    assert FAILED_NOTE not in client.get(url).content.decode()
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        failing = _raise_alert(world, django_capture_on_commit_callbacks, "p2")
    content = client.get(url).content.decode()
    assert content.count(FAILED_NOTE) == 1
    assert content.index(f"/alerts/{failing.pk}/") < content.index(FAILED_NOTE)
    assert alert.pk != failing.pk


# PostgreSQL: several workers at once.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_send_each_alert_email_once(world: Any, settings: Any) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        for participant in ("p1", "p2"):
            actions.submit_response(
                assessment=getattr(world, f"enrolment_{participant}").assessments.get(
                    instrument_id="phq9", timepoint="baseline"
                ),
                answers={**factories.PHQ9_ZEROS, "q9": 1},
                client_id=factories.client_id(),
                by=getattr(world, participant),
            )
    assert SafetyAlert.objects.filter(email_sent_at__isnull=True).count() == 2
    assert mail.outbox == []
    _after_grace(settings)
    results, errors = run_together(send_due_reminders)
    assert errors == []
    assert sum(results) == 2
    assert len(_alert_emails()) == 2 == len(mail.outbox)
    assert {(a.email_outcome, a.email_attempts) for a in SafetyAlert.objects.all()} == {("sent", 2)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_the_alert_task_send_once(world: Any) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        response = actions.submit_response(
            assessment=world.enrolment_p1.assessments.get(
                instrument_id="phq9", timepoint="baseline"
            ),
            answers={**factories.PHQ9_ZEROS, "q9": 3},
            client_id=factories.client_id(),
            by=world.p1,
        )
    alert = SafetyAlert.objects.get(response=response)
    results, errors = run_together(lambda: send_safety_alert_email.call(alert.pk))
    assert errors == []
    assert sorted(results) == ["nothing to send"] * 3 + ["sent to 1"]
    assert len(mail.outbox) == 1
