"""Scoring key of the SWEMWBS: 7 items 1-5, raw sum 7-35, converted to the metric score by
the official raw-to-metric table (Warwick Medical School conversion table, from the Rasch
analysis of Stewart-Brown et al. 2009, Health Qual Life Outcomes 7:15). The conversion is
for complete responses only, so neither score is prorated."""

from collections.abc import Sequence

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, score, score_one

# The Warwick raw-to-metric conversion table (independent of the catalogue file under test).
# Where each value comes from:
# - 7 -> 7.00 and 35 -> 35.00: the project brief (which gives only these end points).
# - 8 -> 9.51 ... 34 -> 32.55: public transcriptions of the Warwick table, read in two
#   independent public research analysis scripts (R, found by exact-text search of public
#   repositories on 2026-12-02; both list all 29 values 7.00 ... 35.00 identically). The
#   Warwick Medical School table itself was not seen here.
WARWICK_METRIC = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
    15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98,
    23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03,
    31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}  # fmt: skip


def answers(values: Sequence[int | None]) -> dict[str, int | None]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


def response_with_raw(raw: int) -> list[int]:
    """Seven answers 1-5 adding up to ``raw`` (fill items to 5 from the first)."""
    extra = raw - 7
    values = []
    for _ in range(7):
        step = min(4, extra)
        values.append(1 + step)
        extra -= step
    return values


def test_all_minimum() -> None:
    """All 'none of the time' (1): raw 7, metric 7.00 (Warwick conversion table)."""
    assert score_one("swemwbs", answers([1] * 7)) == {"raw": 7, "total": 7.00}


def test_all_maximum() -> None:
    """All 'all of the time' (5): raw 35, metric 35.00 (Warwick conversion table)."""
    assert score_one("swemwbs", answers([5] * 7)) == {"raw": 35, "total": 35.00}


def test_mixed_response_by_hand() -> None:
    """Stewart-Brown et al. 2009: sum the seven items, then convert (no reversed items).

    q1..q7 = 3 4 2 5 3 4 3: raw = 3+4+2+5+3+4+3 = 24; table 24 -> 21.54
    """
    result = score_one("swemwbs", answers([3, 4, 2, 5, 3, 4, 3]))
    assert result["raw"] == 24
    assert result["total"] == pytest.approx(21.54)


def test_lookup_at_several_raw_totals() -> None:
    """Warwick conversion table at raw 8, 14, 21, 28, 29 and 34.

    raw 8  = 2 1 1 1 1 1 1 -> 9.51
    raw 14 = 5 4 1 1 1 1 1 -> 15.32
    raw 21 = 3 3 3 3 3 3 3 -> 19.25
    raw 28 = 4 4 4 4 4 4 4 -> 25.03
    raw 29 = 5 4 4 4 4 4 4 -> 26.02
    raw 34 = 4 5 5 5 5 5 5 -> 32.55
    """
    rows = [
        [2, 1, 1, 1, 1, 1, 1],
        [5, 4, 1, 1, 1, 1, 1],
        [3] * 7,
        [4] * 7,
        [5, 4, 4, 4, 4, 4, 4],
        [4, 5, 5, 5, 5, 5, 5],
    ]
    scores = score("swemwbs", pd.DataFrame([answers(row) for row in rows])).scores
    assert scores["raw"].tolist() == [8, 14, 21, 28, 29, 34]
    assert scores["total"].tolist() == pytest.approx([9.51, 15.32, 19.25, 25.03, 26.02, 32.55])


def test_every_raw_total_converts_as_the_warwick_table() -> None:
    """All 29 raw totals 7-35 against the Warwick conversion table typed above."""
    frame = pd.DataFrame([answers(response_with_raw(raw)) for raw in range(7, 36)])
    scores = score("swemwbs", frame).scores
    assert scores["raw"].tolist() == list(range(7, 36))
    expected = [WARWICK_METRIC[raw] for raw in range(7, 36)]
    assert scores["total"].tolist() == pytest.approx(expected, abs=1e-9)


def test_a_blank_item_is_never_prorated() -> None:
    """The conversion is defined for complete seven-item responses only (Warwick Medical
    School scoring guidance): one blank leaves both scores missing."""
    result = score("swemwbs", pd.DataFrame([answers([4, 4, 4, 4, 4, 4, None])]))
    assert result.scores[["raw", "total"]].isna().all(axis=None)
    assert result.prorated[["raw", "total"]].to_numpy().sum() == 0


@pytest.mark.parametrize("bad", [0, 6, 3.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Items are weighted 1-5 (Stewart-Brown et al. 2009)."""
    with pytest.raises(ResponseValidationError):
        score_one("swemwbs", {**answers([3] * 6), "q7": bad})
