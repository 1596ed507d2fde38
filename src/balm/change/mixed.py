"""Longitudinal linear mixed model (random intercept and slope), fitted fast.

The model is the two-level growth model used to evaluate group programmes with
repeated measures (Laird & Ware, 1982; Raudenbush & Bryk, 2002, ch. 6):

.. math::

    y_{ij} = x_{ij}^\\top \\beta + b_{i0} + b_{i1} t_{ij} + \\varepsilon_{ij},
    \\qquad b_i \\sim N(0, \\Sigma_b), \\quad \\varepsilon_{ij} \\sim N(0, \\sigma^2)

for participant :math:`i` at occasion :math:`j`, with an unstructured
:math:`2 \\times 2` covariance :math:`\\Sigma_b` of the random intercept and the
random slope on time.  The fixed part :math:`x_{ij}^\\top\\beta` is
``intercept + time`` plus, optionally, covariates and their interaction with
time.  Every observed score is used: participants with missing weeks, and
participants with a single observation, still contribute (the estimates are
valid when data are missing at random).

Algorithm
---------
The parameterisation and profiled criterion follow lme4 (Bates et al., 2015):
:math:`\\Sigma_b = \\sigma^2 \\Lambda_\\theta \\Lambda_\\theta^\\top` with
:math:`\\Lambda_\\theta` lower triangular,
:math:`\\theta = (\\lambda_{11}, \\lambda_{21}, \\lambda_{22})`,
:math:`\\lambda_{11}, \\lambda_{22} \\ge 0`.  Write :math:`G = \\Lambda\\Lambda^\\top`,
:math:`Z_i = [1, t_i]`, :math:`S_i = Z_i^\\top Z_i` and
:math:`M_i = I_2 + \\Lambda^\\top S_i \\Lambda`.  The marginal covariance of
participant :math:`i` is :math:`V_i = \\sigma^2 (I + Z_i G Z_i^\\top)`; by the
Woodbury identity and the matrix determinant lemma

.. math::

    \\sigma^2 V_i^{-1} = I - Z_i P_i Z_i^\\top, \\quad
    P_i = \\Lambda M_i^{-1} \\Lambda^\\top, \\quad
    \\log|\\sigma^{-2} V_i| = \\log|M_i|,

so every quantity the likelihood needs is a sum over participants of
:math:`2\\times2` algebra on the per-participant sufficient statistics
:math:`S_i`, :math:`Z_i^\\top X_i`, :math:`Z_i^\\top y_i` plus the global
:math:`X^\\top X`, :math:`X^\\top y`, :math:`y^\\top y`.  These are computed once
(``numpy.bincount``); afterwards one evaluation of the criterion costs
:math:`O(N p^2)` for :math:`N` participants, independent of the number of
observations.  With

.. math::

    A(\\theta) = X^\\top X - \\sum_i (Z_i^\\top X_i)^\\top P_i (Z_i^\\top X_i), \\quad
    c(\\theta) = X^\\top y - \\sum_i (Z_i^\\top X_i)^\\top P_i (Z_i^\\top y_i),

the generalised least-squares estimate is :math:`\\hat\\beta = A^{-1} c`, the
penalised residual sum of squares is
:math:`r^2 = y^\\top y - \\sum_i (Z_i^\\top y_i)^\\top P_i (Z_i^\\top y_i) - c^\\top\\hat\\beta`,
and :math:`\\beta` and :math:`\\sigma^2` are profiled out in closed form:

.. math::

    -2\\ell_{ML}(\\theta) = \\sum_i \\log|M_i| + n\\left[1 + \\log(2\\pi r^2 / n)\\right]

    -2\\ell_{REML}(\\theta) = \\sum_i \\log|M_i| + \\log|A|
        + (n-p)\\left[1 + \\log(2\\pi r^2 / (n - p))\\right]

with :math:`\\hat\\sigma^2 = r^2/n` (ML) or :math:`r^2/(n-p)` (REML).  The
analytic gradient follows from :math:`dP_i = Q_i^\\top\\,dG\\,Q_i` with
:math:`Q_i = I - S_i P_i = (I + S_i G)^{-1}`,
:math:`d\\log|M_i| = \\operatorname{tr}(Q_i S_i\\,dG)` and the envelope theorem for
:math:`\\beta`, and the criterion is minimised over :math:`\\theta` with bounded
L-BFGS-B (``scipy.optimize.minimize``) from a method-of-moments start, then
polished by projected Newton steps (Hessian by differences of the analytic
gradient) until the predicted further gain in :math:`-2\\ell` is below
:math:`10^{-7}`; that Newton decrement is the convergence criterion.

Numerical details: time is standardised internally (mean 0, SD 1) and every
estimate transformed back exactly, so days, weeks or calendar dates fit equally
well; the REML log-likelihood is reported for the design on the original time
scale (as lme4 and statsmodels do).  A fit on the boundary (slope variance 0, or a
singular covariance with correlation :math:`\\pm 1`) is a valid optimum and is
returned as such.  The sums over participants use elementwise numpy only (no BLAS
matrix products), which keeps OpenBLAS worker threads idle.  As in lme4, data
with no more observations than random effects (:math:`n \\le 2N`) are refused.

After the fit: :math:`\\operatorname{Cov}(\\hat\\beta) = \\hat\\sigma^2 A^{-1}`
(the inverse of :math:`X^\\top V^{-1} X`), Wald confidence intervals, and for
each participant the empirical Bayes (BLUP) random effects
:math:`\\hat b_i = P_i Z_i^\\top (y_i - X_i\\hat\\beta)` with conditional covariance
:math:`\\hat\\sigma^2 P_i` (Henderson, 1975).

References
----------
Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear
mixed-effects models using lme4. *Journal of Statistical Software*, 67(1),
1-48. https://doi.org/10.18637/jss.v067.i01

Claus, B. B., Wager, J., & Bonnet, U. (2024). clinicalsignificance: Clinical
significance analyses of intervention studies in R. *Journal of Statistical
Software*, 111(1), 1-39. https://doi.org/10.18637/jss.v111.i01

Henderson, C. R. (1975). Best linear unbiased estimation and prediction under a
selection model. *Biometrics*, 31(2), 423-447. https://doi.org/10.2307/2529430

Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal
data. *Biometrics*, 38(4), 963-974. https://doi.org/10.2307/2529876

Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical linear models:
Applications and data analysis methods* (2nd ed.). Sage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, stats

from balm.change.errors import ChangeInputError

__all__ = [
    "GrowthModelInputError",
    "GrowthModelResult",
    "MissingColumnError",
    "NonNumericColumnError",
    "RankDeficientDesignError",
    "TooFewParticipantsError",
    "empirical_bayes_slopes",
    "fit_growth_model",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_Z_975 = float(stats.norm.ppf(0.975))
_MAX_ROWS_IN_MESSAGE = 5


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class GrowthModelInputError(ChangeInputError):
    """The data cannot be fitted by the growth model; the message says why.

    A :class:`ValueError` (through :class:`balm.change.errors.ChangeInputError`) whose
    message can be shown to a researcher as it is.
    """


class MissingColumnError(GrowthModelInputError):
    """A column named in the call is not in the data."""


class NonNumericColumnError(GrowthModelInputError):
    """Time or outcome (or a numeric covariate) holds values that are not numbers."""


class TooFewParticipantsError(GrowthModelInputError):
    """Fewer than two participants (or too few observations) remain to fit the model."""


class RankDeficientDesignError(GrowthModelInputError):
    """The fixed-effects design is rank deficient (for example time takes a single value)."""


# --------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    """Return ``value`` as a float, or ``None`` when it is not finite (JSON has no NaN)."""
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class GrowthModelResult:
    """Fitted random-intercept, random-slope growth model.

    Attributes
    ----------
    n_participants, n_observations : int
        Participants and observations used (rows with a missing id, time, outcome or
        ``by`` value are dropped; every other row is used).
    time : str
        Name of the time column (the term name of the fixed slope).
    fixed_effects : pandas.DataFrame
        Indexed by term name, columns ``estimate, se, ci_low, ci_high, z, p``.  Terms are
        ``intercept``, the time column, then for each ``by`` column either the column
        name (numeric) or ``column[level]`` for each non-reference level of a
        categorical column (the first level is the reference), followed by the
        interactions with time named ``<time>:<term>``, e.g. ``week:format[online]``.
        Standard errors are :math:`\\sqrt{\\operatorname{diag}(\\hat\\sigma^2 A^{-1})}`,
        ``ci_low``/``ci_high`` are 95% Wald intervals
        :math:`\\hat\\beta \\pm 1.96\\,\\mathrm{se}`, ``z`` = estimate / se and ``p`` its
        two-sided normal p-value, as statsmodels ``MixedLM`` reports by default (no
        small-sample degrees-of-freedom correction).
    sd_intercept, sd_slope, corr, sd_residual : float
        Standard deviations of the random intercept and random slope, their
        correlation (NaN when either SD is zero) and the residual SD.
    loglik : float
        Maximised (restricted) log-likelihood, on the same scale as statsmodels
        ``MixedLMResults.llf`` and lme4 ``logLik``.
    reml : bool
        True when fitted by REML, False for ML.
    converged : bool
        Whether the optimiser reported convergence.
    random_effects : pandas.DataFrame
        Indexed by participant id, columns ``intercept, slope`` (the BLUPs
        :math:`\\hat b_i`, deviations from the fixed part) and ``intercept_se,
        slope_se``, their conditional standard errors
        :math:`\\sqrt{\\operatorname{diag}(\\hat\\sigma^2 P_i)}` given
        :math:`\\hat\\beta` (lme4 ``ranef(condVar = TRUE)``, statsmodels
        ``random_effects_cov``), plus ``n_obs``.  ``slope / slope_se`` is the
        statistic of ``clinicalsignificance``'s HLM method (see
        :func:`empirical_bayes_slopes`).  After a boundary fit with ``sd_slope`` 0 the
        slope BLUPs and their SEs are 0, so that ratio is undefined.
    theta : tuple of float
        The relative Cholesky factor :math:`(\\lambda_{11}, \\lambda_{21}, \\lambda_{22})`
        of :math:`\\Sigma_b / \\sigma^2` on the original time scale (lme4's
        ``getME(fit, "theta")``); :math:`\\lambda_{22} = 0` marks a singular fit.
    """

    n_participants: int
    n_observations: int
    time: str
    fixed_effects: pd.DataFrame
    sd_intercept: float
    sd_slope: float
    corr: float
    sd_residual: float
    loglik: float
    reml: bool
    converged: bool
    random_effects: pd.DataFrame
    theta: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready summary.

        Returns
        -------
        dict
            ``{"n_participants", "n_observations", "fixed_effects": {term: {"estimate",
            "ci_low", "ci_high"}}, "random_effects": {"sd_intercept", "sd_slope",
            "corr", "sd_residual"}}``.  Non-finite numbers (an undefined correlation)
            become ``None``.
        """
        fixed: dict[str, dict[str, float | None]] = {}
        for term, row in self.fixed_effects.iterrows():
            fixed[str(term)] = {
                "estimate": _json_float(float(row["estimate"])),
                "ci_low": _json_float(float(row["ci_low"])),
                "ci_high": _json_float(float(row["ci_high"])),
            }
        return {
            "n_participants": int(self.n_participants),
            "n_observations": int(self.n_observations),
            "fixed_effects": fixed,
            "random_effects": {
                "sd_intercept": _json_float(self.sd_intercept),
                "sd_slope": _json_float(self.sd_slope),
                "corr": _json_float(self.corr),
                "sd_residual": _json_float(self.sd_residual),
            },
        }


# --------------------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    """Validated long data as arrays, participants coded 0..N-1."""

    codes: IntArray
    ids: pd.Index
    t: FloatArray  # time as given
    y: FloatArray
    x: FloatArray  # design on the standardised time scale (see ``transform``)
    terms: list[str]
    time_name: str
    centre: float  # time = centre + scale * standardised time
    scale: float
    transform: FloatArray  # x_original = x @ transform


def _describe_rows(index: pd.Index, values: pd.Series) -> str:
    """Name the first few offending rows: ``row 3 ('abc'), row 7 ('n/a') and 4 more``.

    Rows are named by their index label, prefixed with the index name when it has
    one (the CLI names its index ``line``, the CSV line number).
    """
    label = str(index.name) if index.name is not None else "row"
    shown = [
        f"{label} {key!r} ({value!r})"
        if not isinstance(key, (int, np.integer))
        else f"{label} {key} ({value!r})"
        for key, value in zip(
            index[:_MAX_ROWS_IN_MESSAGE], values[:_MAX_ROWS_IN_MESSAGE], strict=True
        )
    ]
    more = len(index) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _numeric_column(data: pd.DataFrame, column: str, role: str) -> pd.Series:
    """Return ``data[column]`` as float, raising on entries that are not numbers."""
    raw = data[column]
    if pd.api.types.is_bool_dtype(raw):
        raise NonNumericColumnError(f"{role} column {column!r} is boolean, not numeric")
    converted = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = converted.isna() & raw.notna()
    bad |= np.isinf(converted.to_numpy())
    if bool(bad.any()):
        rows = _describe_rows(data.index[bad.to_numpy()], raw[bad])
        raise NonNumericColumnError(
            f"{role} column {column!r} has {int(bad.sum())} value(s) that are not finite "
            f"numbers: {rows}"
        )
    return converted


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _levels(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [level for level in series.cat.categories if level in present]
    uniques = list(series.dropna().unique())
    try:
        return sorted(uniques)
    except TypeError:
        return sorted(uniques, key=str)


def _prepare(data: pd.DataFrame, *, id: str, time: str, outcome: str, by: Sequence[str]) -> _Design:
    if not isinstance(data, pd.DataFrame):
        raise GrowthModelInputError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if isinstance(by, str):
        by = (by,)
    wanted = [id, time, outcome, *by]
    missing = [column for column in wanted if column not in data.columns]
    if missing:
        present = ", ".join(repr(str(c)) for c in data.columns)
        raise MissingColumnError(
            f"column(s) {', '.join(repr(m) for m in missing)} not in the data; "
            f"columns present: {present}"
        )
    if len(set(wanted)) != len(wanted):
        raise GrowthModelInputError(
            f"id, time, outcome and by must name different columns, got {wanted!r}"
        )

    t_all = _numeric_column(data, time, "time")
    y_all = _numeric_column(data, outcome, "outcome")
    keep = t_all.notna() & y_all.notna() & data[id].notna()
    by_columns: dict[str, pd.Series] = {}
    for column in by:
        series = data[column]
        if not _is_categorical(series):
            series = _numeric_column(data, column, "by")
        by_columns[column] = series
        keep &= series.notna()
    keep_mask = keep.to_numpy()

    id_values = data[id][keep_mask]
    try:
        codes, ids = pd.factorize(id_values, sort=True)
    except TypeError:
        codes, ids = pd.factorize(id_values, sort=False)
    n_participants = len(ids)
    if n_participants < 2:
        raise TooFewParticipantsError(
            f"the model needs at least 2 participants with a non-missing {time!r} and "
            f"{outcome!r}; found {n_participants}"
        )

    t = t_all.to_numpy()[keep_mask]
    y = y_all.to_numpy()[keep_mask]
    n = len(y)
    if np.ptp(t) == 0:
        raise RankDeficientDesignError(
            f"time column {time!r} takes a single value ({float(t[0])!r}); a slope over time "
            "cannot be estimated"
        )
    # The model is fitted on a standardised time scale (mean 0, SD 1), which keeps the
    # optimisation well conditioned whatever the unit of time (weeks, days, dates);
    # estimates are transformed back exactly, since the unstructured covariance is
    # equivariant under an affine change of time.
    centre = float(np.mean(t))
    scale = float(np.std(t))
    ts = (t - centre) / scale
    columns: list[FloatArray] = [np.ones(n), ts]
    terms = ["intercept", time]
    # (index of the main-effect column, term name, values) for each by-column term
    mains: list[tuple[str, FloatArray]] = []
    for column, series in by_columns.items():
        kept = series[keep_mask]
        if _is_categorical(kept):
            levels = _levels(kept)
            if len(levels) < 2:
                raise RankDeficientDesignError(
                    f"by column {column!r} has a single level ({levels!r}) among the rows "
                    "used; it cannot be estimated"
                )
            values = kept.to_numpy()
            for level in levels[1:]:
                mains.append((f"{column}[{level}]", (values == level).astype(np.float64)))
        else:
            mains.append((column, kept.to_numpy(dtype=np.float64)))
    k = len(mains)
    p = 2 + 2 * k
    transform = np.zeros((p, p))
    transform[0, 0] = 1.0
    transform[0, 1] = centre
    transform[1, 1] = scale
    for j, (term, values_f) in enumerate(mains):
        main, inter = 2 + j, 2 + k + j
        columns.append(values_f)
        terms.append(term)
        transform[main, main] = 1.0
        transform[main, inter] = centre
        transform[inter, inter] = scale
    for term, values_f in mains:
        columns.append(values_f * ts)
        terms.append(f"{time}:{term}")
    x = np.column_stack(columns)

    if n <= p:
        raise TooFewParticipantsError(
            f"{n} observation(s) cannot identify {p} fixed effects plus variance components"
        )
    if n <= 2 * n_participants:
        raise TooFewParticipantsError(
            f"{n} observations for {n_participants} participants: with a random intercept "
            "and a random slope per participant there must be more observations than "
            "2 x participants, otherwise the random effects and the residual variance "
            "cannot be separated (lme4 stops for the same reason)"
        )
    singular = np.linalg.svd(x / np.maximum(np.abs(x).max(axis=0), 1e-300), compute_uv=False)
    if singular[-1] <= singular[0] * 1e-10:
        raise RankDeficientDesignError(
            f"the fixed-effects design ({', '.join(terms)}) is rank deficient: some terms "
            "are linear combinations of others"
        )
    return _Design(
        codes=codes.astype(np.intp),
        ids=pd.Index(ids, name=id),
        t=t,
        y=y,
        x=x,
        terms=terms,
        time_name=time,
        centre=centre,
        scale=scale,
        transform=transform,
    )


# --------------------------------------------------------------------------------------
# Sufficient statistics and the profiled criterion
# --------------------------------------------------------------------------------------


# Small dense algebra over participants.  Written with elementwise products and
# ``np.sum`` rather than BLAS matrix products: for the tall, narrow (N x p) arrays
# here this is as fast, and it never wakes OpenBLAS worker threads, whose
# busy-waiting slows the whole fit many times over on a loaded machine.


def _sym_cross(
    a0: FloatArray,
    b0: FloatArray,
    a1: FloatArray | None = None,
    b1: FloatArray | None = None,
) -> FloatArray:
    """``sum_i a0_i b0_i' (+ a1_i b1_i')`` over the rows of (N, p) arrays.

    The result is assumed symmetric: only the upper triangle is computed.
    """
    p = a0.shape[1]
    out = np.empty((p, p))
    for j in range(p):
        for k in range(j, p):
            terms = a0[:, j] * b0[:, k]
            if a1 is not None and b1 is not None:
                terms = terms + a1[:, j] * b1[:, k]
            out[j, k] = out[k, j] = float(np.sum(terms))
    return out


def _colsum(m: FloatArray, w: FloatArray) -> FloatArray:
    """``m' w`` for an (N, p) array ``m`` and an (N,) vector ``w``."""
    return np.array([float(np.sum(m[:, j] * w)) for j in range(m.shape[1])])


def _rowdot_matrix(m: FloatArray, a: FloatArray) -> FloatArray:
    """``m a`` for an (N, p) array ``m`` and a (p, p) matrix ``a``."""
    return np.column_stack([_rowdot(m, a[:, k]) for k in range(a.shape[1])])


def _rowdot(m: FloatArray, v: FloatArray) -> FloatArray:
    """``m v`` for an (N, p) array ``m`` and a (p,) vector ``v``."""
    out: FloatArray = m[:, 0] * float(v[0])
    for j in range(1, m.shape[1]):
        out = out + m[:, j] * float(v[j])
    return out


@dataclass(frozen=True)
class _Stats:
    """Per-participant and global sufficient statistics."""

    s00: FloatArray  # n_i
    s01: FloatArray  # sum t
    s11: FloatArray  # sum t^2
    zx0: FloatArray  # (N, p) sum x
    zx1: FloatArray  # (N, p) sum t x
    zy0: FloatArray  # sum y
    zy1: FloatArray  # sum t y
    yy: FloatArray  # sum y^2
    xtx: FloatArray
    xty: FloatArray
    yty: float
    n: int
    p: int


def _sufficient_stats(design: _Design) -> _Stats:
    codes, y, x = design.codes, design.y, design.x
    t = x[:, 1]  # standardised time
    n_groups = len(design.ids)

    def total(weights: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(codes, weights=weights, minlength=n_groups), np.float64)

    p = x.shape[1]
    tx = x * t[:, None]
    zx0 = np.empty((n_groups, p))
    zx1 = np.empty((n_groups, p))
    for k in range(p):
        zx0[:, k] = total(x[:, k])
        zx1[:, k] = total(tx[:, k])
    return _Stats(
        s00=zx0[:, 0].copy(),
        s01=zx0[:, 1].copy(),
        s11=zx1[:, 1].copy(),
        zx0=zx0,
        zx1=zx1,
        zy0=total(y),
        zy1=total(t * y),
        yy=total(y * y),
        xtx=_sym_cross(x, x),
        xty=_colsum(x, y),
        yty=float(np.sum(y * y)),
        n=len(y),
        p=p,
    )


@dataclass(frozen=True)
class _Profile:
    """Everything the criterion computes at one value of theta."""

    deviance: float
    gradient: FloatArray
    beta: FloatArray
    a: FloatArray
    r2: float
    logdet_m: float
    logdet_a: float
    p00: FloatArray
    p01: FloatArray
    p11: FloatArray


def _profile(theta: FloatArray, st: _Stats, reml: bool) -> _Profile:
    """Profiled (RE)ML deviance and its gradient at ``theta``."""
    la, lb, lc = float(theta[0]), float(theta[1]), float(theta[2])
    s00, s01, s11 = st.s00, st.s01, st.s11
    # M_i = I + Lambda' S_i Lambda, Lambda = [[la, 0], [lb, lc]]
    m00 = 1.0 + la * la * s00 + 2.0 * la * lb * s01 + lb * lb * s11
    m01 = lc * (la * s01 + lb * s11)
    m11 = 1.0 + lc * lc * s11
    det = m00 * m11 - m01 * m01
    i00 = m11 / det
    i01 = -m01 / det
    i11 = m00 / det
    # P_i = Lambda M_i^{-1} Lambda'
    p00 = la * la * i00
    p01 = la * (lb * i00 + lc * i01)
    p11 = lb * lb * i00 + 2.0 * lb * lc * i01 + lc * lc * i11

    zx0, zx1, zy0, zy1 = st.zx0, st.zx1, st.zy0, st.zy1
    a = st.xtx - _sym_cross(
        zx0,
        zx0 * p00[:, None] + zx1 * p01[:, None],
        zx1,
        zx0 * p01[:, None] + zx1 * p11[:, None],
    )
    pzy0 = p00 * zy0 + p01 * zy1
    pzy1 = p01 * zy0 + p11 * zy1
    c = st.xty - _colsum(zx0, pzy0) - _colsum(zx1, pzy1)
    ypy = float(np.sum(zy0 * pzy0 + zy1 * pzy1))
    chol = np.linalg.cholesky(a)
    beta = np.linalg.solve(chol.T, np.linalg.solve(chol, c))
    r2 = st.yty - ypy - float(c @ beta)
    if not r2 > 0.0:
        r2 = np.finfo(float).tiny
    logdet_m = float(np.sum(np.log(det)))
    logdet_a = 2.0 * float(np.sum(np.log(np.diag(chol))))
    dof = st.n - st.p if reml else st.n
    deviance = logdet_m + dof * (1.0 + math.log(2.0 * math.pi * r2 / dof))
    if reml:
        deviance += logdet_a

    # Gradient with respect to G = Lambda Lambda' (as tr(H dG)), then theta.
    # Q_i = I - S_i P_i = (I + S_i G)^{-1}
    sp00 = s00 * p00 + s01 * p01
    sp01 = s00 * p01 + s01 * p11
    sp10 = s01 * p00 + s11 * p01
    sp11 = s01 * p01 + s11 * p11
    q00 = 1.0 - sp00
    q01 = -sp01
    q10 = -sp10
    q11 = 1.0 - sp11
    # d log|M_i| = tr(Q_i S_i dG); Q_i S_i = S_i - S_i P_i S_i (symmetric)
    h00 = float(np.sum(q00 * s00 + q01 * s01))
    h01 = float(np.sum(q00 * s01 + q01 * s11))
    h11 = float(np.sum(q10 * s01 + q11 * s11))
    # d r^2 = -sum u_i' dG u_i, u_i = Q_i e_i, e_i = Z_i'(y_i - X_i beta)
    e0 = zy0 - _rowdot(zx0, beta)
    e1 = zy1 - _rowdot(zx1, beta)
    u0 = q00 * e0 + q01 * e1
    u1 = q10 * e0 + q11 * e1
    scale = dof / r2
    h00 -= scale * float(np.sum(u0 * u0))
    h01 -= scale * float(np.sum(u0 * u1))
    h11 -= scale * float(np.sum(u1 * u1))
    if reml:
        # d log|A| = -sum tr(U_i A^{-1} U_i' dG), U_i = Q_i Z_i'X_i
        big_u0 = zx0 * q00[:, None] + zx1 * q01[:, None]
        big_u1 = zx0 * q10[:, None] + zx1 * q11[:, None]
        a_inv = np.asarray(np.linalg.inv(a), dtype=np.float64)
        # tr(A^-1 U_a' U_b) summed over participants = sum_i u_ai' A^-1 u_bi
        ua0 = _rowdot_matrix(big_u0, a_inv)
        ua1 = _rowdot_matrix(big_u1, a_inv)
        h00 -= float(np.sum(ua0 * big_u0))
        h01 -= float(np.sum(ua0 * big_u1))
        h11 -= float(np.sum(ua1 * big_u1))
    gradient = 2.0 * np.array([h00 * la + h01 * lb, h01 * la + h11 * lb, h11 * lc])
    return _Profile(
        deviance=deviance,
        gradient=gradient,
        beta=beta,
        a=a,
        r2=r2,
        logdet_m=logdet_m,
        logdet_a=logdet_a,
        p00=p00,
        p01=p01,
        p11=p11,
    )


def _start(st: _Stats) -> FloatArray:
    """Starting theta from moments of per-participant least-squares lines.

    For participants with at least three observations and two distinct times the
    ordinary least-squares intercept and slope :math:`\\tilde b_i` are computed; the
    pooled residual variance estimates :math:`\\sigma^2`, and the sample covariance of
    :math:`\\tilde b_i` minus the mean sampling covariance
    :math:`\\sigma^2 \\overline{S_i^{-1}}` estimates :math:`\\Sigma_b` (a
    method-of-moments estimate; Raudenbush & Bryk, 2002, ch. 3).  Eigenvalues are
    floored so the start is strictly inside the parameter space.  Used only as a
    starting value for the optimiser.
    """
    fallback = np.array([1.0, 0.0, 1.0])
    det = st.s00 * st.s11 - st.s01 * st.s01
    ok = (st.s00 >= 3) & (det > 1e-8 * np.maximum(st.s00 * st.s11, 1e-300))
    if int(ok.sum()) < 5:
        return fallback
    s00, s01, s11 = st.s00[ok], st.s01[ok], st.s11[ok]
    zy0, zy1, d = st.zy0[ok], st.zy1[ok], det[ok]
    b0 = (s11 * zy0 - s01 * zy1) / d
    b1 = (s00 * zy1 - s01 * zy0) / d
    rss = st.yy[ok] - b0 * zy0 - b1 * zy1
    sigma2 = float(np.sum(rss) / np.sum(s00 - 2.0))
    if not sigma2 > 0.0:
        return fallback
    cov = np.cov(np.vstack([b0, b1]))
    mean_sampling = np.array(
        [[np.mean(s11 / d), -np.mean(s01 / d)], [-np.mean(s01 / d), np.mean(s00 / d)]]
    )
    g = cov / sigma2 - mean_sampling
    g = 0.5 * (g + g.T)
    eigval, eigvec = np.linalg.eigh(g)
    floor = 1e-2 * max(float(np.abs(np.diag(cov)).max()) / sigma2, 1e-6)
    g = (eigvec * np.maximum(eigval, floor)) @ eigvec.T
    try:
        lam = np.linalg.cholesky(g)
    except np.linalg.LinAlgError:
        return fallback
    start = np.array([lam[0, 0], lam[1, 0], lam[1, 1]])
    return start if bool(np.all(np.isfinite(start))) else fallback


_BOUNDS: list[tuple[float | None, float | None]] = [(0.0, None), (None, None), (0.0, None)]
_LOWER = np.array([0.0, -np.inf, 0.0])
#: Converged when the predicted further decrease of the deviance (-2 log-likelihood)
#: by a Newton step, g' H^-1 g / 2, is below this.
_DECREMENT_TOL = 1e-7


def _newton_check(theta: FloatArray, st: _Stats, reml: bool) -> tuple[FloatArray, float, float]:
    """One projected Newton step on the free coordinates.

    The Hessian is the forward-difference Jacobian of the analytic gradient (three
    extra evaluations).  Coordinates at a bound whose gradient points outwards are
    held fixed.

    Returns
    -------
    candidate : ndarray
        The Newton step projected onto the bounds.
    decrement : float
        Predicted decrease :math:`g^\\top H^{-1} g / 2` of the deviance (``inf`` when
        the Hessian on the free coordinates is not positive definite).
    deviance : float
        Deviance at ``theta``.
    """
    base = _profile(theta, st, reml)
    g = base.gradient
    free = ~((theta <= _LOWER) & (g > 0.0))
    hess = np.empty((3, 3))
    for k in range(3):
        h = 1e-6 * max(abs(float(theta[k])), 1e-2)
        shifted = theta.copy()
        shifted[k] += h
        hess[:, k] = (_profile(shifted, st, reml).gradient - g) / h
    hess = 0.5 * (hess + hess.T)
    idx = np.flatnonzero(free)
    candidate = theta.copy()
    if idx.size == 0:
        return candidate, 0.0, base.deviance
    sub = hess[np.ix_(idx, idx)]
    try:
        chol = np.linalg.cholesky(sub)
    except np.linalg.LinAlgError:
        return candidate, math.inf, base.deviance
    step = np.linalg.solve(chol.T, np.linalg.solve(chol, g[idx]))
    candidate[idx] -= step
    candidate = np.maximum(candidate, _LOWER)
    return candidate, 0.5 * float(g[idx] @ step), base.deviance


def _optimise(st: _Stats, reml: bool) -> tuple[FloatArray, bool]:
    """Minimise the profiled deviance over theta; return theta and a convergence flag.

    Bounded L-BFGS-B with the analytic gradient, from the moment-based start (and,
    if that does not converge, from lme4's start :math:`\\Lambda = I`), followed by
    up to six projected Newton steps with backtracking.  Convergence is judged by the Newton
    decrement (predicted further improvement of -2 log-likelihood below
    ``1e-7``), which is robust to the line-search stalls L-BFGS-B reports when the
    deviance is large and flat.
    """

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        prof = _profile(theta, st, reml)
        return prof.deviance, prof.gradient

    best_theta = np.array([1.0, 0.0, 1.0])
    best_dev = math.inf
    for start in (_start(st), np.array([1.0, 0.0, 1.0])):
        res = optimize.minimize(
            fun,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=_BOUNDS,
            options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-8},
        )
        theta = np.asarray(res.x, dtype=np.float64)
        decrement = math.inf
        for _ in range(6):
            candidate, decrement, deviance = _newton_check(theta, st, reml)
            if decrement < _DECREMENT_TOL or not math.isfinite(decrement):
                break
            # Backtracking: accept the (projected) Newton step, or a fraction of it,
            # only if the deviance decreases.
            step = candidate - theta
            for _halving in range(5):
                trial = np.maximum(theta + step, _LOWER)
                if _profile(trial, st, reml).deviance < deviance:
                    theta = trial
                    break
                step = 0.5 * step
            else:
                break
        deviance = _profile(theta, st, reml).deviance
        if theta[2] == 0.0 and theta[1] != 0.0:
            # On the boundary lambda_22 = 0 the slope SD is |lambda_21| sigma; when the
            # optimiser leaves a negligible lambda_21 (a tiny SD with a meaningless
            # correlation of +-1), set it to exactly zero if that costs nothing.
            snapped = np.array([theta[0], 0.0, 0.0])
            snapped_deviance = _profile(snapped, st, reml).deviance
            if snapped_deviance <= deviance + _DECREMENT_TOL:
                theta, deviance = snapped, snapped_deviance
        if deviance < best_dev:
            best_theta, best_dev = theta, deviance
        if decrement < _DECREMENT_TOL:
            return best_theta, True
    return best_theta, False


def _cholesky_2x2(g: FloatArray) -> tuple[float, float, float]:
    """Lower Cholesky factor of a PSD 2x2 matrix, allowing singular matrices."""
    a = math.sqrt(max(float(g[0, 0]), 0.0))
    if a > 0.0:
        b = float(g[0, 1]) / a
        rest = float(g[1, 1]) - b * b
        # Rank one up to rounding (a singular fit): report lambda_22 = 0 exactly.
        c = math.sqrt(rest) if rest > 1e-12 * float(g[1, 1]) else 0.0
    else:
        b, c = 0.0, math.sqrt(max(float(g[1, 1]), 0.0))
    return a, b, c


@dataclass(frozen=True)
class _Fit:
    """A converged fit, with every estimate on the original time scale."""

    design: _Design
    stats: _Stats
    profile: _Profile  # on the standardised scale
    reml: bool
    converged: bool
    sigma2: float
    beta: FloatArray
    cov_beta: FloatArray
    cov_re: FloatArray  # Sigma_b (absolute, original time scale)
    loglik: float
    b0: FloatArray  # BLUPs, original time scale
    b1: FloatArray
    var_b0: FloatArray  # conditional variances given beta-hat
    var_b1: FloatArray


def _fit(design: _Design, reml: bool) -> _Fit:
    st = _sufficient_stats(design)
    _check_residual_variation(st, design)
    theta, converged = _optimise(st, reml)
    prof = _profile(theta, st, reml)
    dof = st.n - st.p if reml else st.n
    sigma2 = prof.r2 / dof

    # Standardised scale: beta_s, Cov(beta_s) = sigma2 A^-1, G_s, BLUPs b_s.
    a_inv = np.linalg.inv(prof.a)
    cov_beta_s = sigma2 * 0.5 * (a_inv + a_inv.T)
    la, lb, lc = (float(v) for v in theta)
    g_s = np.array([[la * la, la * lb], [la * lb, lb * lb + lc * lc]])
    e0 = st.zy0 - _rowdot(st.zx0, prof.beta)
    e1 = st.zy1 - _rowdot(st.zx1, prof.beta)
    bs0 = prof.p00 * e0 + prof.p01 * e1
    bs1 = prof.p01 * e0 + prof.p11 * e1

    # Back to the original scale.  x = x_s T  =>  beta = T^-1 beta_s.  Random part:
    # [1, t] = [1, t_s] K with K = [[1, c], [0, s]]  =>  b = K^-1 b_s.
    t_inv = np.linalg.inv(design.transform)
    beta = t_inv @ prof.beta
    cov_beta = t_inv @ cov_beta_s @ t_inv.T
    c, s = design.centre, design.scale
    k_inv = np.array([[1.0, -c / s], [0.0, 1.0 / s]])
    cov_re = sigma2 * (k_inv @ g_s @ k_inv.T)
    b0 = bs0 - (c / s) * bs1
    b1 = bs1 / s
    var_b0 = sigma2 * (prof.p00 - 2.0 * (c / s) * prof.p01 + (c / s) ** 2 * prof.p11)
    var_b1 = sigma2 * prof.p11 / s**2

    value = prof.logdet_m + dof * (math.log(2.0 * math.pi * sigma2) + 1.0)
    if reml:
        # log|X'V^-1 X| changes by 2 log|det T| with the scale of the design.
        value += prof.logdet_a + 2.0 * math.log(abs(float(np.linalg.det(design.transform))))
    return _Fit(
        design=design,
        stats=st,
        profile=prof,
        reml=reml,
        converged=converged,
        sigma2=sigma2,
        beta=beta,
        cov_beta=cov_beta,
        cov_re=cov_re,
        loglik=-0.5 * value,
        b0=b0,
        b1=b1,
        var_b0=np.maximum(var_b0, 0.0),
        var_b1=np.maximum(var_b1, 0.0),
    )


def _check_residual_variation(st: _Stats, design: _Design) -> None:
    """Refuse data in which every participant's scores lie exactly on a line.

    Then the residual variance is zero and the likelihood is unbounded.  Measured
    as the pooled residual sum of squares of per-participant least-squares lines
    (participants with fewer than three observations contribute none).
    """
    det = st.s00 * st.s11 - st.s01 * st.s01
    ok = (st.s00 >= 3) & (det > 1e-10 * np.maximum(st.s00 * st.s11, 1e-300))
    d = np.where(ok, det, 1.0)
    b0 = (st.s11 * st.zy0 - st.s01 * st.zy1) / d
    b1 = (st.s00 * st.zy1 - st.s01 * st.zy0) / d
    rss = float(np.sum(np.where(ok, st.yy - b0 * st.zy0 - b1 * st.zy1, 0.0)))
    total = float(np.sum((design.y - design.y.mean()) ** 2))
    if not rss > 1e-12 * max(total, 1e-300):
        raise GrowthModelInputError(
            "the outcome has no residual variation around each participant's straight "
            "line (e.g. constant or exactly linear scores), so the residual variance is "
            "zero and the model cannot be fitted"
        )


def _result(fit: _Fit) -> GrowthModelResult:
    design, st = fit.design, fit.stats
    var_int, var_slope = float(fit.cov_re[0, 0]), float(fit.cov_re[1, 1])
    sd_int = math.sqrt(max(var_int, 0.0))
    sd_slope = math.sqrt(max(var_slope, 0.0))
    if sd_int > 0.0 and sd_slope > 0.0:
        corr = min(max(float(fit.cov_re[0, 1]) / (sd_int * sd_slope), -1.0), 1.0)
    else:
        corr = math.nan

    se = np.sqrt(np.diag(fit.cov_beta))
    est = fit.beta
    z = est / se
    fixed = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "ci_low": est - _Z_975 * se,
            "ci_high": est + _Z_975 * se,
            "z": z,
            "p": 2.0 * stats.norm.sf(np.abs(z)),
        },
        index=pd.Index(design.terms, name="term"),
    )
    random_effects = pd.DataFrame(
        {
            "intercept": fit.b0,
            "slope": fit.b1,
            "intercept_se": np.sqrt(fit.var_b0),
            "slope_se": np.sqrt(fit.var_b1),
            "n_obs": st.s00.round().astype(np.int64),
        },
        index=design.ids,
    )
    return GrowthModelResult(
        n_participants=len(design.ids),
        n_observations=st.n,
        time=design.time_name,
        fixed_effects=fixed,
        sd_intercept=sd_int,
        sd_slope=sd_slope,
        corr=corr,
        sd_residual=math.sqrt(fit.sigma2),
        loglik=fit.loglik,
        reml=fit.reml,
        converged=fit.converged,
        random_effects=random_effects,
        theta=_cholesky_2x2(fit.cov_re / fit.sigma2),
    )


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def fit_growth_model(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    by: Sequence[str] = (),
    reml: bool = True,
) -> GrowthModelResult:
    """Fit a linear growth model with a random intercept and slope per participant.

    .. math::

        y_{ij} = \\beta_0 + \\beta_1 t_{ij} + \\sum_k (\\gamma_k w_{ik} + \\delta_k w_{ik} t_{ij})
                 + b_{i0} + b_{i1} t_{ij} + \\varepsilon_{ij}

    with :math:`(b_{i0}, b_{i1}) \\sim N(0, \\Sigma_b)` (unstructured) and
    :math:`\\varepsilon_{ij} \\sim N(0, \\sigma^2)`, where :math:`w_{ik}` are the ``by``
    covariates (dummy-coded when categorical).  This is
    ``outcome ~ time * (by...) + (time | id)`` in lme4 notation and
    ``smf.mixedlm("outcome ~ time * by", data, groups=id, re_formula="~time")`` in
    statsmodels; estimates agree with both (see the module docstring for the
    algorithm).

    Parameters
    ----------
    data : pandas.DataFrame
        Long format, one row per participant and occasion.
    id, time, outcome : str
        Columns holding the participant identifier, the (numeric) time of the
        occasion, e.g. the week, and the (numeric) score.
    by : sequence of str, optional
        Covariates entered as main effects and in interaction with time.  Numeric
        columns are used as they are (e.g. baseline severity as a moderator); other
        columns (strings, categories, booleans) are dummy-coded with the first level
        as reference (categorical dtype order, otherwise sorted), giving terms
        ``format[online]`` and ``<time>:format[online]``.
    reml : bool, default True
        Restricted maximum likelihood (default) or maximum likelihood.

    Returns
    -------
    GrowthModelResult
        Fixed effects with standard errors from :math:`\\hat\\sigma^2 (X^\\top \\hat
        V^{-1} X)^{-1}` and 95% **Wald** intervals :math:`\\hat\\beta \\pm 1.96\\,SE`
        (statsmodels' default; no Satterthwaite or Kenward-Roger correction), the
        variance components, the log-likelihood and each participant's empirical
        Bayes random effects.

    Raises
    ------
    MissingColumnError
        A named column is absent (the message lists the columns present).
    NonNumericColumnError
        Time, outcome or a numeric ``by`` column holds non-numeric or infinite values
        (the message names the rows).
    TooFewParticipantsError
        Fewer than two participants remain after dropping rows with missing values,
        or there are no more observations than random effects (:math:`n \\le 2N`).
    RankDeficientDesignError
        The fixed effects are not identifiable (e.g. a single time value).
    GrowthModelInputError
        Base class of the above; raised as such when every participant's scores lie
        exactly on a straight line (no residual variance).

    Notes
    -----
    Rows with a missing id, time, outcome or ``by`` value are dropped; all other rows
    are used, so participants with missing weeks or a single observation still
    contribute (intention to treat, valid under missing at random).  When the
    maximum lies on the boundary (for example no between-participant variation in
    slopes) the fit returns ``sd_slope`` = 0 (or a correlation of +-1) rather than
    failing.
    """
    by_columns = (by,) if isinstance(by, str) else tuple(by)
    design = _prepare(data, id=id, time=time, outcome=outcome, by=by_columns)
    return _result(_fit(design, reml))


def empirical_bayes_slopes(data: pd.DataFrame, *, id: str, time: str, outcome: str) -> pd.DataFrame:
    """Each participant's empirical Bayes slope and a test of change (the "HLM" method).

    Fits ``outcome ~ time + (time | id)`` by REML (:func:`fit_growth_model`) and,
    for each participant, combines the fixed slope with the participant's BLUP:

    .. math::

        \\tilde\\beta_{1i} = \\hat\\beta_1 + \\hat b_{i1}, \\qquad
        \\hat b_i = \\hat P_i Z_i^\\top (y_i - X_i \\hat\\beta)

    ``slope_se`` is the square root of the **prediction error variance** of the
    participant's total slope, :math:`\\operatorname{Var}(\\tilde\\beta_{1i} -
    \\beta_1 - b_{i1})`, from the inverse of Henderson's (1975) mixed-model
    equations.  It accounts for the uncertainty of :math:`\\hat\\beta` as well as of
    the participant's own data:

    .. math::

        \\operatorname{PEV}_i = \\hat\\sigma^2 P_{i,11}
            + w_i^\\top \\hat\\sigma^2 A^{-1} w_i, \\qquad
        w_i = e_{\\text{time}} - (Z_i^\\top X_i)^\\top P_i e_2

    where :math:`\\hat\\sigma^2 P_{i,11}` is the conditional variance of
    :math:`b_{i1}` given the data with :math:`\\beta` known and
    :math:`\\hat\\sigma^2 A^{-1} = \\operatorname{Cov}(\\hat\\beta)`.  Then
    ``z = slope / slope_se`` and ``p = 2 (1 - Phi(|z|))``.  Variance parameters are
    treated as known (plug-in), as everywhere in empirical Bayes inference.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format data.
    id, time, outcome : str
        Participant, time (numeric) and score columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by participant id (sorted), columns

        - ``slope``: EB slope :math:`\\hat\\beta_1 + \\hat b_{i1}` (outcome units per
          time unit),
        - ``slope_se``: :math:`\\sqrt{\\operatorname{PEV}_i}` as above,
        - ``z``, ``p``: slope / slope_se and its two-sided standard normal p-value,
        - ``fitted_first``, ``fitted_last``: the participant's model-fitted values
          :math:`(\\hat\\beta_0 + \\hat b_{i0}) + (\\hat\\beta_1 + \\hat b_{i1}) t` at
          their earliest and latest observed time,
        - ``n_obs``: number of observations used.

    Raises
    ------
    GrowthModelInputError
        Subclasses as in :func:`fit_growth_model`.

    Notes
    -----
    Differences from ``clinicalsignificance::cs_distribution(rci_method = "HLM")``
    (Claus et al., 2024), which fits the same lme4 model and calls a participant's
    change reliable when :math:`|z| > \\Phi^{-1}(1 - \\alpha/2)` (1.96) in the
    beneficial direction:

    1. clinicalsignificance's :math:`z` is the random-slope **deviation** divided by
       its lme4 conditional SD, :math:`\\hat b_{i1} / (\\hat\\sigma\\sqrt{P_{i,11}})`:
       it asks whether a participant changed differently from the average
       participant.  Here :math:`z` tests the participant's **own** slope against
       zero (did this person change?), with the PEV above.  The clinicalsignificance
       quantity is available from ``fit_growth_model(...).random_effects`` as
       ``slope / slope_se``.
    2. clinicalsignificance fits the model only to participants with three or more
       observations; here every participant is used (intention to treat), and the
       result includes participants with one or two observations, whose slopes are
       shrunk strongly towards the fixed slope and have large ``slope_se``.
    3. A p-value is reported instead of a category; ``p < 0.05`` is
       :math:`|z| > 1.96`, clinicalsignificance's default criterion.
    """
    design = _prepare(data, id=id, time=time, outcome=outcome, by=())
    fit = _fit(design, reml=True)
    st, prof = fit.stats, fit.profile
    # Prediction error variance on the standardised scale (where the design is
    # x_s = [1, t_s]); the slope per original time unit is the standardised slope
    # divided by the time scale, and so is its standard error.
    cov_beta_s = fit.sigma2 * np.linalg.inv(prof.a)
    cov_beta_s = 0.5 * (cov_beta_s + cov_beta_s.T)
    # w_i = e_time - (Z_i'X_i)' P_i e_2, a (N, p) array
    w = -(st.zx0 * prof.p01[:, None] + st.zx1 * prof.p11[:, None])
    w[:, 1] += 1.0
    pev = fit.sigma2 * prof.p11 + np.einsum("ij,jk,ik->i", w, cov_beta_s, w)
    slope_se = np.sqrt(np.maximum(pev, 0.0)) / design.scale
    slope = fit.beta[1] + fit.b1
    intercept = fit.beta[0] + fit.b0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = slope / slope_se
    p = 2.0 * stats.norm.sf(np.abs(z))

    n_groups = len(design.ids)
    t_first = np.full(n_groups, np.inf)
    t_last = np.full(n_groups, -np.inf)
    np.minimum.at(t_first, design.codes, design.t)
    np.maximum.at(t_last, design.codes, design.t)
    out = pd.DataFrame(
        {
            "slope": slope,
            "slope_se": slope_se,
            "z": z,
            "p": p,
            "fitted_first": intercept + slope * t_first,
            "fitted_last": intercept + slope * t_last,
            "n_obs": st.s00.round().astype(np.int64),
        },
        index=design.ids,
    )
    out.attrs.update(
        {
            "fixed_slope": float(fit.beta[1]),
            "sd_slope": math.sqrt(max(float(fit.cov_re[1, 1]), 0.0)),
            "converged": fit.converged,
            "method": "REML",
        }
    )
    return out
