"""Questionnaire e-mails: which are due, and their wording, composed when they are sent.

Each participant gets one "due" e-mail listing their open questionnaires, with a fresh
personal link, and one reminder ``BALM_REMINDER_AFTER_DAYS`` days later for those still open.
A :class:`ReminderLog` row per assessment and kind is claimed before anything is enqueued, so
running :func:`send_due_reminders` twice sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from balm.instruments import UnknownInstrumentError, get_instrument
from balm.outcomes.models import Assessment, ReminderKind, ReminderLog, Response

OPEN_ENROLMENT = ("referred", "assessed", "started", "completed")


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
    for assessment in sorted(assessments, key=lambda a: (a.due_on, a.instrument_id)):
        lines.append(
            f"- {instrument_title(assessment.instrument_id)}: "
            f"please answer by {assessment.closes_on:%A %-d %B}"
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


def candidates(today: date) -> list[tuple[Assessment, str]]:
    """Assessments that should get a due or reminder e-mail today and have not."""
    answered = Exists(Response.objects.filter(assessment=OuterRef("pk")))
    open_now = (
        Assessment.objects.filter(
            opens_on__lte=today,
            closes_on__gte=today,
            enrolment__status__in=OPEN_ENROLMENT,
        )
        .exclude(enrolment__participant__email="")
        .exclude(answered)
        .select_related("enrolment__participant__site")
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
    return out


def send_due_reminders(today: date | None = None) -> int:
    """Claim and enqueue today's questionnaire e-mails; returns how many e-mails were queued."""
    from balm.outcomes.tasks import send_questionnaire_email

    day = today or timezone.localdate()
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    with transaction.atomic():
        for assessment, kind in candidates(day):
            try:
                with transaction.atomic():
                    log = ReminderLog.objects.create(assessment=assessment, kind=kind)
            except IntegrityError:
                continue  # claimed by a concurrent run
            groups[(assessment.enrolment.participant_id, kind)].append(log.pk)
        for ids in groups.values():
            transaction.on_commit(
                lambda ids=ids: send_questionnaire_email.enqueue(sorted(ids)), robust=True
            )
    return len(groups)
