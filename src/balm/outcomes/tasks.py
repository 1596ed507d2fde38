"""Background tasks (django-tasks; see docs/adr/0001-task-queue.md).

Messages are composed when the task runs, from the records as they are then, so a reminder
for a questionnaire answered in the meantime is not sent. A questionnaire or safety-alert
e-mail that fails is retried by the periodic check, not by the queue
(``balm.outcomes.reminders``).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q, QuerySet
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


class NoRecipientsError(Exception):
    """Nobody to e-mail a safety alert to: a failure like any other, retried and then given
    up on (someone may add an address meanwhile), so it shows on the dashboard."""


@dataclass(frozen=True)
class AlertClaim:
    """The alert one run of :func:`send_safety_alert_email` marked ``sending``, and when: the
    token of :class:`Claim`, for the one row of an alert e-mail. ``taken_at`` is written to
    ``<e-mail>_last_attempt_at`` with the mark, so a late result never overwrites a retry's.

    ``email`` names the alert's e-mail: ``"email"`` (to the team) or ``"escalation"`` (to the
    duty contact, ``balm.outcomes.escalation``); each has its own ``<email>_*`` fields."""

    alert: SafetyAlert
    taken_at: datetime
    email: str = "email"

    def field(self, name: str) -> str:
        return f"{self.email}_{name}"

    @property
    def attempts(self) -> int:
        return int(getattr(self.alert, self.field("attempts")))

    @property
    def what(self) -> str:
        return "Escalation e-mail" if self.email == "escalation" else "Safety-alert e-mail"

    def held(self) -> QuerySet[SafetyAlert]:
        """The alert, if it is still marked ``sending`` by this run."""
        return SafetyAlert.objects.filter(
            pk=self.alert.pk,
            **{
                self.field("sent_at__isnull"): True,
                self.field("outcome"): SafetyAlert.EMAIL_SENDING,
                self.field("last_attempt_at"): self.taken_at,
            },
        )


def take_alert(alert_id: int) -> AlertClaim | None:
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
        mine = SafetyAlert.objects.filter(pk=alert.pk)
        if alert.acknowledged_at is not None:
            mine.update(email_sent_at=now, email_outcome=SafetyAlert.EMAIL_ACKNOWLEDGED)
            return None
        mine.update(
            email_sent_at=None, email_outcome=SafetyAlert.EMAIL_SENDING, email_last_attempt_at=now
        )
    return AlertClaim(alert=alert, taken_at=now)


def record_alert_failure(claim: AlertClaim, error: BaseException) -> bool:
    """The error on the alert if this run still holds it, given up on after its last attempt;
    ``False`` if a retry has taken it meanwhile (left to it)."""
    message = describe_error(error, "sending failed")
    attempts = claim.attempts
    if attempts >= settings.BALM_REMINDER_MAX_ATTEMPTS:
        held = claim.held().update(
            **{
                claim.field("sent_at"): timezone.now(),
                claim.field("outcome"): f"{SafetyAlert.EMAIL_GAVE_UP} after {attempts} attempts",
                claim.field("last_error"): message,
            }
        )
        if held:
            logger.error(
                "Gave up on the %s for alert %s after %d attempts: %s; the alert is on its "
                "cohort's dashboard until acknowledged",
                claim.what.lower(),
                claim.alert.pk,
                attempts,
                message,
            )
    else:
        held = claim.held().update(
            **{claim.field("outcome"): "", claim.field("last_error"): message}
        )
        logger.warning(
            "%s for alert %s not sent (%s); the reminder check will try again",
            claim.what,
            claim.alert.pk,
            message,
        )
    return bool(held)


def record_alert_sent(claim: AlertClaim) -> bool:
    """Mark the alert e-mailed if this run still holds it or nobody does and it is unsettled
    (as :func:`record_sent`); ``False`` if a retry has taken or settled it meanwhile."""
    marked = (
        SafetyAlert.objects.filter(pk=claim.alert.pk, **{claim.field("sent_at__isnull"): True})
        .filter(
            ~Q(**{claim.field("outcome"): SafetyAlert.EMAIL_SENDING})
            | Q(**{claim.field("last_attempt_at"): claim.taken_at})
        )
        .update(
            **{
                claim.field("sent_at"): timezone.now(),
                claim.field("outcome"): SafetyAlert.EMAIL_SENT,
            }
        )
    )
    if not marked:
        logger.warning(
            "%s for alert %s went out after the reminder check had queued it again (it took "
            "longer than BALM_REMINDER_RETRY_MINUTES); it may arrive twice",
            claim.what,
            claim.alert.pk,
        )
    return bool(marked)


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
    try:
        recipients = alert_recipients(claim.alert)
        if not recipients:
            raise NoRecipientsError(
                "no active facilitator of the group or clinical staff member of the site "
                "has an e-mail address"
            )
        subject, body = compose_alert_email(claim.alert)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception as error:
        record_alert_failure(claim, error)
        raise
    record_alert_sent(claim)
    return f"sent to {len(recipients)}"


@dataclass(frozen=True)
class Claim:
    """The rows one run of :func:`send_questionnaire_email` marked ``sending``, and when.

    ``taken_at`` is written to the rows' ``last_attempt_at`` with the mark and tells this run's
    mark from a later one: another run can take the rows only once the mark is gone (this run
    recorded a failure, or the check reset the rows a grace period later for a retry), and it
    writes its own, later, time. So a send that outlasts the grace period never overwrites
    the state of the retry that took its rows: a failure is recorded only on the rows this run
    still holds (:meth:`held`), a success also on rows nobody holds (:func:`record_sent`).
    """

    rows: list[ReminderLog]
    taken_at: datetime

    @property
    def ids(self) -> list[int]:
        return [row.pk for row in self.rows]

    def held(self) -> QuerySet[ReminderLog]:
        """This claim's rows still marked ``sending`` by this run."""
        return ReminderLog.objects.filter(
            pk__in=self.ids,
            sent_at__isnull=True,
            outcome=ReminderLog.SENDING,
            last_attempt_at=self.taken_at,
        )


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
                ReminderLog.objects.filter(pk=row.pk).update(sent_at=now, outcome=reason)
        ReminderLog.objects.filter(pk__in=[row.pk for row in taken]).update(
            outcome=ReminderLog.SENDING, last_attempt_at=now
        )
    return Claim(rows=taken, taken_at=now) if taken else None


def record_failure(claim: Claim, error: BaseException) -> None:
    """The error on each row this run still holds; a row that has had every attempt is given
    up on. Rows a retry has taken meanwhile are left to it."""
    message = describe_error(error, "sending failed")
    now = timezone.now()
    last = [row.pk for row in claim.rows if row.attempts >= settings.BALM_REMINDER_MAX_ATTEMPTS]
    logger.warning(
        "Questionnaire e-mail for reminders %s not sent (%s); %s",
        claim.ids,
        message,
        f"gave up on {last}" if last else "the reminder check will try again",
    )
    for row in claim.rows:
        held = claim.held().filter(pk=row.pk)
        if row.pk in last:
            held.update(
                sent_at=now,
                outcome=f"{ReminderLog.GAVE_UP} after {row.attempts} attempts",
                last_error=message,
            )
        else:
            held.update(outcome="", last_error=message)


def record_sent(claim: Claim) -> int:
    """Mark the claim's rows sent: those this run still holds, and those nobody holds and not
    yet settled (the check reset them for a retry that has not taken them, or whose retry
    failed). Rows a retry has taken meanwhile are left to it (its own result is recorded), and
    a settled row is not changed. Returns how many rows were marked."""
    marked = (
        ReminderLog.objects.filter(pk__in=claim.ids, sent_at__isnull=True)
        .filter(~Q(outcome=ReminderLog.SENDING) | Q(last_attempt_at=claim.taken_at))
        .update(sent_at=timezone.now(), outcome=ReminderLog.SENT)
    )
    if marked < len(claim.rows):
        logger.warning(
            "Questionnaire e-mail for reminders %s went out after the reminder check had "
            "queued it again (it took longer than BALM_REMINDER_RETRY_MINUTES); the retry "
            "took or settled %d of its rows meanwhile, so the participant may get it twice",
            claim.ids,
            len(claim.rows) - marked,
        )
    return marked


#: Errors that mean the mail server did not take the message: it refused it, or it was never
#: reached. Any other error (a timeout, a dropped connection, ...) may have come after the
#: server accepted the message, so its outcome is unknown.
NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPResponseException,  # a refusal: greeting, HELO, STARTTLS, login, sender, data
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPNotSupportedError,
    ConnectionRefusedError,  # nothing listening: nothing was sent
    socket.gaierror,  # the server's name did not resolve
    socket.herror,
    ssl.SSLCertVerificationError,  # the TLS handshake failed, before the message
)


def may_have_been_sent(error: BaseException) -> bool:
    """Whether the participant may have received the e-mail despite ``error``."""
    return not isinstance(error, NOT_SENT_ERRORS)


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
