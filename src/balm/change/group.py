"""Group-level change: descriptives, tests, effect sizes and category proportions."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from balm.change.analysis import ChangeResult
from balm.change.data import check_columns, numeric_outcome, ordered_timepoints
from balm.change.effect_sizes import EffectSize, cohens_dav, cohens_dz, hedges_gav


@dataclass(frozen=True)
class GroupChange:
    """Pre-post change of a group of participants (complete pairs only).

    ``mean_change`` and the effect sizes are post - pre. ``t``/``p_t`` from the paired
    t-test (scipy.stats.ttest_rel), ``w``/``p_wilcoxon`` from the Wilcoxon signed-rank test
    (scipy.stats.wilcoxon, zero differences dropped, two-sided).
    """

    n: int
    mean_pre: float
    sd_pre: float
    mean_post: float
    sd_post: float
    mean_change: float
    sd_change: float
    change_ci_low: float
    change_ci_high: float
    r_pre_post: float
    t: float
    df: int
    p_t: float
    w: float
    p_wilcoxon: float
    d_z: EffectSize
    d_av: EffectSize
    g_av: EffectSize

    def as_row(self) -> dict[str, Any]:
        """Flat dict (effect sizes spread to ``d_z``, ``d_z_ci_low`` ...)."""
        row: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, dict):
                row[key] = value["estimate"]
                row[f"{key}_ci_low"] = value["ci_low"]
                row[f"{key}_ci_high"] = value["ci_high"]
            else:
                row[key] = value
        return row


def _sd(x: npt.NDArray[np.float64]) -> float:
    return float(np.std(x, ddof=1)) if x.size > 1 else math.nan


def group_change(
    pre: npt.ArrayLike, post: npt.ArrayLike, confidence: float = 0.95, *, tests: bool = True
) -> GroupChange:
    """Describe and test a group's pre-post change.

    Mean change M_diff with the t interval M_diff +/- t_{1-alpha/2, n-1} SD_diff / sqrt(n);
    paired t-test; Wilcoxon signed-rank test; Cohen's d_z, d_av and Hedges' g_av with
    intervals (see :mod:`balm.change.effect_sizes`).

    Parameters
    ----------
    pre, post : array_like
        Complete pairs.
    confidence : float
        Confidence level, default 0.95.
    tests : bool
        With False, the paired t-test and the Wilcoxon signed-rank test are not run (their
        fields are NaN): scipy's Wilcoxon p-value for a small group with tied differences is
        a permutation test that can take seconds, and a description needs neither.

    Returns
    -------
    GroupChange

    References
    ----------
    Lakens D (2013). Front Psychol 4:863.
    """
    x1 = np.asarray(pre, dtype=np.float64)
    x2 = np.asarray(post, dtype=np.float64)
    diff = x2 - x1
    n = int(diff.size)
    sd_diff = _sd(diff)
    mean_diff = float(diff.mean()) if n else math.nan
    if n > 1 and sd_diff > 0:
        half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd_diff / math.sqrt(n)
        t_res = stats.ttest_rel(x2, x1) if tests else None
        t_value = math.nan if t_res is None else float(t_res.statistic)
        p_t = math.nan if t_res is None else float(t_res.pvalue)
    else:
        half, t_value, p_t = math.nan, math.nan, math.nan
    if tests and n > 0 and bool(np.any(diff != 0)):
        with warnings.catch_warnings():
            # scipy notes when it falls back to the normal approximation (ties, zeros).
            warnings.simplefilter("ignore", UserWarning)
            w_res = stats.wilcoxon(diff)
        w, p_w = float(w_res.statistic), float(w_res.pvalue)
    else:
        w, p_w = math.nan, math.nan
    r = float(np.corrcoef(x1, x2)[0, 1]) if n > 2 and _sd(x1) > 0 and _sd(x2) > 0 else math.nan
    return GroupChange(
        n=n,
        mean_pre=float(x1.mean()) if n else math.nan,
        sd_pre=_sd(x1),
        mean_post=float(x2.mean()) if n else math.nan,
        sd_post=_sd(x2),
        mean_change=mean_diff,
        sd_change=sd_diff,
        change_ci_low=mean_diff - half,
        change_ci_high=mean_diff + half,
        r_pre_post=r,
        t=t_value,
        df=n - 1,
        p_t=p_t,
        w=w,
        p_wilcoxon=p_w,
        d_z=cohens_dz(x1, x2, confidence),
        d_av=cohens_dav(x1, x2, confidence),
        g_av=hedges_gav(x1, x2, confidence),
    )


def summarise_change(result: ChangeResult, confidence: float = 0.95) -> pd.DataFrame:
    """One row per group (and ``all``): group change statistics and category proportions.

    Parameters
    ----------
    result : ChangeResult
        From :func:`balm.change.analyse_change`.
    confidence : float

    Returns
    -------
    pandas.DataFrame
        Indexed by group name (``all`` first); columns of :class:`GroupChange` plus
        ``n_<category>`` and ``prop_<category>`` for the categories of the approach.
    """
    table = result.participants.loc[result.participants["included"]]
    parts: list[tuple[str, pd.DataFrame]] = [("all", table)]
    if "group" in table.columns:
        for name, part in table.groupby("group", sort=True, observed=True, dropna=True):
            parts.append((str(name), part))
    rows = []
    for name, part in parts:
        row = group_change(part["pre"].to_numpy(), part["post"].to_numpy(), confidence).as_row()
        tally = part["category"].value_counts()
        for c in result.categories_used:
            count = int(tally.get(c.value, 0))
            row[f"n_{c.value}"] = count
            row[f"prop_{c.value}"] = count / len(part) if len(part) else math.nan
        row["group"] = name
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def timepoint_summary(
    data: pd.DataFrame, *, id: str, time: str, outcome: str, group: str | None = None
) -> pd.DataFrame:
    """n, mean and SD of the outcome at each timepoint (within each group if given).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data.
    id, time, outcome : str
    group : str, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (when grouped), ``time``, ``n``, ``mean``, ``sd``, timepoints in
        order.
    """
    check_columns(data, [id, time, outcome, group])
    frame = pd.DataFrame({"time": data[time], "outcome": numeric_outcome(data, outcome)})
    keys = ["time"]
    if group is not None:
        frame.insert(0, "group", data[group])
        keys = ["group", "time"]
    out = (
        frame.dropna(subset=["outcome"])
        .groupby(keys, sort=False, observed=True)["outcome"]
        .agg(n="count", mean="mean", sd="std")
        .reset_index()
    )
    order = {v: i for i, v in enumerate(ordered_timepoints(data[time]))}
    out["_order"] = out["time"].map(order)
    sort_keys = ["group", "_order"] if group is not None else ["_order"]
    return out.sort_values(sort_keys).drop(columns="_order").reset_index(drop=True)
