"""Coded segments with their quotes, as a table, a CSV file or an XLSX workbook.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) are written with a leading apostrophe, so a quote such as
``=HYPERLINK(...)`` stays text (OWASP, "CSV Injection").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from balm.cells import neutralise
from balm.qual.files import atomic_write
from balm.qual.project import Project, validate_project

COLUMNS = ("source", "case", "code", "code_path", "coder", "origin", "start", "end", "quote")


def code_path(project: Project, code_id: str) -> str:
    """``Parent / Child / Grandchild`` names of a code."""
    codes = {c.id: c for c in project.codes}
    names = []
    current: str | None = code_id
    while current is not None:
        names.append(codes[current].name)
        current = codes[current].parent
    return " / ".join(reversed(names))


def coded_segments(project: Project) -> pd.DataFrame:
    """One row per coding: source and case names, code, coder name, offsets and the quote."""
    validate_project(project)
    sources = {s.id: s for s in project.sources}
    cases = {c.id: c.name for c in project.cases}
    users = {u.id: u.name for u in project.users}
    codes = {c.id: c.name for c in project.codes}
    rows = []
    for coding in project.codings:
        source = sources[coding.source]
        rows.append(
            (
                source.name,
                cases.get(source.case) if source.case else None,
                codes[coding.code],
                code_path(project, coding.code),
                users[coding.coder],
                coding.origin,
                coding.start,
                coding.end,
                source.text[coding.start : coding.end],
            )
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).map(neutralise)


def write_segments_csv(project: Project, path: Path) -> None:
    """Write the coded segments as UTF-8 CSV (atomic)."""
    frame = _safe(coded_segments(project))

    def write(target: Path) -> None:
        frame.to_csv(target, index=False)

    atomic_write(path, write)


def write_segments_xlsx(project: Project, path: Path) -> None:
    """Write the coded segments as an XLSX workbook (atomic)."""
    from openpyxl import Workbook

    frame = _safe(coded_segments(project))

    def write(target: Path) -> None:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("coded segments")
        sheet.append(list(COLUMNS))
        for row in frame.itertuples(index=False):
            sheet.append([None if pd.isna(v) else v for v in row])
        book.save(target)

    atomic_write(path, write)
