"""Questionnaire e-mails: which are due, their wording (composed when they are sent), and the
periodic check that queues them and retries those that were not sent.

Each participant gets one "due" e-mail listing their open questionnaires, with a fresh
personal link, and one reminder ``BALM_REMINDER_AFTER_DAYS`` days later for those still open.
A :class:`ReminderLog` row per assessment and kind is claimed under a unique constraint before
anything is enqueued, so running :func:`send_due_reminders` twice, or in several processes at
once, sends nothing twice.

A claimed row that is still unsent ``BALM_REMINDER_RETRY_MINUTES`` after its last attempt
(its task could not be queued, sending failed, or the worker died while sending) is queued
again by the next check, up to ``BALM_REMINDER_MAX_ATTEMPTS`` attempts in all; then the check
gives up on it (``outcome`` says so, ``last_error`` says why). A row whose questionnaire has
meanwhile been answered or has closed, or whose participant withdrew, is settled without
sending. Concurrent checks take these rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (on
SQLite the check holds the write lock), so each retry is queued by one check only, and the
task itself sends a row only if it is still unsent (see ``balm.outcomes.tasks``).

The same check retries safety-alert e-mails to the team (:func:`retry_alert_emails`): the
first attempt is queued when the alert is raised; one still unsent after the grace period is
queued again, with the same settings, and given up on (logged as an error) after the last
attempt; one whose alert has been acknowledged is settled without sending. It also escalates
open alerts older than their site's ``alert_escalation_minutes`` to the site's duty contact
(``balm.outcomes.escalation``), with the same retries.

:class:`ReminderSchedule` runs that check now and then every ``interval`` seconds in a
background thread: ``balm worker`` and ``balm demo`` use it, so no cron job is needed.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_tasks_db.utils import exclusive_transaction

from balm.outcomes.delivery import (
    ALERT,
    LATER,
    QUESTIONNAIRE,
    settle_or_retry,
    settle_or_retry_alerts,
    unsent_after_grace,
)
from balm.outcomes.escalation import escalate_overdue_alerts, retry_escalation_emails
from balm.outcomes.models import (
    Assessment,
    ReminderKind,
    ReminderLog,
    Response,
    SafetyAlert,
)
from balm.outcomes.tasks import (
    OPEN_ENROLMENT,
    enqueue_alert_email,
    enqueue_questionnaire_email,
    not_needed,
)
from balm.wording.lookup import online_instrument_ids

__all__ = ["OPEN_ENROLMENT", "enqueue_alert_email"]  # their old home, still imported from here

logger = logging.getLogger(__name__)


def candidates(today: date) -> list[tuple[Assessment, str]]:
    """Assessments that should get a due or reminder e-mail today and have not."""
    answered = Exists(Response.objects.filter(assessment=OuterRef("pk")))
    open_now = (
        Assessment.objects.open_now(today)  # by index, not every assessment ever
        .filter(enrolment__status__in=OPEN_ENROLMENT)
        .exclude(enrolment__participant__email="")
        .exclude(answered)
        .select_related("enrolment__participant__site")
        .order_by("pk")  # every run claims in the same order, so concurrent runs never deadlock
    )
    due_sent = ReminderLog.objects.filter(assessment=OuterRef("pk"), kind=ReminderKind.DUE)
    reminder_sent = ReminderLog.objects.filter(
        assessment=OuterRef("pk"), kind=ReminderKind.REMINDER
    )
    cutoff = timezone.now() - timedelta(days=settings.BALM_REMINDER_AFTER_DAYS)
    out: list[tuple[Assessment, str]] = [
        (a, ReminderKind.DUE) for a in open_now.exclude(Exists(due_sent))
    ]
    remind = (
        open_now.filter(Exists(due_sent.filter(queued_at__lte=cutoff)))
        .exclude(Exists(reminder_sent))
        .filter(due_on__lte=today)
    )
    out.extend((a, ReminderKind.REMINDER) for a in remind)
    # A questionnaire the site collects only on paper is not e-mailed (its link shows nothing).
    online: dict[int, set[str]] = {}
    for assessment, _ in out:
        site = assessment.enrolment.participant.site
        if site.pk not in online:
            online[site.pk] = online_instrument_ids(site)
    return [
        (a, kind) for a, kind in out if a.instrument_id in online[a.enrolment.participant.site_id]
    ]


def _retry_or_settle(today: date, now: datetime) -> list[ReminderLog]:
    """Settle the unsent rows past their grace period that need no e-mail or have had every
    attempt; claim the others for one more attempt and return them
    (:func:`balm.outcomes.delivery.settle_or_retry`).

    Rows are taken with ``FOR UPDATE SKIP LOCKED`` in primary-key order: a row another check
    (or a task) holds is left to it, and a row another check has just claimed is no longer
    past its grace period when this one reads it, so each retry is claimed once."""
    answered = Exists(Response.objects.filter(assessment=OuterRef("assessment")))
    rows = list(
        unsent_after_grace(QUESTIONNAIRE, now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("assessment__enrolment__participant__site")
        .annotate(answered=answered)
        .order_by("pk")
    )

    def why_not(row: Any) -> str | None:
        reason = not_needed(row.assessment, today, answered=row.answered)
        if reason is None and row.assessment.opens_on > today:
            return LATER  # moved later since it was claimed; retried once it opens
        return reason

    return settle_or_retry(QUESTIONNAIRE, rows, now, why_not)


def unsent_alert_emails_after_grace(now: datetime) -> QuerySet[SafetyAlert]:
    """Alerts whose e-mail to the team is neither sent nor settled
    ``BALM_REMINDER_RETRY_MINUTES`` after its last attempt (or was never attempted)."""
    return unsent_after_grace(ALERT, now, never_attempted=True)


def retry_alert_emails(now: datetime) -> int:
    """Queue again (after commit) the safety-alert e-mails still unsent after the grace period;
    settle those of acknowledged alerts and those that have had every attempt (logged as an
    error: the team was not told). Returns how many were queued.

    Runs in the check's transaction; alerts are taken with ``FOR UPDATE SKIP LOCKED`` in
    primary-key order, as :func:`_retry_or_settle` takes reminder rows, so concurrent checks
    queue each retry once."""
    alerts = list(
        unsent_alert_emails_after_grace(now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )
    retry = settle_or_retry_alerts(ALERT, alerts, now)
    if retry:
        logger.warning("Queueing the e-mail of safety alert(s) %s again", retry)
    for alert_id in retry:
        transaction.on_commit(lambda alert_id=alert_id: enqueue_alert_email(alert_id), robust=True)
    return len(retry)


#: The key of the PostgreSQL advisory lock that checks take turns on (any fixed number that
#: nothing else in the database uses).
CHECK_LOCK_KEY = 0x62616C6D  # "balm"


def _one_check_at_a_time() -> None:
    """On PostgreSQL, wait for any other check to commit (a transaction-level advisory lock;
    Django has no API for one). Without it, two checks taking rows with SKIP LOCKED at the
    same moment could each take part of one participant's rows and send them two e-mails;
    each row was still sent once. Checks run every few minutes, so waiting costs nothing."""
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECK_LOCK_KEY])


def send_due_reminders(today: date | None = None) -> int:
    """Claim and enqueue today's questionnaire e-mails, and again those claimed earlier but
    still unsent after the grace period, and the safety-alert e-mails still unsent after it
    (:func:`retry_alert_emails`); returns how many e-mails were queued."""
    day = today or timezone.localdate()
    now = timezone.now()
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    # On SQLite take the write lock at the start (BEGIN EXCLUSIVE), so a run that meets the
    # worker or the server writing waits for it instead of failing with "database is locked";
    # on PostgreSQL checks take turns (below). Either way the unique constraint decides who
    # claims a new e-mail.
    with exclusive_transaction():
        _one_check_at_a_time()
        alert_emails = retry_alert_emails(now)
        # Escalation e-mails to the sites' duty contacts (retries first, as below).
        alert_emails += retry_escalation_emails(now) + escalate_overdue_alerts(now)
        # Retries first: rows claimed below are never past their grace period in this run.
        for row in _retry_or_settle(day, now):
            groups[(row.assessment.enrolment.participant_id, row.kind)].append(row.pk)
        for assessment, kind in candidates(day):
            try:
                with transaction.atomic():
                    log = ReminderLog.objects.create(
                        assessment=assessment, kind=kind, queued_at=now, last_attempt_at=now
                    )
            except IntegrityError:
                continue  # claimed by a concurrent run
            groups[(assessment.enrolment.participant_id, kind)].append(log.pk)
        for ids in groups.values():
            ids.sort()
            transaction.on_commit(lambda ids=ids: enqueue_questionnaire_email(ids), robust=True)
    return alert_emails + len(groups)


class ReminderSchedule:
    """Run :func:`send_due_reminders` every ``interval`` seconds in a daemon thread.

    ``interval`` 0 disables it. A failed check is logged and tried again at the next tick.
    The thread closes its database connections after every check, so it holds none while
    it waits. Because the check is idempotent, any number of schedules (several workers on
    several servers) may run at once.
    """

    def __init__(self, interval: float) -> None:
        if interval < 0:
            raise ValueError(f"reminder interval must be 0 (off) or more seconds, not {interval}")
        self.interval = interval
        self.checks = 0  # checks finished (successful or not), in any thread
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def tick(self) -> int | None:
        """One check in the calling thread: the number of e-mails queued, ``None`` if it failed."""
        try:
            queued = send_due_reminders()
        except Exception:
            logger.exception("E-mail check failed; trying again in %ss", self.interval)
            return None
        finally:
            self.checks += 1
        if queued:
            logger.info("Queued %d e-mail(s)", queued)
        self._retention()
        return queued

    @staticmethod
    def _retention() -> None:
        """The sites' retention periods, applied on the same timer (idempotent: a participant
        already done is skipped), so no cron job is needed."""
        from balm.accounts.erasure import apply_retention

        try:
            done = apply_retention()
        except Exception:
            logger.exception("Applying the retention periods failed; trying again next time")
            return
        if done:
            logger.info("Retention: %d participant(s) past their site's period", len(done))

    def _run(self, check_now: bool) -> None:
        if not check_now and self._stop.wait(self.interval):
            return
        while not self._stop.is_set():
            try:
                self.tick()
            finally:
                connections.close_all()  # this thread's connections only
            if self._stop.wait(self.interval):
                return

    def start(self, *, check_now: bool = True) -> bool:
        """Start the thread (first check at once, or after one interval); ``False`` if off."""
        if not self.enabled:
            return False
        if self._thread is not None:
            raise RuntimeError("this reminder schedule has already been started")
        self._thread = threading.Thread(
            target=self._run, args=(check_now,), name="balm-reminders", daemon=True
        )
        self._thread.start()
        return True

    def request_stop(self) -> None:
        """Ask the thread to stop after its current check (safe in a signal handler)."""
        self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread and wait up to ``timeout`` seconds for a running check to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("Questionnaire e-mail check still running after %ss", timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
