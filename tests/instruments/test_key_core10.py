"""Scoring key of the CORE-10 (Barkham et al. 2013, Counselling and Psychotherapy Research
13:3-13): 10 items 0-4 summed to the clinical score 0-40; items 2 (support) and 3 (coping)
are positively worded and scored in reverse (in balm their options carry the weights 4..0 from
'Not at all' to 'Most or all of the time'); pro-rated when one item is blank (CORE System
Trust, 'What's in a name (1): scoring CORE measures'); item 6 is the risk item."""

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, get_instrument, safety_flags, score, score_one

LABELS = ["Not at all", "Only occasionally", "Sometimes", "Often", "Most or all of the time"]


def answers(values: list[float | None]) -> dict[str, float | None]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def weight(item: str, label: str) -> float:
    core10 = get_instrument("core10")
    options = core10.options_for(core10.item(item))
    return next(option.value for option in options if option.label == label)


def test_items_2_and_3_are_scored_in_reverse() -> None:
    """Barkham et al. 2013; CamCOPS stores items 2 and 3 as 4 = not at all: for items 2 and 3
    'Not at all' weighs 4 and 'Most or all of the time' 0; for the others the reverse."""
    assert [weight("q2", label) for label in LABELS] == [4, 3, 2, 1, 0]
    assert [weight("q3", label) for label in LABELS] == [4, 3, 2, 1, 0]
    for item in ["q1", "q4", "q5", "q6", "q7", "q8", "q9", "q10"]:
        assert [weight(item, label) for label in LABELS] == [0, 1, 2, 3, 4]
    # The weights already carry the direction: flagging them reverse would flip them back.
    assert not any(item.reverse for item in get_instrument("core10").items)


def test_all_minimum_and_all_maximum() -> None:
    """Lowest weight on every item gives 0, highest gives 40 (Barkham et al. 2013)."""
    frame = pd.DataFrame([answers([0] * 10), answers([4] * 10)])
    assert score("core10", frame).scores["total"].tolist() == [0, 40]


def test_not_at_all_on_every_item() -> None:
    """Ticking 'Not at all' everywhere scores only the two reversed items (Barkham et al.
    2013): q2 4 + q3 4 + eight items at 0 = 8."""
    values: list[float | None] = [weight(f"q{n}", "Not at all") for n in range(1, 11)]
    assert score_one("core10", answers(values)) == {"total": 8}


def test_mixed_response_by_hand() -> None:
    """Barkham et al. 2013; reversed items shown with the option ticked.

    q1  Sometimes                    2
    q2  Often (reversed)             1   (would be 3 unreversed)
    q3  Only occasionally (reversed) 3   (would be 1 unreversed)
    q4  Not at all                   0
    q5  Only occasionally            1
    q6  Not at all                   0
    q7  Often                        3
    q8  Sometimes                    2
    q9  Sometimes                    2
    q10 Only occasionally            1
    total = 2+1+3+0+1+0+3+2+2+1 = 15
    """
    assert score_one("core10", answers([2, 1, 3, 0, 1, 0, 3, 2, 2, 1])) == {"total": 15}


def test_one_blank_item_is_prorated() -> None:
    """CORE System Trust: pro-rate when no more than one CORE-10 item is blank.

    Same answers as the mixed case with q10 blank: 9 items sum 2+1+3+0+1+0+3+2+2 = 14;
    clinical score = 14 x 10 / 9 = 15.555...
    """
    result = score("core10", pd.DataFrame([answers([2, 1, 3, 0, 1, 0, 3, 2, 2, None])]))
    assert result.scores["total"].tolist() == pytest.approx([140 / 9])
    assert result.prorated["total"].tolist() == [True]


def test_two_blank_items_are_too_many() -> None:
    """CORE System Trust: more than 10% of items (two of ten) blank, no score."""
    assert score_one("core10", answers([2, 1, 3, 0, 1, 0, 3, 2, None, None])) == {"total": None}


@pytest.mark.parametrize("bad", [5, -1, 1.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Only the weights 0-4 exist (Barkham et al. 2013)."""
    with pytest.raises(ResponseValidationError):
        score_one("core10", {**answers([1] * 10), "q3": bad})


def test_risk_item_raises_a_safety_flag() -> None:
    """Item 6 (plans to end one's life) is the CORE-10 risk item (Barkham et al. 2013)."""
    assert safety_flags("core10", answers([0] * 10)) == []
    assert safety_flags("core10", {**answers([0] * 10), "q6": 1}) == ["q6"]


def test_published_psychometrics() -> None:
    """Barkham et al. 2013: alpha .90, cut-off 11, reliable change 6; CORE-10 User Manual
    (Connell & Barkham 2007): clinical M 19.7 SD 7.7, general population M 4.7 SD 4.8."""
    p = get_instrument("core10").scale("total").psychometrics
    assert p.reliability is not None and p.reliability.value == 0.90
    assert p.cutoff is not None and p.cutoff.value == 11
    assert p.reliable_change is not None and p.reliable_change.value == 6
    assert p.clinical is not None and (p.clinical.mean, p.clinical.sd) == (19.7, 7.7)
    assert p.functional is not None and (p.functional.mean, p.functional.sd) == (4.7, 4.8)
