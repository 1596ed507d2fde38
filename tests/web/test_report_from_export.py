"""``balm report`` reads the web app's scores and check-in exports as they are (defaults only)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories
from typer.testing import CliRunner

from balm.cli import app
from balm.outcomes.actions import submit_checkin, submit_response

pytestmark = pytest.mark.django_db


def _answer(enrolment, timepoint: str, value: int) -> None:  # type: ignore[no-untyped-def]
    assessment = enrolment.assessments.get(instrument_id="phq9", timepoint=timepoint)
    submit_response(
        assessment=assessment,
        answers={f"q{i}": value for i in range(1, 10)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


def test_report_reads_the_exports_as_they_are(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Three people answer every PHQ-9 item with the same value: totals are 9 x value.

    P1: 3 -> 1 (27 -> 9), P2: 2 -> 2 (18 -> 18), X0: 2 -> 1 (18 -> 9); baseline and end.
    Mean change (-18 + 0 - 9) / 3 = -9; n 3.
    """
    extra = factories.enrol(factories.participant(world.site_a, "X0"), world.cohort_a)
    for enrolment, (before, after) in (
        (world.enrolment_p1, (3, 1)),
        (world.enrolment_p2, (2, 2)),
        (extra, (2, 1)),
    ):
        _answer(enrolment, "baseline", before)
        _answer(enrolment, "end", after)
    submit_checkin(
        enrolment=world.enrolment_p1,
        week=1,
        answers={"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20},
        client_id=factories.client_id(),
        by=world.p1,
    )
    client = Client()
    client.force_login(world.researcher_a)
    scores = tmp_path / "scores.csv"
    scores.write_bytes(client.get(reverse("export-cohort", args=[world.cohort_a.pk])).getvalue())
    checkins = tmp_path / "checkins.csv"
    url = reverse("export-checkins") + f"?cohort={world.cohort_a.pk}"
    checkins.write_bytes(client.get(url).getvalue())
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["report", str(scores), "--checkins", str(checkins), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    phq9 = report["outcomes"]["phq9_total"]
    assert phq9["n"] == 3 and phq9["change"]["mean"] == -9.0
    assert phq9["pre"]["mean"] == 21.0  # (27 + 18 + 18) / 3
    assert report["checkins"]["by_week"][0]["practice_median"] == 20.0
    assert report["flow"]["in_scores"] == 3 and report["flow"]["referred"] is None
