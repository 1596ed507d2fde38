"""Scoring key of the HADS (Zigmond & Snaith 1983, Acta Psychiatr Scand 67:361-370):
anxiety = odd items, depression = even items, each item 0-3, each subscale 0-21; bands 0-7
normal, 8-10 borderline, 11-21 abnormal. The printed option order runs 3-2-1-0 on items 1, 3,
5, 6, 8, 10, 11, 13 and 0-1-2-3 on items 2, 4, 7, 9, 12, 14 (agreed by several reproductions
of the form and CamCOPS). Missing items: the half rule (Bell et al. 2016, BMC Res Notes
9:479): a subscale with at least 4 of 7 items answered is the mean of those items x 7."""

from collections.abc import Sequence

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, get_instrument, score, score_one

ANXIETY = [1, 3, 5, 7, 9, 11, 13]
DEPRESSION = [2, 4, 6, 8, 10, 12, 14]
# Weight of the FIRST printed option of items 1..14, from the sources named above.
FIRST_OPTION_WEIGHT = [3, 0, 3, 0, 3, 3, 0, 3, 0, 3, 3, 0, 3, 0]


def answers(
    anxiety: Sequence[int | None], depression: Sequence[int | None]
) -> dict[str, int | None]:
    """Answers given per subscale, in item order (anxiety q1, q3, ...; depression q2, q4, ...)."""
    row = {f"q{item}": value for item, value in zip(ANXIETY, anxiety, strict=True)}
    row.update({f"q{item}": value for item, value in zip(DEPRESSION, depression, strict=True)})
    return row


def test_printed_option_order_per_item() -> None:
    """Each item's options are stored in printed order with their printed weights
    (Zigmond & Snaith 1983 form, as reproduced in several public copies)."""
    hads = get_instrument("hads")
    for number, first in enumerate(FIRST_OPTION_WEIGHT, start=1):
        weights = [option.value for option in hads.options_for(hads.item(f"q{number}"))]
        assert weights == ([3, 2, 1, 0] if first == 3 else [0, 1, 2, 3]), number
    assert not any(item.reverse for item in hads.items)
    assert all(item.text is None for item in hads.items)


def test_all_minimum_and_all_maximum() -> None:
    """Weight 0 everywhere: 0 / 0, normal; weight 3 everywhere: 21 / 21, abnormal
    (Zigmond & Snaith 1983)."""
    frame = pd.DataFrame([answers([0] * 7, [0] * 7), answers([3] * 7, [3] * 7)])
    scores = score("hads", frame).scores
    assert scores["anxiety"].tolist() == [0, 21]
    assert scores["depression"].tolist() == [0, 21]
    assert scores["anxiety_band"].tolist() == ["normal", "abnormal"]
    assert scores["depression_band"].tolist() == ["normal", "abnormal"]


def test_first_printed_option_everywhere_by_hand() -> None:
    """Ticking the first printed option on every item (printed weights from the form):

    anxiety    q1 3, q3 3, q5 3, q7 0, q9 0, q11 3, q13 3 = 15 -> abnormal
    depression q2 0, q4 0, q6 3, q8 3, q10 3, q12 0, q14 0 = 9 -> borderline
    """
    row = {f"q{n}": weight for n, weight in enumerate(FIRST_OPTION_WEIGHT, start=1)}
    assert score_one("hads", row) == {
        "anxiety": 15,
        "anxiety_band": "abnormal",
        "depression": 9,
        "depression_band": "borderline",
    }


def test_mixed_response_by_hand() -> None:
    """Zigmond & Snaith 1983 (odd items anxiety, even items depression).

    anxiety    q1 2, q3 1, q5 2, q7 0, q9 1, q11 3, q13 0 = 9 -> borderline
    depression q2 0, q4 1, q6 0, q8 2, q10 0, q12 1, q14 0 = 4 -> normal
    """
    result = score_one("hads", answers([2, 1, 2, 0, 1, 3, 0], [0, 1, 0, 2, 0, 1, 0]))
    assert result == {
        "anxiety": 9,
        "anxiety_band": "borderline",
        "depression": 4,
        "depression_band": "normal",
    }


@pytest.mark.parametrize(
    ("items", "total", "band"),
    [
        ([3, 3, 1, 0, 0, 0, 0], 7, "normal"),
        ([3, 3, 2, 0, 0, 0, 0], 8, "borderline"),
        ([3, 3, 3, 1, 0, 0, 0], 10, "borderline"),
        ([3, 3, 3, 2, 0, 0, 0], 11, "abnormal"),
    ],
)
def test_band_edges(items: list[int], total: int, band: str) -> None:
    """Zigmond & Snaith 1983 bands on both sides of each edge (7|8 and 10|11), for each
    subscale; the other subscale holds the same answers."""
    result = score_one("hads", answers(items, items))
    assert result == {
        "anxiety": total,
        "anxiety_band": band,
        "depression": total,
        "depression_band": band,
    }


def test_half_rule_prorates_up_to_three_blanks() -> None:
    """Bell et al. 2016 half rule: 4 of 7 answered is enough; score = mean x 7.

    anxiety 2, 2, 2, 2, -, -, -: 8 x 7 / 4 = 14.0 -> abnormal
    depression 1, 1, 1, 2, -, -, -: 5 x 7 / 4 = 8.75 -> borderline (8 reached)
    """
    blank = [None, None, None]
    result = score("hads", pd.DataFrame([answers([2, 2, 2, 2, *blank], [1, 1, 1, 2, *blank])]))
    assert result.scores["anxiety"].tolist() == pytest.approx([14.0])
    assert result.scores["depression"].tolist() == pytest.approx([8.75])
    assert result.scores["anxiety_band"].tolist() == ["abnormal"]
    assert result.scores["depression_band"].tolist() == ["borderline"]
    assert result.prorated.loc[0, "anxiety"]
    assert result.prorated.loc[0, "depression"]


def test_four_blanks_is_too_many() -> None:
    """Bell et al. 2016 half rule: fewer than 4 of 7 answered leaves the subscale missing;
    the other subscale is unaffected: depression 1 x 7 = 7, normal."""
    result = score_one("hads", answers([3, 3, 3, None, None, None, None], [1] * 7))
    assert result == {
        "anxiety": None,
        "anxiety_band": None,
        "depression": 7,
        "depression_band": "normal",
    }


@pytest.mark.parametrize("bad", [4, -1, 1.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Only the printed weights 0-3 exist (Zigmond & Snaith 1983)."""
    with pytest.raises(ResponseValidationError):
        score_one("hads", {**answers([1] * 7, [1] * 7), "q14": bad})
