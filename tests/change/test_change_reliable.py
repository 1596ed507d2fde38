"""Reliable change indices, checked against hand-worked arithmetic.

Shared small case (made up for these tests): pre = 10, 12, 14, 16; post = 4, 12, 20, 15;
r_xx = .80. Then M_pre = 13, SD_pre = sqrt((9 + 1 + 1 + 9) / 3) = sqrt(20/3) = 2.58199,
M_post = 12.75.
"""

from __future__ import annotations

import numpy as np
import pytest

from balm.change import (
    Better,
    ChangeInputError,
    RCMethod,
    rci_en,
    rci_gln,
    rci_ha,
    rci_hll,
    rci_jt,
    rci_nk,
    reliable_change,
    standard_error_of_difference,
    standard_error_of_measurement,
    standard_error_of_prediction,
)
from balm.change.reliable import classify_index

PRE = np.array([10.0, 12.0, 14.0, 16.0])
POST = np.array([4.0, 12.0, 20.0, 15.0])


def test_worked_numbers_from_the_reference() -> None:
    """SD_pre 5, r .80: SE = 5 sqrt(.2) = 2.2361; S_diff = sqrt(2) 2.2361 = 3.1623.

    Source: docs reference instruments.md, "Worked numbers"; Jacobson & Truax 1991, p. 14.
    """
    se = standard_error_of_measurement(5.0, 0.80)
    assert se == pytest.approx(2.2361, abs=5e-5)
    assert standard_error_of_difference(se) == pytest.approx(3.1623, abs=5e-5)
    # SE_pred = 5 sqrt(1 - .64) = 5 * .6 = 3.0 (Hsu 1989)
    assert standard_error_of_prediction(5.0, 0.80) == pytest.approx(3.0)


def test_jacobson_truax_hand_worked() -> None:
    """JT (Jacobson & Truax 1991): SE = 2.58199 sqrt(.2) = 1.15470; S_diff = 1.63299.

    RC = (post - pre) / S_diff = (-6, 0, 6, -1) / 1.63299 = -3.67423, 0, 3.67423, -0.61237.
    """
    index, constants = rci_jt(PRE, POST, reliability=0.8)
    assert constants["se_measurement"] == pytest.approx(1.154701, rel=1e-6)
    assert constants["s_diff"] == pytest.approx(1.632993, rel=1e-6)
    assert index == pytest.approx([-3.674235, 0.0, 3.674235, -0.612372], rel=1e-6)


def test_gulliksen_lord_novick_hand_worked() -> None:
    """GLN (Hsu 1989): SE_pred = 2.58199 * .6 = 1.54919.

    RC = [(post - 13) - .8 (pre - 13)] / 1.54919:
    (-9 + 2.4) = -6.6 -> -4.26028; (-1 + .8) = -.2 -> -0.12910; (7 - .8) = 6.2 -> 4.00208;
    (2 - 2.4) = -.4 -> -0.25820.
    """
    index, _ = rci_gln(PRE, POST, reliability=0.8)
    assert index == pytest.approx([-4.260282, -0.129099, 4.002083, -0.258199], rel=1e-5)


def test_hsu_linn_lord_hand_worked() -> None:
    """HLL (Hsu 1989): as GLN but post centred on M_post = 12.75.

    (-8.75 + 2.4) = -6.35 -> -4.09891; (-.75 + .8) = .05 -> 0.03227; (7.25 - .8) = 6.45 ->
    4.16346; (2.25 - 2.4) = -.15 -> -0.09682.
    """
    index, constants = rci_hll(PRE, POST, reliability=0.8)
    assert constants["m_post"] == 12.75
    assert index == pytest.approx([-4.098907, 0.032275, 4.163457, -0.096825], rel=1e-5)


def test_edwards_nunnally_hand_worked() -> None:
    """EN (Speer 1992): true pre = .8 (pre - 13) + 13 = 10.6, 12.2, 13.8, 15.4; SE = 1.15470.

    RC = (post - true pre) / SE = -6.6, -.2, 6.2, -.4 over 1.15470 = -5.71577, -0.17321,
    5.36936, -0.34641.
    """
    index, _ = rci_en(PRE, POST, reliability=0.8)
    assert index == pytest.approx([-5.715768, -0.173205, 5.369358, -0.346410], rel=1e-5)


def test_nunnally_kotsch_hand_worked() -> None:
    """NK (Nunnally & Kotsch 1983), r_pre .8, r_post .7, SD^2 = 20/3 = 6.66667.

    denominator = sqrt(.64 * 6.66667 * .2 + 6.66667 * .3) = sqrt(.85333 + 2) = 1.68918;
    RC = (-6.6, -.2, 6.2, -.4) / 1.68918 = -3.90722, -0.11840, 3.67042, -0.23680.
    """
    index, constants = rci_nk(PRE, POST, reliability=0.8, reliability_post=0.7)
    assert constants["denominator"] == pytest.approx(1.689181, rel=1e-6)
    assert index == pytest.approx([-3.907218, -0.118401, 3.670417, -0.236801], rel=1e-5)
    # Without a post reliability NK uses the pre reliability for both.
    same, _ = rci_nk(PRE, POST, reliability=0.8)
    both, _ = rci_nk(PRE, POST, reliability=0.8, reliability_post=0.8)
    assert same == pytest.approx(both)


def test_hageman_arrindell_hand_worked() -> None:
    """HA (Hageman & Arrindell 1999, RC_INDIV), r_xx1 = .8.

    SE^2 = 6.66667 * .2 = 1.33333. SD_post^2 = (76.5625 + .5625 + 52.5625 + 5.0625) / 3 =
    44.91667. r_xx2 = (44.91667 - 1.33333) / 44.91667 = .97032. 2 SD1 SD2 r12 = 2 cov =
    2 * 41 / 3 = 27.33333. r_DD = (6.66667 * .8 + 44.91667 * .97032 - 27.33333) /
    (6.66667 + 44.91667 - 27.33333) = 21.58333 / 24.25 = .89003.
    RC_1 = [(-6)(.89003) + (12.75 - 13)(.10997)] / (sqrt(.89003) sqrt(2.66667))
         = (-5.34021 - .02749) / 1.54059 = -3.48418.
    """
    index, constants = rci_ha(PRE, POST, reliability=0.8)
    assert constants["r_dd"] == pytest.approx(21.58333 / 24.25, rel=1e-5)
    assert index[0] == pytest.approx(-3.48418, rel=1e-5)
    assert index == pytest.approx([-3.484178, -0.017845, 3.448488, -0.595567], abs=1e-5)


def test_critical_values_and_direction() -> None:
    """JT 1.96 two-sided (Jacobson & Truax 1991); HA 1.65 one-sided (Hageman & Arrindell 1999).

    Lower is better: RC -3.67 is improvement, +3.67 deterioration, -0.61 unchanged.
    """
    jt = reliable_change(PRE, POST, method="jt", reliability=0.8, better="lower")
    assert jt.critical_value == 1.96
    assert jt.improved.tolist() == [True, False, False, False]
    assert jt.deteriorated.tolist() == [False, False, True, False]
    ha = reliable_change(PRE, POST, method=RCMethod.HA, reliability=0.8, better="higher")
    assert ha.critical_value == 1.65
    assert ha.improved.tolist() == [False, False, True, False]
    assert ha.deteriorated.tolist() == [True, False, False, False]


def test_threshold_is_strict() -> None:
    """|RC| exactly at the critical value is not reliable (Jacobson & Truax: |RC| > 1.96)."""
    index = np.array([1.96, 1.9600001, -1.96, -1.9600001])
    improved, deteriorated = classify_index(index, 1.96, Better.HIGHER)
    assert improved.tolist() == [False, True, False, False]
    assert deteriorated.tolist() == [False, False, False, True]


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, 1.5, float("nan")])
def test_reliability_must_be_inside_zero_one(bad: float) -> None:
    """A reliability of 0 or 1 makes SE 0 or the index undefined (Jacobson & Truax 1991)."""
    with pytest.raises(ChangeInputError, match="between 0 and 1"):
        rci_jt(PRE, POST, reliability=bad)


def test_constant_baseline_is_a_clear_error() -> None:
    """SD_pre = 0 gives SE = 0: refuse rather than divide by zero."""
    with pytest.raises(ChangeInputError, match="SD is 0"):
        rci_jt([5.0, 5.0, 5.0], [1.0, 2.0, 3.0], reliability=0.8)


def test_hageman_arrindell_refuses_change_without_variance() -> None:
    """Everyone 7 points lower: SD_1² + SD_2² − 2·SD_1·SD_2·r_12 = 0, so r_DD (Hageman &
    Arrindell 1999, formula 8) is 0/0; a clear error, not a division by zero."""
    pre = np.array([7.0, 7.0, 19.0, 21.0])
    with pytest.raises(ChangeInputError, match="same amount"):
        rci_ha(pre, pre - 7.0, reliability=0.8)
