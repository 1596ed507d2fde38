"""The pages' queries are served by indexes on a site with years of history (PostgreSQL).

One site with 500 groups of 12 started a week apart (about ten years): 6,000 enrolments,
96,000 questionnaires (4 instruments at weeks 0, 6, 12 and 24), 70,000 responses, 72,000
check-ins, 94,000 e-mail records, 1,400 safety alerts (the recent ones open), the tables
ANALYZEd. Each page's and the reminder check's
queries are captured and ``EXPLAIN``ed as the planner would run them (no planner setting
changed): a sequential scan of a big table fails the test. Rows are written by set-based SQL
here: the plans depend on the rows' shape and number, not on how they were written
(``bench/scale.py`` builds sites through the actions).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.outcomes.export_copy import scores_copy
from balm.outcomes.models import Assessment, CheckIn, ReminderLog, Response
from balm.outcomes.reminders import candidates
from balm.programmes.models import Cohort, Enrolment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.slow]

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
# Groups (500 rows, a few pages) and enrolments (6,000) may be read whole: the planner prefers a
# hash over them for a count of a site's groups and to narrow the open questionnaires to the
# caller's sites (balm.outcomes.models.open_ids: probing by key for each open questionnaire of
# the network would cost more), and turns to the indexes as those tables grow. The due list's
# own query joins the courses by their ids. Pages stay bounded either way (20 groups, 100
# questionnaires a page).


# The history is written by set-based SQL, one INSERT ... SELECT per table (the ORM took
# minutes over the same rows): each row is what ``bulk_create`` of the models would write, blank
# text fields included. The built groups are those named "Group NNN" and the people "SNNNNN" at
# the site; the fixture's own groups and participants are named otherwise.
HISTORY_SQL = (
    # 500 groups started a week apart; the 12 most recent are running.
    """
    INSERT INTO programmes_cohort (template_id, site_id, name, start_date, format, status,
                                   created_at)
    SELECT %(template)s, %(site)s, 'Group ' || lpad(n::text, 3, '0'), %(today)s::date - 7 * n,
           'in_person', CASE WHEN n < 12 THEN 'running' ELSE 'finished' END, %(now)s
    FROM generate_series(0, %(cohorts)s - 1) AS n ORDER BY n
    """,
    """
    INSERT INTO accounts_participant (site_id, pseudonym, name, email, phone, gp, created_at)
    SELECT %(site)s, 'S' || lpad(n::text, 5, '0'), '', 's' || n || '@example.org', '', '',
           %(now)s
    FROM generate_series(0, %(cohorts)s * %(per_cohort)s - 1) AS n ORDER BY n
    """,
    # Person n joins group n // 12.
    """
    INSERT INTO programmes_enrolment (participant_id, cohort_id, diagnosis_category, format,
                                      status, created_at)
    SELECT p.id, c.id, 'fibromyalgia', 'in_person',
           CASE WHEN c.status = 'running' THEN 'started' ELSE 'completed' END, %(now)s
    FROM accounts_participant p
    JOIN programmes_cohort c ON c.site_id = p.site_id
     AND c.name = 'Group ' || lpad((substr(p.pseudonym, 2)::int / %(per_cohort)s)::text, 3, '0')
    WHERE p.site_id = %(site)s AND p.pseudonym ~ '^S[0-9]{5}$'
    ORDER BY p.id
    """,
    # Every instrument at every timepoint, opening a week before it is due, closing two after.
    """
    INSERT INTO outcomes_assessment (enrolment_id, instrument_id, timepoint, week, opens_on,
                                     due_on, closes_on, outcome, outcome_note)
    SELECT e.id, i.instrument, t.timepoint, t.week, c.start_date + 7 * t.week - 7,
           c.start_date + 7 * t.week, c.start_date + 7 * t.week + 14, '', ''
    FROM programmes_enrolment e
    JOIN programmes_cohort c ON c.id = e.cohort_id
    CROSS JOIN unnest(%(timepoints)s::text[], %(weeks)s::int[])
         WITH ORDINALITY AS t (timepoint, week, place)
    CROSS JOIN unnest(%(instruments)s::text[]) WITH ORDINALITY AS i (instrument, place)
    WHERE c.site_id = %(site)s AND c.name ~ '^Group [0-9]{3}$'
    ORDER BY e.id, t.place, i.place
    """,
    # Three in four of the questionnaires due before today answered (every fourth left
    # unanswered, in the order written), at most 72,000 in all.
    """
    INSERT INTO outcomes_response (assessment_id, instrument_id, instrument_version, variant,
                                   answers, scores, scorer_version, entry_mode, client_id,
                                   created_at, updated_at)
    SELECT id, instrument_id, '1', '', '{"q1": 1}', '{"total": 1}', '1', 'participant_online',
           gen_random_uuid()::text, %(now)s, %(now)s
    FROM (SELECT a.id, a.instrument_id, row_number() OVER (ORDER BY a.id) - 1 AS n
          FROM outcomes_assessment a
          JOIN programmes_enrolment e ON e.id = a.enrolment_id
          JOIN programmes_cohort c ON c.id = e.cohort_id
          WHERE c.site_id = %(site)s AND c.name ~ '^Group [0-9]{3}$' AND a.due_on < %(today)s)
         AS past
    WHERE n %% 4 <> 3
    ORDER BY id
    LIMIT %(cohorts)s * %(per_cohort)s * 12
    """,
    # A safety alert on every 50th answer, ten a day back from today; the 30 newest open.
    """
    INSERT INTO outcomes_safetyalert (response_id, item, value, created_at, acknowledged_at,
                                      acknowledgement_note, email_sent_at, email_outcome,
                                      email_attempts, email_last_error, escalation_outcome,
                                      escalation_attempts, escalation_last_error)
    SELECT id, 'q9', 1, %(now)s - (n / 50 / 10) * interval '1 day',
           CASE WHEN n / 50 < 30 THEN NULL ELSE %(now)s END, '', %(now)s, '', 0, '', '', 0, ''
    FROM (SELECT r.id, row_number() OVER (ORDER BY r.id) - 1 AS n
          FROM outcomes_response r
          JOIN outcomes_assessment a ON a.id = r.assessment_id
          JOIN programmes_enrolment e ON e.id = a.enrolment_id
          JOIN programmes_cohort c ON c.id = e.cohort_id
          WHERE c.site_id = %(site)s AND c.name ~ '^Group [0-9]{3}$') AS answered
    WHERE n %% 50 = 0
    ORDER BY id
    """,
    # A weekly check-in for every week of the course begun by today.
    """
    INSERT INTO outcomes_checkin (enrolment_id, week, instrument_id, instrument_version,
                                  answers, scores, scorer_version, practice_type, note,
                                  entry_mode, client_id, created_at)
    SELECT e.id, w, 'checkin', '1', '{"q1": 5}', '{"mood": 5, "practice_minutes": 20}', '1',
           'none', '', 'participant_online', gen_random_uuid()::text, %(now)s
    FROM programmes_enrolment e
    JOIN programmes_cohort c ON c.id = e.cohort_id
    CROSS JOIN generate_series(1, 12) AS w
    WHERE c.site_id = %(site)s AND c.name ~ '^Group [0-9]{3}$'
      AND c.start_date + 7 * w <= %(today)s
    ORDER BY e.id, w
    """,
    # The "due" e-mail of every questionnaire due before today, sent at 09:00 UTC on opening.
    """
    INSERT INTO outcomes_reminderlog (assessment_id, kind, queued_at, sent_at, outcome,
                                      attempts, last_attempt_at, last_error)
    SELECT a.id, 'due', (a.opens_on + time '09:00') AT TIME ZONE 'UTC',
           (a.opens_on + time '09:00') AT TIME ZONE 'UTC', 'sent', 1, %(now)s, ''
    FROM outcomes_assessment a
    JOIN programmes_enrolment e ON e.id = a.enrolment_id
    JOIN programmes_cohort c ON c.id = e.cohort_id
    WHERE c.site_id = %(site)s AND c.name ~ '^Group [0-9]{3}$' AND a.due_on < %(today)s
    ORDER BY a.id
    """,
)


def _params(site: Any) -> dict[str, Any]:
    return {
        "site": site.pk,
        "template": factories.template().pk,
        "today": timezone.localdate(),
        "now": timezone.now(),
        "cohorts": COHORTS,
        "per_cohort": PER_COHORT,
        "timepoints": list(WEEKS),
        "weeks": list(WEEKS.values()),
        "instruments": list(INSTRUMENTS),
    }


def _build(site: Any) -> Cohort:
    """The site's history; returns a running group."""
    with connection.cursor() as cursor:
        for sql in HISTORY_SQL:
            cursor.execute(sql, _params(site))
        cursor.execute("ANALYZE")
    return Cohort.objects.get(site=site, name="Group 003")


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


def _scans(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = [(plan["Node Type"], plan.get("Relation Name", ""), plan.get("Index Name", ""))]
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


@pytest.mark.django_db(transaction=True)  # VACUUM, as autovacuum would, outside a transaction
def test_the_exports_sum_the_practice_minutes_from_their_index(world: Any) -> None:
    """The scores export sums each course's home-practice minutes (72,000 check-ins) from the
    index on (enrolment, practice_minutes) alone, never reading the check-ins' rows."""
    history = [
        sql
        for sql in HISTORY_SQL
        if sql.split("(")[0].split()[-1]
        in {"programmes_cohort", "accounts_participant", "programmes_enrolment", "outcomes_checkin"}
    ]
    assert len(history) == 4
    with connection.cursor() as cursor:
        for sql in history:
            cursor.execute(sql, _params(world.site_a))
        cursor.execute("VACUUM ANALYZE")
        assert CheckIn.objects.count() >= 70_000
        enrolments = Enrolment.objects.filter(cohort__site=world.site_a)
        statement, params = scores_copy(enrolments, [], set())
        select = statement.removeprefix("COPY (").removesuffix(") TO STDOUT WITH (FORMAT csv)")
        cursor.execute("EXPLAIN (FORMAT JSON) " + cursor.mogrify(select, params))
        plan = cursor.fetchone()[0]
    scans = _scans((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    on_checkins = [scan for scan in scans if scan[1] == "outcomes_checkin"]
    assert on_checkins == [("Index Only Scan", "outcomes_checkin", "checkin_minutes_by_course")]
