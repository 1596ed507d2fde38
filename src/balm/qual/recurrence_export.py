"""The recurrence table and its quotes as CSV, XLSX and a Word document (bytes).

The table has one row per group theme: its passages and exemplar quote for each case, how many
cases it is present in and the share of cases (:mod:`balm.qual.recurrence`). The quotes list
every passage under each group theme (:func:`balm.qual.queries.theme_spans`), by case, with
the exemplar marked. Text a spreadsheet would run as a formula is written with a leading
apostrophe (:func:`balm.qual.export.neutralise`; OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from balm.cells import neutralise
from balm.qual.frames import ProjectFrames
from balm.qual.recurrence import Recurrence, spans_by_theme

QUOTE_HEADER = ("theme", "case", "source", "start", "end", "exemplar", "quote")
# Characters XML 1.0 cannot hold (openpyxl and python-docx refuse them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def table_rows(rec: Recurrence) -> list[list[Any]]:
    """Header and one row per theme: theme, level, per case "passages" and "exemplar",
    cases present, share of cases (two decimals)."""
    header: list[Any] = ["theme", "level"]
    for case in rec.cases:
        header += [f"{case}: passages", f"{case}: exemplar"]
    header += ["cases present", "share of cases"]
    cells: dict[tuple[str, str], Any] = {
        (str(r.theme), str(r.case)): r for r in rec.long.itertuples(index=False)
    }
    rows = [header]
    row: Any
    for theme, row in rec.table.iterrows():
        line: list[Any] = [str(row["theme_name"]), str(row["level"])]
        for case in rec.cases:
            cell = cells[(str(theme), case)]
            line += [int(cell.passages), "" if pd.isna(cell.exemplar) else str(cell.exemplar)]
        line += [int(row["cases_present"]), round(float(row["share"]), 2)]
        rows.append(line)
    return rows


def quote_rows(rec: Recurrence, frames: ProjectFrames) -> list[list[Any]]:
    """Header and every passage under each theme of ``rec`` in its cases, in the table's theme
    order, then case order, then source order and position."""
    sources = frames.sources
    ids = sources["source"].astype(str).tolist()
    order = {s: i for i, s in enumerate(ids)}
    names = dict(zip(ids, sources["name"].astype(str), strict=True))
    texts = dict(zip(ids, sources["text"].astype(str), strict=True))
    cases = {s: (None if pd.isna(c) else str(c)) for s, c in zip(ids, sources["case"], strict=True)}
    exemplars: dict[tuple[str, str], tuple[str, int]] = {}
    r: Any
    for r in rec.long.itertuples(index=False):
        if not pd.isna(r.exemplar_source):
            exemplars[(str(r.theme), str(r.case))] = (str(r.exemplar_source), int(r.exemplar_start))
    case_rank = {c: i for i, c in enumerate(rec.cases)}
    theme_rank = {str(t): i for i, t in enumerate(rec.table.index)}
    names_of = dict(
        zip(rec.table.index.astype(str), rec.table["theme_name"].astype(str), strict=True)
    )
    spans = spans_by_theme(
        list(theme_rank),
        frames.themes,
        frames.theme_members,
        frames.codes,
        frames.codings,
        frames.notes,
        True,
    )
    found = []
    for theme, source, start, end in zip(
        spans["theme"], spans["source"], spans["start"], spans["end"], strict=True
    ):
        case = cases.get(str(source))
        if case is None or case not in case_rank:
            continue
        found.append(
            (
                theme_rank[theme],
                case_rank[case],
                order[str(source)],
                int(start),
                int(end),
                theme,
                str(source),
            )
        )
    rows: list[list[Any]] = [list(QUOTE_HEADER)]
    for _t, _c, _p, start, end, theme, source in sorted(found):
        case = str(cases[source])
        mark = exemplars.get((theme, case)) == (source, start)
        rows.append(
            [
                names_of[theme],
                case,
                names[source],
                start,
                end,
                "yes" if mark else "",
                texts[source][start:end],
            ]
        )
    return rows


def _safe(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [[neutralise(v) for v in row] for row in rows]


def to_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so spreadsheets read the accents), formulas defused."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_safe(rows))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xml_text(value: Any) -> Any:
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


def to_xlsx(table: Sequence[Sequence[Any]], quotes: Sequence[Sequence[Any]]) -> bytes:
    """A workbook with the sheets "recurrence" and "quotes", formulas defused."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in (("recurrence", table), ("quotes", quotes)):
        sheet = book.create_sheet(title)
        for row in _safe(rows):
            sheet.append([_xml_text(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_docx(
    title: str, rec: Recurrence, table: Sequence[Sequence[Any]], quotes: Sequence[Sequence[Any]]
) -> bytes:
    """A Word document: the table (each cell: passages and the exemplar quote) and, per theme,
    every quote by case."""
    from docx import Document

    document = Document()
    document.add_heading(_xml_text(title), level=1)
    document.add_paragraph(f"Exemplar quote: {rec.exemplar_rule}.")
    grid = document.add_table(rows=1, cols=len(rec.cases) + 2)
    grid.style = "Table Grid"
    head = grid.rows[0].cells
    head[0].text = "Theme"
    for i, case in enumerate(rec.cases, start=1):
        head[i].text = _xml_text(case)
    head[-1].text = "Cases present"
    for row in table[1:]:
        cells = grid.add_row().cells
        cells[0].text = _xml_text(str(row[0]))
        for i in range(len(rec.cases)):
            passages, exemplar = row[2 + 2 * i], row[3 + 2 * i]
            text = f"{passages} passage{'s' if passages != 1 else ''}"
            cells[i + 1].text = _xml_text(f"{text}\n\u201c{exemplar}\u201d" if exemplar else text)
        cells[-1].text = f"{row[-2]} of {len(rec.cases)}"
    document.add_heading("Quotes", level=2)
    theme = None
    for name, case, source, start, end, exemplar, quote in quotes[1:]:
        if name != theme:
            document.add_heading(_xml_text(str(name)), level=3)
            theme = name
        mark = " (exemplar)" if exemplar else ""
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(_xml_text(f"{case}, {source} [{start}-{end}]{mark}: ")).bold = True
        paragraph.add_run(_xml_text(str(quote)))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
