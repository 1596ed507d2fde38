"""Assigning each participant to a category, vectorised over participants.

Each function returns a :class:`pandas.Categorical` over all five categories (in the order
of :class:`~balm.change.categories.Category`), whatever subset the approach uses, so
counts from different approaches line up.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from balm.change.categories import ALL_CATEGORIES, Better, Category
from balm.change.cutoffs import is_dysfunctional, is_functional

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_CODE = {category: code for code, category in enumerate(ALL_CATEGORIES)}
_LABELS = [category.value for category in ALL_CATEGORIES]

#: Default percentage for the percentage-change approach: a 30 % reduction in pain
#: intensity is "moderately important" (IMMPACT: Dworkin RH et al. 2008, J Pain
#: 9(2):105-121, recommendation on interpreting clinical importance).
DEFAULT_PERCENTAGE = 0.30


def _categorical(conditions: list[BoolArray], choices: list[Category], n: int) -> pd.Categorical:
    codes = np.select(
        conditions, [_CODE[c] for c in choices], default=_CODE[Category.UNCHANGED]
    ).astype(np.int8)
    if codes.shape != (n,):  # np.select on an empty list of conditions
        codes = np.full(n, _CODE[Category.UNCHANGED], dtype=np.int8)
    return cast(pd.Categorical, pd.Categorical.from_codes(codes, categories=pd.Index(_LABELS)))


def _at_least(values: FloatArray, threshold: float) -> BoolArray:
    """values >= threshold, forgiving floating-point error relative to the threshold."""
    tolerance = 1e-9 * max(abs(threshold), 1e-12)
    out: BoolArray = values >= threshold - tolerance
    return out


def distribution_categories(improved: BoolArray, deteriorated: BoolArray) -> pd.Categorical:
    """Distribution approach: improved / unchanged / deteriorated by reliable change.

    Parameters
    ----------
    improved, deteriorated : ndarray of bool
        Reliable change in the better / worse direction.

    Returns
    -------
    pandas.Categorical

    References
    ----------
    Jacobson & Truax (1991); Claus et al. (2024), section 2.2.
    """
    n = len(improved)
    return _categorical(
        [np.asarray(improved), np.asarray(deteriorated)],
        [Category.IMPROVED, Category.DETERIORATED],
        n,
    )


def statistical_categories(
    pre: npt.ArrayLike, post: npt.ArrayLike, cutoff: float, better: Better | str
) -> pd.Categorical:
    """Statistical approach: crossing the cut-off.

    improved = dysfunctional side at pre and functional side at post; deteriorated = the
    reverse; unchanged otherwise. A score at the cut-off is dysfunctional.

    Parameters
    ----------
    pre, post : array_like
    cutoff : float
    better : {"lower", "higher"}

    Returns
    -------
    pandas.Categorical

    References
    ----------
    Jacobson & Truax (1991); Claus et al. (2024), section 2.3.
    """
    pre_a = np.asarray(pre, dtype=np.float64)
    post_a = np.asarray(post, dtype=np.float64)
    improved = is_dysfunctional(pre_a, cutoff, better) & is_functional(post_a, cutoff, better)
    deteriorated = is_functional(pre_a, cutoff, better) & is_dysfunctional(post_a, cutoff, better)
    return _categorical(
        [improved, deteriorated], [Category.IMPROVED, Category.DETERIORATED], len(pre_a)
    )


def combined_categories(
    improved: BoolArray,
    deteriorated: BoolArray,
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    cutoff: float,
    better: Better | str,
) -> pd.Categorical:
    """Combined approach: reliable change and crossing the cut-off together.

    recovered = reliable improvement AND dysfunctional at pre AND functional at post;
    improved = other reliable improvement; deteriorated = other reliable deterioration;
    harmed = reliable deterioration AND functional at pre AND dysfunctional at post;
    unchanged = no reliable change.

    Parameters
    ----------
    improved, deteriorated : ndarray of bool
        Reliable change in the better / worse direction.
    pre, post : array_like
        The scores compared with the cut-off.
    cutoff : float
    better : {"lower", "higher"}

    Returns
    -------
    pandas.Categorical

    References
    ----------
    Jacobson & Truax (1991), p. 14; Claus et al. (2024), section 2.4.
    """
    pre_a = np.asarray(pre, dtype=np.float64)
    post_a = np.asarray(post, dtype=np.float64)
    imp = np.asarray(improved, dtype=bool)
    det = np.asarray(deteriorated, dtype=bool)
    crossed_in = is_dysfunctional(pre_a, cutoff, better) & is_functional(post_a, cutoff, better)
    crossed_out = is_functional(pre_a, cutoff, better) & is_dysfunctional(post_a, cutoff, better)
    return _categorical(
        [imp & crossed_in, imp, det & crossed_out, det],
        [Category.RECOVERED, Category.IMPROVED, Category.HARMED, Category.DETERIORATED],
        len(pre_a),
    )


def anchor_categories(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    mid: float,
    better: Better | str,
    mid_deterioration: float | None = None,
) -> tuple[FloatArray, pd.Categorical]:
    """Anchor approach: change against a minimal important difference (MID).

    benefit = (post - pre) x (+1 higher better, -1 lower better);
    improved when benefit >= MID; deteriorated when -benefit >= MID_deterioration
    (defaults to the MID).

    Parameters
    ----------
    pre, post : array_like
    mid : float
        Minimal important difference, a positive number of score points.
    better : {"lower", "higher"}
    mid_deterioration : float, optional
        A different MID for deterioration.

    Returns
    -------
    benefit : ndarray
        Change in the better direction, in score points.
    categories : pandas.Categorical

    References
    ----------
    Jaeschke R, Singer J, Guyatt GH (1989). Measurement of health status: ascertaining the
    minimal clinically important difference. Control Clin Trials 10(4):407-415;
    Claus et al. (2024), section 2.1.
    """
    pre_a = np.asarray(pre, dtype=np.float64)
    post_a = np.asarray(post, dtype=np.float64)
    benefit = (post_a - pre_a) * Better(better).sign
    mid_det = float(mid) if mid_deterioration is None else float(mid_deterioration)
    improved = _at_least(benefit, float(mid))
    deteriorated = _at_least(-benefit, mid_det)
    categories = _categorical(
        [improved, deteriorated], [Category.IMPROVED, Category.DETERIORATED], len(pre_a)
    )
    return benefit, categories


def percentage_categories(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    better: Better | str,
    percentage: float = DEFAULT_PERCENTAGE,
    percentage_deterioration: float | None = None,
) -> tuple[FloatArray, pd.Categorical]:
    """Percentage-change approach: change relative to the baseline score.

    relative benefit = (post - pre) x sign / |pre|; improved when it is >= the percentage
    (0.30 by default), deteriorated when -relative benefit >= the deterioration percentage
    (defaults to the same). A baseline of 0 has no percentage: the relative benefit is NaN
    and the participant is improved or deteriorated when the score moved at all in the
    better or worse direction (any move away from 0 is an unbounded percentage), else
    unchanged.

    Parameters
    ----------
    pre, post : array_like
    better : {"lower", "higher"}
    percentage : float
        Proportion of baseline, e.g. 0.30 for 30 % (default from IMMPACT, Dworkin et al.
        2008: a 30 % reduction in pain intensity is moderately important).
    percentage_deterioration : float, optional
        A different proportion for deterioration.

    Returns
    -------
    relative_benefit : ndarray
        Change in the better direction as a proportion of |baseline| (NaN at baseline 0).
    categories : pandas.Categorical

    References
    ----------
    Dworkin RH, Turk DC, Wyrwich KW, et al. (2008). Interpreting the clinical importance of
    treatment outcomes in chronic pain clinical trials: IMMPACT recommendations. J Pain
    9(2):105-121; Claus et al. (2024), section 2.1.
    """
    pre_a = np.asarray(pre, dtype=np.float64)
    post_a = np.asarray(post, dtype=np.float64)
    pct_imp = float(percentage)
    pct_det = pct_imp if percentage_deterioration is None else float(percentage_deterioration)
    if not pct_imp > 0 or not pct_det > 0:
        raise ValueError("percentages must be above 0")
    benefit = (post_a - pre_a) * Better(better).sign
    zero = pre_a == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(zero, np.nan, benefit / np.abs(pre_a))
    improved = np.where(zero, benefit > 0, _at_least(np.nan_to_num(relative), pct_imp))
    deteriorated = np.where(zero, benefit < 0, _at_least(-np.nan_to_num(relative), pct_det))
    categories = _categorical(
        [improved, deteriorated], [Category.IMPROVED, Category.DETERIORATED], len(pre_a)
    )
    return relative.astype(np.float64), categories
