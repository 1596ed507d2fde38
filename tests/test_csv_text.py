"""balm.csv_text: CSV text made a piece at a time is what the csv module's writer writes for the
whole row (Python's csv documentation: minimal quoting, None written as an empty string, a
float as its repr). Every expected line here is the writer's own output."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from balm import csv_text
from balm.csv_text import CellText, NumberCells


def _written(row: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    # Equal values of both types and both zeros, often: a float's text is kept across rows.
    st.sampled_from([0.1, 2 / 3, -0.0, 0.0, 0, 1e-7, 1e16, 12.0, 12, -3, -3.0]),
)
columns = st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=8, unique=True)


@given(columns=columns, data=st.data())
def test_number_cells_are_the_writers(columns: list[str], data: st.DataObject) -> None:
    """Any subset of the columns, in any order (keys not among them left out), as the
    writer writes the row after a first text cell."""
    cells = NumberCells(columns)
    for _ in range(6):  # a pattern seen before is written from its kept template
        keys = data.draw(st.permutations([*columns, "not a column"]))
        keys = keys[: data.draw(st.integers(0, len(keys)))]
        values = {key: data.draw(numbers) for key in keys}
        expected = _written(["x", *(values.get(c) for c in columns)])
        assert f"x,{cells(values)}\n" == expected


def test_number_cells_of_an_unkept_pattern_are_written_all_the_same(monkeypatch: Any) -> None:
    monkeypatch.setattr(csv_text, "MAX_PATTERNS", 1)
    cells = NumberCells(["a", "b"])
    assert cells({"a": 1}) == "1,"
    assert cells({"b": 2.5, "a": -1}) == "-1,2.5"
    assert cells({"b": 0.1}) == ",0.1" and len(cells._templates) == 1


def test_a_kept_float_text_is_never_given_to_an_equal_int_or_the_other_zero() -> None:
    cells = NumberCells(["a", "b"])
    rows = [
        {"a": 2.0, "b": 0.5},
        {"a": 2, "b": 0.5},  # 2 == 2.0: the row holding an int is written as it stands
        {"a": 0.0, "b": 2.0},
        {"a": -0.0, "b": 2.0},  # -0.0 == 0.0: zero is never kept
        {"b": 2, "a": 0.5},
    ]
    for row in rows:
        assert f"x,{cells(row)}\n" == _written(["x", row.get("a"), row.get("b")])
    assert cells._floats == {2.0: "2.0", 0.5: "0.5"}


def test_float_texts_beyond_the_bound_are_written_all_the_same(monkeypatch: Any) -> None:
    monkeypatch.setattr(csv_text, "MAX_FLOATS", 1)
    cells = NumberCells(["a"])
    assert [cells({"a": v}) for v in (0.25, 0.5, 0.5, 0.25)] == ["0.25", "0.5", "0.5", "0.25"]
    assert cells._floats == {0.25: "0.25"}


texts = st.one_of(
    st.none(),
    st.integers(),
    st.text(alphabet=st.sampled_from(["a", ",", '"', "\n", "\r", " ", "'", "=", "é"]), max_size=6),
)


@given(st.lists(texts, min_size=1, max_size=5))
def test_cell_text_is_the_writers_between_other_cells(cells: list[Any]) -> None:
    """Quotes, delimiters and line ends quoted as the writer quotes them; a lone blank cell
    as it stands among others (the writer alone writes ``""`` for a one-cell blank row)."""
    text = CellText()
    assert f"A,{text(cells)},Z\n" == _written(["A", *cells, "Z"])
    assert text(cells) == text(cells)  # the buffer is reused, nothing left over


def test_a_lone_blank_cell_is_blank() -> None:
    assert _written([""]) == '""\n'  # the writer's rule for a one-column row
    assert CellText()([""]) == "" and CellText()([None]) == ""
    assert CellText()(["a,b"]) == '"a,b"'
