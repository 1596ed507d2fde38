"""CPAQ-20 scoring key: activity engagement (11 items) + reversed pain willingness (9 items).

Key source: McCracken, Vowles & Eccleston 2004 (CPAQ-R scoring sheet): engagement items 1, 2,
3, 5, 6, 8, 9, 10, 12, 15, 19; willingness items 4, 7, 11, 13, 14, 16, 17, 18, 20, negatively
worded and scored 6 - x; items 0-6; total = engagement + willingness, higher = more
acceptance. Expected values are worked by hand.
"""

from __future__ import annotations

import pytest

from balm.instruments import ResponseValidationError, score_one

ENGAGEMENT = (1, 2, 3, 5, 6, 8, 9, 10, 12, 15, 19)
WILLINGNESS = (4, 7, 11, 13, 14, 16, 17, 18, 20)


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_answers() -> None:
    """All 'never true' (0), McCracken et al. 2004 key.

    engagement 11 x 0 = 0; willingness 9 x (6 - 0) = 54; total 0 + 54 = 54.
    """
    result = score_one("cpaq20", answers(*[0] * 20))
    assert result == {"activity_engagement": 0.0, "pain_willingness": 54.0, "total": 54.0}


def test_all_maximum_answers() -> None:
    """All 'always true' (6), McCracken et al. 2004 key.

    engagement 11 x 6 = 66; willingness 9 x (6 - 6) = 0; total 66 + 0 = 66.
    """
    result = score_one("cpaq20", answers(*[6] * 20))
    assert result == {"activity_engagement": 66.0, "pain_willingness": 0.0, "total": 66.0}


def test_most_and_least_accepting_patterns_reach_the_ends_of_the_range() -> None:
    """Engagement items 6 and willingness items 0 give 66 + 54 = 120; the mirror gives 0."""
    most = {f"q{n}": 6 for n in ENGAGEMENT} | {f"q{n}": 0 for n in WILLINGNESS}
    least = {f"q{n}": 0 for n in ENGAGEMENT} | {f"q{n}": 6 for n in WILLINGNESS}
    assert score_one("cpaq20", most) == {
        "activity_engagement": 66.0,
        "pain_willingness": 54.0,
        "total": 120.0,
    }
    assert score_one("cpaq20", least) == {
        "activity_engagement": 0.0,
        "pain_willingness": 0.0,
        "total": 0.0,
    }


def test_mixed_response_worked_by_hand() -> None:
    """Mixed answers scored by the McCracken et al. 2004 key.

    q1..q20 = 4 3 5 2 1 3 6 4 2 0 5 3 4 1 6 3 0 2 5 4
    engagement q1 q2 q3 q5 q6 q8 q9 q10 q12 q15 q19
             = 4 + 3 + 5 + 1 + 3 + 4 + 2 + 0 + 3 + 6 + 5 = 36
    willingness, reversed (6 - x):
        q4 2->4, q7 6->0, q11 5->1, q13 4->2, q14 1->5, q16 3->3, q17 0->6, q18 2->4, q20 4->2
             = 4 + 0 + 1 + 2 + 5 + 3 + 6 + 4 + 2 = 27
    total = 36 + 27 = 63
    """
    values = (4, 3, 5, 2, 1, 3, 6, 4, 2, 0, 5, 3, 4, 1, 6, 3, 0, 2, 5, 4)
    result = score_one("cpaq20", answers(*values))
    assert result == {"activity_engagement": 36.0, "pain_willingness": 27.0, "total": 63.0}


@pytest.mark.parametrize("item", WILLINGNESS)
def test_each_willingness_item_is_reversed(item: int) -> None:
    """Raising one willingness item from 0 to 6 lowers willingness and total by 6."""
    base = {f"q{n}": 0 for n in range(1, 21)}
    result = score_one("cpaq20", base | {f"q{item}": 6})
    assert result == {"activity_engagement": 0.0, "pain_willingness": 48.0, "total": 48.0}


@pytest.mark.parametrize("item", ENGAGEMENT)
def test_each_engagement_item_counts_as_answered(item: int) -> None:
    """Raising one engagement item from 0 to 6 raises engagement and total by 6."""
    base = {f"q{n}": 0 for n in range(1, 21)}
    result = score_one("cpaq20", base | {f"q{item}": 6})
    assert result == {"activity_engagement": 6.0, "pain_willingness": 54.0, "total": 60.0}


def test_one_blank_item_is_not_computed() -> None:
    """No published missing-item rule, so max_missing is 0: a blank drops its scales."""
    result = score_one("cpaq20", answers(*[3] * 19, None))
    assert result == {"activity_engagement": 33.0, "pain_willingness": None, "total": None}


@pytest.mark.parametrize("bad", [7, -1, 3.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed weights 0-6 are accepted (McCracken et al. 2004)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("cpaq20", answers(bad, *[0] * 19))
    assert [problem.column for problem in raised.value.problems] == ["q1"]
