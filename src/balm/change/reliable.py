"""Reliable change indices: is a participant's pre-post change larger than measurement error?

Every function is vectorised over participants: ``pre`` and ``post`` are equal-length
float arrays of complete pairs (drop incomplete pairs first). Sample means and SDs are
taken over those pairs, with the ``n - 1`` denominator. The index is signed as the score
moves (positive when the score went up); :func:`reliable_change` turns it into improved
or deteriorated using the direction that is better.

References
----------
Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to defining
meaningful change in psychotherapy research. J Consult Clin Psychol 59(1):12-19.
Christensen L, Mendoza JL (1986). A method of assessing change in a single subject: an
alteration of the RC index. Behav Ther 17:305-308.
Hsu LM (1989). Reliable changes in psychotherapy: taking into account regression toward
the mean. Behav Assess 11(4):459-467.
Hsu LM (1995). Regression toward the mean associated with measurement error and the
identification of improvement and deterioration in psychotherapy. J Consult Clin Psychol
63(1):141-144.
Speer DC (1992). Clinically significant change: Jacobson and Truax (1991) revisited.
J Consult Clin Psychol 60(3):402-408.
Nunnally JC, Kotsch WE (1983). Studies of individual subjects: logic and methods of
analysis. Br J Clin Psychol 22(2):83-93.
Hageman WJ, Arrindell WA (1999). Establishing clinically significant change: increment of
precision and the distinction between individual and group level analysis. Behav Res Ther
37(12):1169-1193.
Claus BB, Wager J, Bonnet U (2024). clinicalsignificance: clinical significance analyses of
intervention studies in R. J Stat Softw 111(1):1-39. doi:10.18637/jss.v111.i01
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from balm.change.categories import Better
from balm.change.errors import ChangeInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Two-sided 5 % critical value used by Jacobson & Truax (1991) and the regression methods.
Z_TWO_SIDED = 1.96
#: One-sided 5 % critical value used by Hageman & Arrindell (1999, p. 1178).
Z_ONE_SIDED = 1.65


class RCMethod(StrEnum):
    """Reliable change methods (names as in Claus et al. 2024)."""

    JT = "jt"
    GLN = "gln"
    EN = "en"
    HLL = "hll"
    NK = "nk"
    HA = "ha"
    HLM = "hlm"


PRE_POST_METHODS: tuple[RCMethod, ...] = (
    RCMethod.JT,
    RCMethod.GLN,
    RCMethod.EN,
    RCMethod.HLL,
    RCMethod.NK,
    RCMethod.HA,
)


def check_reliability(value: float, name: str = "reliability") -> float:
    """Return ``value`` as a float if it lies strictly between 0 and 1, else raise.

    Raises
    ------
    ChangeInputError
        If ``value`` is not a number in the open interval (0, 1).
    """
    number = float(value)
    if not 0.0 < number < 1.0 or math.isnan(number):
        raise ChangeInputError(f"{name} must lie strictly between 0 and 1, got {value}")
    return number


def standard_error_of_measurement(sd: float, reliability: float) -> float:
    """Standard error of measurement, SE = SD * sqrt(1 - r_xx).

    Parameters
    ----------
    sd : float
        Standard deviation of the scores (usually the baseline SD of the sample).
    reliability : float
        Reliability r_xx of the measure, in (0, 1).

    Returns
    -------
    float
        SE. With SD 5 and r .80, SE = 5 * sqrt(.2) = 2.2361.

    References
    ----------
    Jacobson & Truax (1991), p. 14.
    """
    return float(sd) * math.sqrt(1.0 - check_reliability(reliability))


def standard_error_of_difference(se_measurement: float) -> float:
    """Standard error of the difference of two scores, S_diff = sqrt(2 * SE^2).

    Parameters
    ----------
    se_measurement : float
        Standard error of measurement (see :func:`standard_error_of_measurement`).

    Returns
    -------
    float
        S_diff. With SE 2.2361, S_diff = 3.1623.

    References
    ----------
    Christensen & Mendoza (1986); Jacobson & Truax (1991), p. 14.
    """
    return math.sqrt(2.0 * float(se_measurement) ** 2)


def standard_error_of_prediction(sd: float, reliability: float) -> float:
    """Standard error of prediction, SE_pred = SD * sqrt(1 - r_xx^2).

    Parameters
    ----------
    sd : float
        Baseline standard deviation.
    reliability : float
        Reliability r_xx, in (0, 1).

    Returns
    -------
    float
        SE_pred, the denominator of the GLN and HLL indices.

    References
    ----------
    Hsu (1989, 1995).
    """
    r = check_reliability(reliability)
    return float(sd) * math.sqrt(1.0 - r * r)


def _sample_sd(values: FloatArray) -> float:
    if values.size < 2:
        raise ChangeInputError(
            "a sample standard deviation needs at least 2 participants with pre and post"
        )
    sd = float(np.std(values, ddof=1))
    if sd == 0.0:
        raise ChangeInputError("all baseline scores are equal: the baseline SD is 0")
    return sd


def _arrays(pre: npt.ArrayLike, post: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    pre_a = np.asarray(pre, dtype=np.float64)
    post_a = np.asarray(post, dtype=np.float64)
    if pre_a.shape != post_a.shape or pre_a.ndim != 1:
        raise ValueError("pre and post must be 1-d arrays of the same length")
    if np.isnan(pre_a).any() or np.isnan(post_a).any():
        raise ValueError("pre and post must be complete pairs; drop missing values first")
    return pre_a, post_a


def rci_jt(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    reliability: float,
    sd_pre: float | None = None,
) -> tuple[FloatArray, dict[str, float]]:
    """Jacobson-Truax reliable change index with the Christensen-Mendoza correction.

    SE = SD_pre * sqrt(1 - r_xx); S_diff = sqrt(2) * SE; RC = (x_post - x_pre) / S_diff.
    Reliable when |RC| > 1.96.

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores.
    reliability : float
        r_xx in (0, 1).
    sd_pre : float, optional
        Baseline SD; defaults to the sample SD of ``pre`` (a published clinical SD may be
        given instead).

    Returns
    -------
    index : ndarray
        RC per participant.
    constants : dict
        ``sd_pre``, ``se_measurement``, ``s_diff``.

    References
    ----------
    Jacobson & Truax (1991), formula on p. 14; Christensen & Mendoza (1986).
    """
    pre_a, post_a = _arrays(pre, post)
    sd = _sample_sd(pre_a) if sd_pre is None else float(sd_pre)
    se = standard_error_of_measurement(sd, reliability)
    s_diff = standard_error_of_difference(se)
    return (post_a - pre_a) / s_diff, {"sd_pre": sd, "se_measurement": se, "s_diff": s_diff}


def rci_gln(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    reliability: float,
    sd_pre: float | None = None,
) -> tuple[FloatArray, dict[str, float]]:
    """Gulliksen-Lord-Novick index: change from the regression-predicted true score.

    RC = [(x_post - M_pre) - r_xx (x_pre - M_pre)] / (SD_pre * sqrt(1 - r_xx^2)).
    Reliable when |RC| > 1.96.

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores.
    reliability : float
        r_xx in (0, 1).
    sd_pre : float, optional
        Baseline SD; defaults to the sample SD of ``pre``.

    Returns
    -------
    index : ndarray
        RC per participant.
    constants : dict
        ``m_pre``, ``sd_pre``, ``se_prediction``.

    References
    ----------
    Hsu (1989), GLN method; Claus et al. (2024), table 1.
    """
    pre_a, post_a = _arrays(pre, post)
    r = check_reliability(reliability)
    m_pre = float(pre_a.mean())
    sd = _sample_sd(pre_a) if sd_pre is None else float(sd_pre)
    se_pred = standard_error_of_prediction(sd, r)
    index = ((post_a - m_pre) - r * (pre_a - m_pre)) / se_pred
    return index, {"m_pre": m_pre, "sd_pre": sd, "se_prediction": se_pred}


def rci_hll(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    reliability: float,
    sd_pre: float | None = None,
) -> tuple[FloatArray, dict[str, float]]:
    """Hsu-Linn-Lord index: GLN with the post-treatment mean as the reference for post.

    RC = [(x_post - M_post) - r_xx (x_pre - M_pre)] / (SD_pre * sqrt(1 - r_xx^2)).
    Reliable when |RC| > 1.96.

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores.
    reliability : float
        r_xx in (0, 1).
    sd_pre : float, optional
        Baseline SD; defaults to the sample SD of ``pre``.

    Returns
    -------
    index : ndarray
        RC per participant.
    constants : dict
        ``m_pre``, ``m_post``, ``sd_pre``, ``se_prediction``.

    References
    ----------
    Hsu (1989, 1995); Claus et al. (2024), table 1.
    """
    pre_a, post_a = _arrays(pre, post)
    r = check_reliability(reliability)
    m_pre, m_post = float(pre_a.mean()), float(post_a.mean())
    sd = _sample_sd(pre_a) if sd_pre is None else float(sd_pre)
    se_pred = standard_error_of_prediction(sd, r)
    index = ((post_a - m_post) - r * (pre_a - m_pre)) / se_pred
    return index, {"m_pre": m_pre, "m_post": m_post, "sd_pre": sd, "se_prediction": se_pred}


def rci_en(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    reliability: float,
    sd_pre: float | None = None,
) -> tuple[FloatArray, dict[str, float]]:
    """Edwards-Nunnally index: post score against a band around the estimated true pre score.

    T_pre = r_xx (x_pre - M_pre) + M_pre; RC = (x_post - T_pre) / (SD_pre * sqrt(1 - r_xx)).
    Reliable when |RC| > 1.96, i.e. x_post outside T_pre +/- 1.96 SE (Speer used 2 SE).

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores.
    reliability : float
        r_xx in (0, 1).
    sd_pre : float, optional
        Baseline SD; defaults to the sample SD of ``pre``.

    Returns
    -------
    index : ndarray
        RC per participant.
    constants : dict
        ``m_pre``, ``sd_pre``, ``se_measurement``.

    References
    ----------
    Speer (1992), the Edwards-Nunnally reformulation; Claus et al. (2024), table 1.
    """
    pre_a, post_a = _arrays(pre, post)
    r = check_reliability(reliability)
    m_pre = float(pre_a.mean())
    sd = _sample_sd(pre_a) if sd_pre is None else float(sd_pre)
    se = standard_error_of_measurement(sd, r)
    true_pre = r * (pre_a - m_pre) + m_pre
    return (post_a - true_pre) / se, {"m_pre": m_pre, "sd_pre": sd, "se_measurement": se}


def rci_nk(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    reliability: float,
    reliability_post: float | None = None,
    sd_pre: float | None = None,
) -> tuple[FloatArray, dict[str, float]]:
    """Nunnally-Kotsch index, with separate pre and post reliabilities.

    T_pre = r_pre (x_pre - M_pre) + M_pre;
    RC = (x_post - T_pre) / sqrt(r_pre^2 SD_pre^2 (1 - r_pre) + SD_pre^2 (1 - r_post)).
    Reliable when |RC| > 1.96. ``reliability_post`` defaults to ``reliability``.

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores.
    reliability : float
        Reliability at pre, in (0, 1).
    reliability_post : float, optional
        Reliability at post, in (0, 1); defaults to ``reliability``.
    sd_pre : float, optional
        Baseline SD; defaults to the sample SD of ``pre``.

    Returns
    -------
    index : ndarray
        RC per participant.
    constants : dict
        ``m_pre``, ``sd_pre``, ``reliability_post``, ``denominator``.

    References
    ----------
    Nunnally & Kotsch (1983); Claus et al. (2024), table 1.
    """
    pre_a, post_a = _arrays(pre, post)
    r1 = check_reliability(reliability)
    r2 = r1 if reliability_post is None else check_reliability(reliability_post, "reliability_post")
    m_pre = float(pre_a.mean())
    sd = _sample_sd(pre_a) if sd_pre is None else float(sd_pre)
    denominator = math.sqrt(r1**2 * sd**2 * (1.0 - r1) + sd**2 * (1.0 - r2))
    true_pre = r1 * (pre_a - m_pre) + m_pre
    constants = {"m_pre": m_pre, "sd_pre": sd, "reliability_post": r2, "denominator": denominator}
    return (post_a - true_pre) / denominator, constants


def rci_ha(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    reliability: float,
    reliability_post: float | None = None,
    sd_pre: float | None = None,
) -> tuple[FloatArray, dict[str, float]]:
    """Hageman-Arrindell individual reliable change index (RC_INDIV).

    With SE = SD_pre sqrt(1 - r_xx1) and r_12 the pre-post correlation of the sample:

    r_DD = (SD_1^2 r_xx1 + SD_2^2 r_xx2 - 2 SD_1 SD_2 r_12) / (SD_1^2 + SD_2^2 - 2 SD_1 SD_2 r_12)

    RC = [(x_post - x_pre) r_DD + (M_post - M_pre)(1 - r_DD)] / (sqrt(r_DD) sqrt(2 SE^2)).

    Reliable when |RC| > 1.65 (one-sided 5 %). When ``reliability_post`` is not given,
    the post reliability assumes the same error variance as at pre:
    r_xx2 = (SD_2^2 - SE^2) / SD_2^2 (as clinicalsignificance does).

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores (at least 3, for a correlation).
    reliability : float
        Reliability at pre, r_xx1, in (0, 1).
    reliability_post : float, optional
        Reliability at post, r_xx2.
    sd_pre : float, optional
        Baseline SD; defaults to the sample SD of ``pre``.

    Returns
    -------
    index : ndarray
        RC per participant.
    constants : dict
        ``m_pre``, ``m_post``, ``sd_pre``, ``sd_post``, ``r_pre_post``,
        ``reliability_post``, ``r_dd``, ``se_measurement``.

    Raises
    ------
    ChangeInputError
        If the reliability of the difference r_DD is not positive (the index is undefined).

    References
    ----------
    Hageman & Arrindell (1999), formulas 5 and 8; Claus et al. (2024), table 1.
    """
    pre_a, post_a = _arrays(pre, post)
    r1 = check_reliability(reliability)
    m_pre, m_post = float(pre_a.mean()), float(post_a.mean())
    sd1 = _sample_sd(pre_a) if sd_pre is None else float(sd_pre)
    sd2 = _sample_sd(post_a)
    se = standard_error_of_measurement(sd1, r1)
    if reliability_post is None:
        r2 = (sd2**2 - se**2) / sd2**2
    else:
        r2 = check_reliability(reliability_post, "reliability_post")
    r12 = float(np.corrcoef(pre_a, post_a)[0, 1])
    cross = 2.0 * sd1 * sd2 * r12
    variance_of_change = sd1**2 + sd2**2 - cross
    # Everyone changing by the same amount leaves the change with no variance (up to rounding):
    # r_DD is then 0/0, so the index is undefined rather than infinite.
    if not variance_of_change > 1e-12 * (sd1**2 + sd2**2):
        raise ChangeInputError(
            "every participant changed by the same amount, so the Hageman-Arrindell "
            "reliability of the difference is undefined; use another method"
        )
    r_dd = (sd1**2 * r1 + sd2**2 * r2 - cross) / variance_of_change
    if not r_dd > 0.0:
        raise ChangeInputError(
            f"the Hageman-Arrindell reliability of the difference is {r_dd:.3f} (not above 0): "
            "the HA index is undefined for these data; use another method"
        )
    index = ((post_a - pre_a) * r_dd + (m_post - m_pre) * (1.0 - r_dd)) / (
        math.sqrt(r_dd) * math.sqrt(2.0 * se**2)
    )
    constants = {
        "m_pre": m_pre,
        "m_post": m_post,
        "sd_pre": sd1,
        "sd_post": sd2,
        "r_pre_post": r12,
        "reliability_post": r2,
        "r_dd": r_dd,
        "se_measurement": se,
    }
    return index, constants


@dataclass(frozen=True)
class ReliableChange:
    """Reliable change of each participant under one method.

    Attributes
    ----------
    method : RCMethod
        The method used.
    index : ndarray
        The index per participant, signed as the score moved (positive = score went up).
    critical_value : float
        |index| above this is reliable.
    improved, deteriorated : ndarray of bool
        Reliable change in the better / worse direction.
    constants : dict
        The intermediate numbers (SE, S_diff, r_DD ...), for reports and checks.
    """

    method: RCMethod
    index: FloatArray
    critical_value: float
    improved: BoolArray
    deteriorated: BoolArray
    constants: dict[str, float] = field(default_factory=dict)


def classify_index(
    index: FloatArray, critical_value: float, better: Better
) -> tuple[BoolArray, BoolArray]:
    """Split an index into reliable improvement and reliable deterioration.

    improved = sign * index > critical; deteriorated = sign * index < -critical, where
    sign is +1 when higher is better and -1 when lower is better.

    Parameters
    ----------
    index : ndarray
        Reliable change index, positive when the score went up.
    critical_value : float
        Critical value (1.96 or 1.65).
    better : Better
        Which direction is better.

    Returns
    -------
    improved, deteriorated : ndarray of bool
    """
    benefit = index * better.sign
    return benefit > critical_value, benefit < -critical_value


def reliable_change(
    pre: npt.ArrayLike,
    post: npt.ArrayLike,
    *,
    method: RCMethod | str = RCMethod.JT,
    reliability: float,
    better: Better | str,
    reliability_post: float | None = None,
    sd_pre: float | None = None,
    critical_value: float | None = None,
) -> ReliableChange:
    """Reliable change of each participant by a pre-post method.

    Parameters
    ----------
    pre, post : array_like
        Complete pairs of scores.
    method : {"jt", "gln", "en", "hll", "nk", "ha"}
        See :func:`rci_jt`, :func:`rci_gln`, :func:`rci_en`, :func:`rci_hll`,
        :func:`rci_nk`, :func:`rci_ha` for each formula. ``"hlm"`` needs all timepoints:
        use :func:`balm.change.analyse_change`.
    reliability : float
        Reliability of the measure, in (0, 1).
    better : {"lower", "higher"}
        Which direction of the score is better.
    reliability_post : float, optional
        Post reliability for NK and HA.
    sd_pre : float, optional
        Baseline SD to use instead of the sample's.
    critical_value : float, optional
        Defaults to 1.96 (1.65 for HA).

    Returns
    -------
    ReliableChange

    Examples
    --------
    >>> rc = reliable_change([20.0, 20.0, 10.0], [10.0, 19.0, 10.0], reliability=0.8,
    ...                      better="lower")
    >>> rc.improved.tolist()
    [True, False, False]
    """
    rc_method = RCMethod(method)
    direction = Better(better)
    if rc_method is RCMethod.JT:
        index, constants = rci_jt(pre, post, reliability=reliability, sd_pre=sd_pre)
    elif rc_method is RCMethod.GLN:
        index, constants = rci_gln(pre, post, reliability=reliability, sd_pre=sd_pre)
    elif rc_method is RCMethod.EN:
        index, constants = rci_en(pre, post, reliability=reliability, sd_pre=sd_pre)
    elif rc_method is RCMethod.HLL:
        index, constants = rci_hll(pre, post, reliability=reliability, sd_pre=sd_pre)
    elif rc_method is RCMethod.NK:
        index, constants = rci_nk(
            pre, post, reliability=reliability, reliability_post=reliability_post, sd_pre=sd_pre
        )
    elif rc_method is RCMethod.HA:
        index, constants = rci_ha(
            pre, post, reliability=reliability, reliability_post=reliability_post, sd_pre=sd_pre
        )
    else:
        raise ValueError("the hlm method uses all timepoints: call analyse_change")
    if critical_value is None:
        critical_value = Z_ONE_SIDED if rc_method is RCMethod.HA else Z_TWO_SIDED
    improved, deteriorated = classify_index(index, critical_value, direction)
    return ReliableChange(rc_method, index, critical_value, improved, deteriorated, constants)
