"""The report's numbers: hand-worked cases, and the same categories as ``balm change``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from tests.support.report_data import synthetic
from typer.testing import CliRunner

from balm.cli import app
from balm.report import ReportInputs, ReportOptions, build_report, to_dict


def _hand_scores() -> pd.DataFrame:
    """PHQ-9 at baseline and end for A-D, baseline only for E (a course with no end score).

    pre  = 20, 18, 14, 12 (E: 10)        post = 8, 17, 15, 6
    """
    rows = [
        ("A", "baseline", 0, 20),
        ("A", "end", 12, 8),
        ("B", "baseline", 0, 18),
        ("B", "end", 12, 17),
        ("C", "baseline", 0, 14),
        ("C", "end", 12, 15),
        ("D", "baseline", 0, 12),
        ("D", "end", 12, 6),
        ("E", "baseline", 0, 10),
    ]
    frame = pd.DataFrame(rows, columns=["enrolment", "timepoint", "week", "phq9_total"])
    frame["participant"] = frame["enrolment"]
    frame["cohort"] = "G1"
    frame["site"] = "s"
    frame["format"] = ["online"] * 4 + ["in_person"] * 5
    frame["diagnosis"] = "crps"
    return frame


def test_outcome_numbers_by_hand() -> None:
    """Worked by hand (sample SDs with n - 1):

    pairs A-D: changes -12, -1, +1, -6; mean -18/4 = -4.5.
    SD of changes: deviations -7.5, 3.5, 5.5, -1.5; squares 56.25 + 12.25 + 30.25 + 2.25 = 101;
    101/3 = 33.667; SD = 5.8023. d_z = -4.5 / 5.8023 = -0.7756.
    95% CI of the mean change: t(0.975, 3) = 3.18245 (t table); half width
    3.18245 * 5.8023 / 2 = 9.2327 -> -13.733 to 4.733.
    pre of the pairs: mean 16, deviations 4, 2, -2, -4 -> 40/3 -> SD 3.6515.
    post of the pairs: mean 46/4 = 11.5, deviations -3.5, 5.5, 3.5, -5.5 -> 85/3 -> SD 5.3229.
    Everyone at baseline (A-E): n 5, mean 74/5 = 14.8.
    g_av = d_av * J: d_av = -4.5 / ((3.6515 + 5.3229)/2) = -4.5 / 4.4872 = -1.00285;
    J = 1 - 3/(4*3 - 1) = 8/11 -> g_av = -0.72935.
    Categories (Jacobson & Truax, PHQ-9 alpha .89 from the catalogue): SE = 3.6515 *
    sqrt(0.11) = 1.21107; S_diff = sqrt(2) * SE = 1.71271. RC: A -12/1.71271 = -7.01 and
    D -6/1.71271 = -3.50 reliable; B and C +-0.58 not. PHQ-9 has no confirmed norms, so the
    catalogue's published cut-off judges recovery: caseness at 10 or above (Kroenke et al.
    2001). A (20 -> 8) and D (12 -> 6) start as cases and end below 10 -> 2 recovered,
    2 unchanged.
    """
    report = build_report(ReportInputs(scores=_hand_scores()), figures_on=False)
    (o,) = report.outcomes
    assert o.column == "phq9_total" and o.better == "lower"
    assert o.n == 4
    assert o.pre.n == 5 and o.pre.mean == pytest.approx(14.8)
    assert o.post.n == 4 and o.post.mean == pytest.approx(11.5)
    assert o.paired_pre.mean == pytest.approx(16.0)
    assert o.paired_pre.sd == pytest.approx(3.6515, abs=1e-4)
    assert o.paired_post.sd == pytest.approx(5.3229, abs=1e-4)
    assert o.change_mean == pytest.approx(-4.5)
    assert o.change_sd == pytest.approx(5.8023, abs=1e-4)
    assert o.change_ci_low == pytest.approx(-13.733, abs=1e-3)
    assert o.change_ci_high == pytest.approx(4.733, abs=1e-3)
    assert o.d_z.estimate == pytest.approx(-0.7756, abs=1e-4)
    assert o.g_av.estimate == pytest.approx(-0.72935, abs=1e-4)
    assert o.method == "jt" and o.cutoff_type == "published"
    assert o.reliability is not None and float(o.reliability.value) == 0.89
    assert o.cutoff is not None and float(o.cutoff.value) == 10
    assert o.categories == {
        "recovered": 2,
        "improved": 0,
        "unchanged": 2,
        "deteriorated": 0,
        "harmed": 0,
    }
    data = to_dict(report)
    assert data["outcomes"]["phq9_total"]["n"] == 4
    assert data["themes"] == [] and data["joint_display"] == {}


def test_flow_attendance_and_checkins_by_hand() -> None:
    """Five enrolments (counted by hand):

    A referred, assessed, started, completed, 10 sessions
    B referred, assessed, started, withdrawn ("moved"), 3 sessions
    C referred, withdrawn (no reason) -> withdrew before starting
    D referred, assessed -> still waiting; sessions blank
    E started and completed recorded without the earlier steps, 6 sessions
    Ever reached: referred A B C D E = 5 (a later step implies the earlier ones, as the web
    app counts), assessed A B D E = 4, started A B E = 3, completed A E = 2; withdrawn 2
    (C before starting, B after). Attended >= 6: A (10), E (6) = 2.
    Sessions: cohort G1 held 2 sessions (4/5 and 3/5 came), session 3 not held (no date):
    7 of 10 places = 70%. Check-ins in week 1 from A and B with 10 and 30 minutes: median 20.
    """
    scores = _hand_scores()
    enrolments = pd.DataFrame(
        {
            "enrolment": list("ABCDE"),
            "referred_on": ["2026-01-01"] * 4 + [None],
            "assessed_on": ["2026-01-02", "2026-01-02", None, "2026-01-02", None],
            "started_on": ["2026-02-01", "2026-02-01", None, None, "2026-02-01"],
            "completed_on": ["2026-05-01", None, None, None, "2026-05-01"],
            "withdrawn_on": [None, "2026-03-01", "2026-01-10", None, None],
            "withdrawal_reason": [None, "moved", None, None, None],
            "sessions_attended": [10, 3, 0, None, 6],
        }
    )
    sessions = pd.DataFrame(
        {
            "cohort": ["G1"] * 3,
            "session": [1, 2, 3],
            "date": ["2026-02-01", "2026-02-08", None],
            "title": ["Welcome", "Three systems", "Soothing rhythm"],
            "attended": [4, 3, None],
            "enrolled": [5, 5, 5],
        }
    )
    checkins = pd.DataFrame(
        {
            "enrolment": ["A", "B"],
            "week": [1, 1],
            "checkin_mood": [4, 6],
            "checkin_practice_minutes": [10, 30],
        }
    )
    report = build_report(
        ReportInputs(scores=scores, checkins=checkins, sessions=sessions, enrolments=enrolments),
        figures_on=False,
    )
    flow = report.flow
    assert (flow.referred, flow.assessed, flow.started, flow.completed) == (5, 4, 3, 2)
    assert (flow.withdrawn, flow.withdrawn_before_start, flow.withdrawn_after_start) == (2, 1, 1)
    assert flow.reasons == {"moved": 1, "no reason recorded": 1}
    assert flow.attended_k == 2 and flow.k == 6
    assert flow.followed_up is None  # no follow-up timepoint in these scores
    assert (flow.in_scores, flow.with_baseline, flow.with_post) == (5, 5, 4)
    assert report.attendance.sessions == 2 and report.attendance.rate == pytest.approx(0.7)
    assert report.attendance.sessions_attended_median == 4.5  # of 0, 3, 6, 10: (3 + 6) / 2
    (week,) = report.checkins.by_week
    assert (week.week, week.returned, week.practice_median) == (1, 2, 20.0)
    assert week.scales == {"mood": 5.0}


def test_without_enrolments_the_flow_says_what_is_missing() -> None:
    report = build_report(ReportInputs(scores=_hand_scores()), figures_on=False)
    assert report.flow.referred is None and report.flow.started is None
    assert any("--enrolments" in m for m in report.flow.missing)
    assert any("no control group" in line for line in report.limitations)
    assert any("as few as 4" in line for line in report.limitations)
    assert report.table("completeness").rows == (
        ("baseline", "phq9", 5, 5, 100.0),
        ("end", "phq9", 4, 5, 80.0),
    )


def test_baseline_bands_follow_the_catalogue() -> None:
    """PHQ-9 bands (Kroenke et al. 2001): 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19
    moderately severe, 20-27 severe. Baselines 20, 18, 14, 12, 10: severe 1, moderately
    severe 1, moderate 3."""
    report = build_report(ReportInputs(scores=_hand_scores()), figures_on=False)
    bands = {row[1]: row[2] for row in report.table("baseline_bands").rows}
    assert sum(bands.values()) == 5
    assert list(bands.values()) == [0, 0, 3, 1, 1]


def test_categories_are_those_of_balm_change(tmp_path: Path) -> None:
    """The report's categories equal ``balm change --instrument I --scale S --json`` on the
    same file, column and timepoints, for every scale that has them."""
    data = synthetic(participants=120, cohorts=8)
    path = tmp_path / "scores.csv"
    data.scores.to_csv(path, index=False)
    runner = CliRunner()
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["report", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    checked = 0
    for column, outcome in report["outcomes"].items():
        change = runner.invoke(
            app,
            [
                "change",
                str(path),
                "--id",
                "enrolment",
                "--time",
                "timepoint",
                "--outcome",
                column,
                "--pre",
                "baseline",
                "--post",
                "end",
                "--instrument",
                outcome["instrument"],
                "--scale",
                outcome["scale"],
                "--json",
            ],
        )
        if outcome["categories"] is None:
            assert change.exit_code == 2  # balm change cannot classify it either
            continue
        assert change.exit_code == 0, change.output
        summary = json.loads(change.stdout)
        assert outcome["categories"] == summary["categories"]
        assert outcome["n"] == summary["n_included"]
        if summary["cutoff"] is None:  # reliable change only: no norms, no published cut-off
            assert outcome["cutoff"] is None and summary["approach"] == "distribution"
        else:
            assert math.isclose(outcome["cutoff"]["value"], summary["cutoff"])
        checked += 1
    assert checked >= 5


def test_same_options_for_another_id_and_timepoints() -> None:
    """--id participant, --pre mid: the pairs are taken between mid and end."""
    scores = _hand_scores().replace({"timepoint": {"baseline": "mid"}})
    report = build_report(
        ReportInputs(scores=scores),
        ReportOptions(id="participant", pre="mid", post="end"),
        figures_on=False,
    )
    assert report.outcomes[0].n == 4 and report.pre_label == "mid"


def test_the_report_core_imports_no_django() -> None:
    """balm.report is pure: building and rendering a report loads no Django module."""
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd\n"
        "from balm.report import ReportInputs, build_report, to_html, to_json\n"
        "frame = pd.DataFrame({'enrolment': ['A', 'A', 'B', 'B'],\n"
        "    'timepoint': ['baseline', 'end'] * 2, 'phq9_total': [20, 8, 18, 17]})\n"
        "report = build_report(ReportInputs(scores=frame))\n"
        "to_html(report); to_json(report)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_numeric_time_column_as_the_user_types_it() -> None:
    """--time week --pre 0 --post 12 on a float week column (as pandas reads a column with a
    blank): the same pairs as by timepoint (n 4, mean change -4.5 from the hand-worked case)."""
    scores = _hand_scores().astype({"week": "float64"})
    report = build_report(
        ReportInputs(scores=scores),
        ReportOptions(time="week", pre="0", post="12", follow_up="24"),
        figures_on=False,
    )
    (o,) = report.outcomes
    assert o.n == 4 and o.change_mean == pytest.approx(-4.5) and o.pre.n == 5
    assert report.flow.with_baseline == 5 and report.flow.with_post == 4


def test_summary_in_plain_words_by_hand() -> None:
    """From the hand-worked case: mean 16.0 -> 11.5, a fall of 4.5; the CI -13.733 to 4.733
    includes no change, so the words say so (a fall of 13.7 to a rise of 4.7) and claim no
    direction; 2 of 4 (50%) improved reliably, both past the cut-off; 0 got worse."""
    report = build_report(ReportInputs(scores=_hand_scores()), figures_on=False)
    (sentence,) = [line for line in report.summary if line.startswith("PHQ-9")]
    assert "from 16.0 to 11.5; it fell by 4.5 points" in sentence
    assert "from a fall of 13.7 to a rise of 4.7 points" in sentence
    assert "consistent with no change" in sentence and "better direction" not in sentence
    assert "2 of 4 (50%) improved reliably" in sentence and "2 of them also past" in sentence
    assert "0 (0%) got reliably worse" in sentence
    assert "5 courses of treatment: 5 with a score at baseline and 4 at end" in report.summary[0]


def test_checkins_without_practice_minutes() -> None:
    """A check-in file with ratings only: weeks counted, practice not known (None, not 0)."""
    checkins = pd.DataFrame(
        {"enrolment": ["A", "B", "A"], "week": [1, 1, 2], "checkin_pain": [6, 4, 5]}
    )
    report = build_report(ReportInputs(scores=_hand_scores(), checkins=checkins), figures_on=False)
    weeks = report.checkins.by_week
    assert [(w.week, w.returned, w.practice_n) for w in weeks] == [(1, 2, 0), (2, 1, 0)]
    assert weeks[0].practice_median is None and weeks[0].scales == {"pain": 5.0}
    assert report.checkins.practice_minutes_total is None


def test_an_outcome_without_norms_or_cutoff_reports_reliable_change_only() -> None:
    """The hand-worked PHQ-9 numbers as a PDI total (0-70): the PDI has neither confirmed norms
    nor a published cut-off (catalogue norms_missing), so, as ``balm change`` does, the
    categories are reliable change only. JT with alpha .86 (Tait et al. 1987): S_diff =
    sqrt(2) x 3.6515 x sqrt(.14) = 1.93218; A -12 -> RC -6.21 and D -6 -> -3.11 improved,
    B and C (+-1 -> +-0.52) unchanged. The HTML says why and renders without a cut-off."""
    from balm.report import to_html

    scores = _hand_scores().rename(columns={"phq9_total": "pdi_total"})
    report = build_report(ReportInputs(scores=scores), figures_on=False)
    (o,) = report.outcomes
    assert o.approach == "distribution" and o.cutoff is None
    assert o.categories is not None
    assert {k: v for k, v in o.categories.items() if v} == {"improved": 2, "unchanged": 2}
    assert "Chibnall & Tait" in o.categories_note
    html = to_html(report)
    assert "no clinical cut-off, so no one is counted as recovered or harmed" in html
