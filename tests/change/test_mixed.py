"""Tests for balm.change.mixed, the random-intercept, random-slope growth model.

Independent references:

- statsmodels ``MixedLM`` (``smf.mixedlm(..., re_formula="~week")``), fitted with
  ``method="lbfgs"``; its default optimiser sequence stalls on several of these data
  sets.  Every reference fit must finish without warnings (``_statsmodels``), so a
  comparison is never made against an unconverged fit.
- Dense Henderson mixed-model equations (Henderson, 1975), built and inverted with
  plain numpy, for standard errors, BLUPs and their prediction error variances.
- A hand-derived balanced-ANOVA solution for a boundary fit.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from balm.change.errors import ChangeInputError
from balm.change.mixed import (
    GrowthModelInputError,
    GrowthModelResult,
    MissingColumnError,
    NonNumericColumnError,
    RankDeficientDesignError,
    TooFewParticipantsError,
    empirical_bayes_slopes,
    fit_growth_model,
)

TOL = 1e-4


def simulate(
    n: int,
    *,
    seed: int,
    weeks: int = 13,
    missing: float = 0.0,
    sd_slope: float = 0.5,
    fmt: bool = False,
    baseline: bool = False,
    singletons: int = 0,
) -> pd.DataFrame:
    """Weekly scores: 20 - 0.8 week, random intercept SD 4, random slope SD ``sd_slope``."""
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(n), weeks)
    week = np.tile(np.arange(weeks), n).astype(float)
    b0 = rng.normal(0.0, 4.0, n)
    b1 = rng.normal(0.0, sd_slope, n)
    online = rng.integers(0, 2, n)
    severity = rng.normal(25.0, 5.0, n)
    score = 20.0 + b0[pid] + (-0.8 + b1[pid]) * week + rng.normal(0.0, 3.0, n * weeks)
    if fmt:
        score += 1.5 * online[pid] + 0.3 * online[pid] * week
    if baseline:
        score += 0.4 * (severity[pid] - 25.0) - 0.02 * (severity[pid] - 25.0) * week
    frame = pd.DataFrame(
        {
            "pid": pid,
            "week": week,
            "score": score,
            "format": np.where(online[pid] == 1, "online", "in_person"),
            "baseline": severity[pid],
        }
    )
    frame = frame[rng.random(len(frame)) >= missing]
    if singletons:
        extra = frame.groupby("pid").head(1).iloc[:singletons].copy()
        extra["pid"] += 10_000
        frame = pd.concat([frame, extra])
    return frame.reset_index(drop=True)


def _statsmodels(frame: pd.DataFrame, formula: str, *, reml: bool = True) -> Any:
    """Reference fit; fails the test if statsmodels warns (e.g. did not converge)."""
    model = smf.mixedlm(formula, frame, groups=frame["pid"], re_formula="~week")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(reml=reml, method="lbfgs")
    assert not caught, f"statsmodels reference is not clean: {[str(w.message) for w in caught]}"
    return fit


def _sm_name(term: str) -> str:
    """balm term name -> statsmodels/patsy name."""
    if term == "intercept":
        return "Intercept"
    return term.replace("[", "[T.")


CASES = {
    "balanced": ({"n": 60, "seed": 1}, "score ~ week", ()),
    "missing_weeks": ({"n": 120, "seed": 3, "missing": 0.4}, "score ~ week", ()),
    "format_interaction": (
        {"n": 100, "seed": 5, "fmt": True, "missing": 0.2},
        "score ~ week * format",
        ("format",),
    ),
    "single_observations": (
        {"n": 80, "seed": 8, "missing": 0.2, "singletons": 15},
        "score ~ week",
        (),
    ),
    "numeric_moderator": (
        {"n": 90, "seed": 4, "baseline": True, "missing": 0.1},
        "score ~ week * baseline",
        ("baseline",),
    ),
}


@pytest.mark.parametrize("reml", [True, False], ids=["reml", "ml"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_statsmodels(case: str, reml: bool) -> None:
    kwargs, formula, by = CASES[case]
    frame = simulate(**kwargs)
    ours = fit_growth_model(frame, id="pid", time="week", outcome="score", by=by, reml=reml)
    ref = _statsmodels(frame, formula, reml=reml)

    assert ours.converged
    assert ours.n_observations == len(frame)
    assert ours.n_participants == frame["pid"].nunique()
    fe_ref = ref.fe_params.rename(index=lambda name: name)
    for term in ours.fixed_effects.index:
        assert ours.fixed_effects.loc[term, "estimate"] == pytest.approx(
            fe_ref[_sm_name(term)], abs=TOL
        ), term
    cov_re = ref.cov_re.to_numpy()
    assert ours.sd_intercept == pytest.approx(math.sqrt(cov_re[0, 0]), abs=TOL)
    assert ours.sd_slope == pytest.approx(math.sqrt(cov_re[1, 1]), abs=TOL)
    assert ours.corr == pytest.approx(
        cov_re[0, 1] / math.sqrt(cov_re[0, 0] * cov_re[1, 1]), abs=TOL
    )
    assert ours.sd_residual == pytest.approx(math.sqrt(ref.scale), abs=TOL)
    assert ours.loglik == pytest.approx(ref.llf, abs=TOL)
    # statsmodels takes fixed-effect SEs from the inverse of the full observed
    # information (fixed and variance parameters jointly); balm, like lme4, uses
    # (X'V^-1 X)^-1 sigma^2.  The two differ by O(1/N); exactness is checked against
    # the dense Henderson equations below.
    se_ref = ref.bse_fe.rename(index=lambda name: name)
    for term in ours.fixed_effects.index:
        assert ours.fixed_effects.loc[term, "se"] == pytest.approx(
            se_ref[_sm_name(term)], rel=5e-3
        ), term

    blups = pd.DataFrame(ref.random_effects).T
    blups = blups.loc[ours.random_effects.index]
    np.testing.assert_allclose(
        ours.random_effects[["intercept", "slope"]].to_numpy(), blups.to_numpy(), atol=TOL
    )


@pytest.mark.parametrize("case", ["balanced", "missing_weeks", "single_observations"])
def test_eb_slopes_match_statsmodels(case: str) -> None:
    kwargs, formula, _ = CASES[case]
    frame = simulate(**kwargs)
    eb = empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    ref = _statsmodels(frame, formula)
    ref_slopes = pd.Series(
        {pid: ref.fe_params["week"] + re["week"] for pid, re in ref.random_effects.items()}
    )
    np.testing.assert_allclose(
        eb["slope"].to_numpy(), ref_slopes.loc[eb.index].to_numpy(), atol=TOL
    )
    # statsmodels' conditional covariance of the random effects (beta known) is the
    # first term of balm's prediction error variance, so it is a lower bound.
    cond_sd = pd.Series(
        {pid: math.sqrt(cov.loc["week", "week"]) for pid, cov in ref.random_effects_cov.items()}
    )
    assert bool((eb["slope_se"] >= cond_sd.loc[eb.index] - TOL).all())
    assert list(eb.columns) == [
        "slope",
        "slope_se",
        "z",
        "p",
        "fitted_first",
        "fitted_last",
        "n_obs",
    ]
    assert eb["n_obs"].sum() == len(frame)


def test_conditional_se_matches_statsmodels_random_effects_cov() -> None:
    frame = simulate(60, seed=1, missing=0.3)
    ours = fit_growth_model(frame, id="pid", time="week", outcome="score")
    ref = _statsmodels(frame, "score ~ week")
    for pid, cov in ref.random_effects_cov.items():
        row = ours.random_effects.loc[pid]
        assert row["intercept_se"] == pytest.approx(math.sqrt(cov.iloc[0, 0]), abs=TOL)
        assert row["slope_se"] == pytest.approx(math.sqrt(cov.iloc[1, 1]), abs=TOL)


def _dense_henderson(frame: pd.DataFrame, result: GrowthModelResult) -> dict[str, Any]:
    """Solve and invert Henderson's mixed-model equations densely at balm's estimates."""
    ids = result.random_effects.index
    codes = ids.get_indexer(frame["pid"])
    n, n_groups = len(frame), len(ids)
    t = frame["week"].to_numpy(float)
    y = frame["score"].to_numpy(float)
    x = np.column_stack([np.ones(n), t])
    z = np.zeros((n, 2 * n_groups))
    z[np.arange(n), 2 * codes] = 1.0
    z[np.arange(n), 2 * codes + 1] = t
    sigma2 = result.sd_residual**2
    cov01 = result.corr * result.sd_intercept * result.sd_slope
    d = np.array([[result.sd_intercept**2, cov01], [cov01, result.sd_slope**2]])
    g_inv = np.kron(np.eye(n_groups), np.linalg.inv(d))
    lhs = np.block([[x.T @ x, x.T @ z], [z.T @ x, z.T @ z + sigma2 * g_inv]]) / sigma2
    rhs = np.concatenate([x.T @ y, z.T @ y]) / sigma2
    solution = np.linalg.solve(lhs, rhs)
    c = np.linalg.inv(lhs)
    pev = np.empty(n_groups)
    for i in range(n_groups):
        contrast = np.zeros(2 + 2 * n_groups)
        contrast[1] = 1.0
        contrast[2 + 2 * i + 1] = 1.0
        pev[i] = contrast @ c @ contrast
    # Conditional covariance of b given y with beta known: (Z'Z/s2 + G^-1)^-1.
    cond = np.linalg.inv(z.T @ z / sigma2 + g_inv)
    return {
        "beta": solution[:2],
        "se": np.sqrt(np.diag(c)[:2]),
        "blup": solution[2:].reshape(n_groups, 2),
        "pev": pev,
        "cond_slope_se": np.sqrt(np.diag(cond)[1::2]),
    }


def test_against_dense_henderson_equations() -> None:
    frame = simulate(30, seed=2, missing=0.3, singletons=3)
    result = fit_growth_model(frame, id="pid", time="week", outcome="score")
    eb = empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    dense = _dense_henderson(frame, result)
    np.testing.assert_allclose(result.fixed_effects["estimate"], dense["beta"], atol=1e-9)
    np.testing.assert_allclose(result.fixed_effects["se"], dense["se"], rtol=1e-9)
    np.testing.assert_allclose(
        result.random_effects[["intercept", "slope"]].to_numpy(), dense["blup"], atol=1e-9
    )
    np.testing.assert_allclose(result.random_effects["slope_se"], dense["cond_slope_se"], rtol=1e-9)
    np.testing.assert_allclose(eb["slope"], dense["beta"][1] + dense["blup"][:, 1], atol=1e-9)
    np.testing.assert_allclose(eb["slope_se"], np.sqrt(dense["pev"]), rtol=1e-9)
    np.testing.assert_allclose(eb["z"], eb["slope"] / eb["slope_se"])


def test_eb_fitted_values_and_counts() -> None:
    frame = simulate(40, seed=6, missing=0.3, singletons=2)
    eb = empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    result = fit_growth_model(frame, id="pid", time="week", outcome="score")
    times = frame.groupby("pid")["week"].agg(["min", "max", "size"])
    intercept = (
        result.fixed_effects.loc["intercept", "estimate"] + result.random_effects["intercept"]
    )
    np.testing.assert_allclose(eb["fitted_first"], intercept + eb["slope"] * times["min"])
    np.testing.assert_allclose(eb["fitted_last"], intercept + eb["slope"] * times["max"])
    assert (eb["n_obs"] == times["size"]).all()
    single = eb[eb["n_obs"] == 1]
    assert len(single) == 2
    assert (single["fitted_first"] == single["fitted_last"]).all()
    # Shrinkage: a single observation says little about a slope.
    assert (single["slope_se"] > eb.loc[eb["n_obs"] >= 10, "slope_se"].max()).all()
    np.testing.assert_allclose(eb["p"], 2 * (1 - _norm_cdf(np.abs(eb["z"].to_numpy()))), atol=1e-12)


def _norm_cdf(z: np.ndarray) -> np.ndarray:
    return np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in z])


def test_wald_intervals_and_tests() -> None:
    frame = simulate(50, seed=9, missing=0.2)
    fe = fit_growth_model(frame, id="pid", time="week", outcome="score").fixed_effects
    np.testing.assert_allclose(fe["ci_low"], fe["estimate"] - 1.959963984540054 * fe["se"])
    np.testing.assert_allclose(fe["ci_high"], fe["estimate"] + 1.959963984540054 * fe["se"])
    np.testing.assert_allclose(fe["z"], fe["estimate"] / fe["se"])
    assert list(fe.columns) == ["estimate", "se", "ci_low", "ci_high", "z", "p"]


def _boundary_data() -> pd.DataFrame:
    """Every participant's least-squares slope is exactly -0.5.

    Residual patterns are the orthogonal quadratic and cubic contrasts over weeks
    0..6, so they are orthogonal to (1, week) within each participant: the data show
    no between-participant variation in slope and the (RE)ML estimate of the slope
    variance is 0.  The model then reduces to a balanced random-intercept model whose
    REML solution is the one-way ANOVA estimator.
    """
    rng = np.random.default_rng(1)
    n, weeks = 30, 7
    t = np.arange(weeks, dtype=float)
    centred = t - 3.0
    quadratic = centred**2 - 4.0
    cubic = centred**3 - 7.0 * centred
    level = rng.normal(0.0, 3.0, n)
    u = rng.normal(0.0, 0.4, n)
    v = rng.normal(0.0, 0.1, n)
    y = (
        10.0
        + level[:, None]
        - 0.5 * t[None, :]
        + u[:, None] * quadratic[None, :]
        + v[:, None] * cubic[None, :]
    )
    return pd.DataFrame(
        {"pid": np.repeat(np.arange(n), weeks), "week": np.tile(t, n), "score": y.ravel()}
    )


def test_boundary_fit_no_slope_variation_hand_checked() -> None:
    frame = _boundary_data()
    result = fit_growth_model(frame, id="pid", time="week", outcome="score")
    assert result.converged
    assert result.sd_slope == 0.0
    assert math.isnan(result.corr)
    assert result.fixed_effects.loc["week", "estimate"] == pytest.approx(-0.5, abs=1e-9)

    # Balanced one-way random-effects ANOVA (REML = ANOVA when the estimate is > 0).
    y = frame["score"].to_numpy().reshape(30, 7)
    t = np.arange(7.0)
    means = y.mean(axis=1)
    within = y - means[:, None] + 0.5 * (t - t.mean())[None, :]
    sigma2 = float((within**2).sum()) / (30 * 6 - 1)
    between = 7 * float(((means - means.mean()) ** 2).sum()) / 29
    assert result.sd_residual == pytest.approx(math.sqrt(sigma2), abs=1e-6)
    assert result.sd_intercept == pytest.approx(math.sqrt((between - sigma2) / 7), abs=1e-6)
    assert result.fixed_effects.loc["intercept", "estimate"] == pytest.approx(
        means.mean() + 0.5 * t.mean(), abs=1e-9
    )

    # At the boundary the model is the random-intercept model, which statsmodels fits
    # cleanly.  (statsmodels' random-slope fit does not converge on these data: it
    # warns and stops at a lower log-likelihood, which is documented here rather than
    # compared.)
    model = smf.mixedlm("score ~ week", frame, groups=frame["pid"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ref = model.fit(reml=True, method="lbfgs")
    assert not caught
    assert result.loglik == pytest.approx(ref.llf, abs=TOL)
    assert result.sd_intercept == pytest.approx(math.sqrt(ref.cov_re.iloc[0, 0]), abs=TOL)
    assert result.sd_residual == pytest.approx(math.sqrt(ref.scale), abs=TOL)
    with pytest.warns(ConvergenceWarning):
        slope_ref = smf.mixedlm("score ~ week", frame, groups=frame["pid"], re_formula="~week").fit(
            reml=True, method="lbfgs"
        )
    assert result.loglik >= slope_ref.llf - 1e-8

    eb = empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    np.testing.assert_allclose(eb["slope"], -0.5, atol=1e-9)
    assert json.dumps(result.to_dict(), allow_nan=False)
    assert result.to_dict()["random_effects"]["corr"] is None


def test_small_slope_variance_matches_statsmodels_near_boundary() -> None:
    # No true slope variation: the estimate is small but positive.  statsmodels flags
    # any variance below 0.01 as possibly on the boundary (a ConvergenceWarning we
    # expect here); its estimates still agree.
    frame = simulate(100, seed=15, sd_slope=0.0, missing=0.2)
    ours = fit_growth_model(frame, id="pid", time="week", outcome="score")
    model = smf.mixedlm("score ~ week", frame, groups=frame["pid"], re_formula="~week")
    with pytest.warns(ConvergenceWarning, match="boundary"):
        ref = model.fit(reml=True, method="lbfgs")
    assert 0.0 < ours.sd_slope < 0.1
    assert ours.loglik == pytest.approx(ref.llf, abs=TOL)
    np.testing.assert_allclose(ours.fixed_effects["estimate"], ref.fe_params, atol=TOL)
    assert ours.sd_slope == pytest.approx(math.sqrt(ref.cov_re.iloc[1, 1]), abs=TOL)
    assert ours.sd_intercept == pytest.approx(math.sqrt(ref.cov_re.iloc[0, 0]), abs=TOL)


def test_singular_fit_matches_lme4() -> None:
    # Here the maximum is a singular covariance (correlation -1, lambda_22 = 0).
    # statsmodels (sqrt-Cholesky parameterisation) stops short of it: it warns and
    # reports a log-likelihood 0.34 lower.  Reference: lme4 1.1.31,
    # lmer(score ~ week + (week | pid), REML = TRUE) on the same data, which reports
    # "boundary (singular) fit" and the values below.
    frame = simulate(100, seed=13, sd_slope=0.0, missing=0.2)
    ours = fit_growth_model(frame, id="pid", time="week", outcome="score")
    assert ours.converged
    assert ours.theta[2] == 0.0  # lambda_22: rank-one covariance
    assert ours.corr == pytest.approx(-1.0)
    lme4 = {
        "intercept": 20.4999198061,
        "week": -0.8150596262,
        "sd_intercept": 4.19207912144,
        "sd_slope": 0.02547553199,
        "sd_residual": 2.90373928082,
        "loglik": -2725.45998652,
    }
    assert ours.fixed_effects["estimate"].tolist() == pytest.approx(
        [lme4["intercept"], lme4["week"]], abs=TOL
    )
    for name in ("sd_intercept", "sd_slope", "sd_residual"):
        assert getattr(ours, name) == pytest.approx(lme4[name], abs=5e-4), name
    assert ours.loglik >= lme4["loglik"] - 1e-6
    model = smf.mixedlm("score ~ week", frame, groups=frame["pid"], re_formula="~week")
    with pytest.warns(ConvergenceWarning, match="boundary"):
        ref = model.fit(reml=True, method="lbfgs")
    assert ours.loglik > ref.llf + 0.1


def test_to_dict_shape() -> None:
    frame = simulate(40, seed=12, fmt=True)
    result = fit_growth_model(frame, id="pid", time="week", outcome="score", by=["format"])
    out = result.to_dict()
    assert set(out) == {"n_participants", "n_observations", "fixed_effects", "random_effects"}
    assert list(out["fixed_effects"]) == [
        "intercept",
        "week",
        "format[online]",
        "week:format[online]",
    ]
    for entry in out["fixed_effects"].values():
        assert set(entry) == {"estimate", "ci_low", "ci_high"}
    assert set(out["random_effects"]) == {"sd_intercept", "sd_slope", "corr", "sd_residual"}
    json.dumps(out, allow_nan=False)


def test_categorical_reference_level_follows_category_order() -> None:
    frame = simulate(40, seed=13, fmt=True)
    frame["format"] = pd.Categorical(frame["format"], categories=["online", "in_person"])
    result = fit_growth_model(frame, id="pid", time="week", outcome="score", by=["format"])
    assert "format[in_person]" in result.fixed_effects.index


# ------------------------------------------------------------------ properties


def _small(seed: int) -> pd.DataFrame:
    return simulate(25, seed=seed, weeks=6, missing=0.25)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-100.0, 100.0, allow_nan=False))
def test_shifting_scores_moves_only_the_intercept(seed: int, shift: float) -> None:
    frame = _small(seed)
    base = fit_growth_model(frame, id="pid", time="week", outcome="score")
    moved = fit_growth_model(
        frame.assign(score=frame["score"] + shift), id="pid", time="week", outcome="score"
    )
    assert moved.fixed_effects.loc["intercept", "estimate"] == pytest.approx(
        base.fixed_effects.loc["intercept", "estimate"] + shift, abs=1e-6
    )
    assert moved.fixed_effects.loc["week", "estimate"] == pytest.approx(
        base.fixed_effects.loc["week", "estimate"], abs=1e-6
    )
    for name in ("sd_intercept", "sd_slope", "sd_residual", "loglik"):
        assert getattr(moved, name) == pytest.approx(getattr(base, name), abs=1e-5), name


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), order_seed=st.integers(0, 2**32 - 1))
def test_participant_order_and_labels_change_nothing(seed: int, order_seed: int) -> None:
    frame = _small(seed)
    base = fit_growth_model(frame, id="pid", time="week", outcome="score")
    rng = np.random.default_rng(order_seed)
    relabel = {
        pid: f"P{code:03d}"
        for pid, code in zip(
            frame["pid"].unique(), rng.permutation(frame["pid"].nunique()), strict=True
        )
    }
    shuffled = frame.sample(frac=1.0, random_state=rng).assign(pid=lambda f: f["pid"].map(relabel))
    other = fit_growth_model(shuffled, id="pid", time="week", outcome="score")
    np.testing.assert_allclose(
        other.fixed_effects["estimate"], base.fixed_effects["estimate"], atol=1e-7
    )
    assert other.loglik == pytest.approx(base.loglik, abs=1e-7)
    blups = base.random_effects.rename(index=relabel).loc[other.random_effects.index]
    np.testing.assert_allclose(
        other.random_effects[["intercept", "slope"]], blups[["intercept", "slope"]], atol=1e-6
    )


@pytest.mark.parametrize("reml", [True, False], ids=["reml", "ml"])
@pytest.mark.parametrize(("offset", "unit"), [(0.0, 7.0), (20_000.0, 7.0), (0.0, 1000.0)])
def test_unit_and_origin_of_time_are_equivariant(reml: bool, offset: float, unit: float) -> None:
    # time in days since some origin instead of weeks: the same model, reparameterised.
    # The slope scales by 1/unit; fitted values, the residual SD and the ML
    # log-likelihood are unchanged; the REML log-likelihood moves by -log(unit) per
    # time-related fixed effect (the log|X'V^-1 X| term).
    frame = simulate(60, seed=21, missing=0.25)
    weeks = fit_growth_model(frame, id="pid", time="week", outcome="score", reml=reml)
    days_frame = frame.assign(week=offset + unit * frame["week"])
    days = fit_growth_model(days_frame, id="pid", time="week", outcome="score", reml=reml)
    assert days.converged
    assert days.fixed_effects.loc["week", "estimate"] == pytest.approx(
        weeks.fixed_effects.loc["week", "estimate"] / unit, rel=1e-6
    )
    assert days.fixed_effects.loc["week", "se"] == pytest.approx(
        weeks.fixed_effects.loc["week", "se"] / unit, rel=1e-5
    )
    assert days.sd_slope == pytest.approx(weeks.sd_slope / unit, rel=1e-5)
    assert days.sd_residual == pytest.approx(weeks.sd_residual, rel=1e-6)
    shift = -math.log(unit) if reml else 0.0
    assert days.loglik == pytest.approx(weeks.loglik + shift, abs=1e-6)
    eb_weeks = empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    eb_days = empirical_bayes_slopes(days_frame, id="pid", time="week", outcome="score")
    np.testing.assert_allclose(eb_days["slope"] * unit, eb_weeks["slope"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(eb_days["z"], eb_weeks["z"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eb_days["fitted_last"], eb_weeks["fitted_last"], atol=1e-5)


def test_eb_attrs_describe_the_model() -> None:
    frame = simulate(40, seed=3)
    eb = empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    fit = fit_growth_model(frame, id="pid", time="week", outcome="score")
    assert eb.attrs["fixed_slope"] == pytest.approx(fit.fixed_effects.loc["week", "estimate"])
    assert eb.attrs["sd_slope"] == pytest.approx(fit.sd_slope)
    assert eb.attrs["converged"] is True
    assert eb.index.name == "pid"


# ------------------------------------------------------------------ validation


def test_missing_column_names_the_column_and_lists_present() -> None:
    frame = simulate(5, seed=0)
    with pytest.raises(MissingColumnError, match=r"'wk'.*columns present: 'pid', 'week'"):
        fit_growth_model(frame, id="pid", time="wk", outcome="score")
    with pytest.raises(MissingColumnError, match="'group'"):
        fit_growth_model(frame, id="pid", time="week", outcome="score", by=["group"])


def test_non_numeric_outcome_names_rows() -> None:
    frame = simulate(5, seed=0)
    frame["score"] = frame["score"].astype(object)
    frame.loc[3, "score"] = "n/a"
    frame.loc[7, "score"] = "twelve"
    with pytest.raises(NonNumericColumnError, match=r"'score'.*row 3 \('n/a'\), row 7"):
        fit_growth_model(frame, id="pid", time="week", outcome="score")


def test_non_numeric_time_names_rows() -> None:
    frame = simulate(5, seed=0)
    frame["week"] = frame["week"].astype(object)
    frame.loc[2, "week"] = "week 2"
    with pytest.raises(NonNumericColumnError, match=r"time column 'week'.*row 2"):
        fit_growth_model(frame, id="pid", time="week", outcome="score")


def test_missing_values_are_dropped_not_errors() -> None:
    frame = simulate(20, seed=0)
    frame.loc[[1, 5, 9], "score"] = np.nan
    result = fit_growth_model(frame, id="pid", time="week", outcome="score")
    assert result.n_observations == len(frame) - 3


def test_too_few_participants() -> None:
    frame = simulate(1, seed=0)
    with pytest.raises(TooFewParticipantsError, match="at least 2 participants"):
        fit_growth_model(frame, id="pid", time="week", outcome="score")
    with pytest.raises(TooFewParticipantsError):
        empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")


def test_single_time_value_is_rank_deficient() -> None:
    frame = simulate(10, seed=0)
    frame["week"] = 3.0
    with pytest.raises(RankDeficientDesignError, match="single value"):
        fit_growth_model(frame, id="pid", time="week", outcome="score")


def test_no_more_observations_than_random_effects() -> None:
    # As lme4: n <= 2 x participants cannot separate the random effects from the
    # residual (here every participant has a single observation).
    frame = simulate(30, seed=0).groupby("pid").sample(1, random_state=0)
    with pytest.raises(TooFewParticipantsError, match="2 x participants"):
        fit_growth_model(frame, id="pid", time="week", outcome="score")


@pytest.mark.parametrize("score", ["constant", "linear"])
def test_no_residual_variation_is_refused(score: str) -> None:
    frame = simulate(20, seed=0)
    frame["score"] = 5.0 if score == "constant" else 3.0 + 2.0 * frame["week"]
    with pytest.raises(GrowthModelInputError, match="no residual variation"):
        fit_growth_model(frame, id="pid", time="week", outcome="score")


def test_errors_are_change_input_errors() -> None:
    for error in (
        MissingColumnError,
        NonNumericColumnError,
        TooFewParticipantsError,
        RankDeficientDesignError,
    ):
        assert issubclass(error, ChangeInputError)
        assert issubclass(error, ValueError)
