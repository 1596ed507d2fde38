"""The tidy export: columns, one row per enrolment (a person's course in a cohort) per timepoint,
pseudonyms only, audited, and read as it is by ``balm change`` and ``balm trend``."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from tests.web import factories
from typer.testing import CliRunner

from balm.audit.export_policy import EXPORT_POLICY
from balm.audit.models import AuditEvent
from balm.cli import app
from balm.outcomes.actions import submit_checkin, submit_response
from balm.outcomes.export import (
    COMPOSED_FIELDS,
    ID_COLUMNS,
    SOURCE_FIELDS,
    enrolment_id,
    score_columns,
    tidy_scores,
)

pytestmark = pytest.mark.django_db

TIMEPOINTS = ("baseline", "mid", "end", "follow_up")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _answer(enrolment, instrument: str, timepoint: str, value: int, n_items: int) -> None:  # type: ignore[no-untyped-def]
    assessment = enrolment.assessments.get(instrument_id=instrument, timepoint=timepoint)
    submit_response(
        assessment=assessment,
        answers={f"q{i}": (value + i) % 4 if i % 3 else value for i in range(1, n_items + 1)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


@pytest.fixture
def scored(world):  # type: ignore[no-untyped-def]
    """Eight participants in cohort A with PHQ-9 at four timepoints (improving, with noise)
    and DASS-21 at baseline and end; one participant in cohort B."""
    enrolments = [world.enrolment_p1, world.enrolment_p2]
    for n in range(6):
        person = factories.participant(world.site_a, f"X{n}", name=f"Secret Name {n}")
        enrolments.append(factories.enrol(person, world.cohort_a))
    for k, enrolment in enumerate(enrolments):
        start = 3 - k % 2
        for t, timepoint in enumerate(TIMEPOINTS):
            _answer(enrolment, "phq9", timepoint, max(start - t + (k % 3 == 0 and t == 2), 0), 9)
        for timepoint in ("baseline", "end"):
            _answer(enrolment, "dass21", timepoint, 2 if timepoint == "baseline" else 1, 21)
    other = factories.enrol(factories.participant(world.site_b, "B1"), world.cohort_b)
    _answer(other, "phq9", "baseline", 2, 9)
    return enrolments


def _download(client: Client, url: str) -> pd.DataFrame:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    assert page["Content-Type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(page.getvalue().decode()))


def test_cohort_export_is_tidy(world, scored) -> None:  # type: ignore[no-untyped-def]
    frame = _download(
        client_for(world.researcher_a), reverse("export-cohort", args=[world.cohort_a.pk])
    )
    assert list(frame.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)
    measures = set(frame.columns[len(ID_COLUMNS) :])
    assert {"phq9_total", "dass21_depression", "dass21_anxiety", "dass21_stress"} <= measures
    assert not any(c.endswith("_band") for c in measures)
    assert len(frame) == 8 * 4
    assert not frame.duplicated(["participant", "cohort", "timepoint"]).any()
    assert not frame.duplicated(["enrolment", "timepoint"]).any()
    assert set(frame["participant"]) == {"P1", "P2", *(f"X{n}" for n in range(6))}
    assert list(frame["enrolment"]) == [f"{p}-c{world.cohort_a.pk}" for p in frame["participant"]]
    assert set(frame["cohort"]) == {"Cohort A"} and set(frame["site"]) == {"site-a"}
    assert list(frame.loc[frame["participant"] == "P1", "timepoint"]) == list(TIMEPOINTS)
    assert frame.loc[frame["timepoint"] == "mid", "dass21_depression"].isna().all()
    assert frame["week"].dtype.kind == "i"
    text = frame.to_csv()
    assert "Pat One" not in text and "Secret Name" not in text and "@example.org" not in text
    event = AuditEvent.objects.get(action="export.scores")
    assert event.actor == world.researcher_a and event.details["rows"] == 32


def test_site_export_with_bands_and_access(world, scored) -> None:  # type: ignore[no-untyped-def]
    url = reverse("export-site", args=[world.site_a.pk]) + "?bands=1"
    frame = _download(client_for(world.facilitator_a), url)
    assert "phq9_total_band" in frame.columns and "B1" not in set(frame["participant"])
    assert client_for(world.facilitator_b).get(url).status_code == 404
    assert client_for(world.p1_user).get(url).status_code == 404


def test_change_and_trend_read_the_export_as_it_is(world, scored, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.researcher_a).get(reverse("export-cohort", args=[world.cohort_a.pk]))
    path = tmp_path / "scores.csv"
    path.write_bytes(page.getvalue())
    runner = CliRunner()
    change = runner.invoke(
        app,
        [
            "change",
            str(path),
            "--id",
            "participant",
            "--time",
            "timepoint",
            "--outcome",
            "phq9_total",
            "--pre",
            "baseline",
            "--post",
            "end",
            "--instrument",
            "phq9",
            "--json",
        ],
    )
    assert change.exit_code == 0, change.output
    assert json.loads(change.stdout)
    trend = runner.invoke(
        app,
        ["trend", str(path), "--id", "participant", "--time", "week", "--outcome", "phq9_total"],
    )
    assert trend.exit_code == 0, trend.output
    assert "Growth model" in trend.stdout


def test_checkins_export(world) -> None:  # type: ignore[no-untyped-def]
    answers = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20, "q8": "private note"}
    for week in (1, 2):
        submit_checkin(
            enrolment=world.enrolment_p1,
            week=week,
            answers=answers,
            client_id=factories.client_id(),
            by=world.p1,
        )
    url = reverse("export-checkins") + f"?cohort={world.cohort_a.pk}"
    frame = _download(client_for(world.researcher_a), url)
    assert list(frame.columns[:7]) == [
        "enrolment",
        "participant",
        "cohort",
        "site",
        "format",
        "diagnosis",
        "week",
    ]
    assert "checkin_mood" in frame.columns and "checkin_pain" in frame.columns
    assert list(frame["week"]) == [1, 2] and list(frame["checkin_mood"]) == [6, 6]
    assert set(frame["enrolment"]) == {f"P1-c{world.cohort_a.pk}"}
    assert "private note" not in frame.to_csv()
    assert client_for(world.facilitator_b).get(url).status_code == 404
    assert client_for(world.researcher_a).get(reverse("export-checkins")).status_code == 404
    site_url = reverse("export-checkins") + f"?site={world.site_a.pk}"
    assert len(_download(client_for(world.researcher_a), site_url)) == 2


def test_tidy_scores_is_pure_and_merges_instruments() -> None:
    base = {
        "enrolment": "A-c1",
        "participant": "A",
        "cohort": "G",
        "site": "s",
        "format": "online",
        "diagnosis": "crps",
    }
    rows = [
        {**base, "timepoint": "end", "week": 12, "instrument": "phq9", "scores": {"total": 4}},
        {**base, "timepoint": "baseline", "week": 0, "instrument": "phq9", "scores": {"total": 9}},
        {
            **base,
            "timepoint": "baseline",
            "week": 0,
            "instrument": "dass21",
            "scores": {"depression": 10.0, "depression_band": "mild", "flag": True},
        },
    ]
    frame = tidy_scores(rows)
    assert list(frame.columns) == [*ID_COLUMNS, "dass21_depression", "phq9_total"]
    assert list(frame["timepoint"]) == ["baseline", "end"]
    assert score_columns("dass21", {"depression_band": "mild"}, bands=True) == {
        "dass21_depression_band": "mild"
    }
    assert list(tidy_scores([]).columns) == list(ID_COLUMNS)
    again = [{**row, "enrolment": "A-c2", "cohort": "H"} for row in rows]
    both = tidy_scores([*rows, *again])
    assert len(both) == 4 and list(both["enrolment"]) == ["A-c1", "A-c1", "A-c2", "A-c2"]


def test_every_exported_column_is_kept_by_the_export_policy() -> None:
    for column, (model, field) in SOURCE_FIELDS.items():
        assert EXPORT_POLICY[model][field] == "keep", column
    for column, sources in COMPOSED_FIELDS.items():
        for model, field in sources:
            assert EXPORT_POLICY[model][field] == "keep", column
    assert set(ID_COLUMNS) <= set(SOURCE_FIELDS) | set(COMPOSED_FIELDS)


def test_site_export_of_a_person_in_two_cohorts(world, scored, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """P1 comes back for a second group at site A: two courses of treatment, each with its own
    baseline and end; ``balm change --id enrolment`` reads the site file and counts both."""
    second = factories.cohort(world.site_a, name="Cohort A, spring")
    again = factories.enrol(world.p1, second)
    _answer(again, "phq9", "baseline", 3, 9)
    _answer(again, "phq9", "end", 0, 9)
    page = client_for(world.researcher_a).get(reverse("export-site", args=[world.site_a.pk]))
    path = tmp_path / "site.csv"
    path.write_bytes(page.getvalue())
    frame = pd.read_csv(path)

    p1 = frame.loc[frame["participant"] == "P1"]
    courses = {f"P1-c{world.cohort_a.pk}", f"P1-c{second.pk}"}
    assert set(p1["enrolment"]) == courses
    assert len(p1) == 4 + 2 and set(p1["cohort"]) == {"Cohort A", "Cohort A, spring"}
    assert p1.duplicated(["participant", "timepoint"]).any()  # the pseudonym alone is ambiguous
    assert not frame.duplicated(["enrolment", "timepoint"]).any()
    assert frame["enrolment"].nunique() == 8 + 1

    runner = CliRunner()
    common = ["--time", "timepoint", "--outcome", "phq9_total", "--pre", "baseline"]
    common += ["--post", "end", "--instrument", "phq9"]
    out = tmp_path / "per-course.csv"
    by_course = ["--id", "enrolment", "--group", "cohort", "--json", "-o", str(out)]
    change = runner.invoke(app, ["change", str(path), *by_course, *common])
    assert change.exit_code == 0, change.output
    summary = json.loads(change.stdout)
    assert summary["n_total"] == summary["n_included"] == 9
    assert sum(sum(tally.values()) for tally in summary["groups"].values()) == 9
    per_course = pd.read_csv(out)
    assert set(per_course.loc[per_course["enrolment"].str.startswith("P1-"), "enrolment"]) == (
        courses
    )
    assert len(per_course) == 9

    ambiguous = runner.invoke(app, ["change", str(path), "--id", "participant", *common])
    assert ambiguous.exit_code == 2
    assert "P1 have more than one pre row" in ambiguous.output

    trend = runner.invoke(
        app, ["trend", str(path), "--id", "enrolment", "--time", "week", "--outcome", "phq9_total"]
    )
    assert trend.exit_code == 0, trend.output


def test_enrolment_id_is_pseudonym_and_cohort() -> None:
    assert enrolment_id("P07", 12) == "P07-c12"
    assert enrolment_id("P07-c1", 2) != enrolment_id("P07", 12)
