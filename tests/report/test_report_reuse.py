"""What one report build computes once and reuses (balm.report.reuse): the same numbers as a
fresh call, computed once per distinct input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from balm.change import pre_post
from balm.report import ReportOptions
from balm.report.reuse import Reused

SCORES = pd.DataFrame(
    {
        "enrolment": ["a", "a", "b", "b", "c", "c", "d"],
        "timepoint": ["baseline", "end", "baseline", "end", "end", "baseline", "baseline"],
        "phq9_total": [10.0, 8.0, 12.0, 9.0, 13.0, 14.0, 11.0],
    }
)


def test_complete_pairs_are_those_of_pre_post_and_made_once() -> None:
    reused = Reused(SCORES, ReportOptions())
    pairs = reused.complete_pairs("phq9_total")
    # By hand: a 10 -> 8, b 12 -> 9, c 14 -> 13 (its rows in the other order); d has no end.
    assert pairs.index.tolist() == ["a", "b", "c"]
    assert pairs["pre"].tolist() == [10.0, 12.0, 14.0]
    assert pairs["post"].tolist() == [8.0, 9.0, 13.0]
    fresh = pre_post(
        SCORES, id="enrolment", time="timepoint", outcome="phq9_total", pre="baseline", post="end"
    ).complete
    pd.testing.assert_frame_equal(pairs, fresh)
    assert reused.complete_pairs("phq9_total") is pairs


def test_group_change_hand_worked_and_made_once_per_distinct_arrays() -> None:
    reused = Reused(SCORES, ReportOptions())
    pre, post = np.array([10.0, 12.0, 14.0]), np.array([8.0, 9.0, 13.0])
    change = reused.group_change(pre, post)
    # By hand: differences -2, -3, -1; mean -2, SD 1; 95% t interval -2 +- t(0.975, 2) / sqrt(3)
    # with t(0.975, 2) = 4.302653 (printed t tables); Cohen's d_z = mean / SD = -2 (Lakens 2013).
    assert change.n == 3
    assert change.mean_change == pytest.approx(-2.0)
    assert change.sd_change == pytest.approx(1.0)
    half = 4.302653 / math.sqrt(3)
    assert change.change_ci_low == pytest.approx(-2.0 - half, abs=1e-5)
    assert change.change_ci_high == pytest.approx(-2.0 + half, abs=1e-5)
    assert change.d_z.estimate == pytest.approx(-2.0)
    # The report shows no p-values: the tests are not run.
    assert math.isnan(change.p_t)
    # Equal values in new arrays: the very same result; other values: a new one.
    assert reused.group_change(pre.copy(), post.copy()) is change
    other = reused.group_change(post, pre)
    assert other is not change
    assert other.mean_change == pytest.approx(2.0)
