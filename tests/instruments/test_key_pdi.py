"""Pain Disability Index scoring key: seven domains rated 0-10, summed 0-70.

Key source: Pollard 1984; Tait, Pollard, Margolis, Duckro & Krause 1987 (overall disability
score = sum of the seven category ratings, range 0-70). Expected values are worked by hand.
"""

from __future__ import annotations

import pytest

from balm.instruments import ResponseValidationError, get_instrument, score_one


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def test_all_minimum_answers_score_zero() -> None:
    """No disability in any domain (0): total 0 (Tait et al. 1987)."""
    assert score_one("pdi", answers(0, 0, 0, 0, 0, 0, 0)) == {"total": 0.0}


def test_all_maximum_answers_score_70() -> None:
    """Total disability in every domain (10): total 7 x 10 = 70 (Tait et al. 1987)."""
    assert score_one("pdi", answers(10, 10, 10, 10, 10, 10, 10)) == {"total": 70.0}


def test_mixed_response_worked_by_hand() -> None:
    """Plain sum of the seven domains, none reversed (Pollard 1984; Tait et al. 1987).

    family/home 3, recreation 5, social 2, occupation 7, sexual 0, self-care 4,
    life-support 1 -> 3 + 5 + 2 + 7 + 0 + 4 + 1 = 22.
    """
    assert score_one("pdi", answers(3, 5, 2, 7, 0, 4, 1)) == {"total": 22.0}


def test_every_rating_from_0_to_10_is_accepted_at_face_value() -> None:
    """Each printed rating 0..10 counts as itself (Pollard 1984 graphic rating scale)."""
    for rating in range(11):
        assert score_one("pdi", answers(rating, 0, 0, 0, 0, 0, 0)) == {"total": float(rating)}


def test_domains_in_printed_order() -> None:
    """Domain order of the printed form (Pollard 1984; Tait et al. 1987 abstract)."""
    concepts = [item.concept for item in get_instrument("pdi").items]
    assert concepts[0].startswith("family")
    assert concepts[1] == "recreation"
    assert concepts[2] == "social activity"
    assert concepts[3].startswith("occupation")
    assert concepts[4] == "sexual behaviour"
    assert concepts[5] == "self-care"
    assert concepts[6].startswith("life-support")


def test_one_blank_domain_is_not_computed() -> None:
    """No published missing-item rule, so max_missing is 0: one blank domain, no total."""
    assert score_one("pdi", answers(3, 5, 2, None, 0, 4, 1)) == {"total": None}


@pytest.mark.parametrize("bad", [11, -1, 2.5])
def test_answer_outside_the_printed_ratings_is_refused(bad: float) -> None:
    """Only the printed ratings 0-10 are accepted (Pollard 1984)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("pdi", answers(0, 0, 0, 0, 0, bad, 0))
    assert [problem.column for problem in raised.value.problems] == ["q6"]
