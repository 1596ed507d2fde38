"""Questionnaire e-mails that did not reach a participant, for the cohort dashboard.

An e-mail is *not delivered* when the reminder check gave up on it (``outcome`` starts with
``ReminderLog.GAVE_UP``) or when it is still unsent and its last attempt failed (a
``last_error``; the check will try again). Rows whose questionnaire has since been answered,
or whose participant withdrew, are left out: nothing is left to follow up. So are rows whose
questionnaire closed more than :data:`SHOWN_DAYS_AFTER_CLOSING` days ago: it can no longer be
answered, staff have had four weeks to follow it up, and the panel does not grow for ever
(the rows themselves are kept).

One line per e-mail: the rows of one e-mail are the questionnaires of one participant and one
kind queued together by one check, and they share ``last_attempt_at`` (the check sets it to
its own time on every row it queues, and the task to its own time on every row it takes), so
an e-mail is identified by (enrolment, kind, ``last_attempt_at``). Rows of one e-mail whose
outcomes differ (the task gave up on the questionnaires that had had every attempt and will
try the others again) are two lines, since what happens next differs.

:func:`undelivered_emails` is one query for a whole cohort. :func:`plain_reason` turns the
stored error (which may quote the mail server, e-mail addresses included) into a short
sentence; the raw error is never shown on a page (it is in the worker log, and superusers see
it on the read-only "Reminder logs" page of the admin).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from balm.outcomes.models import ReminderKind, ReminderLog, Response
from balm.programmes.templates import Timepoint

if TYPE_CHECKING:
    from balm.programmes.models import Cohort

#: An e-mail whose questionnaire closed more than this many days ago is no longer listed.
SHOWN_DAYS_AFTER_CLOSING = 28

#: Exception class names (as ``describe_error`` stores them) grouped by what they mean.
_ADDRESS_REFUSED = frozenset({"SMTPRecipientsRefused"})
_SENDER_REFUSED = frozenset(
    {"SMTPSenderRefused", "SMTPAuthenticationError", "SMTPHeloError", "SMTPNotSupportedError"}
)
_UNREACHABLE = frozenset(
    {
        "SMTPConnectError",
        "ConnectionError",
        "ConnectionRefusedError",
        "gaierror",
        "herror",
        "OSError",
        "SSLError",
        "SSLCertVerificationError",
    }
)
# The server stopped answering or dropped the connection: maybe after it accepted the e-mail
# (``balm.outcomes.delivery.may_have_been_sent``).
_OUTCOME_UNKNOWN = frozenset(
    {
        "SMTPServerDisconnected",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "TimeoutError",
        "timeout",
    }
)
_MESSAGE_REFUSED = frozenset({"SMTPDataError", "SMTPResponseException", "SMTPException"})


def plain_reason(last_error: str) -> str:
    """A short, plain sentence for a ``ReminderLog.last_error`` (never the error itself).

    ``last_error`` is ``"<what>: <ExceptionClass>: <message>"`` (see
    ``balm.outcomes.delivery.describe_error``) or empty when no task ever took the e-mail."""
    if not last_error:
        return "It was never picked up for sending (the background e-mail service did not run)."
    what, _, rest = last_error.partition(": ")
    kind = rest.partition(":")[0].strip()
    if what == "could not queue the e-mail":
        return "It could not be put in the queue for sending (a problem on balm's side)."
    if kind in _ADDRESS_REFUSED:
        return "The mail server would not accept the participant's e-mail address."
    if kind in _SENDER_REFUSED:
        return "The mail server refused balm's sending account (a setting to check)."
    if kind in _UNREACHABLE:
        return "The mail server could not be reached."
    if kind in _OUTCOME_UNKNOWN:
        return "The mail server stopped answering while it was being sent: it may have arrived."
    if kind in _MESSAGE_REFUSED:
        return "The mail server turned the message down."
    return "It could not be sent."


@dataclass(frozen=True)
class UndeliveredEmail:
    """One questionnaire e-mail that did not reach the participant: the e-mail of one kind
    (due or reminder) listing their open questionnaires, one ``ReminderLog`` row each.

    ``attempts`` is the most any of its questionnaires has had (a retry goes out in one
    e-mail with questionnaires new that day)."""

    enrolment_id: int
    pseudonym: str
    kind: str
    attempts: int
    gave_up: bool
    reason: str
    last_attempt_at: datetime
    questionnaires: tuple[str, ...]  # "phq9 baseline", in due order

    @property
    def kind_label(self) -> str:
        return str(ReminderKind(self.kind).label)


def undelivered_emails(cohort: Cohort, today: date | None = None) -> list[UndeliveredEmail]:
    """The cohort's questionnaire e-mails given up on or failing, by pseudonym and then oldest
    first, in one query (see the module's docstring for what one e-mail is)."""
    day = today or timezone.localdate()
    undelivered = Q(outcome__startswith=ReminderLog.GAVE_UP) | (
        Q(sent_at__isnull=True) & ~Q(last_error="")
    )
    answered = Exists(Response.objects.filter(assessment=OuterRef("assessment")))
    rows = (
        ReminderLog.objects.filter(
            undelivered,
            assessment__enrolment__cohort=cohort,
            assessment__closes_on__gte=day - timedelta(days=SHOWN_DAYS_AFTER_CLOSING),
        )
        .exclude(answered)
        .exclude(assessment__enrolment__status="withdrawn")
        .order_by(
            "assessment__enrolment__participant__pseudonym",
            "assessment__enrolment_id",
            "last_attempt_at",
            "kind",
            "assessment__due_on",
            "assessment__instrument_id",
        )
        .values_list(
            "assessment__enrolment_id",
            "assessment__enrolment__participant__pseudonym",
            "assessment__instrument_id",
            "assessment__timepoint",
            "kind",
            "attempts",
            "outcome",
            "last_attempt_at",
            "last_error",
        )
    )
    emails: dict[tuple[int, str, datetime, bool], UndeliveredEmail] = {}
    for (
        enrolment_id,
        pseudonym,
        instrument_id,
        timepoint,
        kind,
        attempts,
        outcome,
        last_attempt_at,
        last_error,
    ) in rows:
        gave_up = outcome.startswith(ReminderLog.GAVE_UP)
        questionnaire = f"{instrument_id} {Timepoint(timepoint).label.lower()}"
        key = (enrolment_id, kind, last_attempt_at, gave_up)
        seen = emails.get(key)
        if seen is None:
            emails[key] = UndeliveredEmail(
                enrolment_id=enrolment_id,
                pseudonym=pseudonym,
                kind=kind,
                attempts=attempts,
                gave_up=gave_up,
                reason=plain_reason(last_error),
                last_attempt_at=last_attempt_at,
                questionnaires=(questionnaire,),
            )
        else:
            emails[key] = replace(
                seen,
                attempts=max(seen.attempts, attempts),
                questionnaires=(*seen.questionnaires, questionnaire),
            )
    return list(emails.values())  # in query order: dicts keep insertion order
