"""Scoring key of the Pain Catastrophizing Scale (PCS).

Key: Sullivan, Bishop & Pivik 1995 and the PCS User Manual (Sullivan 2009): 13 items 0-4;
rumination 8-11, magnification 6, 7, 13, helplessness 1-5 and 12, total 0-52; no reversed
items; no published missing-item rule (balm needs complete scales).
"""

from collections.abc import Sequence

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, get_instrument, score, score_one


def answers(values: Sequence[int | None]) -> dict[str, int | None]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum() -> None:
    """Every item at 0 scores 0 on every scale (Sullivan et al. 1995, 0-4 weights)."""
    result = score_one("pcs", answers([0] * 13))
    assert result == {"rumination": 0, "magnification": 0, "helplessness": 0, "total": 0}


def test_all_maximum() -> None:
    """Every item at 4: rumination 4x4, magnification 3x4, helplessness 6x4, total 13x4
    (Sullivan et al. 1995; PCS User Manual subscale ranges 0-16, 0-12, 0-24, 0-52)."""
    result = score_one("pcs", answers([4] * 13))
    assert result == {"rumination": 16, "magnification": 12, "helplessness": 24, "total": 52}


def test_mixed_response_by_hand() -> None:
    """Subscale membership from the PCS User Manual (Sullivan 2009).

    q1..q13 = 1 2 3 4 0 1 2 3 4 0 1 2 3 (no item is reversed)
    rumination    q8 + q9 + q10 + q11           = 3 + 4 + 0 + 1         = 8
    magnification q6 + q7 + q13                 = 1 + 2 + 3             = 6
    helplessness  q1 + q2 + q3 + q4 + q5 + q12  = 1 + 2 + 3 + 4 + 0 + 2 = 12
    total         8 + 6 + 12                                            = 26
    """
    result = score_one("pcs", answers([1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3]))
    assert result == {"rumination": 8, "magnification": 6, "helplessness": 12, "total": 26}


def test_one_item_per_subscale_moves_only_its_subscale() -> None:
    """Item 13 belongs to magnification, item 12 to helplessness, item 8 to rumination
    (PCS User Manual, Sullivan 2009)."""
    frame = pd.DataFrame(
        [answers([0] * 12 + [4]), answers([0] * 11 + [4, 0]), answers([0] * 7 + [4] + [0] * 5)]
    )
    scores = score("pcs", frame).scores
    assert scores["magnification"].tolist() == [4, 0, 0]
    assert scores["helplessness"].tolist() == [0, 4, 0]
    assert scores["rumination"].tolist() == [0, 0, 4]
    assert scores["total"].tolist() == [4, 4, 4]


def test_a_blank_item_leaves_its_scales_uncomputed() -> None:
    """No published missing-item rule for the PCS (PCS User Manual, Sullivan 2009), so a
    blank rumination item (q9) leaves rumination and total missing; the other subscales,
    complete, are still scored: magnification 2+2+2 = 6, helplessness 6 x 2 = 12."""
    values: list[int | None] = [2] * 13
    values[8] = None
    result = score_one("pcs", answers(values))
    assert result == {
        "rumination": None,
        "magnification": 6,
        "helplessness": 12,
        "total": None,
    }


@pytest.mark.parametrize("bad", [5, -1, 2.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Only the printed weights 0-4 are allowed (Sullivan et al. 1995)."""
    values: list[float | None] = [1] * 13
    values[0] = bad
    with pytest.raises(ResponseValidationError) as caught:
        score_one("pcs", {f"q{n}": v for n, v in enumerate(values, start=1)})
    assert [problem.column for problem in caught.value.problems] == ["q1"]


def test_clinical_cutoff_is_30() -> None:
    """A total of 30 is a clinically relevant level of catastrophizing (PCS User Manual,
    Sullivan 2009)."""
    cutoff = get_instrument("pcs").scale("total").psychometrics.cutoff
    assert cutoff is not None
    assert cutoff.value == 30
