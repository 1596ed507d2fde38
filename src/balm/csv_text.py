"""CSV text made a piece at a time, equal to what :mod:`csv`'s writer writes for the whole row
(minimal quoting, ``,`` between cells, None blank). Pure, no Django.

The scores export writes tens of thousands of lines whose cells repeat: a course's six cells on
every one of its timepoints, and numbers in the same few column patterns. Formatting a line
from pieces made once (:class:`CellText`) and a number template per pattern
(:class:`NumberCells`) takes about a tenth less CPU than handing every cell to the writer
(0.28-0.30 s instead of 0.32-0.34 s for 24,000 rows: docs/performance.md);
``tests/test_csv_text.py`` holds both to the writer's output. On PostgreSQL the database
writes the same lines (:mod:`balm.outcomes.export_copy`); these write them on SQLite.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

#: The line end of every CSV file balm writes (the writer also quotes a cell holding it).
LINE_END = "\n"


class CellText:
    """Cells as the text the CSV writer (``lineterminator`` :data:`LINE_END`) puts between its
    delimiters, without the line end."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator=LINE_END)

    def __call__(self, cells: Sequence[Any]) -> str:
        """``cells`` joined as one line of the file would hold them. A single cell is written
        as it stands among others (the writer alone would quote a lone blank as ``""``, which
        it does only so that a one-column row is not an empty line)."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([*cells, None] if len(cells) == 1 else cells)
        end = len(LINE_END) + (len(cells) == 1)  # the line end, and the added cell's comma
        return self._buffer.getvalue()[:-end]


#: Patterns kept by a :class:`NumberCells` before it stops learning new ones (a bound on memory
#: for data with unusual shapes; rows of an unkept pattern are formatted all the same).
MAX_PATTERNS = 4096


#: Float texts kept by a :class:`NumberCells` (a bound on memory: about 1 MB).
MAX_FLOATS = 8192


class _FloatText(dict[float, str]):
    """``repr`` of floats, each worked out once. Zero is never kept: ``0.0`` and ``-0.0`` are
    equal keys with different texts."""

    def __missing__(self, value: float) -> str:
        text = repr(value)
        if value and len(self) < MAX_FLOATS:
            self[value] = text
        return text


_FLOAT_ONLY = frozenset({float})


class NumberCells:
    """The cells of ``columns`` from ``{column: number}`` dicts, as the CSV writer writes them:
    each number as ``str`` (which for a float is its ``repr``, as the writer writes it), a
    column the dict lacks blank. Only ints and floats may be given (never text: it would not
    be quoted or made spreadsheet-safe); keys not in ``columns`` are left out.

    One ``str.format`` template per distinct key order is made once and reused. Scores take
    few distinct values (102 among the 348,000 numbers of the scale benchmark's scores export),
    so the text of each float is kept rather than its shortest ``repr`` worked out again (the
    cells take about 40% less CPU; docs/performance.md); a row holding an int is written as it
    stands, since ``2`` and ``2.0`` are equal keys."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._at = {column: n for n, column in enumerate(columns)}
        self._width = len(columns)
        self._templates: dict[tuple[str, ...], str] = {}
        self._floats = _FloatText()

    def _template(self, keys: tuple[str, ...]) -> str:
        slots = [""] * self._width
        for n, key in enumerate(keys):
            at = self._at.get(key)
            if at is not None:
                slots[at] = "{" + str(n) + "}"
        return ",".join(slots)

    def __call__(self, values: dict[str, Any]) -> str:
        keys = tuple(values)
        template = self._templates.get(keys)
        if template is None:
            template = self._template(keys)
            if len(self._templates) < MAX_PATTERNS:
                self._templates[keys] = template
        cells = values.values()
        if {*map(type, cells)} == _FLOAT_ONLY:
            return template.format(*map(self._floats.__getitem__, cells))
        return template.format(*cells)
