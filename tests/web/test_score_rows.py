"""The scores export's kept rows (``balm.outcomes.score_rows``): each course's merged row per
timepoint, added to by a submission and rebuilt by an amendment, an import or an erasure, always
what a rebuild from the stored responses gives; the export read from them holds what the
in-memory merge of the responses (``tidy_scores``) holds.

Hand-worked scores: PHQ-9 all 1 = 9, "mild" (5-9), Kroenke et al. 2001; GAD-7 all 2 = 14,
"moderate" (10-14), Spitzer et al. 2006."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pandas as pd
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from tests.web import factories

from balm.accounts.erasure import erase_participant
from balm.outcomes import score_rows
from balm.outcomes.actions import amend_response, submit_response
from balm.outcomes.export import ID_COLUMNS, enrolment_id, scores_frame, tidy_scores
from balm.outcomes.models import Response, TimepointScores
from balm.programmes.models import Enrolment

pytestmark = pytest.mark.django_db


def _submit(enrolment: Enrolment, instrument: str, timepoint: str, answers: dict[str, Any]) -> None:
    submit_response(
        assessment=enrolment.assessments.get(instrument_id=instrument, timepoint=timepoint),
        answers=answers,
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


PHQ_ALL_1 = {f"q{i}": 1 for i in range(1, 10)}
GAD_ALL_2 = {f"q{i}": 2 for i in range(1, 8)}


def _row(enrolment: Enrolment, timepoint: str) -> TimepointScores:
    return TimepointScores.objects.get(enrolment=enrolment, timepoint=timepoint)


def _held(enrolment: Enrolment, timepoint: str) -> dict[str, Any]:
    """The row's numbers and band texts, decoded."""
    row = _row(enrolment, timepoint)
    return {**json.loads(row.scores), **json.loads(row.bands)}


def _all_courses() -> list[int]:
    return list(Enrolment.objects.values_list("pk", flat=True))


def test_a_submission_adds_its_columns_to_its_row(world: Any) -> None:
    p1 = world.enrolment_p1
    _submit(p1, "phq9", "baseline", PHQ_ALL_1)
    assert _held(p1, "baseline") == {"phq9_total": 9, "phq9_total_band": "mild"}
    _submit(p1, "gad7", "baseline", GAD_ALL_2)
    row = _row(p1, "baseline")
    assert _held(p1, "baseline") == {
        "phq9_total": 9,
        "phq9_total_band": "mild",
        "gad7_total": 14,
        "gad7_total_band": "moderate",
    }
    items = {**{f"phq9_q{i}": 1 for i in range(1, 10)}, **{f"gad7_q{i}": 2 for i in range(1, 8)}}
    assert json.loads(row.answers) == items
    assert json.loads(row.kinds) == {
        "phq9_total": "number",
        "phq9_total_band": "text",
        "gad7_total": "number",
        "gad7_total_band": "text",
    }
    assert json.loads(row.items) == {
        "phq9": [f"q{i}" for i in range(1, 10)],
        "gad7": [f"q{i}" for i in range(1, 8)],
    }
    weeks = p1.assessments.filter(timepoint="baseline", instrument_id__in=["phq9", "gad7"])
    assert row.week == min(weeks.values_list("week", flat=True))
    _submit(p1, "phq9", "end", PHQ_ALL_1)
    assert TimepointScores.objects.filter(enrolment=p1).count() == 2
    assert score_rows.differences(_all_courses()) == []


def test_scores_and_answers_are_jsonb_on_postgresql_and_text_to_python(world: Any) -> None:
    """On PostgreSQL the kept numbers and answers are jsonb columns (the export's COPY reads
    them without parsing text), the other texts text; Python reads all of them as JSON text on
    either database, merged by a second submission as before."""
    p1 = world.enrolment_p1
    _submit(p1, "phq9", "baseline", PHQ_ALL_1)
    _submit(p1, "gad7", "baseline", GAD_ALL_2)
    row = _row(p1, "baseline")
    assert all(isinstance(text, str) for text in (row.scores, row.answers, row.kinds))
    assert json.loads(row.scores) == {"phq9_total": 9, "gad7_total": 14}
    assert len(json.loads(row.answers)) == 9 + 7
    stored = {"postgresql": "pg_typeof({})::text", "sqlite": "typeof({})"}[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(stored.format(c) for c in ('scores', 'answers', 'kinds'))} "
            "FROM outcomes_timepointscores WHERE id = %s",
            [row.pk],
        )
        types = cursor.fetchone()
    jsonb = "jsonb" if connection.vendor == "postgresql" else "text"
    assert types == (jsonb, jsonb, "text")


def test_an_amendment_that_blanks_a_scale_takes_it_out_of_the_row(world: Any) -> None:
    """DASS-21 all 1: each scale 7 x 1 x 2 = 14 (Lovibond & Lovibond 1995). Amended to the
    depression items only, all 2: depression 7 x 2 x 2 = 28, anxiety and stress unscored, so
    their columns leave the row: adding could never remove them; the rebuild does."""
    p1 = world.enrolment_p1
    _submit(p1, "dass21", "baseline", {f"q{i}": 1 for i in range(1, 22)})
    _submit(p1, "gad7", "baseline", GAD_ALL_2)
    held = _held(p1, "baseline")
    assert [held[f"dass21_{s}"] for s in ("depression", "anxiety", "stress")] == [14, 14, 14]
    response = Response.objects.get(assessment__enrolment=p1, instrument_id="dass21")
    depression = ("q3", "q5", "q10", "q13", "q16", "q17", "q21")
    amend_response(
        response=response, answers=dict.fromkeys(depression, 2), reason="typed wrong", by=None
    )
    held = _held(p1, "baseline")
    assert held["dass21_depression"] == 28
    assert not {"dass21_anxiety", "dass21_stress"} & held.keys()
    assert held["gad7_total"] == 14
    assert score_rows.differences(_all_courses()) == []


def test_erasing_a_person_takes_their_rows(world: Any) -> None:
    _submit(world.enrolment_p1, "phq9", "baseline", PHQ_ALL_1)
    _submit(world.enrolment_p2, "phq9", "baseline", PHQ_ALL_1)
    erase_participant(participant=world.p2, by=None, keep_research_data=False)
    assert not TimepointScores.objects.filter(enrolment=world.enrolment_p2).exists()
    assert TimepointScores.objects.filter(enrolment=world.enrolment_p1).count() == 1
    assert score_rows.differences(_all_courses()) == []


def test_a_change_behind_balms_back_is_found_and_rebuilt(world: Any) -> None:
    p1 = world.enrolment_p1
    _submit(p1, "phq9", "baseline", PHQ_ALL_1)
    call_command("score_rows")  # agrees: no error
    Response.objects.filter(assessment__enrolment=p1).update(scores={"total": 20})
    assert score_rows.differences(_all_courses()) == [
        f"enrolment {p1.pk}, baseline: the row kept differs"
    ]
    with pytest.raises(CommandError, match="1 score row"):
        call_command("score_rows")
    TimepointScores.objects.filter(enrolment=p1).delete()
    assert score_rows.differences(_all_courses()) == [f"enrolment {p1.pk}, baseline: no row kept"]
    call_command("score_rows", "--rebuild")
    assert _held(p1, "baseline") == {"phq9_total": 20}
    Response.objects.filter(assessment__enrolment=p1).delete()
    assert score_rows.differences(_all_courses()) == [
        f"enrolment {p1.pk}, baseline: a row kept with no response"
    ]


def test_the_migration_keeps_the_rows_of_responses_stored_before_it(world: Any) -> None:
    _submit(world.enrolment_p1, "phq9", "baseline", PHQ_ALL_1)
    _submit(world.enrolment_p1, "gad7", "end", GAD_ALL_2)
    _submit(world.enrolment_p2, "phq9", "baseline", PHQ_ALL_1)
    TimepointScores.objects.all().delete()
    migration = importlib.import_module("balm.outcomes.migrations.0010_timepointscores_rows")
    migration.fill(apps, None)
    assert TimepointScores.objects.count() == 3
    assert score_rows.differences(_all_courses()) == []


def _plain_rows(enrolments: list[Enrolment]) -> list[dict[str, Any]]:
    """Every response of ``enrolments`` as the pure merge takes them, read field by field."""
    rows = []
    for response in Response.objects.filter(assessment__enrolment__in=enrolments).select_related(
        "assessment__enrolment__participant", "assessment__enrolment__cohort__site"
    ):
        enrolment = response.assessment.enrolment
        cohort = enrolment.cohort
        pseudonym = enrolment.participant.pseudonym
        values = (
            enrolment_id(pseudonym, cohort.pk),
            pseudonym,
            cohort.name,
            cohort.site.slug,
            enrolment.format,
            enrolment.diagnosis_category,
            response.assessment.timepoint,
            response.assessment.week,
        )
        row = dict(zip(ID_COLUMNS, values, strict=True))
        rows.append({**row, "instrument": response.instrument_id, "scores": response.scores})
    return rows


@pytest.mark.parametrize("bands", [False, True])
def test_the_export_holds_what_merging_the_responses_gives(world: Any, bands: bool) -> None:
    """Two cohorts, two timepoints, three instruments, one amendment: the export read from the
    kept rows against ``tidy_scores`` on the responses themselves."""
    courses = [world.enrolment_p1, world.enrolment_p2]
    for n in range(4):
        courses.append(
            factories.enrol(factories.participant(world.site_b, f"K{n}"), world.cohort_b)
        )
    for k, course in enumerate(courses):
        _submit(course, "phq9", "baseline", {f"q{i}": (i + k) % 4 for i in range(1, 10)})
        _submit(course, "gad7", "baseline", {f"q{i}": (i * k) % 4 for i in range(1, 8)})
        if k % 2:
            _submit(course, "phq9", "end", {f"q{i}": k % 4 for i in range(1, 10)})
    response = Response.objects.get(assessment__enrolment=courses[3], instrument_id="gad7")
    amended = {f"q{i}": 3 if i == 1 else 0 for i in range(1, 8)}
    amend_response(response=response, answers=amended, reason="typed wrong", by=None)
    ids = Enrolment.objects.filter(pk__in=[c.pk for c in courses])
    got = scores_frame(ids, bands=bands).drop(columns=["sessions_attended", "practice_minutes"])
    expected = tidy_scores(_plain_rows(courses), bands=bands)
    assert list(got.columns) == list(expected.columns)
    assert got.astype(object).where(got.notna(), None).values.tolist() == (
        expected.astype(object).where(expected.notna(), None).values.tolist()
    )


def test_the_item_columns_are_each_responses_numeric_answers(world: Any) -> None:
    """``?items=1``: each course and timepoint's row holds every numeric answer of its
    responses as ``<instrument>_<item>``, read here from the responses themselves; a blank item
    stays blank."""
    p1, p2 = world.enrolment_p1, world.enrolment_p2
    _submit(p1, "phq9", "baseline", {**PHQ_ALL_1, "q9": None})
    _submit(p1, "gad7", "end", GAD_ALL_2)
    _submit(p2, "gad7", "baseline", {f"q{i}": i % 4 for i in range(1, 8)})
    frame = scores_frame(Enrolment.objects.filter(pk__in=[p1.pk, p2.pk]), items=True)
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for response in Response.objects.select_related("assessment__enrolment__participant"):
        enrolment = response.assessment.enrolment
        key = (
            enrolment_id(enrolment.participant.pseudonym, enrolment.cohort_id),
            response.assessment.timepoint,
        )
        for item, value in response.answers.items():
            if isinstance(value, int | float):
                expected.setdefault(key, {})[f"{response.instrument_id}_{item}"] = value
    item_columns = sorted({c for answers in expected.values() for c in answers})
    assert "phq9_q9" not in item_columns  # blank in the only PHQ-9: no column at all
    assert set(item_columns) <= set(frame.columns)
    for row in frame.itertuples(index=False):
        key = (row.enrolment, row.timepoint)
        got = {c: getattr(row, c) for c in item_columns if not pd.isna(getattr(row, c))}
        assert got == expected[key], key
