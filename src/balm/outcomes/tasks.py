"""Background tasks (django-tasks; see docs/adr/0001-task-queue.md).

Messages are composed when the task runs, from the records as they are then, so a reminder
for a questionnaire answered in the meantime is not sent.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from balm.accounts.models import Membership, Role
from balm.outcomes.models import ReminderLog, Response, SafetyAlert
from balm.outcomes.reminders import compose_questionnaire_email, instrument_title


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


@task()
def send_questionnaire_email(reminder_ids: list[int]) -> str:
    """One e-mail for a participant's claimed reminders (all of one kind)."""
    from balm.accounts.actions import issue_participant_link

    logs = list(
        ReminderLog.objects.filter(pk__in=reminder_ids, sent_at__isnull=True).select_related(
            "assessment__enrolment__participant__site"
        )
    )
    today = timezone.localdate()
    still_open = [
        log
        for log in logs
        if log.assessment.closes_on >= today
        and not Response.objects.filter(assessment=log.assessment).exists()
    ]
    now = timezone.now()
    for log in logs:
        if log not in still_open:
            log.sent_at, log.outcome = now, "not sent: answered or closed"
            log.save(update_fields=["sent_at", "outcome"])
    if not still_open:
        return "nothing open"
    participant = still_open[0].assessment.enrolment.participant
    if not participant.email:
        ReminderLog.objects.filter(pk__in=[log.pk for log in still_open]).update(
            sent_at=now, outcome="not sent: no e-mail address"
        )
        return "no address"
    link, token = issue_participant_link(participant=participant, by=None)
    email = compose_questionnaire_email(
        participant_email=participant.email,
        site_name=participant.site.name,
        kind=still_open[0].kind,
        assessments=[log.assessment for log in still_open],
        link_url=f"{settings.SITE_URL}/p/{token}/",
        link_expires=timezone.localtime(link.expires_at).date(),
    )
    send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    ReminderLog.objects.filter(pk__in=[log.pk for log in still_open]).update(
        sent_at=timezone.now(), outcome="sent"
    )
    return f"sent {len(still_open)}"
