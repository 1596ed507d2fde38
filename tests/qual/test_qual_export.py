"""Coded segments to CSV and XLSX: quotes exact, formula-like cells neutralised (OWASP,
"CSV Injection")."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from tests.qual.conftest import FLARE

from balm.qual.export import code_path, coded_segments, write_segments_csv, write_segments_xlsx
from balm.qual.project import Code, Coding, Project, Source, User


def test_coded_segments(project: Project) -> None:
    frame = coded_segments(project)
    assert frame["quote"].tolist() == [
        "It flares",
        "It flares when I am tired.",
        "Kinder to myself",
    ]
    assert frame["coder"].tolist() == ["Ann", "Ben", "Ben"]
    assert frame["case"].tolist()[:2] == ["P03", "P03"] and pd.isna(frame["case"].iloc[2])
    assert code_path(project, FLARE) == "Pain / Flare-ups"


def _risky() -> Project:
    text = "=HYPERLINK(1) then +1 and -2 and @SUM and safe"
    user, code = User("u", "=Ann"), Code("c", "-code")
    source = Source("s", "+source", text)
    codings = [
        Coding("a", "s", 0, 13, "c", "u"),  # "=HYPERLINK(1)"
        Coding("b", "s", 19, 21, "c", "u"),  # "+1"
        Coding("d", "s", 26, 28, "c", "u"),  # "-2"
        Coding("e", "s", 33, 37, "c", "u"),  # "@SUM"
        Coding("f", "s", 42, 46, "c", "u"),  # "safe"
    ]
    return Project("p", [user], [code], [source], codings)


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    write_segments_csv(_risky(), path)
    frame = pd.read_csv(path, dtype=str)
    assert frame["quote"].tolist() == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM", "safe"]
    assert set(frame["coder"]) == {"'=Ann"} and set(frame["source"]) == {"'+source"}
    assert set(frame["code"]) == {"'-code"}


def test_xlsx_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    write_segments_xlsx(_risky(), path)
    sheet = load_workbook(path)["coded segments"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "quote"
    assert [r[-1] for r in rows[1:]] == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM", "safe"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert [r[6] for r in rows[1:]] == [0, 19, 26, 33, 42]  # numbers stay numbers
