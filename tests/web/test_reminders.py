"""Questionnaire e-mails: idempotent claiming, one reminder, wording composed at send time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from tests.web import factories

from balm.outcomes import actions
from balm.outcomes.models import ReminderLog
from balm.outcomes.reminders import send_due_reminders

pytestmark = pytest.mark.django_db


def _open_p1_only(world) -> None:  # type: ignore[no-untyped-def]
    # Only P1 has e-mail for this test, so each run sends at most one e-mail.
    world.p2.email = ""
    world.p2.save()


def test_due_email_lists_open_questionnaires_with_a_working_link(
    world,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _open_p1_only(world)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        queued = send_due_reminders(today)
    assert queued == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.p1.email]
    assert "Patient Health Questionnaire-9 (PHQ-9)" in message.body
    token_url = re.search(r"https://balm\.example\.org(/p/[\w-]+/)", message.body)
    assert token_url, message.body
    client = Client()
    response = client.get(token_url.group(1), follow=True)
    assert response.status_code == 200
    assert b"Patient Health Questionnaire-9" in response.content


def test_running_twice_sends_nothing_twice(world, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    _open_p1_only(world)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders(today)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(today) == 0
    assert len(mail.outbox) == 1


def test_one_reminder_a_few_days_later_if_still_open(
    world,
    django_capture_on_commit_callbacks,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    _open_p1_only(world)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders(today)
    baseline = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    actions.submit_response(
        assessment=baseline,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    ReminderLog.objects.update(
        queued_at=timezone.now() - timedelta(days=settings.BALM_REMINDER_AFTER_DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(today) == 0
    assert len(mail.outbox) == 2
    reminder = mail.outbox[1]
    assert reminder.subject.startswith("A gentle reminder")
    assert "PHQ-9" not in reminder.body  # answered in the meantime: not listed
    assert "GAD-7" in reminder.body


def test_email_is_composed_when_sent_not_when_queued(
    world,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _open_p1_only(world)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_due_reminders(today)
    assert mail.outbox == []
    # Between queueing and sending, the schedule changes and one questionnaire is answered.
    world.enrolment_p1.assessments.filter(instrument_id="gad7", timepoint="baseline").update(
        due_on=today + timedelta(days=20), closes_on=today + timedelta(days=30)
    )
    actions.submit_response(
        assessment=world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline"),
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    for callback in callbacks:
        callback()
    body = mail.outbox[0].body
    assert "PHQ-9" not in body
    new_date = (today + timedelta(days=20)).strftime("%A %-d %B")
    # The due date staff see, and the participants' name for the timepoint.
    assert f"GAD-7), Start: please answer by {new_date}" in body


def test_withdrawn_and_addressless_participants_get_no_email(
    world,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from balm.programmes.actions import change_enrolment_status

    world.p2.email = ""
    world.p2.save()
    change_enrolment_status(
        enrolment=world.enrolment_p1, status="withdrawn", reason="moved", by=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(timezone.localdate()) == 0
    assert mail.outbox == []


def test_participant_who_withdrew_after_the_claim_gets_no_email(
    world,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from balm.programmes.actions import change_enrolment_status

    _open_p1_only(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert send_due_reminders(timezone.localdate()) == 1
    change_enrolment_status(
        enrolment=world.enrolment_p1, status="withdrawn", reason="moved", by=None
    )
    for callback in callbacks:  # the task runs after the withdrawal
        callback()
    assert mail.outbox == []
    rows = ReminderLog.objects.all()
    assert rows.exists()
    assert set(rows.values_list("outcome", flat=True)) == {"not sent: participant withdrew"}
    assert not rows.filter(sent_at__isnull=True).exists()  # settled: never retried
