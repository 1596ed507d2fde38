"""The cohort dashboard tells clinical staff which questionnaire e-mails did not reach a
participant (given up on, or failing and to be tried again), in plain words and one query;
researchers, other sites and participants never see it, and nothing shows when all is well."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.core.mail.backends import locmem
from django.core.mail.message import EmailMessage
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from tests.web import factories
from tests.web.doubles import QUEUE_DOWN, SMTP_DOWN

from balm.accounts.models import User
from balm.outcomes.actions import submit_response
from balm.outcomes.models import ReminderLog
from balm.outcomes.undelivered import SHOWN_DAYS_AFTER_CLOSING, plain_reason, undelivered_emails
from balm.programmes.actions import change_enrolment_status
from balm.wording.lookup import online_instrument_ids

pytestmark = pytest.mark.django_db

SECTION = b"E-mails not delivered"
RAW_SMTP = "5.1.1 <p1@example.org>: Recipient address rejected: User unknown"


class AddressRefused(locmem.EmailBackend):
    """The mail server refuses the recipient, quoting the address (as real servers do)."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({"p1@example.org": (550, RAW_SMTP.encode())})


ADDRESS_REFUSED = f"{__name__}.AddressRefused"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dashboard(world: Any, user: Any) -> Any:
    return client_for(user).get(reverse("cohort", args=[world.cohort_a.pk]))


@pytest.fixture
def p1_only(world: Any) -> None:
    # Only P1 has an address, so every undelivered e-mail is P1's.
    world.p2.email = ""
    world.p2.save()


def _given_up_for_p1(check: Callable[[], int], settings: Any) -> list[ReminderLog]:
    """P1's e-mail refused by the server on its one allowed attempt: given up."""
    settings.BALM_REMINDER_MAX_ATTEMPTS = 1
    with override_settings(EMAIL_BACKEND=ADDRESS_REFUSED):
        assert check() == 1
    rows = list(ReminderLog.objects.order_by("pk"))
    assert rows and all(row.outcome.startswith(ReminderLog.GAVE_UP) for row in rows)
    assert all("Recipient address rejected" in row.last_error for row in rows)
    return rows


# --- plain reasons -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_error", "reason"),
    [
        ("", "never picked up for sending"),
        ("could not queue the e-mail: OperationalError: server closed", "put in the queue"),
        (
            "sending failed: SMTPRecipientsRefused: {'a@b.org': (550, b'no such user a@b.org')}",
            "would not accept the participant's e-mail address",
        ),
        ("sending failed: SMTPAuthenticationError: (535, b'bad login')", "sending account"),
        ("sending failed: ConnectionRefusedError: [Errno 111] Connection refused", "reached"),
        ("sending failed: gaierror: [Errno -2] Name or service not known", "reached"),
        ("sending failed: SMTPDataError: (554, b'rejected as spam')", "turned the message down"),
        ("sending failed: ValueError: something odd", "It could not be sent."),
    ],
)
def test_reasons_are_plain_and_never_quote_the_error(last_error: str, reason: str) -> None:
    said = plain_reason(last_error)
    assert reason in said
    assert "@" not in said and "Errno" not in said and "550" not in said


# --- who sees it ---------------------------------------------------------------------------


def test_clinical_staff_see_a_given_up_email_in_plain_words(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    rows = _given_up_for_p1(check, settings)
    for user in (world.facilitator_a, world.admin_a):
        page = dashboard(world, user)
        assert page.status_code == 200
        [email] = page.context["undelivered"]  # one e-mail listed all P1's questionnaires
        assert (email.pseudonym, email.kind_label) == ("P1", "Questionnaire due")
        assert email.gave_up and email.attempts == 1
        assert sorted(email.questionnaires) == sorted(
            f"{row.assessment.instrument_id} baseline" for row in rows
        )
        html = page.content.decode()
        assert "E-mails not delivered" in html
        assert "would not accept the participant&#x27;s e-mail address" in html
        assert "No more tries" in html
        # the server's words, and the address they quote, stay off the page
        assert "Recipient address rejected" not in html and "p1@example.org" not in html


def test_a_researcher_sees_the_dashboard_without_delivery_problems(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    _given_up_for_p1(check, settings)
    page = dashboard(world, world.researcher_a)
    assert page.status_code == 200
    assert page.context["undelivered"] == []
    assert SECTION not in page.content
    assert b"Recipient address rejected" not in page.content
    assert b"p1@example.org" not in page.content


def test_other_sites_and_participants_get_404(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    _given_up_for_p1(check, settings)
    assert dashboard(world, world.facilitator_b).status_code == 404
    assert dashboard(world, world.p1_user).status_code == 404
    # and facilitator B's own cohort shows nothing of site A's e-mails
    own = client_for(world.facilitator_b).get(reverse("cohort", args=[world.cohort_b.pk]))
    assert own.status_code == 200 and own.context["undelivered"] == []


# --- what counts as not delivered ----------------------------------------------------------


def test_a_failing_email_still_to_be_retried_is_shown_as_such(
    world: Any, p1_only: None, check: Callable[[], int]
) -> None:
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        assert check() == 1
    assert ReminderLog.objects.filter(sent_at__isnull=True).exclude(last_error="").exists()
    page = dashboard(world, world.facilitator_a)
    shown = page.context["undelivered"]
    assert shown and all(not e.gave_up and e.attempts == 1 for e in shown)
    assert all(e.reason == "The mail server could not be reached." for e in shown)
    assert b"Will try again" in page.content and b"Connection refused" not in page.content


def test_an_email_that_could_not_be_queued_is_shown(
    world: Any, p1_only: None, check: Callable[[], int]
) -> None:
    with override_settings(TASKS=QUEUE_DOWN):
        assert check() == 1
    shown = dashboard(world, world.facilitator_a).context["undelivered"]
    assert shown and all("put in the queue" in e.reason for e in shown)


def test_nothing_shows_when_every_email_went_out(
    world: Any, check: Callable[[], int], mailoutbox: list[Any]
) -> None:
    assert check() == 2  # P1 and P2
    assert len(mailoutbox) == 2
    assert not ReminderLog.objects.filter(sent_at__isnull=True).exists()
    page = dashboard(world, world.facilitator_a)
    assert page.context["undelivered"] == []
    assert SECTION not in page.content


def test_an_email_sent_on_a_later_attempt_is_not_shown(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        check()
    ReminderLog.objects.update(last_attempt_at=timezone.now() - timedelta(hours=1))
    assert check() == 1  # sent this time; the old error is kept on the row
    assert all(row.outcome == "sent" and row.last_error for row in ReminderLog.objects.all())
    assert undelivered_emails(world.cohort_a) == []


def test_answered_questionnaires_and_withdrawn_participants_drop_out(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    rows = _given_up_for_p1(check, settings)
    assert len(rows) >= 2
    phq9 = next(row.assessment for row in rows if row.assessment.instrument_id == "phq9")
    submit_response(
        assessment=phq9,
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=world.p1,
    )
    [left] = undelivered_emails(world.cohort_a)
    assert len(left.questionnaires) == len(rows) - 1
    assert "phq9 baseline" not in left.questionnaires
    change_enrolment_status(
        enrolment=world.enrolment_p1, status="withdrawn", reason="moved", by=None
    )
    assert undelivered_emails(world.cohort_a) == []
    assert SECTION not in dashboard(world, world.facilitator_a).content


# --- queries -------------------------------------------------------------------------------


def test_the_section_costs_one_query_however_many_rows(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    """1 undelivered e-mail, then 3 (for three participants): the page makes no more queries."""
    p3 = factories.participant(world.site_a, "P3")
    enrolments = [world.enrolment_p1, world.enrolment_p2, factories.enrol(p3, world.cohort_a)]

    def give_up(enrolment: Any) -> None:
        ReminderLog.objects.create(
            assessment=enrolment.assessments.get(instrument_id="phq9", timepoint="baseline"),
            kind="due",
            sent_at=timezone.now(),
            outcome=f"{ReminderLog.GAVE_UP} after 5 attempts",
            attempts=5,
            last_error="sending failed: ConnectionRefusedError: [Errno 111] Connection refused",
        )

    client = client_for(world.facilitator_a)
    url = reverse("cohort", args=[world.cohort_a.pk])
    client.get(url)  # warm up (session, content types)
    give_up(enrolments[0])
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert [e.pseudonym for e in page.context["undelivered"]] == ["P1"]
    give_up(enrolments[1])
    give_up(enrolments[2])
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url)
    assert [e.pseudonym for e in page.context["undelivered"]] == ["P1", "P2", "P3"]
    with CaptureQueriesContext(connection) as direct:
        undelivered_emails(world.cohort_a)
    assert len(direct.captured_queries) == 1


def test_one_line_per_email_not_per_questionnaire(world: Any) -> None:
    """A participant's questionnaires of one kind go out in one e-mail: one line lists them;
    the reminder, or a row in another state, is a line of its own."""
    baseline = list(world.enrolment_p1.assessments.filter(timepoint="baseline")[:2])
    failing = "sending failed: ConnectionRefusedError: [Errno 111] Connection refused"
    queued = timezone.now() - timedelta(days=3)
    for assessment in baseline:
        ReminderLog.objects.create(
            assessment=assessment,
            kind="due",
            attempts=2,
            last_attempt_at=queued,
            last_error=failing,
        )
    ReminderLog.objects.create(
        assessment=baseline[0],
        kind="reminder",
        sent_at=timezone.now(),
        outcome=f"{ReminderLog.GAVE_UP} after 5 attempts",
        attempts=5,
    )
    due, reminder = undelivered_emails(world.cohort_a)
    assert (due.kind, due.attempts, due.gave_up) == ("due", 2, False)
    assert len(due.questionnaires) == 2
    assert (reminder.kind, reminder.attempts, reminder.gave_up) == ("reminder", 5, True)
    assert "never picked up" in reminder.reason


FAILING = "sending failed: ConnectionRefusedError: [Errno 111] Connection refused"


def _row(assessment: Any, when: Any, *, attempts: int = 5, gave_up: bool = True) -> None:
    ReminderLog.objects.create(
        assessment=assessment,
        kind="due",
        queued_at=when,
        last_attempt_at=when,
        attempts=attempts,
        sent_at=when if gave_up else None,
        outcome=f"{ReminderLog.GAVE_UP} after {attempts} attempts" if gave_up else "",
        last_error=FAILING,
    )


def test_separate_emails_alike_in_every_way_but_when_are_separate_lines(world: Any) -> None:
    """The baseline e-mail given up on weeks ago and the mid-point one given up today had the
    same number of attempts, outcome and error: still two e-mails, two lines."""
    today = timezone.localdate()
    now = timezone.now()
    assessments = world.enrolment_p1.assessments.filter(instrument_id__in=["phq9", "gad7"])
    baseline = assessments.filter(timepoint="baseline")
    mid = assessments.filter(timepoint="mid")
    baseline.update(closes_on=today - timedelta(days=5))
    mid.update(closes_on=today + timedelta(days=14))
    for assessment in baseline:
        _row(assessment, now - timedelta(days=40))
    for assessment in mid:
        _row(assessment, now)
    older, newer = undelivered_emails(world.cohort_a)
    assert older.questionnaires == ("gad7 baseline", "phq9 baseline")
    assert newer.questionnaires == ("gad7 mid-point", "phq9 mid-point")
    assert older.last_attempt_at == now - timedelta(days=40)
    assert newer.last_attempt_at == now
    assert {(e.attempts, e.gave_up, e.reason) for e in (older, newer)} == {
        (5, True, "The mail server could not be reached.")
    }


def test_one_email_whose_questionnaires_had_different_attempts_is_one_line(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    """A retry goes out in one e-mail with a questionnaire that opened since: the rows share
    the attempt's time, not their number of attempts, and are one line."""
    baseline = world.enrolment_p1.assessments.filter(timepoint="baseline")
    late = baseline.get(instrument_id="phq9")
    opens_on = late.opens_on
    baseline.filter(pk=late.pk).update(opens_on=timezone.localdate() + timedelta(days=1))
    with override_settings(TASKS=QUEUE_DOWN):
        assert check() == 1  # every baseline questionnaire but the PHQ-9; not queued
    baseline.filter(pk=late.pk).update(opens_on=opens_on)  # the PHQ-9 opens
    ReminderLog.objects.update(last_attempt_at=timezone.now() - timedelta(hours=1))
    with override_settings(EMAIL_BACKEND=SMTP_DOWN):
        assert check() == 1  # the retry and the PHQ-9 in one e-mail, which fails
    rows = list(ReminderLog.objects.all())
    assert {row.attempts for row in rows} == {1, 2}
    assert len({row.last_attempt_at for row in rows}) == 1  # one e-mail, one time
    [email] = undelivered_emails(world.cohort_a)
    # Questionnaires collected only on paper at the site are not e-mailed.
    online = baseline.filter(instrument_id__in=online_instrument_ids(world.site_a))
    assert len(email.questionnaires) == online.count() < baseline.count()
    assert "phq9 baseline" in email.questionnaires
    assert (email.attempts, email.gave_up) == (2, False)
    assert email.reason == "The mail server could not be reached."


def test_an_email_whose_questionnaires_closed_four_weeks_ago_drops_out(world: Any) -> None:
    today = timezone.localdate()
    now = timezone.now()
    phq9 = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    gad7 = world.enrolment_p2.assessments.get(instrument_id="gad7", timepoint="baseline")
    _row(phq9, now - timedelta(days=60))
    _row(gad7, now - timedelta(days=60))
    phq9.closes_on = today - timedelta(days=SHOWN_DAYS_AFTER_CLOSING)
    phq9.save()
    gad7.closes_on = today - timedelta(days=SHOWN_DAYS_AFTER_CLOSING + 1)
    gad7.save()
    assert [e.pseudonym for e in undelivered_emails(world.cohort_a)] == ["P1"]
    tomorrow = today + timedelta(days=1)
    assert undelivered_emails(world.cohort_a, today=tomorrow) == []
    assert ReminderLog.objects.count() == 2  # only left off the page


def test_a_timeout_is_said_to_have_maybe_arrived() -> None:
    for error in ("TimeoutError: timed out", "SMTPServerDisconnected: Connection closed"):
        said = plain_reason(f"sending failed: {error}")
        assert "may have arrived" in said


# --- the raw error, for superusers ---------------------------------------------------------


def test_superusers_read_the_raw_error_in_the_admin_and_nobody_edits_it(
    world: Any, p1_only: None, check: Callable[[], int], settings: Any
) -> None:
    rows = _given_up_for_p1(check, settings)
    root = User.objects.create_superuser("root", "root@example.org", "correct horse")
    admin = client_for(root)
    listing = admin.get("/admin/outcomes/reminderlog/")
    assert listing.status_code == 200
    page = admin.get(f"/admin/outcomes/reminderlog/{rows[0].pk}/change/")
    assert page.status_code == 200
    assert b"Recipient address rejected" in page.content
    assert admin.get("/admin/outcomes/reminderlog/add/").status_code == 403
    assert (
        admin.post(
            f"/admin/outcomes/reminderlog/{rows[0].pk}/change/", {"outcome": "sent"}
        ).status_code
        == 403
    )
    assert admin.get(f"/admin/outcomes/reminderlog/{rows[0].pk}/delete/").status_code == 403
    for user in (world.admin_a, world.facilitator_a):
        assert client_for(user).get("/admin/outcomes/reminderlog/").status_code in (302, 403)
