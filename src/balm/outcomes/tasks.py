"""Background tasks (django-tasks; see docs/adr/0001-task-queue.md).

Messages are composed when the task runs, from the records as they are then, so a reminder
for a questionnaire answered in the meantime is not sent. A questionnaire e-mail that fails is
retried by the periodic check, not by the queue (``balm.outcomes.reminders``).
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks import task
from django_tasks_db.utils import exclusive_transaction

from balm.accounts.models import Membership, Role
from balm.outcomes.models import ReminderLog, Response, SafetyAlert
from balm.outcomes.reminders import (
    compose_questionnaire_email,
    describe_error,
    instrument_title,
    not_needed,
)

logger = logging.getLogger(__name__)


def alert_recipients(alert: SafetyAlert) -> list[str]:
    """The cohort's facilitators; if none have an address, the site's clinical staff."""
    cohort = alert.response.assessment.enrolment.cohort
    emails = sorted({u.email for u in cohort.facilitators.all() if u.email and u.is_active})
    if emails:
        return emails
    members = Membership.objects.filter(
        site=cohort.site, role__in=[Role.FACILITATOR, Role.ADMINISTRATOR], user__is_active=True
    ).exclude(user__email="")
    return sorted(set(members.values_list("user__email", flat=True)))


def compose_alert_email(alert: SafetyAlert) -> tuple[str, str]:
    """Subject and body; no answers or names, only the pseudonym and where to look."""
    enrolment = alert.response.assessment.enrolment
    url = f"{settings.SITE_URL}/alerts/{alert.pk}/"
    subject = f"Safety answer to review: {enrolment.participant.pseudonym}"
    body = "\n".join(
        [
            f"A safety question was answered above its lowest option by participant "
            f"{enrolment.participant.pseudonym} in {enrolment.cohort.name}.",
            "",
            f"Questionnaire: {instrument_title(alert.response.instrument_id)}, item {alert.item}",
            f"Received: {timezone.localtime(alert.created_at):%-d %B %Y %H:%M}",
            "",
            "Please review it and follow your service's risk procedure, then acknowledge it:",
            url,
        ]
    )
    return subject, body


@task()
def send_safety_alert_email(alert_id: int) -> str:
    alert = SafetyAlert.objects.select_related(
        "response__assessment__enrolment__cohort__site",
        "response__assessment__enrolment__participant",
    ).get(pk=alert_id)
    if alert.acknowledged_at is not None:
        return "already acknowledged"
    recipients = alert_recipients(alert)
    if not recipients:
        return "no recipients"
    subject, body = compose_alert_email(alert)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return f"sent to {len(recipients)}"


def _take(reminder_ids: list[int], today: date) -> list[ReminderLog]:
    """Under a lock, the rows this run should send: still unsent and not being sent by another
    run of the task (marked ``sending``, with a fresh ``last_attempt_at``). Rows that need no
    e-mail any more are settled here."""
    now = timezone.now()
    answered = Exists(Response.objects.filter(assessment=OuterRef("assessment")))
    # FOR UPDATE on PostgreSQL; on SQLite the transaction holds the write lock (BEGIN
    # EXCLUSIVE). Either way the lock is held only for these few statements, not while the
    # e-mail goes out: the ``sending`` mark is what keeps a second run away meanwhile.
    with exclusive_transaction():
        rows = list(
            ReminderLog.objects.select_for_update(of=("self",))
            .filter(pk__in=reminder_ids, sent_at__isnull=True)
            .exclude(outcome=ReminderLog.SENDING)
            .select_related("assessment__enrolment__participant__site")
            .annotate(answered=answered)
            .order_by("pk")
        )
        take = []
        for row in rows:
            reason = not_needed(row.assessment, today, answered=row.answered)
            if reason is None:
                take.append(row)
            else:
                ReminderLog.objects.filter(pk=row.pk).update(sent_at=now, outcome=reason)
        ReminderLog.objects.filter(pk__in=[row.pk for row in take]).update(
            outcome=ReminderLog.SENDING, last_attempt_at=now
        )
    return take


def _record_failure(rows: list[ReminderLog], error: BaseException) -> None:
    """The error on each row; a row that has had every attempt is given up on."""
    message = describe_error(error, "sending failed")
    now = timezone.now()
    last = [row.pk for row in rows if row.attempts >= settings.BALM_REMINDER_MAX_ATTEMPTS]
    logger.warning(
        "Questionnaire e-mail for reminders %s not sent (%s); %s",
        [row.pk for row in rows],
        message,
        f"gave up on {last}" if last else "the reminder check will try again",
    )
    for row in rows:
        pending = ReminderLog.objects.filter(pk=row.pk, outcome=ReminderLog.SENDING)
        if row.pk in last:
            pending.update(
                sent_at=now,
                outcome=f"{ReminderLog.GAVE_UP} after {row.attempts} attempts",
                last_error=message,
            )
        else:
            pending.update(outcome="", last_error=message)


@task()
def send_questionnaire_email(reminder_ids: list[int]) -> str:
    """One e-mail for a participant's claimed reminders (all of one kind).

    Safe to run more than once for the same rows (a retry queued while an earlier task was
    still waiting, say): a row already sent, or being sent by another run, is skipped. If
    sending fails, the error is kept on the rows and the task fails; the periodic check tries
    again after ``BALM_REMINDER_RETRY_MINUTES`` (see ``balm.outcomes.reminders``)."""
    from balm.accounts.actions import issue_participant_link, revoke_participant_link

    rows = _take(reminder_ids, timezone.localdate())
    if not rows:
        return "nothing to send"
    participant = rows[0].assessment.enrolment.participant
    try:
        link, token = issue_participant_link(participant=participant, by=None)
    except Exception as error:
        _record_failure(rows, error)
        raise
    email = compose_questionnaire_email(
        participant_email=participant.email,
        site_name=participant.site.name,
        kind=rows[0].kind,
        assessments=[row.assessment for row in rows],
        link_url=f"{settings.SITE_URL}/p/{token}/",
        link_expires=timezone.localtime(link.expires_at).date(),
    )
    try:
        send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    except Exception as error:
        _record_failure(rows, error)
        try:  # nobody received this link's token: do not leave it working
            revoke_participant_link(link=link, by=None, reason="questionnaire e-mail not sent")
        except Exception:
            logger.exception("Could not revoke the unsent personal link %s", link.pk)
        raise
    ReminderLog.objects.filter(pk__in=[row.pk for row in rows]).update(
        sent_at=timezone.now(), outcome=ReminderLog.SENT
    )
    return f"sent {len(rows)}"
