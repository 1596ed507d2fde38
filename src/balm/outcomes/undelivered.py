"""Questionnaire e-mails that did not reach a participant, for the cohort dashboard.

An e-mail is *not delivered* when the reminder check gave up on it (``outcome`` starts with
``ReminderLog.GAVE_UP``) or when it is still unsent and its last attempt failed (a
``last_error``; the check will try again). Rows whose questionnaire has since been answered,
or whose participant withdrew, are left out: nothing is left to follow up.

:func:`undelivered_emails` is one query for a whole cohort. :func:`plain_reason` turns the
stored error (which may quote the mail server, e-mail addresses included) into a short
sentence; the raw error is never shown on a page (it is in the worker log and the admin).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from balm.outcomes.models import ReminderKind, ReminderLog, Response
from balm.programmes.templates import Timepoint

if TYPE_CHECKING:
    from balm.programmes.models import Cohort

#: Exception class names (as ``describe_error`` stores them) grouped by what they mean.
_ADDRESS_REFUSED = frozenset({"SMTPRecipientsRefused"})
_SENDER_REFUSED = frozenset(
    {"SMTPSenderRefused", "SMTPAuthenticationError", "SMTPHeloError", "SMTPNotSupportedError"}
)
_UNREACHABLE = frozenset(
    {
        "SMTPConnectError",
        "SMTPServerDisconnected",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "TimeoutError",
        "timeout",
        "gaierror",
        "herror",
        "OSError",
        "SSLError",
        "SSLCertVerificationError",
    }
)
_MESSAGE_REFUSED = frozenset({"SMTPDataError", "SMTPResponseException", "SMTPException"})


def plain_reason(last_error: str) -> str:
    """A short, plain sentence for a ``ReminderLog.last_error`` (never the error itself).

    ``last_error`` is ``"<what>: <ExceptionClass>: <message>"`` (see
    ``balm.outcomes.reminders.describe_error``) or empty when no task ever took the e-mail."""
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
    if kind in _MESSAGE_REFUSED:
        return "The mail server turned the message down."
    return "It could not be sent."


@dataclass(frozen=True)
class UndeliveredEmail:
    """One questionnaire e-mail that did not reach the participant: the e-mail of one kind
    (due or reminder) listing their open questionnaires, one ``ReminderLog`` row each."""

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


def undelivered_emails(cohort: Cohort) -> list[UndeliveredEmail]:
    """The cohort's questionnaire e-mails given up on or failing, by pseudonym, in one query.

    Rows of one enrolment and kind that share attempts, state and reason are one e-mail (the
    check sends a participant's questionnaires of one kind together) and are shown as one."""
    undelivered = Q(outcome__startswith=ReminderLog.GAVE_UP) | (
        Q(sent_at__isnull=True) & ~Q(last_error="")
    )
    answered = Exists(Response.objects.filter(assessment=OuterRef("assessment")))
    rows = (
        ReminderLog.objects.filter(undelivered, assessment__enrolment__cohort=cohort)
        .exclude(answered)
        .exclude(assessment__enrolment__status="withdrawn")
        .order_by(
            "assessment__enrolment__participant__pseudonym",
            "assessment__enrolment_id",
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
    emails: dict[tuple[int, str, int, bool, str], UndeliveredEmail] = {}
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
        reason = plain_reason(last_error)
        questionnaire = f"{instrument_id} {Timepoint(timepoint).label.lower()}"
        key = (enrolment_id, kind, attempts, gave_up, reason)
        seen = emails.get(key)
        if seen is None:
            emails[key] = UndeliveredEmail(
                enrolment_id=enrolment_id,
                pseudonym=pseudonym,
                kind=kind,
                attempts=attempts,
                gave_up=gave_up,
                reason=reason,
                last_attempt_at=last_attempt_at,
                questionnaires=(questionnaire,),
            )
        else:
            emails[key] = replace(
                seen,
                last_attempt_at=max(seen.last_attempt_at, last_attempt_at),
                questionnaires=(*seen.questionnaires, questionnaire),
            )
    return list(emails.values())  # in query order: dicts keep insertion order
