"""Behaviour that only a real server shows: concurrent requests on separate connections."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections
from tests.web import factories

from balm.outcomes import actions
from balm.outcomes.models import Response
from balm.outcomes.reminders import send_due_reminders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(target, count: int = 4) -> list[BaseException]:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            target()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


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


def test_concurrent_reminder_runs_claim_each_email_once(world) -> None:  # type: ignore[no-untyped-def]
    results: list[int] = []
    errors = _in_threads(lambda: results.append(send_due_reminders()))
    assert errors == []
    assert sum(results) == 2  # P1 and P2, one due e-mail each, whoever claimed them
