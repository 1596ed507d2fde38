"""Behaviour that only a real server shows: concurrent requests on separate connections."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections
from tests.web import factories
from tests.web.concurrency import run_together

from balm.accounts.errors import InvalidInput
from balm.outcomes import actions
from balm.outcomes.models import CheckIn, Draft, Response
from balm.outcomes.reminders import send_due_reminders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(target, count: int = 4) -> list[BaseException]:  # type: ignore[no-untyped-def]
    return run_together(target, count)[1]


def test_running_on_postgres() -> None:
    assert connection.vendor == "postgresql"
    if os.environ.get("BALM_TEST_POSTGRES"):
        assert connection.settings_dict["HOST"] == "127.0.0.1"


def test_concurrent_duplicate_submissions_store_one_response(world) -> None:  # type: ignore[no-untyped-def]
    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    cid = factories.client_id()

    def submit() -> None:
        actions.submit_response(
            assessment=assessment, answers=factories.PHQ9_ZEROS, client_id=cid, by=world.p1
        )

    assert _in_threads(submit) == []
    assert Response.objects.filter(assessment=assessment).count() == 1


def test_concurrent_answers_with_different_client_ids_store_one(world) -> None:  # type: ignore[no-untyped-def]
    """Two devices send the same questionnaire at once: the unique constraint lets one in and
    the others get the clear "already sent" error, never a 500."""
    assessment = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    refused: list[InvalidInput] = []

    def submit() -> None:
        try:
            actions.submit_response(
                assessment=assessment,
                answers=factories.PHQ9_ZEROS,
                client_id=factories.client_id(),
                by=world.p1,
            )
        except InvalidInput as error:
            refused.append(error)

    assert _in_threads(submit) == []
    assert Response.objects.filter(assessment=assessment).count() == 1
    assert len(refused) == 3
    assert all("already sent" in error.problems[0].message for error in refused)


def test_concurrent_checkins_for_one_week_store_one(world) -> None:  # type: ignore[no-untyped-def]
    """Two phones send week 1's check-in at once: one is stored, the others are told the week
    was already sent (never a 500)."""
    answers = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 30}

    def submit() -> str:
        try:
            actions.submit_checkin(
                enrolment=world.enrolment_p1,
                week=1,
                answers=answers,
                client_id=factories.client_id(),
                by=world.p1,
            )
        except InvalidInput as error:
            return error.problems[0].message
        return "stored"

    results, errors = run_together(submit)
    assert errors == []
    assert sorted(results) == ["The check-in for week 1 was already sent."] * 3 + ["stored"]
    assert CheckIn.objects.filter(enrolment=world.enrolment_p1).count() == 1


def test_a_draft_saved_while_submitting_is_not_left_behind(world) -> None:  # type: ignore[no-untyped-def]
    """Both lock the assessment row: either the draft is saved first and cleared by the
    submission, or the draft save sees the response and stops. No draft outlives a response.
    (Without the submission's lock this failed at once: Django's foreign keys are deferred
    on PostgreSQL, so the insert's own check does not wait for the draft save.)"""
    for _ in range(5):
        enrolment = factories.enrol(factories.participant(world.site_a), world.cohort_a)
        assessment = enrolment.assessments.get(instrument_id="phq9", timepoint="baseline")
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def save_draft(assessment=assessment, barrier=barrier, errors=errors) -> None:  # type: ignore[no-untyped-def]
            try:
                barrier.wait()
                actions.save_draft_answers(assessment=assessment, answers={"q1": 1}, by=None)
            except InvalidInput:
                pass  # already sent: the right answer when the submission came first
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        def submit(assessment=assessment, barrier=barrier, errors=errors) -> None:  # type: ignore[no-untyped-def]
            try:
                barrier.wait()
                actions.submit_response(
                    assessment=assessment,
                    answers=factories.PHQ9_ZEROS,
                    client_id=factories.client_id(),
                    by=None,
                )
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=save_draft), threading.Thread(target=submit)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert Response.objects.filter(assessment=assessment).count() == 1
        assert not Draft.objects.filter(assessment=assessment).exists()


def test_concurrent_reminder_runs_claim_each_email_once(world) -> None:  # type: ignore[no-untyped-def]
    results: list[int] = []
    errors = _in_threads(lambda: results.append(send_due_reminders()))
    assert errors == []
    assert sum(results) == 2  # P1 and P2, one due e-mail each, whoever claimed them


def test_concurrent_copies_with_one_short_name_store_one(world) -> None:  # type: ignore[no-untyped-def]
    """Two administrators copy a template to the same short name at once: the unique constraint
    lets one in and the others are told the name is taken (never an IntegrityError, a 500)."""
    from balm.programmes.actions import copy_template_to_site
    from balm.programmes.models import ProgrammeTemplate

    shipped = factories.template()

    def copy() -> str:
        try:
            copy_template_to_site(
                template=shipped, site=world.site_a, slug="site-a-race", by=world.admin_a
            )
        except InvalidInput as error:
            return "; ".join(f"{p.field}: {p.message}" for p in error.problems)
        return "copied"

    results, errors = run_together(copy)
    assert errors == []
    assert (
        sorted(results)
        == ["copied"] + ["slug: A template with the short name 'site-a-race' exists."] * 3
    )
    copied = ProgrammeTemplate.objects.get(slug="site-a-race")
    assert copied.plans.count() == shipped.plans.count()


def test_concurrent_submissions_and_an_amendment_keep_the_score_row_whole(world) -> None:  # type: ignore[no-untyped-def]
    """Several questionnaires of one course sent at once, while another of its answers is
    amended: the kept score rows hold every response's columns (``balm.outcomes.score_rows``:
    the submissions merge into the row, the amendment rebuilds the course's rows after taking
    its questionnaires' locks)."""
    from balm.outcomes import score_rows

    course = world.enrolment_p1
    baseline = {a.instrument_id: a for a in course.assessments.filter(timepoint="baseline")}
    phq9 = actions.submit_response(
        assessment=baseline["phq9"],
        answers=factories.PHQ9_ZEROS,
        client_id=factories.client_id(),
        by=None,
    )
    jobs = [("gad7", "baseline"), ("gad7", "end"), ("phq9", "end"), ("amend", "")]
    taken = iter(jobs)
    lock = threading.Lock()

    def work() -> None:
        with lock:
            instrument, timepoint = next(taken)
        if instrument == "amend":
            actions.amend_response(
                response=phq9, answers={**factories.PHQ9_ZEROS, "q1": 1}, reason="typo", by=None
            )
            return
        assessment = course.assessments.get(instrument_id=instrument, timepoint=timepoint)
        answers = (
            factories.PHQ9_ZEROS if instrument == "phq9" else {f"q{i}": 1 for i in range(1, 8)}
        )
        actions.submit_response(
            assessment=assessment,
            answers=answers,
            client_id=factories.client_id(),
            entry_mode="staff_paper",  # the system may file answers not open yet
            by=None,
        )

    assert _in_threads(work, count=len(jobs)) == []
    assert score_rows.differences([course.pk]) == []
    kept = {row.timepoint for row in course.timepoint_scores.all()}
    assert kept == {"baseline", "end"}
