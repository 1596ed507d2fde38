"""balm convert: SPSS and Stata files read back by pyreadstat with their variable and value
labels, Parquet read back by pandas with its types; bad tables refused, nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from balm.cli import app
from balm.exchange.statfiles import StatFileError, write

# Two rows of balm's tidy export. The labels expected below are written out by hand from the
# catalogue's names (PHQ-9 "Depression severity"; its bands minimal, mild, moderate,
# moderately_severe, severe: Kroenke et al. 2001), not produced by the code under test.
SCORES = (
    "enrolment,participant,cohort,site,format,diagnosis,timepoint,week,"
    "phq9_total,phq9_total_band,gad7_total,phq9_q1\n"
    """P01-c1,P01,Spring,north,in_person,fibromyalgia,baseline,0,12,moderate,7,2
P01-c1,P01,Spring,north,in_person,fibromyalgia,end,12,4.5,minimal,,
"""
)


@pytest.fixture
def scores_csv(tmp_path: Path) -> Path:
    path = tmp_path / "scores.csv"
    path.write_text(SCORES)
    return path


def convert(source: Path, target: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["convert", str(source), "-o", str(target)])


def test_spss_has_variable_and_value_labels(scores_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "scores.sav"
    result = convert(scores_csv, target)
    assert result.exit_code == 0, result.output
    frame, meta = pyreadstat.read_sav(str(target))
    labels = meta.column_names_to_labels
    assert labels["phq9_total"] == "PHQ-9: Depression severity"
    assert labels["phq9_total_band"] == "PHQ-9: Depression severity, band"
    assert labels["timepoint"] == "Timepoint"
    assert labels["gad7_total"] == "GAD-7: Anxiety severity"
    assert meta.variable_value_labels["timepoint"] == {
        1: "baseline",
        2: "mid",
        3: "end",
        4: "follow_up",
    }
    assert meta.variable_value_labels["phq9_total_band"] == {
        1: "minimal",
        2: "mild",
        3: "moderate",
        4: "moderately_severe",
        5: "severe",
    }
    assert meta.variable_value_labels["phq9_q1"][2] == "More than half the days"
    assert frame["timepoint"].tolist() == [1, 3]
    assert frame["phq9_total_band"].tolist() == [3, 1]
    assert frame["phq9_total"].tolist() == [12, 4.5]
    assert pd.isna(frame["gad7_total"].iloc[1])  # blank stays missing, never 0
    assert frame["participant"].tolist() == ["P01", "P01"]


def test_stata_reads_back_with_labels_applied(scores_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "scores.dta"
    assert convert(scores_csv, target).exit_code == 0
    frame, meta = pyreadstat.read_dta(str(target), apply_value_formats=True)
    assert meta.column_names_to_labels["phq9_total"] == "PHQ-9: Depression severity"
    assert frame["timepoint"].tolist() == ["baseline", "end"]
    assert frame["phq9_total_band"].tolist() == ["moderate", "minimal"]
    assert pd.isna(frame["phq9_q1"].iloc[1])


def test_parquet_keeps_types(scores_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "scores.parquet"
    assert convert(scores_csv, target).exit_code == 0
    frame = pd.read_parquet(target)
    assert frame["week"].dtype.kind == "i"
    assert frame["phq9_total"].tolist() == [12.0, 4.5]
    assert isinstance(frame["timepoint"].dtype, pd.CategoricalDtype)
    assert list(frame["timepoint"].cat.categories) == ["baseline", "mid", "end", "follow_up"]
    assert frame["timepoint"].cat.ordered
    assert frame["participant"].tolist() == ["P01", "P01"]


def test_bad_values_are_all_listed_and_nothing_is_written(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(SCORES.replace("moderate,7", "very bad,7").replace(",end,", ",week 12,"))
    for suffix in ("sav", "dta", "parquet"):
        target = tmp_path / f"out.{suffix}"
        result = convert(source, target)
        assert result.exit_code == 2
        assert "line 2, column phq9_total_band: 'very bad' is not one of minimal" in result.output
        assert "line 3, column timepoint: 'week 12' is not one of baseline" in result.output
        assert not target.exists()


def test_names_a_format_cannot_hold_and_unknown_suffix(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a column with spaces": [1], "x" * 40: [2]})
    with pytest.raises(StatFileError) as error:
        write(frame, tmp_path / "x.dta")
    assert len(error.value.problems) == 2
    with pytest.raises(StatFileError, match=r"write \.sav"):
        write(frame, tmp_path / "x.xls")
    result = convert(tmp_path / "missing.csv", tmp_path / "x.sav")
    assert result.exit_code == 2 and "no such file" in result.output
