"""analyse_change: approaches, categories, exclusions, catalogue parameters and errors.

The shared case is made up for these tests (lower is better, published cut-off 10):

    id  pre  post  change
    p1   20     5     -15
    p2   20    14      -6
    p3   12    20      +8
    p4    8    16      +8
    p5    8     9      +1
    p6   14    14       0
    p7   11     .          (no post: excluded)

Over p1-p6: M_pre = 82 / 6 = 13.667; SD_pre = sqrt(147.333 / 5) = 5.42832. With r = .90,
SE = 5.42832 sqrt(.1) = 1.71659, S_diff = sqrt(2) 1.71659 = 2.42762, so a change is
reliable beyond 1.96 * 2.42762 = 4.758 points (Jacobson & Truax 1991).
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest

from balm.change import (
    Approach,
    ChangeInputError,
    MissingParameterError,
    analyse_change,
    ordered_timepoints,
)


def _data() -> pd.DataFrame:
    rows = [
        ("p1", 20, 5),
        ("p2", 20, 14),
        ("p3", 12, 20),
        ("p4", 8, 16),
        ("p5", 8, 9),
        ("p6", 14, 14),
        ("p7", 11, None),
    ]
    records = []
    for pid, pre, post in rows:
        records.append({"id": pid, "time": "pre", "score": pre, "site": "A" if pid < "p4" else "B"})
        records.append(
            {"id": pid, "time": "post", "score": post, "site": "A" if pid < "p4" else "B"}
        )
    return pd.DataFrame(records)


def _categories(result) -> list[str]:  # type: ignore[no-untyped-def]
    table = result.participants
    return [str(c) for c in table.loc[table["included"], "category"]]


def test_combined_hand_worked() -> None:
    """Combined (Jacobson & Truax 1991): p1 reliable and crosses 10 -> recovered; p2 reliable,
    stays >= 10 -> improved; p3 reliable worse, stays clinical -> deteriorated; p4 reliable
    worse, 8 -> 16 crosses out -> harmed; p5 (+1), p6 (0) -> unchanged. p7 excluded.
    """
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        reliability=0.9,
        better="lower",
        cutoff_value=10,
    )
    assert result.approach is Approach.COMBINED and result.method is not None
    assert result.constants["s_diff"] == pytest.approx(2.42762, abs=1e-5)
    assert _categories(result) == [
        "recovered",
        "improved",
        "deteriorated",
        "harmed",
        "unchanged",
        "unchanged",
    ]
    assert (result.n_total, result.n_included) == (7, 6)
    assert result.counts() == {
        "recovered": 1,
        "improved": 1,
        "unchanged": 2,
        "deteriorated": 1,
        "harmed": 1,
    }
    assert result.cutoff is not None and result.cutoff.value == 10
    assert result.parameter("cutoff_value").source == "given"  # type: ignore[union-attr]
    assert result.participants.loc["p7", "category"] is np.nan or pd.isna(
        result.participants.loc["p7", "category"]
    )


def test_distribution_hand_worked() -> None:
    """Distribution: |change| > 4.758 is reliable: p1, p2 improved; p3, p4 deteriorated."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        reliability=0.9,
        better="lower",
        approach="distribution",
    )
    assert _categories(result) == [
        "improved",
        "improved",
        "deteriorated",
        "deteriorated",
        "unchanged",
        "unchanged",
    ]
    assert result.cutoff is None


def test_statistical_hand_worked() -> None:
    """Statistical with cut-off 10: p1 20 -> 5 improved; p4 8 -> 16 deteriorated; rest
    unchanged (p2 and p3 stay clinical, p5 stays functional, p6 stays clinical)."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        better="lower",
        approach="statistical",
        cutoff_value=10,
    )
    assert _categories(result) == [
        "improved",
        "unchanged",
        "unchanged",
        "deteriorated",
        "unchanged",
        "unchanged",
    ]
    assert result.method is None


def test_statistical_cutoff_a_from_the_sample() -> None:
    """Cut-off a from the baseline of those analysed: 13.667 - 2 * 5.42832 = 2.810."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        better="lower",
        approach="statistical",
        cutoff="a",
    )
    assert result.cutoff is not None
    assert result.cutoff.value == pytest.approx(82 / 6 - 2 * 5.428321, abs=1e-5)
    assert "sample" in result.parameter("m_clinical").source  # type: ignore[union-attr]


def test_anchor_hand_worked() -> None:
    """Anchor, MID 5: benefit 15, 6 >= 5 improved; -8, -8 deteriorated; -1, 0 unchanged."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        better="lower",
        approach="anchor",
        mid=5,
    )
    assert _categories(result) == [
        "improved",
        "improved",
        "deteriorated",
        "deteriorated",
        "unchanged",
        "unchanged",
    ]
    index = result.participants.loc[result.participants["included"], "index"]
    assert index.tolist() == [15, 6, -8, -8, -1, 0]


def test_combined_with_mid_hand_worked() -> None:
    """Combined with an MID instead of reliable change (Claus, Wager & Bonnet 2024), MID 7,
    cut-off 10: p1 -15 and crosses -> recovered; p2 -6 < 7 -> unchanged; p3 +8 stays
    clinical -> deteriorated; p4 +8 crosses out -> harmed; p5, p6 unchanged."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        better="lower",
        mid=7,
        cutoff_value=10,
        change_criterion="mid",
    )
    assert _categories(result) == [
        "recovered",
        "unchanged",
        "deteriorated",
        "harmed",
        "unchanged",
        "unchanged",
    ]
    assert result.summary_dict()["method"] == "mid"
    with pytest.raises(ChangeInputError, match="combined approach only"):
        analyse_change(
            _data(),
            id="id",
            time="time",
            outcome="score",
            better="lower",
            mid=7,
            approach="anchor",
            change_criterion="mid",
        )


def test_percentage_hand_worked() -> None:
    """Percentage, 30 % (IMMPACT default, Dworkin et al. 2008): 15/20 = 75 % and 6/20 =
    30 % (exactly at the threshold counts) improved; -8/12, -8/8 deteriorated; -1/8 =
    -12.5 % and 0 unchanged."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        better="lower",
        approach="percentage",
    )
    assert _categories(result) == [
        "improved",
        "improved",
        "deteriorated",
        "deteriorated",
        "unchanged",
        "unchanged",
    ]
    assert "Dworkin" in result.parameter("percentage").source  # type: ignore[union-attr]


def test_percentage_baseline_zero() -> None:
    """Baseline 0 has no percentage: any move is improved/deteriorated, none is unchanged."""
    data = pd.DataFrame(
        {
            "id": [1, 1, 2, 2, 3, 3],
            "time": [0, 1] * 3,
            "score": [0, 0, 0, 3, 4, 1],
        }
    )
    lower = analyse_change(
        data, id="id", time="time", outcome="score", better="lower", approach="percentage"
    )
    assert _categories(lower) == ["unchanged", "deteriorated", "improved"]
    assert np.isnan(lower.participants["index"].iloc[0])
    higher = analyse_change(
        data, id="id", time="time", outcome="score", better="higher", approach="percentage"
    )
    assert _categories(higher) == ["unchanged", "improved", "deteriorated"]


def test_groups_are_counted() -> None:
    """Counts per group; p7 (site B) is excluded and not counted."""
    result = analyse_change(
        _data(),
        id="id",
        time="time",
        outcome="score",
        reliability=0.9,
        better="lower",
        cutoff_value=10,
        group="site",
    )
    groups = result.group_counts()
    assert groups["A"] == {
        "recovered": 1,
        "improved": 1,
        "unchanged": 0,
        "deteriorated": 1,
        "harmed": 0,
    }
    assert sum(groups["B"].values()) == 3
    summary = result.summary_dict()
    assert set(summary) == {
        "n_total",
        "n_included",
        "approach",
        "method",
        "cutoff",
        "categories",
        "groups",
    }


def test_catalogue_fills_parameters_with_sources() -> None:
    """instrument="phq9": reliability .89 (Kroenke et al. 2001), lower better, MID 5; an
    explicit argument overrides and is recorded as given."""
    data = _data()
    result = analyse_change(
        data, id="id", time="time", outcome="score", instrument="phq9", approach="distribution"
    )
    rel = result.parameter("reliability")
    assert rel is not None and rel.value == 0.89 and "Kroenke" in rel.source
    assert result.better.value == "lower"
    assert "catalogue phq9/total" in result.parameter("better").source  # type: ignore[union-attr]
    given = analyse_change(
        data,
        id="id",
        time="time",
        outcome="score",
        instrument="phq9",
        approach="distribution",
        reliability=0.7,
    )
    assert given.parameter("reliability") == type(rel)("reliability", 0.7, "given")
    anchor = analyse_change(
        data, id="id", time="time", outcome="score", instrument="phq9", approach="anchor"
    )
    assert anchor.parameter("mid").value == 5  # type: ignore[union-attr]
    published = analyse_change(
        data, id="id", time="time", outcome="score", instrument="phq9", cutoff="published"
    )
    assert published.cutoff is not None and published.cutoff.value == 10


def test_missing_numbers_are_named() -> None:
    """Missing reliability, direction, functional norms or MID: a clear error names them."""
    data = _data()
    with pytest.raises(MissingParameterError, match="reliability"):
        analyse_change(data, id="id", time="time", outcome="score", better="lower")
    with pytest.raises(MissingParameterError, match="better"):
        analyse_change(data, id="id", time="time", outcome="score", reliability=0.8)
    with pytest.raises(MissingParameterError, match="functional mean and SD"):
        analyse_change(data, id="id", time="time", outcome="score", instrument="phq9", cutoff="c")
    with pytest.raises(MissingParameterError, match="minimal important difference"):
        analyse_change(
            data, id="id", time="time", outcome="score", better="lower", approach="anchor"
        )


def test_input_errors() -> None:
    """Missing column, unknown timepoint, text in the outcome, duplicates: named clearly."""
    data = _data()
    with pytest.raises(ChangeInputError, match="the data has: id, time, score, site"):
        analyse_change(data, id="id", time="when", outcome="score", reliability=0.8, better="lower")
    with pytest.raises(ChangeInputError, match="it has: pre, post"):
        analyse_change(
            data,
            id="id",
            time="time",
            outcome="score",
            pre="baseline",
            reliability=0.8,
            better="lower",
        )
    bad = data.astype({"score": "object"})
    bad.loc[3, "score"] = "n/a?"
    with pytest.raises(ChangeInputError, match="rows 3"):
        analyse_change(bad, id="id", time="time", outcome="score", reliability=0.8, better="lower")
    twice = pd.concat([data, data.iloc[[0]]], ignore_index=True)
    with pytest.raises(ChangeInputError, match="more than one pre row"):
        analyse_change(
            twice, id="id", time="time", outcome="score", reliability=0.8, better="lower"
        )
    with pytest.raises(ChangeInputError, match="between 0 and 1"):
        analyse_change(data, id="id", time="time", outcome="score", reliability=1.0, better="lower")


def test_timepoint_order() -> None:
    """Numbers sort numerically; pre/post and Before/After in their natural order."""
    assert ordered_timepoints(pd.Series([10, 2, 1, 2])) == [1, 2, 10]
    assert ordered_timepoints(pd.Series(["post", "pre", "post"])) == ["pre", "post"]
    assert ordered_timepoints(pd.Series(["After", "Before"])) == ["Before", "After"]
    assert ordered_timepoints(pd.Series(["t2", "t1"])) == ["t1", "t2"]


def test_numeric_time_given_as_text() -> None:
    """--pre 1 from the command line matches the number 1 in the time column."""
    data = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": [1, 2] * 3, "y": [5, 1, 6, 6, 9, 2]})
    result = analyse_change(
        data,
        id="id",
        time="t",
        outcome="y",
        pre="1",
        post="2",
        better="lower",
        approach="anchor",
        mid=3,
    )
    assert _categories(result) == ["improved", "unchanged", "improved"]


def _fake_mixed(monkeypatch: pytest.MonkeyPatch, slopes: pd.DataFrame) -> None:
    module = types.ModuleType("balm.change.mixed")

    def empirical_bayes_slopes(
        data: pd.DataFrame, *, id: str, time: str, outcome: str
    ) -> pd.DataFrame:
        return slopes

    module.empirical_bayes_slopes = empirical_bayes_slopes  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "balm.change.mixed", module)


def test_hlm_wiring_with_a_stub(monkeypatch: pytest.MonkeyPatch) -> None:
    """HLM: reliable when |z| > 1.96 in the slope's direction; the cut-off side uses the
    fitted first and last values (Claus et al. 2024, section 2.2). A stub stands in for the
    mixed model so this checks balm.change's own logic only."""
    ids = ["a", "b", "c", "d"]
    long = pd.DataFrame(
        {
            "id": np.repeat(ids, 3),
            "t": np.tile([0, 1, 2], 4),
            "y": [20, 15, 8, 20, 18, 16, 12, 12, 12, 8, 12, 16],
        }
    )
    slopes = pd.DataFrame(
        {
            "slope": [-6.0, -2.0, 0.0, 4.0],
            "slope_se": [1.0, 1.0, 1.0, 1.0],
            "z": [-6.0, -2.0, 0.0, 4.0],
            "p": [0.0, 0.05, 1.0, 0.0],
            "fitted_first": [20.0, 20.0, 12.0, 8.0],
            "fitted_last": [8.0, 16.0, 12.0, 16.0],
            "n_obs": [3, 3, 3, 3],
        },
        index=pd.Index(ids, name="id"),
    )
    _fake_mixed(monkeypatch, slopes)
    result = analyse_change(
        long, id="id", time="t", outcome="y", method="hlm", better="lower", cutoff_value=10
    )
    # a: z -6, 20 -> 8 crosses 10: recovered; b: z -2 (> 1.96) stays clinical: improved;
    # c: z 0: unchanged; d: z +4, 8 -> 16 crosses out: harmed.
    assert _categories(result) == ["recovered", "improved", "unchanged", "harmed"]
    assert result.method is not None and result.method.value == "hlm"


def test_hlm_needs_three_timepoints() -> None:
    """HLM uses all timepoints and needs at least 3 (Claus et al. 2024)."""
    with pytest.raises(ChangeInputError, match="at least 3 timepoints"):
        analyse_change(
            _data(),
            id="id",
            time="time",
            outcome="score",
            method="hlm",
            better="lower",
            approach="distribution",
        )


def test_hlm_with_the_mixed_model() -> None:
    """With the real mixed model (balm.change.mixed): three clear improvers, three flat.

    Synthetic: slopes -5 per step for a-c, 0 for d-f, small noise; everyone has 4 visits.
    """
    rng = np.random.default_rng(7)
    rows = []
    for k, pid in enumerate("abcdef"):
        slope = -5.0 if k < 3 else 0.0
        for t in range(4):
            rows.append({"id": pid, "t": t, "y": 30 + k + slope * t + rng.normal(0, 0.5)})
    result = analyse_change(
        pd.DataFrame(rows),
        id="id",
        time="t",
        outcome="y",
        method="hlm",
        better="lower",
        approach="distribution",
    )
    assert result.n_included == 6
    assert _categories(result)[:3] == ["improved"] * 3
    assert "improved" not in _categories(result)[3:]
