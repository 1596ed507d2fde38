"""Delivery records of the e-mails the worker sends: one mechanism for every kind.

A questionnaire e-mail is recorded on its :class:`ReminderLog` rows (one per assessment); a
safety alert's e-mail to the team and its escalation to the duty contact on the alert itself
(``email_*`` and ``escalation_*``). Each record has the same fields (``sent_at``, ``outcome``,
``attempts``, ``last_attempt_at``, ``last_error``) and goes the same way:

- claimed, with a first attempt, and its task queued after commit (:func:`enqueue_or_record`
  keeps the error on the record if it cannot be queued);
- a run of the task takes it under a lock and marks it ``sending`` with the time it took it
  (a :class:`Claim`); the mark keeps other runs away while the e-mail goes out;
- the run records the result (:func:`record_sent`, :func:`record_failure`) only where its own
  mark is still there, so a send that outlasts the grace period never overwrites the state of
  the retry that took the record meanwhile;
- the periodic check (``balm.outcomes.reminders``) takes records still unsent
  ``BALM_REMINDER_RETRY_MINUTES`` after their last attempt (:func:`unsent_after_grace`) and
  settles them (no e-mail needed any more, or ``BALM_REMINDER_MAX_ATTEMPTS`` attempts made)
  or queues them again (:func:`settle_or_retry`).

:class:`Channel` says where one kind of e-mail keeps its record; nothing else here knows.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from balm.outcomes.models import ReminderLog, SafetyAlert

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    """Where one kind of e-mail keeps its delivery record: the model, the prefix of the record's
    fields on it, the model's outcome words, and how logs name a record (or a claim's rows)."""

    model: type[Model]
    prefix: str
    sending: str
    sent: str
    gave_up: str
    describe: Callable[[Sequence[Any]], str]
    #: The level of the "gave up" log line: an alert nobody was told of is an error.
    give_up_level: int = logging.WARNING
    give_up_note: str = ""

    def field(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def value(self, row: Any, name: str) -> Any:
        return getattr(row, self.field(name))

    def of(self, ids: Sequence[int]) -> QuerySet[Any]:
        return self.model._default_manager.filter(pk__in=ids)

    def unsent(self, ids: Sequence[int]) -> QuerySet[Any]:
        return self.of(ids).filter(**{self.field("sent_at__isnull"): True})

    def set(self, rows: QuerySet[Any], **values: Any) -> int:
        """Update the record's fields (named without the prefix) of ``rows``."""
        return rows.update(**{self.field(name): value for name, value in values.items()})


def _describe_reminders(rows: Sequence[ReminderLog]) -> str:
    ids = [row.pk for row in rows]
    assessments = ", ".join(str(row.assessment_id) for row in rows)
    return f"the {rows[0].kind} e-mail of reminders {ids} (assessment {assessments})"


QUESTIONNAIRE = Channel(
    model=ReminderLog,
    prefix="",
    sending=ReminderLog.SENDING,
    sent=ReminderLog.SENT,
    gave_up=ReminderLog.GAVE_UP,
    describe=_describe_reminders,
)


def _alert_channel(prefix: str, what: str) -> Channel:
    return Channel(
        model=SafetyAlert,
        prefix=prefix,
        sending=SafetyAlert.EMAIL_SENDING,
        sent=SafetyAlert.EMAIL_SENT,
        gave_up=SafetyAlert.EMAIL_GAVE_UP,
        describe=lambda rows: f"the {what} for alert {rows[0].pk}",
        give_up_level=logging.ERROR,
        give_up_note="; the alert is on its cohort's dashboard until acknowledged",
    )


ALERT = _alert_channel("email_", "safety-alert e-mail")
ESCALATION = _alert_channel("escalation_", "escalation e-mail")


def describe_error(error: BaseException, what: str) -> str:
    """A short line for a record's ``last_error``."""
    return f"{what}: {type(error).__name__}: {error}"[:1000]


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
    """Whether the recipient may have received the e-mail despite ``error``."""
    return not isinstance(error, NOT_SENT_ERRORS)


def enqueue_or_record(task: Any, argument: Any, channel: Channel, ids: Sequence[int]) -> None:
    """Queue ``task(argument)`` (called after commit). If that fails, log it and keep the error
    on the records ``ids`` still unsent; the check queues them again after the grace period."""
    try:
        task.enqueue(argument)
    except Exception as error:
        logger.exception(
            "Could not queue %s(%s); the check will try again in %s minutes",
            task.name,
            argument,
            settings.BALM_REMINDER_RETRY_MINUTES,
        )
        try:
            channel.set(
                channel.unsent(ids),
                last_error=describe_error(error, "could not queue the e-mail"),
            )
        except Exception:
            logger.exception("Could not record that on the rows either")


def unsent_after_grace(
    channel: Channel, now: datetime, *, never_attempted: bool = False
) -> QuerySet[Any]:
    """Records neither sent nor settled ``BALM_REMINDER_RETRY_MINUTES`` after their last
    attempt (their task could not be queued, failed, or died); with ``never_attempted`` also
    those with no attempt at all."""
    grace = timedelta(minutes=settings.BALM_REMINDER_RETRY_MINUTES)
    late = Q(**{channel.field("last_attempt_at__lte"): now - grace})
    if never_attempted:
        late |= Q(**{channel.field("last_attempt_at__isnull"): True})
    return channel.model._default_manager.filter(**{channel.field("sent_at__isnull"): True}).filter(
        late
    )


#: :func:`settle_or_retry`'s ``why_not`` answer for a record to leave as it is for now.
LATER = "later"


def settle_or_retry(
    channel: Channel,
    rows: Sequence[Any],
    now: datetime,
    why_not: Callable[[Any], str | None],
) -> list[Any]:
    """Of records past their grace period (taken by the caller under ``FOR UPDATE SKIP
    LOCKED``): settle those that need no e-mail any more (``why_not`` gives the outcome) and
    those that have had every attempt (logged); leave those ``why_not`` says are for
    :data:`LATER`; claim the others for one more attempt and return them."""
    settled: dict[str, list[int]] = defaultdict(list)
    retry: list[Any] = []
    for row in rows:
        reason = why_not(row)
        attempts = channel.value(row, "attempts")
        if reason == LATER:
            continue
        if reason is not None:
            settled[reason].append(row.pk)
        elif attempts >= settings.BALM_REMINDER_MAX_ATTEMPTS:
            settled[f"{channel.gave_up} after {attempts} attempts"].append(row.pk)
            logger.log(
                channel.give_up_level,
                "Gave up on %s after %d attempts: %s%s",
                channel.describe([row]),
                attempts,
                channel.value(row, "last_error") or "its task never ran",
                channel.give_up_note,
            )
        else:
            retry.append(row)
    for outcome, ids in settled.items():
        channel.set(channel.of(ids), sent_at=now, outcome=outcome)
    if retry:
        channel.set(
            channel.of([row.pk for row in retry]),
            attempts=F(channel.field("attempts")) + 1,
            last_attempt_at=now,
            outcome="",
        )
    return retry


def settle_or_retry_alerts(
    channel: Channel, alerts: Sequence[SafetyAlert], now: datetime
) -> list[int]:
    """:func:`settle_or_retry` for an alert's e-mail (``ALERT`` or ``ESCALATION``): one whose
    alert has been acknowledged needs none. Returns the ids of the alerts to queue again."""

    def why_not(alert: SafetyAlert) -> str | None:
        return None if alert.acknowledged_at is None else SafetyAlert.EMAIL_ACKNOWLEDGED

    return [alert.pk for alert in settle_or_retry(channel, alerts, now, why_not)]


@dataclass(frozen=True)
class Claim:
    """The records one run of a sending task marked ``sending``, and when.

    ``taken_at`` is written to the records' ``last_attempt_at`` with the mark and tells this
    run's mark from a later one: another run can take the records only once the mark is gone
    (this run recorded a failure, or the check reset them a grace period later for a retry),
    and it writes its own, later, time. So a failure is recorded only on the records this run
    still holds (:meth:`held`), a success also on records nobody holds (:func:`record_sent`).
    """

    channel: Channel
    rows: list[Any]
    taken_at: datetime

    @property
    def ids(self) -> list[int]:
        return [row.pk for row in self.rows]

    def held(self) -> QuerySet[Any]:
        """This claim's records still marked ``sending`` by this run."""
        channel = self.channel
        return channel.unsent(self.ids).filter(
            **{
                channel.field("outcome"): channel.sending,
                channel.field("last_attempt_at"): self.taken_at,
            }
        )


def mark_sending(channel: Channel, rows: list[Any], now: datetime) -> Claim | None:
    """Mark ``rows`` (taken under a lock, unsent, not being sent) ``sending`` for this run;
    ``None`` if there are none."""
    if not rows:
        return None
    channel.set(channel.of([row.pk for row in rows]), outcome=channel.sending, last_attempt_at=now)
    return Claim(channel=channel, rows=rows, taken_at=now)


def settle(channel: Channel, ids: Sequence[int], now: datetime, outcome: str) -> None:
    """Record that ``ids`` need no e-mail (``outcome`` says why)."""
    channel.set(channel.of(ids), sent_at=now, outcome=outcome)


def record_failure(claim: Claim, error: BaseException) -> int:
    """The error on each record this run still holds; a record that has had every attempt is
    given up on (logged). Records a retry has taken meanwhile are left to it. Returns how many
    records this run still held."""
    channel = claim.channel
    message = describe_error(error, "sending failed")
    now = timezone.now()
    held = 0
    retried = []
    for row in claim.rows:
        attempts = channel.value(row, "attempts")
        mine = claim.held().filter(pk=row.pk)
        if attempts >= settings.BALM_REMINDER_MAX_ATTEMPTS:
            outcome = f"{channel.gave_up} after {attempts} attempts"
            if channel.set(mine, sent_at=now, outcome=outcome, last_error=message):
                held += 1
                logger.log(
                    channel.give_up_level,
                    "Gave up on %s after %d attempts: %s%s",
                    channel.describe([row]),
                    attempts,
                    message,
                    channel.give_up_note,
                )
        else:
            held += channel.set(mine, outcome="", last_error=message)
            retried.append(row)
    if retried:
        logger.warning(
            "%s not sent (%s); the reminder check will try again",
            channel.describe(retried).capitalize(),
            message,
        )
    return held


def record_sent(claim: Claim) -> int:
    """Mark the claim's records sent: those this run still holds, and those nobody holds and
    not yet settled (the check reset them for a retry that has not taken them, or whose retry
    failed). Records a retry has taken meanwhile are left to it (its own result is recorded),
    and a settled record is not changed. Returns how many were marked."""
    channel = claim.channel
    sending = channel.field("outcome")
    marked = channel.set(
        channel.unsent(claim.ids).filter(
            ~Q(**{sending: channel.sending})
            | Q(**{channel.field("last_attempt_at"): claim.taken_at})
        ),
        sent_at=timezone.now(),
        outcome=channel.sent,
    )
    if marked < len(claim.rows):
        logger.warning(
            "%s went out after the reminder check had queued it again (it took longer than "
            "BALM_REMINDER_RETRY_MINUTES); the retry took or settled %d of its records "
            "meanwhile, so it may arrive twice",
            channel.describe(claim.rows).capitalize(),
            len(claim.rows) - marked,
        )
    return marked
