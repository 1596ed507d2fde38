"""The scoring engine, with hand-worked cases.

PHQ-9 key and bands: Kroenke, Spitzer & Williams 2001 (sum of nine items weighted 0-3;
severity cut-points 5, 10, 15 and 20). Every expected value is worked by hand in the
docstring or comment next to it, never computed with balm's own code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from balm.instruments import (
    Instrument,
    ResponseValidationError,
    get_instrument,
    parse_answers,
    safety_flags,
    score,
    score_matrix,
    score_one,
)
from balm.instruments.schema import Bands, MissingRule, Scale

ITEMS = [f"q{number}" for number in range(1, 10)]


def phq9(*values: object) -> dict[str, object]:
    return dict(zip(ITEMS, values, strict=True))


def frame(rows: list[dict[str, object]], **columns: list[object]) -> pd.DataFrame:
    data = pd.DataFrame(rows, dtype=object)
    for name, values in columns.items():
        data.insert(0, name, values)
    return data


# --- PHQ-9, hand-worked -------------------------------------------------------------


def test_all_zero_is_zero_minimal() -> None:
    """Nine 'not at all' (0): 0, minimal (0-4)."""
    assert score_one("phq9", phq9(*[0] * 9)) == {"total": 0.0, "total_band": "minimal"}


def test_all_three_is_27_severe() -> None:
    """Nine 'nearly every day' (3): 9 x 3 = 27, severe (20-27)."""
    assert score_one("phq9", phq9(*[3] * 9)) == {"total": 27.0, "total_band": "severe"}


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        # 3 + 1 = 4: the top of minimal (0-4)
        ((3, 1, 0, 0, 0, 0, 0, 0, 0), 4.0, "minimal"),
        # 3 + 2 = 5: the bottom of mild (5-9)
        ((3, 2, 0, 0, 0, 0, 0, 0, 0), 5.0, "mild"),
        # 3 + 3 + 3 = 9: the top of mild
        ((3, 3, 3, 0, 0, 0, 0, 0, 0), 9.0, "mild"),
        # 3 + 3 + 3 + 1 = 10: the bottom of moderate (10-14)
        ((3, 3, 3, 1, 0, 0, 0, 0, 0), 10.0, "moderate"),
        # 3 x 4 + 2 = 14: the top of moderate
        ((3, 3, 3, 3, 2, 0, 0, 0, 0), 14.0, "moderate"),
        # 3 x 5 = 15: the bottom of moderately severe (15-19)
        ((3, 3, 3, 3, 3, 0, 0, 0, 0), 15.0, "moderately_severe"),
        # 3 x 6 + 1 = 19: the top of moderately severe
        ((3, 3, 3, 3, 3, 3, 1, 0, 0), 19.0, "moderately_severe"),
        # 3 x 6 + 2 = 20: the bottom of severe (20-27)
        ((3, 3, 3, 3, 3, 3, 2, 0, 0), 20.0, "severe"),
    ],
)
def test_band_edges_kroenke_2001(answers: tuple[int, ...], total: float, band: str) -> None:
    """Band edges at 4/5, 9/10, 14/15 and 19/20 (Kroenke et al. 2001)."""
    assert score_one("phq9", phq9(*answers)) == {"total": total, "total_band": band}


@pytest.mark.parametrize("blank", ["", "   ", None, float("nan"), np.nan])
def test_blank_is_missing_not_zero(blank: object) -> None:
    """q1 blank, the other eight 1: 8 answered summing 8 -> prorated 8 x 9 / 8 = 9.

    Were the blank read as 0 the total would be 8 and nothing would be prorated.
    """
    result = score("phq9", frame([phq9(blank, 1, 1, 1, 1, 1, 1, 1, 1)]))
    assert result.scores["total"].iloc[0] == 9.0
    assert result.missing["total"].iloc[0] == 1
    assert bool(result.prorated["total"].iloc[0])
    assert result.notes().iloc[0] == "total prorated (1 missing)"


def test_prorating_eight_answered() -> None:
    """q9 blank, eight answers summing 10 (2+2+1+1+1+1+1+1): 10 x 9 / 8 = 90 / 8 = 11.25.

    11.25 has reached the printed minimum of moderate (10-14), so the band is moderate, not
    mild: a prorated score is banded by the cut-point it has reached (Kroenke et al. 2001
    cut-points 5, 10, 15, 20), never rounded first.
    """
    result = score_one("phq9", phq9(2, 2, 1, 1, 1, 1, 1, 1, None))
    assert result == {"total": 11.25, "total_band": "moderate"}


def test_prorated_scores_keep_their_decimals() -> None:
    """q1..q8 = 1, 1, 1, 1, 1, 1, 1, 0 and q9 blank: 7 x 9 / 8 = 7.875, mild (5-9).
    Seven answers summing 8 (six 1s and a 2), two blanks: 8 x 9 / 7 = 72 / 7 = 10.2857...,
    moderate."""
    assert score_one("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 0, None)) == {
        "total": 7.875,
        "total_band": "mild",
    }
    result = score_one("phq9", phq9(1, 1, 1, 1, 1, 1, 2, "", ""))
    assert result["total"] == 72 / 7
    assert result["total_band"] == "moderate"


def test_prorated_score_short_of_a_cut_point_stays_below_it() -> None:
    """Eight answers summing 8 (all 1), q9 blank: 8 x 9 / 8 = 9, mild; seven answers summing
    7, two blanks: 7 x 9 / 7 = 9, mild. 9.x never rounds up into moderate."""
    assert score_one("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, ""))["total_band"] == "mild"
    assert score_one("phq9", phq9(1, 1, 1, 1, 1, 1, 1, "", ""))["total_band"] == "mild"


def test_three_missing_is_not_computed() -> None:
    """Three blanks is above PHQ-9's max_missing of 2: no score, no band, a note."""
    result = score("phq9", frame([phq9(3, 3, 3, 3, 3, 3, "", "", "")]))
    assert np.isnan(result.scores["total"].iloc[0])
    assert result.scores["total_band"].iloc[0] is None or pd.isna(
        result.scores["total_band"].iloc[0]
    )
    assert bool(result.not_computed["total"].iloc[0])
    assert result.notes().iloc[0] == "total not computed (3 missing)"
    assert score_one("phq9", phq9(3, 3, 3, 3, 3, 3, "", "", "")) == {
        "total": None,
        "total_band": None,
    }


def test_complete_rows_have_no_notes() -> None:
    result = score("phq9", frame([phq9(*[1] * 9), phq9(*[2] * 9)]))
    assert result.notes().tolist() == ["", ""]


def test_every_bad_cell_reported_in_one_pass_with_row_labels() -> None:
    rows = [
        phq9(0, 0, 0, 0, 0, 0, 0, 0, 0),
        phq9(0, 0, 0, 0, 7, 0, 0, 0, 0),
        phq9("x", 0, 0, 0, 0, 0, 0, 0, -1),
        phq9(0, 0, 1.5, 0, 0, 0, 0, 0, 0),
    ]
    with pytest.raises(ResponseValidationError) as caught:
        score("phq9", frame(rows, id=["A", "B", "C", "D"]))
    assert [str(problem) for problem in caught.value.problems] == [
        "row B, q5: 7 is not one of 0, 1, 2, 3",
        "row C, q1: x is not a number (one of 0, 1, 2, 3)",
        "row C, q9: -1 is not one of 0, 1, 2, 3",
        "row D, q3: 1.5 is not one of 0, 1, 2, 3",
    ]
    assert "row B, q5: 7 is not one of 0, 1, 2, 3" in str(caught.value)


def test_bad_cells_in_string_and_categorical_columns() -> None:
    """The same problems whatever the column type (text as read from a CSV, categorical)."""
    text = pd.DataFrame({"id": ["A", "B"], **{item: ["1", "2"] for item in ITEMS}}, dtype="str")
    text.loc[1, "q5"] = "7"
    text.loc[0, "q2"] = "two"
    for data in (text, text.astype("category")):
        with pytest.raises(ResponseValidationError) as caught:
            score("phq9", data)
        assert [str(problem) for problem in caught.value.problems] == [
            "row A, q2: two is not a number (one of 0, 1, 2, 3)",
            "row B, q5: 7 is not one of 0, 1, 2, 3",
        ]


@pytest.mark.parametrize("answer", ["two", "3a", "nan", "inf", True, "1,5"])
def test_non_numeric_answers_are_refused(answer: object) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        score_one("phq9", phq9(answer, 0, 0, 0, 0, 0, 0, 0, 0))
    assert caught.value.problems[0].column == "q1"


def test_row_labels_default_to_row_numbers() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        score("phq9", frame([phq9(*[0] * 9), phq9(*[9] * 9)]))
    assert str(caught.value.problems[0]) == "row 2, q1: 9 is not one of 0, 1, 2, 3"


def test_missing_item_column_is_reported() -> None:
    data = frame([phq9(*[0] * 9)]).drop(columns=["q4"])
    with pytest.raises(ResponseValidationError) as caught:
        score("phq9", data)
    assert caught.value.problems[0].column == "q4"
    assert "column is missing" in str(caught.value.problems[0])


def test_text_answers_parse_like_numbers() -> None:
    """' 2 ' and '2.0' are the printed weight 2; a frame of strings scores like numbers."""
    assert score_one("phq9", phq9(" 2 ", "2.0", 2, 2, 2, 2, 2, 2, 2))["total"] == 18.0
    text = pd.DataFrame({item: ["1", "3"] for item in ITEMS}, dtype="str")
    numbers = pd.DataFrame({item: [1, 3] for item in ITEMS})
    assert score("phq9", text).scores["total"].tolist() == [9.0, 27.0]
    assert score("phq9", numbers).scores["total"].tolist() == [9.0, 27.0]


def test_score_one_refuses_unknown_items() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        score_one("phq9", {**phq9(*[0] * 9), "q10": 1})
    assert str(caught.value.problems[0]) == "q10: is not an item of phq9"


def test_safety_flags_phq9_item_9() -> None:
    """PHQ-9 item 9 (thoughts of death or self-harm) above 0 raises a safety flag."""
    assert safety_flags("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 1)) == ["q9"]
    assert safety_flags("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, "3")) == ["q9"]
    assert safety_flags("phq9", phq9(3, 3, 3, 3, 3, 3, 3, 3, 0)) == []
    assert safety_flags("phq9", phq9(3, 3, 3, 3, 3, 3, 3, 3, "")) == []
    assert safety_flags("phq9", {}) == []
    # A form's bad input is not an answer: no flag, no crash (found by test_fuzz_imports).
    assert safety_flags("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, "x")) == []


def test_score_matrix_directly() -> None:
    """The parsed-matrix path: rows (all 1) -> 9; (1 x 8, blank) -> 8 x 9 / 8 = 9."""
    instrument = get_instrument("phq9")
    matrix = np.array([[1.0] * 9, [1.0] * 8 + [np.nan]])
    value, n_missing, prorated, not_computed = score_matrix(instrument, matrix)["total"]
    assert value.tolist() == [9.0, 9.0]
    assert n_missing.tolist() == [0, 1]
    assert prorated.tolist() == [False, True]
    assert not_computed.tolist() == [False, False]


def test_parse_answers_matrix() -> None:
    matrix, problems = parse_answers(
        get_instrument("phq9"), frame([phq9(0, 1, 2, 3, "", 0, 1, 2, 3)])
    )
    assert problems == []
    assert np.array_equal(matrix[0], [0, 1, 2, 3, np.nan, 0, 1, 2, 3], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=9, max_size=9), min_size=1, max_size=30))
def test_complete_phq9_score_is_the_sum_of_its_answers(rows: list[list[int]]) -> None:
    """Any valid complete response scores the plain sum of its answers (Python's sum)."""
    data = pd.DataFrame(rows, columns=ITEMS)
    result = score("phq9", data)
    assert result.scores["total"].tolist() == [float(sum(row)) for row in rows]
    assert score_one("phq9", phq9(*rows[0]))["total"] == sum(rows[0])


# --- in-test instruments: reverse keying, lookup, means -------------------------------


def make_instrument(**overrides: Any) -> Instrument:
    """Three items answered 1-5; item c reverse-keyed; a sum scale and a mean scale."""
    raw: dict[str, Any] = {
        "id": "toy",
        "name": "Toy scale",
        "short_name": "TOY",
        "version": "1",
        "citation": "A made-up instrument for tests.",
        "licence": {"class": "free", "summary": "test only"},
        "key_status": "confirmed",
        "item_text_included": True,
        "response_sets": {
            "agree": [{"label": f"option {value}", "value": value} for value in range(1, 6)]
        },
        "items": [
            {"id": "a", "text": "A", "concept": "a", "response_set": "agree"},
            {"id": "b", "text": "B", "concept": "b", "response_set": "agree"},
            {"id": "c", "text": "C", "concept": "c", "response_set": "agree", "reverse": True},
        ],
        "scales": [
            {
                "id": "total",
                "name": "Total",
                "items": ["a", "b", "c"],
                "method": "sum",
                "minimum": 3,
                "maximum": 15,
                "direction": "higher_better",
                "missing": {"max_missing": 1, "prorate": True, "source": "test"},
            },
            {
                "id": "average",
                "name": "Average",
                "items": ["a", "b", "c"],
                "method": "mean",
                "minimum": 1,
                "maximum": 5,
                "direction": "higher_better",
                "missing": {"max_missing": 1, "prorate": True, "source": "test"},
            },
        ],
    }
    raw.update(overrides)
    return Instrument.model_validate(raw)


def test_reverse_keying_hand_worked() -> None:
    """a=5, b=4, c=2 with c reversed on 1-5: c scores 1 + 5 - 2 = 4; total 5 + 4 + 4 = 13;
    mean 13 / 3 = 4.333..."""
    toy = make_instrument()
    result = score_one(toy, {"a": 5, "b": 4, "c": 2})
    assert result["total"] == 13.0
    assert result["average"] == pytest.approx(13 / 3)


def test_reverse_keying_with_a_blank() -> None:
    """a=1, c=1 (reversed to 5), b blank: total (1 + 5) x 3 / 2 = 9; mean 6 / 2 = 3."""
    result = score_one(make_instrument(), {"a": 1, "c": 1})
    assert result == {"total": 9.0, "average": 3.0}


def test_reverse_keying_leaves_the_input_matrix_alone() -> None:
    toy = make_instrument()
    matrix = np.array([[5.0, 4.0, 2.0]], order="F")
    score_matrix(toy, matrix)
    assert matrix.tolist() == [[5.0, 4.0, 2.0]]


def test_lookup_scale_hand_worked() -> None:
    """A lookup converts the complete raw total: raw 3..15 -> 10 x raw (a made-up table).

    a=2, b=2, c=4 (reversed: 1 + 5 - 4 = 2): raw 6 -> 60; a=5, b=4, c=2 (reversed to 4):
    raw 13 -> 130. The lookup allows no blank item, so c blank gives no converted score.
    """
    scales = list(make_instrument().model_dump(by_alias=True)["scales"][:1])
    scales.append(
        {
            "id": "converted",
            "name": "Converted",
            "items": ["a", "b", "c"],
            "method": "lookup",
            "lookup_source": "total",
            "lookup": {raw: 10.0 * raw for raw in range(3, 16)},
            "minimum": 30,
            "maximum": 150,
            "direction": "higher_better",
            "missing": {"max_missing": 0, "prorate": False, "source": "test"},
        }
    )
    toy = make_instrument(scales=scales)
    assert score_one(toy, {"a": 2, "b": 2, "c": 4}) == {"total": 6.0, "converted": 60.0}
    assert score_one(toy, {"a": 2, "b": 2})["converted"] is None  # its own item is blank
    result = score(toy, pd.DataFrame({"a": [2, 5], "b": [2, 4], "c": [4, 2]}))
    assert result.scores["converted"].tolist() == [60.0, 130.0]


def test_numeric_items_are_range_checked() -> None:
    items = [
        {"id": "a", "text": "A", "concept": "a", "kind": "integer", "minimum": 0, "maximum": 10},
        {"id": "b", "text": "B", "concept": "b", "kind": "number", "minimum": 0, "maximum": 1},
        {"id": "note", "text": "Anything else?", "concept": "note", "kind": "text"},
    ]
    scale = {
        "id": "total",
        "name": "Total",
        "items": ["a", "b"],
        "method": "sum",
        "minimum": 0,
        "maximum": 11,
        "direction": "higher_worse",
        "missing": {"max_missing": 0, "prorate": False, "source": "test"},
    }
    toy = make_instrument(items=items, scales=[scale], response_sets={})
    assert score_one(toy, {"a": 7, "b": 0.25, "note": "free text"}) == {"total": 7.25}
    data = pd.DataFrame({"id": ["x", "y"], "a": ["7.5", "11"], "b": ["0.5", "2"]})
    with pytest.raises(ResponseValidationError) as caught:
        score(toy, data)
    assert [str(problem) for problem in caught.value.problems] == [
        "row x, a: 7.5 is not a whole number from 0 to 10",
        "row y, a: 11 is not a whole number from 0 to 10",
        "row y, b: 2 is not a number from 0 to 1",
    ]


# --- schema validation -----------------------------------------------------------------


def scale_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "total",
        "name": "Total",
        "items": ["a", "b"],
        "method": "sum",
        "minimum": 0,
        "maximum": 27,
        "direction": "higher_worse",
        "missing": {"max_missing": 0, "prorate": False, "source": "test"},
    }
    data.update(overrides)
    return data


def test_bands_must_cover_the_range() -> None:
    bands = {
        "source": "test",
        "bands": [
            {"label": "low", "minimum": 0, "maximum": 4},
            {"label": "high", "minimum": 5, "maximum": 9},
        ],
    }
    with pytest.raises(ValidationError, match="bands must cover the range"):
        Scale.model_validate(scale_data(bands=bands))


def test_bands_must_not_overlap() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        Bands.model_validate(
            {
                "source": "test",
                "bands": [
                    {"label": "low", "minimum": 0, "maximum": 5},
                    {"label": "high", "minimum": 5, "maximum": 9},
                ],
            }
        )


@pytest.mark.parametrize(("max_missing", "prorate"), [(2, False), (0, True)])
def test_prorate_goes_with_max_missing(max_missing: int, prorate: bool) -> None:
    with pytest.raises(ValidationError, match="prorate must be true exactly"):
        MissingRule(max_missing=max_missing, prorate=prorate, source="test")


def test_licensed_instrument_cannot_ship_text() -> None:
    with pytest.raises(ValidationError, match="licensed instruments never ship item text"):
        make_instrument(
            licence={"class": "licensed", "summary": "ask the publisher"},
            item_text_included=False,
        )


def test_scale_of_unknown_item_is_refused() -> None:
    scales = [scale_data(items=["a", "zz"], maximum=10)]
    with pytest.raises(ValidationError, match="unknown items"):
        make_instrument(scales=scales)
