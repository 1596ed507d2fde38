"""DASS-21 scoring key: three seven-item sums, each doubled to the DASS-42 metric (0-42).

Key source: Lovibond & Lovibond 1995 (DASS manual): depression items 3, 5, 10, 13, 16, 17,
21; anxiety 2, 4, 7, 9, 15, 19, 20; stress 1, 6, 8, 11, 12, 14, 18; each sum x 2; severity
bands on the doubled metric. Expected values are worked by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, score, score_one

DEPRESSION = ("q3", "q5", "q10", "q13", "q16", "q17", "q21")
ANXIETY = ("q2", "q4", "q7", "q9", "q15", "q19", "q20")
STRESS = ("q1", "q6", "q8", "q11", "q12", "q14", "q18")


def answers(*values: object) -> dict[str, object]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def with_raw_sum(items: tuple[str, ...], raw: int) -> dict[str, object]:
    """All items 0 except ``items``, filled with 3s then the remainder to reach ``raw``."""
    values: dict[str, object] = {f"q{number}": 0 for number in range(1, 22)}
    for item in items:
        step = min(3, raw)
        values[item] = step
        raw -= step
    assert raw == 0, "raw sum too large for seven items"
    return values


def test_item_allocation_is_the_published_one() -> None:
    """Each item belongs to exactly one subscale (Lovibond & Lovibond 1995)."""
    assert sorted(DEPRESSION + ANXIETY + STRESS, key=lambda q: int(q[1:])) == [
        f"q{number}" for number in range(1, 22)
    ]
    # One answer of 3 on a single item moves only its own subscale, by 2 x 3 = 6.
    for item, scale in (("q3", "depression"), ("q2", "anxiety"), ("q1", "stress")):
        result = score_one("dass21", {f"q{n}": 0 for n in range(1, 22)} | {item: 3})
        others = {"depression", "anxiety", "stress"} - {scale}
        assert result[scale] == 6.0
        assert all(result[other] == 0.0 for other in others)


def test_all_minimum_answers_score_zero_normal() -> None:
    """All 0: every subscale 0, normal (Lovibond & Lovibond 1995)."""
    result = score_one("dass21", answers(*[0] * 21))
    assert result == {
        "depression": 0.0,
        "depression_band": "normal",
        "anxiety": 0.0,
        "anxiety_band": "normal",
        "stress": 0.0,
        "stress_band": "normal",
    }


def test_all_maximum_answers_score_42_extremely_severe() -> None:
    """All 3: each subscale 7 x 3 = 21, doubled 42, extremely severe (Lovibond & Lovibond 1995)."""
    result = score_one("dass21", answers(*[3] * 21))
    for scale in ("depression", "anxiety", "stress"):
        assert result[scale] == 42.0
        assert result[f"{scale}_band"] == "extremely_severe"


def test_mixed_response_worked_by_hand() -> None:
    """Mixed answers scored by the Lovibond & Lovibond 1995 key.

    q1..q21 = 2 1 3 0 2 1 0 3 1 2 2 1 3 0 1 1 2 2 0 1 1
    depression q3 q5 q10 q13 q16 q17 q21 = 3+2+2+3+1+2+1 = 14, x2 = 28 -> extremely severe (28+)
    anxiety    q2 q4 q7 q9 q15 q19 q20  = 1+0+0+1+1+0+1 =  4, x2 =  8 -> mild (8-9)
    stress     q1 q6 q8 q11 q12 q14 q18 = 2+1+3+2+1+0+2 = 11, x2 = 22 -> moderate (19-25)
    """
    values = (2, 1, 3, 0, 2, 1, 0, 3, 1, 2, 2, 1, 3, 0, 1, 1, 2, 2, 0, 1, 1)
    result = score_one("dass21", answers(*values))
    assert result["depression"] == 28.0
    assert result["depression_band"] == "extremely_severe"
    assert result["anxiety"] == 8.0
    assert result["anxiety_band"] == "mild"
    assert result["stress"] == 22.0
    assert result["stress_band"] == "moderate"


# Complete answers give even doubled scores only, so each cut point is tested at the nearest
# reachable score on either side (e.g. depression 8 | 10 around the 9/10 cut point).
@pytest.mark.parametrize(
    ("items", "scale", "raw", "doubled", "band"),
    [
        (DEPRESSION, "depression", 4, 8, "normal"),
        (DEPRESSION, "depression", 5, 10, "mild"),
        (DEPRESSION, "depression", 6, 12, "mild"),
        (DEPRESSION, "depression", 7, 14, "moderate"),
        (DEPRESSION, "depression", 10, 20, "moderate"),
        (DEPRESSION, "depression", 11, 22, "severe"),
        (DEPRESSION, "depression", 13, 26, "severe"),
        (DEPRESSION, "depression", 14, 28, "extremely_severe"),
        (ANXIETY, "anxiety", 3, 6, "normal"),
        (ANXIETY, "anxiety", 4, 8, "mild"),
        (ANXIETY, "anxiety", 5, 10, "moderate"),
        (ANXIETY, "anxiety", 7, 14, "moderate"),
        (ANXIETY, "anxiety", 8, 16, "severe"),
        (ANXIETY, "anxiety", 9, 18, "severe"),
        (ANXIETY, "anxiety", 10, 20, "extremely_severe"),
        (STRESS, "stress", 7, 14, "normal"),
        (STRESS, "stress", 8, 16, "mild"),
        (STRESS, "stress", 9, 18, "mild"),
        (STRESS, "stress", 10, 20, "moderate"),
        (STRESS, "stress", 12, 24, "moderate"),
        (STRESS, "stress", 13, 26, "severe"),
        (STRESS, "stress", 16, 32, "severe"),
        (STRESS, "stress", 17, 34, "extremely_severe"),
    ],
)
def test_band_edges_on_the_doubled_metric(
    items: tuple[str, ...], scale: str, raw: int, doubled: int, band: str
) -> None:
    """Bands of Lovibond & Lovibond 1995 on the doubled (x2) metric, both sides of each cut."""
    result = score_one("dass21", with_raw_sum(items, raw))
    assert result[scale] == doubled
    assert result[f"{scale}_band"] == band


def test_one_blank_item_drops_only_its_subscale() -> None:
    """No published missing-item rule confirmed, so max_missing is 0 per subscale."""
    values = with_raw_sum(STRESS, 5) | {"q10": None}
    result = score_one("dass21", values)
    assert result["depression"] is None
    assert result["depression_band"] is None
    assert result["anxiety"] == 0.0
    assert result["stress"] == 10.0


def test_many_responses_at_once_keep_their_rows() -> None:
    """score() on a frame gives the same hand-worked values row by row (Lovibond 1995 key).

    row "a": all 0 -> 0 / 0 / 0; row "b": all 1 -> 7 x 1 x 2 = 14 on every subscale.
    """
    frame = pd.DataFrame({f"q{n}": [0, 1] for n in range(1, 22)}, index=["a", "b"])
    scores = score("dass21", frame).scores
    assert scores.loc["a", ["depression", "anxiety", "stress"]].tolist() == [0.0, 0.0, 0.0]
    assert scores.loc["b", ["depression", "anxiety", "stress"]].tolist() == [14.0, 14.0, 14.0]
    # 14 is moderate for depression (14-20) and anxiety (10-14), normal for stress (0-14).
    assert scores.loc["b", "depression_band"] == "moderate"
    assert scores.loc["b", "anxiety_band"] == "moderate"
    assert scores.loc["b", "stress_band"] == "normal"


@pytest.mark.parametrize("bad", [4, -1, 2.5])
def test_answer_outside_the_printed_weights_is_refused(bad: float) -> None:
    """Only the printed weights 0-3 are accepted (Lovibond & Lovibond 1995 form)."""
    with pytest.raises(ResponseValidationError) as raised:
        score_one("dass21", answers(*[0] * 20, bad))
    assert [problem.column for problem in raised.value.problems] == ["q21"]
