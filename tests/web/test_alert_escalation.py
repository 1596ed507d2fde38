"""Safety alerts not acknowledged in time are escalated to the site's duty contact by the
periodic check (as alert e-mails are sent and retried: tests/web/test_alert_email_retry.py),
marked so on the dashboards; the alert page shows the item, the answer, the participant's
record, contact details and GP, and their other alerts; the crisis box says answers are not
watched around the clock, with tap-to-call numbers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from tests.web import factories
from tests.web.concurrency import run_together
from tests.web.doubles import QUEUE_DOWN, SMTP_DOWN

from balm.accounts.admin import SiteForm
from balm.audit.models import AuditEvent
from balm.outcomes import actions, escalation, tasks
from balm.outcomes.models import SafetyAlert
from balm.outcomes.reminders import send_due_reminders

pytestmark = pytest.mark.django_db

DUTY = "duty@site-a.example.org"


@pytest.fixture(autouse=True)
def _setup(world: Any) -> None:
    for person in (world.p1, world.p2):  # no questionnaire e-mails in the outbox
        person.email = ""
        person.save()
    world.site_a.alert_escalation_minutes = 60
    world.site_a.duty_email = DUTY
    world.site_a.save()


def _raise_alert(world: Any, capture: Any, q9: int = 2) -> SafetyAlert:
    with capture(execute=True):
        response = actions.submit_response(
            assessment=world.enrolment_p1.assessments.get(
                instrument_id="phq9", timepoint="baseline"
            ),
            answers={**factories.PHQ9_ZEROS, "q9": q9},
            client_id=factories.client_id(),
            by=world.p1,
        )
    return SafetyAlert.objects.get(response=response)


def _age(alert: SafetyAlert, minutes: float) -> None:
    SafetyAlert.objects.filter(pk=alert.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def _escalations() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Escalated")]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_open_alert_is_escalated_once_after_the_sites_time(
    world: Any, check: Callable[[], int], django_capture_on_commit_callbacks: Any
) -> None:
    alert = _raise_alert(world, django_capture_on_commit_callbacks)
    _age(alert, 59)
    check()
    assert _escalations() == [] and SafetyAlert.objects.get(pk=alert.pk).escalated_at is None
    _age(alert, 61)
    check()
    check()
    sent = _escalations()
    assert [m.to for m in sent] == [[DUTY]]
    assert "P1" in sent[0].subject and "60 minutes" in sent[0].body
    assert "Pat One" not in sent[0].body  # no names in e-mail
    alert.refresh_from_db()
    assert alert.escalated_at is not None and alert.escalation_outcome == "sent"
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 1
    # marked on both dashboards
    for url in (reverse("home"), reverse("cohort", args=[world.cohort_a.pk])):
        assert b"data-alert-escalated" in client_for(world.facilitator_a).get(url).content


def test_an_acknowledged_alert_or_a_site_without_escalation_is_not_escalated(
    world: Any, check: Callable[[], int], django_capture_on_commit_callbacks: Any
) -> None:
    alert = _raise_alert(world, django_capture_on_commit_callbacks)
    actions.acknowledge_alert(alert=alert, by=world.facilitator_a, note="Called them")
    _age(alert, 600)
    check()
    assert _escalations() == []
    SafetyAlert.objects.filter(pk=alert.pk).update(acknowledged_at=None, acknowledged_by=None)
    world.site_a.alert_escalation_minutes = None
    world.site_a.save()
    check()
    assert _escalations() == []


def test_a_failed_escalation_email_is_retried_then_given_up(
    world: Any, check: Callable[[], int], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = _raise_alert(world, django_capture_on_commit_callbacks)
    _age(alert, 61)
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        check()
        alert.refresh_from_db()
        assert alert.escalated_at is not None and alert.escalation_sent_at is None
        assert "Connection refused" in alert.escalation_last_error
        for attempt in range(2, settings.BALM_REMINDER_MAX_ATTEMPTS + 1):
            SafetyAlert.objects.filter(pk=alert.pk).update(
                escalation_last_attempt_at=timezone.now() - timedelta(days=1)
            )
            check()
            alert.refresh_from_db()
            assert alert.escalation_attempts == attempt
        SafetyAlert.objects.filter(pk=alert.pk).update(
            escalation_last_attempt_at=timezone.now() - timedelta(days=1)
        )
        check()
    alert.refresh_from_db()
    assert alert.escalation_outcome.startswith("not sent: gave up")
    assert _escalations() == []


def test_a_site_without_a_duty_address_fails_visibly(
    world: Any, check: Callable[[], int], django_capture_on_commit_callbacks: Any
) -> None:
    world.site_a.duty_email = ""
    world.site_a.save()
    alert = _raise_alert(world, django_capture_on_commit_callbacks)
    _age(alert, 61)
    check()
    alert.refresh_from_db()
    assert alert.escalated_at is not None  # still marked on the dashboards
    assert "no duty contact" in alert.escalation_last_error


def test_the_site_form_needs_a_duty_address_with_minutes(world: Any) -> None:
    form = SiteForm(
        data={
            "name": "A",
            "slug": "site-a2",
            "crisis_contacts": "Call 999",
            "enabled_instruments": "[]",
            "alert_escalation_minutes": "30",
            "duty_email": "",
        }
    )
    assert not form.is_valid()
    assert "duty contact" in form.errors["duty_email"][0]


def test_the_alert_page_shows_item_answer_record_contact_and_earlier_alerts(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.p1.phone = "07700 900123"
    world.p1.gp = "Riverside Surgery, Dr Example, 01632 960000"
    world.p1.save()
    earlier = _raise_alert(world, django_capture_on_commit_callbacks, q9=1)
    mid = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="mid")
    mid.opens_on = timezone.localdate()  # paper answers are taken once it opens
    mid.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = actions.submit_response(
            assessment=mid,
            answers={**factories.PHQ9_ZEROS, "q9": 3},
            client_id=factories.client_id(),
            entry_mode="staff_paper",
            by=world.facilitator_a,
        )
    alert = SafetyAlert.objects.get(response=response)
    page = client_for(world.facilitator_a).get(reverse("alert", args=[alert.pk]))
    html = page.content.decode()
    # PHQ-9 is public domain: its wording is in the catalogue; weight 3 is "Nearly every day"
    assert page.context["item"].is_concept is False
    assert "Thoughts that you would be better off dead" in html
    assert "Nearly every day (3)" in html
    assert reverse("record", args=[world.enrolment_p1.pk]) in html
    assert "07700 900123" in html and 'href="tel:07700900123"' in html
    assert "Riverside Surgery" in html and "Pat One" in html
    assert f'data-earlier-alert="{earlier.pk}"' in html
    # colleagues elsewhere, researchers and participants do not see it
    for user in (world.facilitator_b, world.researcher_a, world.p1_user):
        assert client_for(user).get(reverse("alert", args=[alert.pk])).status_code == 404


def test_a_licensed_item_shows_its_concept_not_its_wording() -> None:
    from balm.web.record import alert_item

    # CORE-10 is licensed: the catalogue holds item 6's concept, not its wording.
    shown = alert_item("core10", "q6", 2)
    assert shown.is_concept
    assert shown.wording == "made plans to end one's life (risk)"
    assert shown.answer == "Sometimes (2)"  # the frequency scale: 2 is "Sometimes"


def test_the_crisis_box_says_not_watched_and_numbers_are_tap_to_call() -> None:
    html = Template('{% include "balm/crisis.html" %}').render(
        Context({"crisis_contacts": "Call 999 or go to A&E.\nSamaritans: 116 123, any time."})
    )
    assert "not watched around the clock" in html
    assert '<a href="tel:999">999</a>' in html
    assert '<a href="tel:116123">116 123</a>' in html
    assert "A&amp;E" in html  # the rest is escaped


# A send to the duty contact that outlasts the grace period: the same guarantee as the first
# e-mail's (tests/web/test_alert_email_retry.py), through the same claim and recording.


def _escalation_race(world: Any, settings: Any, capture: Any) -> tuple[SafetyAlert, Any]:
    """An escalated alert whose first run has taken it (and is slow), then a check that queues
    it again (the retry is captured, not run). Returns the alert and the first run's claim."""
    alert = _raise_alert(world, capture)
    _age(alert, 61)
    with override_settings(TASKS=QUEUE_DOWN), capture(execute=True):
        send_due_reminders()  # escalated; its e-mail could not be queued
    first = escalation.take_escalation(alert.pk)
    assert first is not None
    settings.BALM_REMINDER_RETRY_MINUTES = 0  # the grace period has passed
    with capture(execute=False) as queued:
        send_due_reminders()
    assert len(queued) == 1
    alert = SafetyAlert.objects.get(pk=alert.pk)
    assert (alert.escalation_outcome, alert.escalation_attempts) == ("", 2)
    return alert, first


def test_a_late_escalation_success_leaves_the_alert_a_retry_is_sending_to_it(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    alert, first = _escalation_race(world, settings, django_capture_on_commit_callbacks)
    second = escalation.take_escalation(alert.pk)  # the retry takes it and starts sending
    assert second is not None and second.taken_at > first.taken_at
    with caplog.at_level(logging.WARNING):
        assert tasks.record_alert_sent(first) is False  # the first e-mail went out at last
    assert f"alert {alert.pk} went out after" in caplog.text  # the duty contact may get two
    alert = SafetyAlert.objects.get(pk=alert.pk)
    assert (alert.escalation_outcome, alert.escalation_sent_at) == (SafetyAlert.EMAIL_SENDING, None)
    assert alert.escalation_last_attempt_at == second.taken_at  # still the retry's mark
    assert tasks.record_alert_failure(first, TimeoutError("timed out")) is False
    assert "TimeoutError" not in SafetyAlert.objects.get(pk=alert.pk).escalation_last_error
    assert tasks.record_alert_sent(second) is True  # the retry finishes: its result is kept
    alert = SafetyAlert.objects.get(pk=alert.pk)
    assert (alert.escalation_outcome, alert.escalation_attempts) == ("sent", 2)
    assert alert.email_outcome == "sent"  # the first e-mail's record is untouched


def test_a_late_escalation_success_before_the_retry_took_it_is_recorded(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert, first = _escalation_race(world, settings, django_capture_on_commit_callbacks)
    assert tasks.record_alert_sent(first) is True
    assert SafetyAlert.objects.get(pk=alert.pk).escalation_outcome == "sent"
    assert escalation.send_alert_escalation_email.call(alert.pk) == "nothing to send"


# PostgreSQL: several workers' checks at once.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_escalate_each_alert_once(world: Any) -> None:
    with override_settings(TASKS=QUEUE_DOWN):  # the first e-mails to the team stay queued
        for participant in ("p1", "p2"):
            actions.submit_response(
                assessment=getattr(world, f"enrolment_{participant}").assessments.get(
                    instrument_id="phq9", timepoint="baseline"
                ),
                answers={**factories.PHQ9_ZEROS, "q9": 1},
                client_id=factories.client_id(),
                by=getattr(world, participant),
            )
    SafetyAlert.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    results, errors = run_together(send_due_reminders)
    assert errors == []
    assert sum(results) == 2  # two escalations queued between the concurrent checks
    assert len(_escalations()) == 2
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 2
    assert {(a.escalation_outcome, a.escalation_attempts) for a in SafetyAlert.objects.all()} == {
        ("sent", 1)
    }
