"""How many database queries one questionnaire submission costs (POST /api/responses).

The submission path is the hot path of the API (bench/web.py): a participant's browser,
through the session of their personal link, sends one complete PHQ-9. The counts below are
ceilings; a change that adds a query to the path has to raise them on purpose.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.web import factories

from balm.accounts.actions import issue_participant_link
from balm.accounts.models import ParticipantLink
from balm.outcomes import actions
from balm.outcomes.models import Assessment, CheckIn, Response, SafetyAlert

pytestmark = pytest.mark.django_db

# Session, personal link, the assessment (with its enrolment, cohort and site); then in the
# transaction (two savepoint statements in tests, BEGIN/COMMIT in production): lock the
# assessment (as a draft save does), insert the response (its unique constraints tell a repeat
# or a second answer), clear the draft, audit it. Nothing is looked up before the insert, and
# the reply knows whether the action raised an alert. (Before: 17 at first, then 12, with the
# client id looked up before the insert, the assessment searched for an earlier response, and
# the alerts queried for the reply.) The audit event's hash chain adds two: take the site's
# chain lock, read the hash of the event before (balm.audit.chain). The scores export's kept
# row adds one: the response's columns merged into its course's row for its timepoint
# (balm.outcomes.score_rows), so a download reads one row per row it writes. On PostgreSQL
# the chain's read, the hash and the audit insert are one statement
# (balm.audit.models._insert_linked): 11 there, 12 on SQLite.
SUBMIT_QUERIES = 11 if connection.vendor == "postgresql" else 12
# A repeat pays instead: session, link, assessment, savepoint, the lock, the insert the
# constraint refuses, rollback to and release of the savepoint, the stored response by client
# id. Nothing is stored.
RETRY_QUERIES = 9


def _link_client(participant) -> Client:  # type: ignore[no-untyped-def]
    _, token = issue_participant_link(participant=participant, by=None)
    client = Client(enforce_csrf_checks=True)
    assert client.get(f"/p/{token}/").status_code == 302
    client.get("/login/")  # sets the CSRF cookie
    return client


def _body(world, answers=None) -> dict:  # type: ignore[no-untyped-def]
    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    return {
        "assessment_id": assessment.pk,
        "answers": factories.PHQ9_ZEROS if answers is None else answers,
        "client_id": str(uuid.uuid4()),
    }


def _post(client: Client, body: dict, **extra):  # type: ignore[no-untyped-def]
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        "/api/responses",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        **extra,
    )


def test_a_submission_through_a_personal_link(world, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _link_client(world.p1)
    body = _body(world)
    with django_assert_max_num_queries(SUBMIT_QUERIES):
        answer = _post(client, body)
    assert answer.status_code == 201, answer.content
    stored = Response.objects.get(client_id=body["client_id"])
    shown = answer.json()
    assert shown["id"] == stored.pk and shown["scores"] == stored.scores
    assert shown["safety_alert"] is False and shown["crisis_contacts"] is None


def test_a_safety_answer_costs_one_more_query_and_still_alerts(  # type: ignore[no-untyped-def]
    world, django_assert_max_num_queries, django_capture_on_commit_callbacks
) -> None:
    client = _link_client(world.p1)
    body = _body(world, {**factories.PHQ9_ZEROS, "q9": 2})
    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_max_num_queries(SUBMIT_QUERIES + 1),  # the alert
    ):
        answer = _post(client, body)
    assert answer.status_code == 201, answer.content
    shown = answer.json()
    assert shown["safety_alert"] is True
    assert shown["crisis_contacts"] == world.site_a.crisis_contacts
    alert = SafetyAlert.objects.get(response__client_id=body["client_id"])
    assert (alert.item, alert.value) == ("q9", 2.0)
    assert len(callbacks) == 1  # the alert e-mail, enqueued after commit


def test_a_retry_stores_nothing(world, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _link_client(world.p1)
    body = _body(world, {**factories.PHQ9_ZEROS, "q9": 1})
    first = _post(client, body)
    assert first.status_code == 201
    with django_assert_max_num_queries(RETRY_QUERIES + 1):  # + whether it raised an alert
        again = _post(client, body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Response.objects.count() == 1 and SafetyAlert.objects.count() == 1


def test_the_action_knows_the_alerts_it_raised(world) -> None:  # type: ignore[no-untyped-def]
    """The response handed back lists exactly the alerts stored, without a query."""
    assessment = Assessment.objects.select_related("enrolment__cohort__site").get(
        enrolment=world.enrolment_p1, instrument_id="phq9", timepoint="baseline"
    )
    response = actions.submit_response(
        assessment=assessment,
        answers={**factories.PHQ9_ZEROS, "q9": 3},
        client_id=str(uuid.uuid4()),
        by=world.p1,
    )
    assert list(response.alerts.all()) == list(SafetyAlert.objects.filter(response=response))
    assert response.alerts.exists()


def test_the_personal_link_costs_one_read_and_no_writes(world) -> None:  # type: ignore[no-untyped-def]
    """Per request, the link (with its participant) is read once; neither the session nor the
    link's last_used_at is written. An expired link still stops working at once."""
    client = _link_client(world.p1)
    with CaptureQueriesContext(connection) as captured:
        answer = _post(client, _body(world))
    assert answer.status_code == 201, answer.content
    sqls = [query["sql"] for query in captured.captured_queries]
    assert sum('FROM "accounts_participantlink"' in sql for sql in sqls) == 1
    assert sum('FROM "django_session"' in sql for sql in sqls) == 1
    writes = [sql for sql in sqls if sql.startswith(("UPDATE", "INSERT", "DELETE"))]
    assert not [sql for sql in writes if "django_session" in sql or "participantlink" in sql]

    ParticipantLink.objects.filter(participant=world.p1).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert _post(client, _body(world)).status_code == 401


def test_a_retry_after_the_questionnaire_closed_gets_the_stored_response(world) -> None:  # type: ignore[no-untyped-def]
    """The first send got through but its reply was lost; by the retry the form has closed.
    The retry is still answered with the stored response (200), not with "closed" (422)."""
    client = _link_client(world.p1)
    body = _body(world)
    first = _post(client, body)
    assert first.status_code == 201
    Assessment.objects.filter(pk=body["assessment_id"]).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    again = _post(client, body)
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    other = _post(client, {**body, "client_id": str(uuid.uuid4())})
    assert other.status_code == 422  # a new submission is refused with today's problems
    assert Response.objects.count() == 1


# A check-in: session, link, the enrolment (with its cohort, site and template); then in the
# transaction: insert it (the unique constraints tell a repeat or a second one for the week),
# audit it. (Before: the client id and the week were looked up first, 2 more.)
# With the audit chain's lock and previous hash (one statement with the insert on PostgreSQL).
CHECKIN_QUERIES = 8 if connection.vendor == "postgresql" else 9


def test_a_checkin_through_a_personal_link(world, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _link_client(world.p1)
    body = {
        "enrolment_id": world.enrolment_p1.pk,
        "week": 1,
        "answers": {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 30},
        "client_id": str(uuid.uuid4()),
    }
    token = client.cookies["csrftoken"].value
    with django_assert_max_num_queries(CHECKIN_QUERIES):
        answer = client.post(
            "/api/checkins",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
    assert answer.status_code == 201, answer.content
    assert CheckIn.objects.get(client_id=body["client_id"]).scores["mood"] == 6.0


def test_already_sent_is_reported_with_the_other_problems(world) -> None:  # type: ignore[no-untyped-def]
    """A second submission of a sent questionnaire, with bad answers too: one 422 lists the
    answers' problems and that it was already sent (every problem at once)."""
    client = _link_client(world.p1)
    assert _post(client, _body(world)).status_code == 201
    again = _post(client, _body(world, {"q1": 7}))
    assert again.status_code == 422
    messages = {(p["field"], p["message"]) for p in again.json()["problems"]}
    assert ("", "This questionnaire was already sent; staff can amend it.") in messages
    assert {"q1", "q2"} <= {field for field, _ in messages}
    assert Response.objects.count() == 1
