"""Escalating safety alerts nobody has acknowledged in time.

A site may set ``alert_escalation_minutes`` and a ``duty_email``. The periodic check
(:func:`balm.outcomes.reminders.send_due_reminders`) marks every open alert older than that
``escalated_at`` (once: under ``FOR UPDATE SKIP LOCKED``, only alerts not yet escalated) and
queues a second e-mail, to the duty contact, after commit. That e-mail is recorded on the alert
(``escalation_*``) and retried by the same check with the same settings and guarantees as the
first e-mail to the team (``BALM_REMINDER_RETRY_MINUTES``, ``BALM_REMINDER_MAX_ATTEMPTS``; a
run marks it ``sending`` and never records over a later retry: the same delivery record,
``balm.outcomes.delivery``, channel ``ESCALATION``). An alert acknowledged before
the e-mail went out is settled unsent. The dashboards show an escalated alert as such.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task
from django_tasks_db.utils import exclusive_transaction

from balm.accounts.models import Site
from balm.audit.models import record
from balm.outcomes.delivery import (
    ESCALATION,
    Claim,
    enqueue_or_record,
    mark_sending,
    record_failure,
    record_sent,
    settle,
    settle_or_retry_alerts,
    unsent_after_grace,
)
from balm.outcomes.models import SafetyAlert
from balm.outcomes.tasks import instrument_title

logger = logging.getLogger(__name__)

SITE = "response__assessment__enrolment__cohort__site"


def overdue_alerts(now: datetime) -> QuerySet[SafetyAlert]:
    """Open alerts not yet escalated, older than their site's escalation time."""
    overdue = Q(pk__in=[])
    for site_id, minutes in Site.objects.filter(alert_escalation_minutes__isnull=False).values_list(
        "pk", "alert_escalation_minutes"
    ):
        overdue |= Q(**{f"{SITE}_id": site_id}, created_at__lte=now - timedelta(minutes=minutes))
    return SafetyAlert.objects.open().filter(escalated_at__isnull=True).filter(overdue)


def escalate_overdue_alerts(now: datetime) -> int:
    """Mark the overdue alerts escalated and queue their e-mails to the duty contact (after
    commit); returns how many. Runs in the check's transaction."""
    alerts = list(
        overdue_alerts(now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related(SITE)
        .order_by("pk")
    )
    for alert in alerts:
        SafetyAlert.objects.filter(pk=alert.pk).update(
            escalated_at=now, escalation_attempts=1, escalation_last_attempt_at=now
        )
        site = alert.response.assessment.enrolment.cohort.site
        record(
            "alert.escalate",
            by=None,
            obj=alert,
            site=site,
            details={"after_minutes": site.alert_escalation_minutes},
        )
        transaction.on_commit(
            lambda alert_id=alert.pk: enqueue_escalation_email(alert_id), robust=True
        )
    if alerts:
        logger.warning("Escalated safety alert(s) %s to the duty contact", [a.pk for a in alerts])
    return len(alerts)


def retry_escalation_emails(now: datetime) -> int:
    """As :func:`balm.outcomes.reminders.retry_alert_emails`, for escalation e-mails."""
    alerts = list(
        unsent_after_grace(ESCALATION, now)
        .filter(escalated_at__isnull=False)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )
    retry = settle_or_retry_alerts(ESCALATION, alerts, now)
    for alert_id in retry:
        transaction.on_commit(
            lambda alert_id=alert_id: enqueue_escalation_email(alert_id), robust=True
        )
    return len(retry)


def enqueue_escalation_email(alert_id: int) -> None:
    enqueue_or_record(send_alert_escalation_email, alert_id, ESCALATION, [alert_id])


def compose_escalation_email(alert: SafetyAlert) -> tuple[str, str]:
    """Subject and body: no answers or names, the pseudonym, how long it has waited, where."""
    enrolment = alert.response.assessment.enrolment
    site = enrolment.cohort.site
    subject = f"Escalated: safety answer not yet reviewed ({enrolment.participant.pseudonym})"
    body = "\n".join(
        [
            f"A safety answer from participant {enrolment.participant.pseudonym} in "
            f"{enrolment.cohort.name} has not been acknowledged within "
            f"{site.alert_escalation_minutes} minutes, so it comes to you as the duty contact "
            f"of {site.name}.",
            "",
            f"Questionnaire: {instrument_title(alert.response.instrument_id)}, item {alert.item}",
            f"Received: {timezone.localtime(alert.created_at):%-d %B %Y %H:%M}",
            "",
            "Please review it and follow your service's risk procedure, then acknowledge it:",
            f"{settings.SITE_URL}/alerts/{alert.pk}/",
        ]
    )
    return subject, body


class NoDutyContactError(Exception):
    """The site has no duty e-mail address: a failure, retried and then given up on."""


def take_escalation(alert_id: int) -> Claim | None:
    """The escalated alert if its e-mail is unsent and nobody is sending it; an alert
    acknowledged meanwhile is settled unsent. The claim and its recording are every e-mail's
    (``balm.outcomes.delivery``), so a late result never overwrites a retry's."""
    now = timezone.now()
    with exclusive_transaction():
        alert = (
            SafetyAlert.objects.select_for_update(of=("self",))
            .filter(pk=alert_id, escalated_at__isnull=False, escalation_sent_at__isnull=True)
            .exclude(escalation_outcome=SafetyAlert.EMAIL_SENDING)
            .select_related(SITE, "response__assessment__enrolment__participant")
            .first()
        )
        if alert is None:
            return None
        if alert.acknowledged_at is not None:
            settle(ESCALATION, [alert.pk], now, SafetyAlert.EMAIL_ACKNOWLEDGED)
            return None
        return mark_sending(ESCALATION, [alert], now)


@task()
def send_alert_escalation_email(alert_id: int) -> str:
    """The second e-mail, to the site's duty contact, for an alert escalated by the check."""
    claim = take_escalation(alert_id)
    if claim is None:
        return "nothing to send"
    alert = claim.rows[0]
    site = alert.response.assessment.enrolment.cohort.site
    try:
        if not site.duty_email:
            raise NoDutyContactError(f"the site {site.name} has no duty contact e-mail address")
        subject, body = compose_escalation_email(alert)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [site.duty_email])
    except Exception as error:
        record_failure(claim, error)
        raise
    record_sent(claim)
    return "sent to the duty contact"
