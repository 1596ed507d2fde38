"""FSCRS scoring key: three subscale sums of items rated 0-4, none reversed.

Key source: Gilbert, Clarke, Hempel, Miles & Irons 2004: inadequate self 1, 2, 4, 6, 7, 14,
17, 18, 20 (0-36); hated self 9, 10, 12, 15, 22 (0-20); reassured self 3, 5, 8, 11, 13, 16,
19, 21 (0-32). Expected values are worked by hand.
"""

from __future__ import annotations

import pytest

from balm.instruments import ResponseValidationError, safety_flags, score_one

INADEQUATE = (1, 2, 4, 6, 7, 14, 17, 18, 20)
HATED = (9, 10, 12, 15, 22)
REASSURED = (3, 5, 8, 11, 13, 16, 19, 21)


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_answers_score_zero() -> None:
    """All 'not at all like me' (0): every subscale 0 (Gilbert et al. 2004)."""
    result = score_one("fscrs", answers(*[0] * 22))
    assert result == {"inadequate_self": 0.0, "hated_self": 0.0, "reassured_self": 0.0}


def test_all_maximum_answers() -> None:
    """All 'extremely like me' (4): 9 x 4 = 36, 5 x 4 = 20, 8 x 4 = 32 (Gilbert et al. 2004)."""
    result = score_one("fscrs", answers(*[4] * 22))
    assert result == {"inadequate_self": 36.0, "hated_self": 20.0, "reassured_self": 32.0}


def test_mixed_response_worked_by_hand() -> None:
    """Mixed answers scored by the Gilbert et al. 2004 key (no reversed items).

    q1..q22 = 3 2 1 4 0 3 2 1 0 1 2 0 1 3 1 2 4 2 3 1 2 0
    inadequate q1 q2 q4 q6 q7 q14 q17 q18 q20 = 3+2+4+3+2+3+4+2+1 = 24
    hated      q9 q10 q12 q15 q22             = 0+1+0+1+0         =  2
    reassured  q3 q5 q8 q11 q13 q16 q19 q21   = 1+0+1+2+1+2+3+2   = 12
    """
    values = (3, 2, 1, 4, 0, 3, 2, 1, 0, 1, 2, 0, 1, 3, 1, 2, 4, 2, 3, 1, 2, 0)
    result = score_one("fscrs", answers(*values))
    assert result == {"inadequate_self": 24.0, "hated_self": 2.0, "reassured_self": 12.0}


@pytest.mark.parametrize(
    ("items", "scale"),
    [(INADEQUATE, "inadequate_self"), (HATED, "hated_self"), (REASSURED, "reassured_self")],
)
def test_each_item_belongs_to_its_published_subscale(items: tuple[int, ...], scale: str) -> None:
    """An answer of 4 on one item raises only its own subscale, by 4 (Gilbert et al. 2004)."""
    for item in items:
        result = score_one("fscrs", answers(*[0] * 22) | {f"q{item}": 4})
        assert result[scale] == 4.0, f"q{item}"
        assert sum(value for value in result.values() if value is not None) == 4.0


def test_one_blank_item_drops_only_its_subscale() -> None:
    """No published missing-item rule, so max_missing is 0 per subscale."""
    result = score_one("fscrs", answers(*[1] * 22) | {"q22": None})
    assert result == {"inadequate_self": 9.0, "hated_self": None, "reassured_self": 8.0}


def test_item_9_raises_a_safety_flag_above_zero() -> None:
    """Item 9 (anger at oneself to the point of wanting to self-harm) is a safety item."""
    assert safety_flags("fscrs", {"q9": 1}) == ["q9"]
    assert safety_flags("fscrs", {"q9": 0}) == []
    assert safety_flags("fscrs", {"q10": 4}) == []


@pytest.mark.parametrize("bad", [5, -1, 1.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed weights 0-4 are accepted (Gilbert et al. 2004 form)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("fscrs", answers(*[0] * 21, bad))
    assert [problem.column for problem in raised.value.problems] == ["q22"]
