"""``score_one`` (plain-Python checks, no data frame) against ``score`` on a one-row frame.

The single-response route must never be a second scorer: for every instrument in the
catalogue and any mix of valid, invalid and blank answers, it gives exactly the scores,
bands and problems (same words, same order) that the frame route gives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balm.instruments import (
    Instrument,
    ResponseValidationError,
    catalogue,
    score,
    score_one,
)
from balm.instruments.engine import _item_bounds
from balm.instruments.schema import ItemKind

INSTRUMENTS = sorted(catalogue())


def _frame_route(instrument: Instrument, answers: dict[str, object]) -> Any:
    """What ``score`` says about the same answers as a one-row frame (as score_one did)."""
    row = {item.id: [answers.get(item.id)] for item in instrument.scored_items}
    try:
        result = score(instrument, pd.DataFrame(row, dtype=object), row_labels=["response"])
    except ResponseValidationError as error:
        return ("problems", error.problems, [str(p) for p in error.problems])
    record = result.scores.iloc[0].to_dict()
    return ("scores", {str(k): (None if pd.isna(v) else v) for k, v in record.items()})


def _single_route(instrument: Instrument, answers: dict[str, object]) -> Any:
    try:
        scores = score_one(instrument, answers)
    except ResponseValidationError as error:
        return ("problems", error.problems, [str(p) for p in error.problems])
    return ("scores", scores)


def _same(left: Any, right: Any) -> bool:
    if left[0] != right[0]:
        return False
    if left[0] == "problems":
        return bool(left[1] == right[1] and left[2] == right[2])
    a, b = left[1], right[1]
    if list(a) != list(b):
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) and isinstance(y, float):
            # repr: the same float type and the same sign of zero, not merely equal.
            if repr(x) != repr(y):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


def _valid_values(instrument: Instrument, item_id: str) -> list[float]:
    item = instrument.item(item_id)
    if item.kind is ItemKind.CHOICE:
        return [float(o.value) for o in instrument.options_for(item)]
    low, high = _item_bounds(instrument, item)
    return [float(v) for v in np.arange(math.ceil(low), math.floor(high) + 1)]


def _as_given(number: float, form: str) -> object:
    whole = number == int(number)
    if form == "int" and whole:
        return int(number)
    if form == "str":
        return str(int(number)) if whole else str(number)
    if form == "padded":
        return f"  {int(number) if whole else number} "
    if form == "npint" and whole:
        return np.int64(int(number))
    if form == "npfloat":
        return np.float64(number)
    return float(number)


ODD = st.sampled_from(
    [
        "",
        "   ",
        None,
        math.nan,
        math.inf,
        -math.inf,
        True,
        False,
        np.bool_(True),
        "x",
        "three",
        "1.",
        ".5",
        "+1",
        "1e0",
        "1E1",
        "1_0",
        "0x1",
        "nan",
        "inf",
        "-0",
        "-0.0",
        -0.0,
        "007",
        "2.50",
        "1,5",
        "١",
        "12345678901234567890",
        2**60,
        -1,
        -1.0,
        0.5,
        1.5,
        2.5,
        99,
        1000,
        "99",
        "-1",
        "0.1",
        1e-9,
        1e20,
        np.float32(0.1),
        pd.NA,
        [1],
    ]
)


@st.composite
def responses(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    instrument_id = draw(st.sampled_from(INSTRUMENTS))
    instrument = catalogue()[instrument_id]
    answers: dict[str, object] = {}
    for item in instrument.scored_items:
        kind = draw(st.sampled_from(["valid", "valid", "valid", "omit", "odd", "number"]))
        if kind == "omit":
            continue
        if kind == "valid":
            values = _valid_values(instrument, item.id)
            number = draw(st.sampled_from(values))
            form = draw(st.sampled_from(["int", "float", "str", "padded", "npint", "npfloat"]))
            answers[item.id] = _as_given(number, form)
        elif kind == "odd":
            answers[item.id] = draw(ODD)
        else:
            number = draw(st.floats(min_value=-5, max_value=200, allow_nan=False))
            form = draw(st.sampled_from(["float", "str", "int"]))
            answers[item.id] = _as_given(number, form)
    return instrument_id, answers


# The count comes from the suite's profile (tests/conftest.py): 300 a run, 3000 with
# ``--hypothesis-profile=long``.
@settings(deadline=None)
@given(responses())
def test_score_one_matches_score_on_a_one_row_frame(
    case: tuple[str, dict[str, object]],
) -> None:
    instrument = catalogue()[case[0]]
    answers = case[1]
    single, frame = _single_route(instrument, answers), _frame_route(instrument, answers)
    assert _same(single, frame), (single, frame)


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_every_instrument_all_lowest_and_all_highest(instrument_id: str) -> None:
    instrument = catalogue()[instrument_id]
    for pick in (min, max):
        answers: dict[str, object] = {
            item.id: pick(_valid_values(instrument, item.id)) for item in instrument.scored_items
        }
        single, frame = _single_route(instrument, answers), _frame_route(instrument, answers)
        assert single[0] == "scores"
        assert _same(single, frame), (single, frame)


def test_unknown_items_are_refused_before_anything_else() -> None:
    with pytest.raises(ResponseValidationError) as error:
        score_one("phq9", {"q1": "x", "zz": 1, "aa": 2})
    assert [(p.row, p.column) for p in error.value.problems] == [(None, "aa"), (None, "zz")]


def test_hand_built_instrument_is_checked_too() -> None:
    """An instrument that is not the catalogue's own object is checked without the cache."""
    shipped = catalogue()["phq9"]
    copy = shipped.model_copy()
    assert copy is not shipped
    answers: dict[str, object] = {f"q{i}": 1 for i in range(1, 10)}
    answers["q3"] = 7
    assert _same(_single_route(copy, answers), _frame_route(copy, answers))
