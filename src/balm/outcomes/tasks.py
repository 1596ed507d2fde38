"""Background tasks (django-tasks; see docs/adr/0001-task-queue.md): the questionnaire e-mail
and the safety-alert e-mail to the team, their wording, and who gets them.

Messages are composed when the task runs, from the records as they are then, so a reminder
for a questionnaire answered in the meantime is not sent. How a send is claimed and its result
recorded, and how a failed one is retried by the periodic check (not by the queue), is one
mechanism for every e-mail: ``balm.outcomes.delivery``. The check itself is
``balm.outcomes.reminders``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.utils import exclusive_transaction

from balm.accounts.models import Membership, Role
from balm.instruments import UnknownInstrumentError, get_instrument
from balm.outcomes.delivery import (
    ALERT,
    NOT_SENT_ERRORS,
    QUESTIONNAIRE,
    Claim,
    describe_error,
    enqueue_or_record,
    mark_sending,
    may_have_been_sent,
    record_failure,
    record_sent,
    settle,
)
from balm.outcomes.models import Assessment, ReminderKind, ReminderLog, Response, SafetyAlert
from balm.outcomes.status import answer_by
from balm.programmes.templates import PARTICIPANT_TIMEPOINT

__all__ = [
    "NOT_SENT_ERRORS",
    "AlertClaim",
    "Claim",
    "describe_error",
    "may_have_been_sent",
    "record_failure",
    "record_sent",
]

OPEN_ENROLMENT = ("referred", "assessed", "started", "completed")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def instrument_title(instrument_id: str) -> str:
    """The questionnaire's current name from the catalogue (the id if it has gone)."""
    try:
        instrument = get_instrument(instrument_id)
    except UnknownInstrumentError:
        return instrument_id
    return f"{instrument.name} ({instrument.short_name})"


def compose_questionnaire_email(
    *,
    participant_email: str,
    site_name: str,
    kind: str,
    assessments: Sequence[Assessment],
    link_url: str,
    link_expires: date,
) -> Email:
    """Wording of the due or reminder e-mail, from the current schedule and catalogue."""
    lines = []
    today = timezone.localdate()
    for assessment in sorted(assessments, key=lambda a: (a.due_on, a.instrument_id)):
        when = PARTICIPANT_TIMEPOINT.get(assessment.timepoint, assessment.timepoint)
        lines.append(
            f"- {instrument_title(assessment.instrument_id)}, {when}: "
            + answer_by(due_on=assessment.due_on, closes_on=assessment.closes_on, today=today)
        )
    if kind == ReminderKind.REMINDER:
        subject = f"A gentle reminder from {site_name}"
        opening = (
            "Just a reminder: some questionnaires are still open for you. "
            "If you have already started, your answers were saved and you can carry on."
        )
    else:
        subject = f"Your questionnaires from {site_name}"
        opening = (
            "It is time for the questionnaires that help us see how the group is going for you."
        )
    body = "\n".join(
        [
            "Hello,",
            "",
            opening,
            "",
            *lines,
            "",
            f"Your personal link (works until {link_expires:%-d %B %Y}):",
            link_url,
            "",
            "You can stop at any point and come back later. If anything you are asked about is",
            "upsetting, please talk to your group facilitator.",
            "",
            f"{site_name}",
        ]
    )
    return Email(to=participant_email, subject=subject, body=body)


def not_needed(assessment: Assessment, today: date, *, answered: bool) -> str | None:
    """Why no e-mail should go out for this assessment any more (the ``outcome``), or ``None``.

    Used by the check for rows it would retry and by the task just before sending."""
    if answered:
        return "not sent: answered"
    if assessment.closes_on < today:
        return "not sent: closed"
    if assessment.enrolment.status not in OPEN_ENROLMENT:
        return "not sent: participant withdrew"
    if not assessment.enrolment.participant.email:
        return "not sent: no e-mail address"
    return None


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


class NoRecipientsError(Exception):
    """Nobody to e-mail a safety alert to: a failure like any other, retried and then given
    up on (someone may add an address meanwhile), so it shows on the dashboard."""


#: The claim of one run of :func:`send_safety_alert_email` (or of the escalation e-mail's task):
#: the alert, the only record in ``rows``.
AlertClaim = Claim


def take_alert(alert_id: int) -> Claim | None:
    """Under a lock, the alert if its e-mail is still unsent and no other run is sending it;
    ``None`` otherwise. An alert acknowledged meanwhile needs no e-mail: it is settled here.

    An alert raised before delivery was recorded counts as sent (for the check), but a task
    queued for it before the upgrade has not run yet, so that task may still take it."""
    now = timezone.now()
    with exclusive_transaction():  # as in :func:`take`: held for these statements only
        alert = (
            SafetyAlert.objects.select_for_update(of=("self",))
            .filter(pk=alert_id)
            .filter(
                Q(email_sent_at__isnull=True) | Q(email_outcome=SafetyAlert.EMAIL_BEFORE_RECORDING)
            )
            .exclude(email_outcome=SafetyAlert.EMAIL_SENDING)
            .select_related(
                "response__assessment__enrolment__cohort__site",
                "response__assessment__enrolment__participant",
            )
            .first()
        )
        if alert is None:
            return None
        if alert.acknowledged_at is not None:
            settle(ALERT, [alert.pk], now, SafetyAlert.EMAIL_ACKNOWLEDGED)
            return None
        # An alert raised before delivery was recorded is reopened for this run.
        ALERT.set(ALERT.of([alert.pk]), sent_at=None)
        return mark_sending(ALERT, [alert], now)


def record_alert_failure(claim: Claim, error: BaseException) -> bool:
    """:func:`balm.outcomes.delivery.record_failure` for an alert's e-mail: ``False`` if a
    retry has taken it meanwhile (left to it)."""
    return bool(record_failure(claim, error))


def record_alert_sent(claim: Claim) -> bool:
    """:func:`balm.outcomes.delivery.record_sent` for an alert's e-mail: ``False`` if a retry
    has taken or settled it meanwhile."""
    return bool(record_sent(claim))


@task()
def send_safety_alert_email(alert_id: int) -> str:
    """The e-mail to the team about a new safety alert.

    Safe to run more than once (a retry queued while an earlier task was still waiting): an
    alert already e-mailed, being e-mailed by another run, or acknowledged is not e-mailed,
    and a run never records its outcome over a retry's (:class:`AlertClaim`). If sending
    fails (no recipients included) the error is kept on the alert and the task fails; the
    periodic check tries again after ``BALM_REMINDER_RETRY_MINUTES``, up to
    ``BALM_REMINDER_MAX_ATTEMPTS`` attempts (``balm.outcomes.reminders``)."""
    claim = take_alert(alert_id)
    if claim is None:
        return "nothing to send"
    alert = claim.rows[0]
    try:
        recipients = alert_recipients(alert)
        if not recipients:
            raise NoRecipientsError(
                "no active facilitator of the group or clinical staff member of the site "
                "has an e-mail address"
            )
        subject, body = compose_alert_email(alert)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception as error:
        record_alert_failure(claim, error)
        raise
    record_alert_sent(claim)
    return f"sent to {len(recipients)}"


def take(reminder_ids: list[int], today: date) -> Claim | None:
    """Under a lock, the rows this run should send: still unsent and not being sent by another
    run of the task (marked ``sending``, with a fresh ``last_attempt_at``); ``None`` if there
    are none. Rows that need no e-mail any more are settled here."""
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
        taken = []
        for row in rows:
            reason = not_needed(row.assessment, today, answered=row.answered)
            if reason is None:
                taken.append(row)
            else:
                settle(QUESTIONNAIRE, [row.pk], now, reason)
        return mark_sending(QUESTIONNAIRE, taken, now)


@task()
def send_questionnaire_email(reminder_ids: list[int]) -> str:
    """One e-mail for a participant's claimed reminders (all of one kind).

    Safe to run more than once for the same rows (a retry queued while an earlier task was
    still waiting, say): a row already sent, or being sent by another run, is skipped, and a
    run never records its outcome over another run's mark (:class:`Claim`). If sending fails,
    the error is kept on the rows and the task fails; the periodic check tries again after
    ``BALM_REMINDER_RETRY_MINUTES`` (see ``balm.outcomes.reminders``). The personal link
    issued for the e-mail is revoked if the mail server clearly did not take it, and left
    working if the outcome is unknown (a timeout or a dropped connection): the participant
    may have received it."""
    from balm.accounts.actions import issue_participant_link, revoke_participant_link

    claim = take(reminder_ids, timezone.localdate())
    if claim is None:
        return "nothing to send"
    rows = claim.rows
    participant = rows[0].assessment.enrolment.participant
    try:
        link, token = issue_participant_link(participant=participant, by=None)
    except Exception as error:
        record_failure(claim, error)
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
        record_failure(claim, error)
        if may_have_been_sent(error):
            logger.warning(
                "Questionnaire e-mail for reminders %s may have been delivered (%s); its "
                "personal link %s is left working",
                claim.ids,
                type(error).__name__,
                link.pk,
            )
        else:
            try:  # the server did not take it: nobody received this link's token
                revoke_participant_link(link=link, by=None, reason="questionnaire e-mail not sent")
            except Exception:
                logger.exception("Could not revoke the unsent personal link %s", link.pk)
        raise
    record_sent(claim)
    return f"sent {len(rows)}"


def enqueue_alert_email(alert_id: int) -> None:
    """Queue a safety-alert e-mail (after commit, for a new alert or a retry); if that fails,
    say so on the alert, and the check tries again after the grace period."""
    enqueue_or_record(send_safety_alert_email, alert_id, ALERT, [alert_id])


def enqueue_questionnaire_email(reminder_ids: list[int]) -> None:
    """Queue one questionnaire e-mail (after commit); if that fails, say so on its rows."""
    enqueue_or_record(send_questionnaire_email, reminder_ids, QUESTIONNAIRE, reminder_ids)
