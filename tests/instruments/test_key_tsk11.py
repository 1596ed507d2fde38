"""Scoring key of the TSK-11 (Woby et al. 2005, Pain 117:137-144): 11 items scored 1
(strongly disagree) to 4 (strongly agree), summed 11-44. The TSK-11 drops TSK-17 items 4,
8, 9, 12, 14 and 16; the TSK-17's reverse-keyed items (4, 8, 12, 16) are all among them, so
no TSK-11 item is reversed. No published missing-item rule (balm needs all 11)."""

from collections.abc import Sequence

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, get_instrument, score, score_one


def answers(values: Sequence[int | None]) -> dict[str, int | None]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_and_all_maximum() -> None:
    """11 x 1 = 11 and 11 x 4 = 44 (Woby et al. 2005, range 11-44)."""
    frame = pd.DataFrame([answers([1] * 11), answers([4] * 11)])
    assert score("tsk11", frame).scores["total"].tolist() == [11, 44]


def test_mixed_response_by_hand() -> None:
    """Woby et al. 2005: plain sum, no reversed item.

    q1..q11 = 1 2 3 4 1 2 3 4 1 2 3
    total = 1+2+3+4+1+2+3+4+1+2+3 = 26
    """
    assert score_one("tsk11", answers([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3])) == {"total": 26}


def test_no_item_is_reverse_keyed() -> None:
    """Each item counts as answered (Woby et al. 2005 removed the TSK-17 reversed items).

    q1 = 4, the rest 1: 4 + 10 x 1 = 14 (a reversed q1 would give 1 + 10 = 11).
    q11 = 4, the rest 1: 14 as well.
    """
    frame = pd.DataFrame([answers([4] + [1] * 10), answers([1] * 10 + [4])])
    assert score("tsk11", frame).scores["total"].tolist() == [14, 14]
    assert not any(item.reverse for item in get_instrument("tsk11").items)


def test_a_blank_item_leaves_the_total_missing() -> None:
    """Woby et al. 2005 give no missing-item rule, so balm does not prorate."""
    assert score_one("tsk11", answers([2] * 10 + [None])) == {"total": None}


@pytest.mark.parametrize("bad", [0, 5, 2.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Only the weights 1-4 are printed (Woby et al. 2005)."""
    values: list[float] = [2] * 11
    values[5] = bad
    with pytest.raises(ResponseValidationError):
        score_one("tsk11", {f"q{n}": v for n, v in enumerate(values, start=1)})


def test_mid_is_a_four_point_reduction() -> None:
    """A reduction of at least 4 points is an important change (Woby et al. 2005)."""
    mid = get_instrument("tsk11").scale("total").psychometrics.mid
    assert mid is not None
    assert mid.value == 4
