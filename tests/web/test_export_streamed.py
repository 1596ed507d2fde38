"""The streamed exports: the same table as the in-memory exports they replaced (compared on a
rich fixture: two groups with one name, pseudonyms that sort differently by case and by
locale, gaps, bands, items, notes), rows in order, and text a spreadsheet would run written as
text (OWASP, "CSV Injection")."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from tests.web import factories, legacy_export
from tests.web.record_data import fill_record

from balm.cells import neutralise
from balm.outcomes.actions import submit_checkin, submit_response
from balm.programmes.models import Enrolment

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("x")'


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answer(enrolment: Enrolment, instrument: str, timepoint: str, value: int, n: int) -> None:
    submit_response(
        assessment=enrolment.assessments.get(instrument_id=instrument, timepoint=timepoint),
        answers={f"q{i}": (value + i) % 4 if i % 3 else value for i in range(1, n + 1)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


def _checkin(enrolment: Enrolment, week: int, minutes: int, note: str) -> None:
    answers = {"q1": 6, "q2": week % 10, "q3": 4, "q4": 5, "q5": 7, "q6": minutes, "q8": note}
    submit_checkin(
        enrolment=enrolment, week=week, answers=answers, client_id=factories.client_id(), by=None
    )


@pytest.fixture
def rich(world: Any) -> Any:
    """Site A: P1's filled record, two groups both named "Cohort A", a group "+cmd" and one
    "cohort b" (lower case sorts after upper case by code point, before it in a locale), people
    "b2", "B1", "X10", "X9" and ``=HYPERLINK("x")``; answers with gaps; notes."""
    fill_record(world)
    twin = factories.cohort(world.site_a, name="Cohort A")
    plus = factories.cohort(world.site_a, name="+cmd")
    lower = factories.cohort(world.site_a, name="cohort b")
    people = [
        factories.participant(world.site_a, pseudonym)
        for pseudonym in ("b2", "B1", "X10", "X9", FORMULA)
    ]
    enrolments = [factories.enrol(world.p1, twin), factories.enrol(world.p2, twin)]
    for n, person in enumerate(people):
        enrolments.append(factories.enrol(person, (world.cohort_a, plus, lower)[n % 3]))
        enrolments.append(factories.enrol(person, twin))
    for k, enrolment in enumerate(enrolments):
        for t, timepoint in enumerate(("baseline", "mid", "end", "follow_up")):
            if (k + t) % 4 != 3:  # gaps
                _answer(enrolment, "phq9", timepoint, (k + t) % 4, 9)
        if k % 2:
            _answer(enrolment, "dass21", "baseline", k % 3, 21)
        for week in range(1, 1 + k % 4):
            _checkin(enrolment, week, 10 * week + k, "@x" if k % 2 else f"week {week}")
    return world


def _read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))


def _legacy(frame: pd.DataFrame) -> pd.DataFrame:
    written = frame.astype(object).map(neutralise).to_csv(index=False, lineterminator="\n")
    return _read(written.encode())


def test_streamed_exports_match_the_in_memory_ones(rich: Any) -> None:
    """Every scope and option: the same columns in the same order, the same rows in the same
    order, the same values (integers are now written without ".0" in columns with blanks)."""
    client = client_for(rich.facilitator_a)
    site, cohort = rich.site_a, rich.cohort_a
    by_site = Enrolment.objects.filter(cohort__site=site)
    by_cohort = Enrolment.objects.filter(cohort=cohort)
    cases = []
    for query, options in (("", {}), ("?bands=1", {"bands": True}), ("?items=1", {"items": True})):
        cases.append(
            (
                reverse("export-site", args=[site.pk]) + query,
                legacy_export.scores_frame(by_site, **options),
            )
        )
        cases.append(
            (
                reverse("export-cohort", args=[cohort.pk]) + query,
                legacy_export.scores_frame(by_cohort, **options),
            )
        )
    for notes in (False, True):
        query = "&notes=1" if notes else ""
        cases.append(
            (
                reverse("export-checkins") + f"?site={site.pk}{query}",
                legacy_export.checkins_frame(by_site, notes=notes),
            )
        )
    for url, old in cases:
        page = client.get(url)
        assert isinstance(page, StreamingHttpResponse), url
        new = _read(page.getvalue())
        assert len(new) > 5, url
        pd.testing.assert_frame_equal(new, _legacy(old), check_dtype=False, obj=url)
