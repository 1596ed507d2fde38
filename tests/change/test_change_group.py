"""Group-level change: descriptives, tests and effect sizes (Lakens 2013)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from balm.change import (
    analyse_change,
    cohens_dav,
    cohens_dz,
    group_change,
    hedges_gav,
    method_sensitivity,
    noncentrality_interval,
    summarise_change,
    timepoint_summary,
)

PRE = np.array([10.0, 12.0, 14.0, 16.0])
POST = np.array([4.0, 12.0, 20.0, 15.0])


def test_effect_sizes_hand_worked() -> None:
    """Lakens (2013) eq. 7 and 10 on a made-up case.

    diff = -6, 0, 6, -1: M_diff = -0.25, SD_diff = sqrt(72.75 / 3) = 4.92443;
    d_z = -0.25 / 4.92443 = -0.050767.
    SD_pre = 2.58199, SD_post = sqrt(134.75 / 3) = 6.70199, SD_av = 4.64199;
    d_av = -0.25 / 4.64199 = -0.053856; J = 1 - 3 / (4 * 3 - 1) = 0.727273;
    g_av = -0.039168.
    """
    assert cohens_dz(PRE, POST).estimate == pytest.approx(-0.050767, abs=1e-6)
    assert cohens_dav(PRE, POST).estimate == pytest.approx(-0.053856, abs=1e-6)
    assert hedges_gav(PRE, POST).estimate == pytest.approx(-0.039168, abs=1e-6)


def test_group_change_hand_worked() -> None:
    """t = M_diff / (SD_diff / sqrt(n)) = -0.25 / (4.92443 / 2) = -0.101535, df 3; the mean
    change interval is -0.25 +/- t(.975, 3) 2.462214 = -0.25 +/- 7.835896."""
    g = group_change(PRE, POST)
    assert g.t == pytest.approx(-0.101535, abs=1e-6)
    assert g.df == 3
    half = stats.t.ppf(0.975, 3) * 4.924429 / 2
    assert g.change_ci_low == pytest.approx(-0.25 - half, abs=1e-5)
    assert g.change_ci_high == pytest.approx(-0.25 + half, abs=1e-5)
    assert g.p_wilcoxon == pytest.approx(stats.wilcoxon(POST - PRE).pvalue)


def test_noncentral_interval_inverts_the_cdf() -> None:
    """The interval's ends are where the noncentral t cdf at t is .975 and .025
    (Steiger & Fouladi 1997)."""
    low, high = noncentrality_interval(2.5, 19)
    assert stats.nct.cdf(2.5, 19, low) == pytest.approx(0.975, abs=1e-8)
    assert stats.nct.cdf(2.5, 19, high) == pytest.approx(0.025, abs=1e-8)
    # Far tails do not break the root finding.
    low, high = noncentrality_interval(-40.0, 39)
    assert low < -40 < high


def test_dz_interval_near_the_large_sample_approximation() -> None:
    """For large n the exact interval approaches d_z +/- 1.96 sqrt(1/n + d^2 / (2n))
    (the usual large-sample variance of a standardised mean)."""
    rng = np.random.default_rng(1)
    pre = rng.normal(20, 5, 2000)
    post = pre - 2 + rng.normal(0, 4, 2000)
    d = cohens_dz(pre, post)
    se = math.sqrt(1 / 2000 + d.estimate**2 / (2 * 2000))
    assert d.ci_low == pytest.approx(d.estimate - 1.96 * se, abs=3e-3)
    assert d.ci_high == pytest.approx(d.estimate + 1.96 * se, abs=3e-3)


def test_g_av_interval_is_d_av_times_j() -> None:
    """g_av interval = d_av interval times J (Lakens 2013; Hedges 1981)."""
    d, g = cohens_dav(PRE, POST), hedges_gav(PRE, POST)
    j = 1 - 3 / 11
    assert g.ci_low == pytest.approx(d.ci_low * j)
    assert g.ci_high == pytest.approx(d.ci_high * j)
    assert d.ci_low < d.estimate < d.ci_high


def test_degenerate_groups_give_nan_not_warnings() -> None:
    """No change at all, or one participant: NaN statistics, no warnings (which are errors)."""
    same = group_change([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert math.isnan(same.w) and math.isnan(same.d_z.estimate)
    one = group_change([5.0], [3.0])
    assert one.n == 1 and math.isnan(one.t)


def _long() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for k in range(24):
        site = "online" if k % 2 else "in person"
        level = rng.normal(30, 6)
        for t in range(3):
            rows.append({"id": k, "t": t, "site": site, "y": level - 4 * t + rng.normal(0, 3)})
    return pd.DataFrame(rows)


def test_summary_by_group_and_timepoints() -> None:
    """One row for all and one per group, proportions per category summing to 1."""
    data = _long()
    result = analyse_change(
        data,
        id="id",
        time="t",
        outcome="y",
        reliability=0.8,
        better="lower",
        group="site",
        approach="distribution",
    )
    table = summarise_change(result)
    assert list(table.index) == ["all", "in person", "online"]
    props = table[["prop_improved", "prop_unchanged", "prop_deteriorated"]].sum(axis=1)
    assert props.to_numpy() == pytest.approx([1.0, 1.0, 1.0])
    assert table.loc["all", "n"] == 24
    times = timepoint_summary(data, id="id", time="t", outcome="y", group="site")
    assert times["n"].tolist() == [12] * 6
    assert times["time"].tolist() == [0, 1, 2, 0, 1, 2]


def test_method_sensitivity_table() -> None:
    """Every pre-post method side by side; hlm only when asked here (3 timepoints)."""
    data = _long()
    table = method_sensitivity(
        data,
        id="id",
        time="t",
        outcome="y",
        reliability=0.8,
        better="lower",
        approach="distribution",
        include_hlm=False,
    )
    assert list(table.index) == ["jt", "gln", "en", "hll", "nk", "ha"]
    counts = table[["recovered", "improved", "unchanged", "deteriorated", "harmed"]]
    assert (counts.sum(axis=1) == table["n_included"]).all()


def test_group_change_without_tests_describes_the_same() -> None:
    """tests=False leaves the description and effect sizes as they are; the tests are NaN."""
    full, quick = group_change(PRE, POST), group_change(PRE, POST, tests=False)
    assert math.isnan(quick.t) and math.isnan(quick.p_t) and math.isnan(quick.p_wilcoxon)
    assert not math.isnan(full.p_wilcoxon)
    for name in ("n", "mean_change", "sd_change", "change_ci_low", "change_ci_high", "d_z",
                 "g_av", "mean_pre", "sd_post"):  # fmt: skip
        assert getattr(quick, name) == getattr(full, name), name
