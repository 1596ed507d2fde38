"""The pages' queries are served by indexes on a site with years of history (PostgreSQL).

One site with 500 groups of 12 started a week apart (about ten years): 6,000 enrolments,
96,000 questionnaires (4 instruments at weeks 0, 6, 12 and 24), 70,000 responses, 72,000
check-ins, 94,000 e-mail records, 1,400 safety alerts (the recent ones open), the tables
ANALYZEd. Each page's and the reminder check's
queries are captured and ``EXPLAIN``ed as the planner would run them (no planner setting
changed): a sequential scan of a big table fails the test. Rows are inserted in bulk here: the
plans depend on the rows' shape and number, not on how they were written (``bench/scale.py``
builds sites through the actions).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.accounts.models import Participant
from balm.outcomes.models import Assessment, CheckIn, ReminderLog, Response, SafetyAlert
from balm.outcomes.reminders import candidates
from balm.programmes.models import Cohort, Enrolment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

COHORTS, PER_COHORT = 500, 12
INSTRUMENTS = ("phq9", "gad7", "core10", "dass21")
WEEKS = {"baseline": 0, "mid": 6, "end": 12, "follow_up": 24}
#: The tables that grow with the years of history: every questionnaire, response, alert,
#: check-in and audit event ever written (tens to hundreds of thousands of rows here).
BIG_TABLES = {
    "outcomes_assessment",
    "outcomes_response",
    "outcomes_safetyalert",
    "outcomes_checkin",
    "outcomes_reminderlog",
    "audit_auditevent",
    "accounts_participant",
}
# Groups (500 rows, a few pages) and enrolments (6,000) may be read whole: the planner rightly
# prefers a hash join over 6,000 rows to 450 index probes for the open questionnaires' courses,
# and a count of a site's groups; it turns to the indexes as those tables grow. Pages stay
# bounded either way (20 groups, 100 questionnaires a page).


def _build(site: Any) -> Cohort:
    """The site's history; returns a running group."""
    today = timezone.localdate()
    template = factories.template()
    cohorts = Cohort.objects.bulk_create(
        Cohort(
            template=template,
            site=site,
            name=f"Group {n:03d}",
            start_date=today - timedelta(weeks=n),
            format="in_person",
            status="running" if n < 12 else "finished",
        )
        for n in range(COHORTS)
    )
    people = Participant.objects.bulk_create(
        Participant(site=site, pseudonym=f"S{n:05d}", email=f"s{n}@example.org")
        for n in range(COHORTS * PER_COHORT)
    )
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            participant=person,
            cohort=cohorts[n // PER_COHORT],
            diagnosis_category="fibromyalgia",
            format="in_person",
            status="started" if n // PER_COHORT < 12 else "completed",
        )
        for n, person in enumerate(people)
    )
    assessments = []
    for enrolment in enrolments:
        start = enrolment.cohort.start_date
        for timepoint, week in WEEKS.items():
            due = start + timedelta(weeks=week)
            for instrument in INSTRUMENTS:
                assessments.append(
                    Assessment(
                        enrolment=enrolment,
                        instrument_id=instrument,
                        timepoint=timepoint,
                        week=week,
                        opens_on=due - timedelta(days=7),
                        due_on=due,
                        closes_on=due + timedelta(days=14),
                    )
                )
    Assessment.objects.bulk_create(assessments, batch_size=5000)
    past = [a for a in assessments if a.due_on < today]
    answered = [a for n, a in enumerate(past) if n % 4 != 3][: COHORTS * PER_COHORT * 12]
    responses = Response.objects.bulk_create(
        (
            Response(
                assessment=a,
                instrument_id=a.instrument_id,
                instrument_version="1",
                answers={"q1": 1},
                scores={"total": 1},
                scorer_version="1",
                entry_mode="participant_online",
                client_id=str(uuid.uuid4()),
            )
            for a in answered
        ),
        batch_size=5000,
    )
    now = timezone.now()
    SafetyAlert.objects.bulk_create(
        (
            SafetyAlert(
                response=r,
                item="q9",
                value=1,
                created_at=now - timedelta(days=n // 10),
                acknowledged_at=None if n < 30 else now,
                email_sent_at=now,
            )
            for n, r in enumerate(responses[::50])
        ),
        batch_size=5000,
    )
    CheckIn.objects.bulk_create(
        (
            CheckIn(
                enrolment=enrolment,
                week=week,
                instrument_id="checkin",
                instrument_version="1",
                answers={"q1": 5},
                scores={"mood": 5, "practice_minutes": 20},
                scorer_version="1",
                practice_type="none",
                entry_mode="participant_online",
                client_id=str(uuid.uuid4()),
            )
            for enrolment in enrolments
            for week in range(1, 13)
            if enrolment.cohort.start_date + timedelta(weeks=week) <= today
        ),
        batch_size=5000,
    )
    ReminderLog.objects.bulk_create(
        (
            ReminderLog(assessment=a, kind="due", queued_at=at, sent_at=at, outcome="sent")
            for a in past
            for at in [datetime.combine(a.opens_on, time(9), tzinfo=UTC)]
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return cohorts[3]


def _seq_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += _seq_scans(child)
    return found


def _explained(captured: CaptureQueriesContext) -> list[tuple[str, list[str]]]:
    out = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            out.append((sql, _seq_scans(plan[0]["Plan"])))
    return out


def test_pages_use_indexes_not_sequential_scans(world: Any) -> None:
    running = _build(world.site_a)
    assert Assessment.objects.count() >= 96_000 and Response.objects.count() >= 70_000
    assert CheckIn.objects.count() >= 70_000 and ReminderLog.objects.count() >= 90_000
    client = Client()
    client.force_login(world.facilitator_a)
    pages = {
        "home": reverse("home"),
        "alerts": reverse("alerts"),
        "cohort": reverse("cohort", args=[running.pk]),
        "due (API)": "/api/assessments/due",
        "due for a group (API)": f"/api/assessments/due?cohort_id={running.pk}",
        "search": reverse("home") + "?q=s00012",
    }
    problems = []
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, name
        for sql, scans in _explained(captured):
            if scans:
                problems.append(f"{name}: {scans} in {sql[:300]}")
    with CaptureQueriesContext(connection) as captured:
        assert candidates(timezone.localdate())  # the reminder check: due and reminder e-mails
    for sql, scans in _explained(captured):
        if scans:
            problems.append(f"reminder check: {scans} in {sql[:300]}")
    assert not problems, "\n".join(problems)
