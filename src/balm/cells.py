"""Spreadsheet-safe cells: one rule for every CSV and XLSX file balm writes (pure, no Django).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets when the file is opened (OWASP, "CSV
Injection"): a pseudonym ``=HYPERLINK(...)`` would become a live link. Such text is written
with a leading apostrophe, which the spreadsheet shows as text. Numbers are never touched, so
``-3`` stays the number -3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: The starts a spreadsheet reads as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The same, as a set of first characters (each start is one character): looking one up is a
#: third cheaper than ``str.startswith`` with the tuple, on the exports' hot path.
_FIRST = frozenset(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run; anything
    else (numbers, blanks, dates) as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    """:func:`neutralise` applied to every cell of a row (the hot path of the exports)."""
    return ["'" + value if type(value) is str and value[:1] in _FIRST else value for value in row]


def neutralise_cells(row: list[Any], cells: Sequence[int]) -> list[Any]:
    """:func:`neutralise` applied to the given cells of ``row`` only, in place (a writer that
    knows which cells can hold text: the others are numbers or blank); returns ``row``."""
    for cell in cells:
        value = row[cell]
        if type(value) is str and value[:1] in _FIRST:
            row[cell] = "'" + value
    return row
