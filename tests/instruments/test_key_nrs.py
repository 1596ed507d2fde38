"""Scoring key of the 0-10 pain numeric rating scale: one item, scored as answered
(LOINC 72514-3, 0 = no pain, 10 = worst pain imaginable); clinically important difference
about 2 points or 30% (Farrar et al. 2001, Pain 94:149-158)."""

import pandas as pd
import pytest

from balm.instruments import ResponseValidationError, get_instrument, score, score_one


def test_minimum_maximum_and_middle() -> None:
    """The score is the answer itself, 0 to 10 (LOINC 72514-3 answer list 0-10)."""
    totals = score("nrs", pd.DataFrame({"q1": [0, 10, 6]})).scores["total"].tolist()
    assert totals == [0, 10, 6]


def test_blank_answer_is_missing_not_zero() -> None:
    """One item cannot be prorated: a blank is a missing score, never 0 (LOINC 72514-3 has no
    'blank means no pain' rule)."""
    assert score_one("nrs", {"q1": ""}) == {"total": None}


@pytest.mark.parametrize("bad", [11, -1, 3.5])
def test_out_of_range_answer_is_refused(bad: float) -> None:
    """Only the whole numbers 0-10 are on the scale (LOINC 72514-3)."""
    with pytest.raises(ResponseValidationError):
        score_one("nrs", {"q1": bad})


def test_loinc_and_mid_from_sources() -> None:
    """LOINC 72514-3 for the item and score; MID 2 points (Farrar et al. 2001)."""
    nrs = get_instrument("nrs")
    assert nrs.item("q1").loinc == "72514-3"
    assert nrs.scale("total").loinc == "72514-3"
    mid = nrs.scale("total").psychometrics.mid
    assert mid is not None
    assert mid.value == 2
