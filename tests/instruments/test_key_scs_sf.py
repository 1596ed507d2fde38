"""SCS-SF scoring key: total and six two-item subscale means, negative items reversed.

Key source: Raes, Pommier, Neff & Van Gucht 2011 (authors' SCS-SF scoring sheet):
self-kindness 2, 6; self-judgment 11, 12; common humanity 5, 10; isolation 4, 8;
mindfulness 3, 7; over-identification 1, 9; items 1-5; total = mean of all 12 after reversing
the self-judgment, isolation and over-identification items (6 - x).

As on the published sheet, the three negative subscales are raw means (higher = more
self-judgment, isolation, over-identification); only the total reverses their items.
"""

from __future__ import annotations

import pytest

from balm.instruments import Direction, ResponseValidationError, get_instrument, score_one

NEGATIVE_ITEMS = (1, 4, 8, 9, 11, 12)
POSITIVE_ITEMS = (2, 3, 5, 6, 7, 10)


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_answers() -> None:
    """All 'almost never' (1), Raes et al. 2011 key.

    total: positive items stay 1; negative items 1, 4, 8, 9, 11, 12 reverse to 6 - 1 = 5,
    so (6 x 1 + 6 x 5) / 12 = 36 / 12 = 3.0. Every subscale is a raw mean of 1s = 1.
    """
    result = score_one("scs_sf", answers(*[1] * 12))
    assert result == {
        "total": 3.0,
        "self_kindness": 1.0,
        "self_judgment": 1.0,
        "common_humanity": 1.0,
        "isolation": 1.0,
        "mindfulness": 1.0,
        "over_identification": 1.0,
    }


def test_all_maximum_answers() -> None:
    """All 'almost always' (5): total (6 x 5 + 6 x 1 reversed) / 12 = 3.0; subscales raw 5."""
    result = score_one("scs_sf", answers(*[5] * 12))
    assert result == {
        "total": 3.0,
        "self_kindness": 5.0,
        "self_judgment": 5.0,
        "common_humanity": 5.0,
        "isolation": 5.0,
        "mindfulness": 5.0,
        "over_identification": 5.0,
    }


def test_most_and_least_self_compassionate_patterns_reach_5_and_1() -> None:
    """Positive items 5 and negative items 1 give a total of 5; the mirror gives 1.

    The negative subscales are raw means, so they sit at 1 in the first pattern and 5 in the
    second (Raes et al. 2011 sheet).
    """
    negative = {"self_judgment", "isolation", "over_identification"}
    most = {f"q{n}": 5 for n in POSITIVE_ITEMS} | {f"q{n}": 1 for n in NEGATIVE_ITEMS}
    least = {f"q{n}": 1 for n in POSITIVE_ITEMS} | {f"q{n}": 5 for n in NEGATIVE_ITEMS}
    for pattern, high, low in ((most, 5.0, 1.0), (least, 1.0, 5.0)):
        result = score_one("scs_sf", pattern)
        for scale_id, value in result.items():
            assert value == (low if scale_id in negative else high), scale_id


def test_mixed_response_worked_by_hand() -> None:
    """Mixed answers scored by the Raes et al. 2011 key.

    raw q1..q12 = 4 3 5 2 4 2 3 1 5 3 4 2
    reversed (6 - x): q1 4->2, q4 2->4, q8 1->5, q9 5->1, q11 4->2, q12 2->4
    keyed q1..q12 = 2 3 5 4 4 2 3 5 1 3 2 4, sum = 38, total = 38 / 12 = 3.1667
    self-kindness       (q2 3 + q6 2) / 2            = 2.5
    self-judgment       (raw q11 4 + q12 2) / 2      = 3.0
    common humanity     (q5 4 + q10 3) / 2           = 3.5
    isolation           (raw q4 2 + q8 1) / 2        = 1.5
    mindfulness         (q3 5 + q7 3) / 2            = 4.0
    over-identification (raw q1 4 + q9 5) / 2        = 4.5
    """
    result = score_one("scs_sf", answers(4, 3, 5, 2, 4, 2, 3, 1, 5, 3, 4, 2))
    assert result["total"] == pytest.approx(38 / 12)
    assert result["self_kindness"] == 2.5
    assert result["self_judgment"] == 3.0
    assert result["common_humanity"] == 3.5
    assert result["isolation"] == 1.5
    assert result["mindfulness"] == 4.0
    assert result["over_identification"] == 4.5


def test_negative_subscales_are_raw_means_while_the_total_reverses_them() -> None:
    """Raw self-judgment answers 5 and 4 give the published raw mean 4.5 (Raes et al. 2011).

    The total reverses them: (10 x 3 + (6 - 5) + (6 - 4)) / 12 = 33 / 12 = 2.75.
    """
    result = score_one("scs_sf", answers(*[3] * 10, 5, 4))
    assert result["self_judgment"] == 4.5
    assert result["total"] == pytest.approx(33 / 12)
    instrument = get_instrument("scs_sf")
    for scale_id in ("self_judgment", "isolation", "over_identification"):
        assert instrument.scale(scale_id).direction is Direction.HIGHER_WORSE


def test_one_blank_item_is_not_computed() -> None:
    """No published missing-item rule, so max_missing is 0: a blank drops its scales."""
    result = score_one("scs_sf", answers(*[3] * 11, None))
    assert result["total"] is None
    assert result["self_judgment"] is None
    assert result["self_kindness"] == 3.0
    assert result["isolation"] == 3.0


@pytest.mark.parametrize("bad", [0, 6, 2.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed weights 1-5 are accepted (Raes et al. 2011 form)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("scs_sf", answers(*[3] * 5, bad, *[3] * 6))
    assert [problem.column for problem in raised.value.problems] == ["q6"]
