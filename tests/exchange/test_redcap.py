"""REDCap: the data dictionary read back as REDCap reads it (columns in REDCap's order, one
form per questionnaire, radio choices weight, label), and records scored through a mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balm.cli import app
from balm.exchange.redcap import COLUMNS, RedcapError, parse_map, tidy

# REDCap's data dictionary header, typed from REDCap's own template (Project Setup, "Download
# the current Data Dictionary"), not from balm's code.
REDCAP_HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


def test_dictionary_for_the_shipped_template(tmp_path: Path) -> None:
    target = tmp_path / "dictionary.csv"
    result = CliRunner().invoke(
        app, ["redcap", "dictionary", "cft-persistent-pain-12", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(frame.columns) == REDCAP_HEADER == list(COLUMNS)
    assert frame.iloc[0]["Variable / Field Name"] == "record_id"
    forms = list(dict.fromkeys(frame["Form Name"]))
    assert forms == ["phq9", "gad7", "dass21", "pdi", "cpaq8", "fscrs", "scs_sf", "pseq"]
    by_field = frame.set_index("Variable / Field Name")
    assert by_field.loc["phq9_q1", "Field Type"] == "radio"
    assert by_field.loc["phq9_q1", "Choices, Calculations, OR Slider Labels"] == (
        "0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day"
    )
    assert by_field.loc["phq9_q9", "Field Label"].endswith("hurting yourself in some way")
    # PDI is licensed: its label is the concept, with a note; never wording balm lacks.
    assert by_field.loc["pdi_q1", "Field Label"] == "q1. family and home responsibilities"
    assert "Licensed item" in by_field.loc["pdi_q1", "Field Note"]
    assert len(frame) == 1 + 9 + 7 + 21 + 7 + 8 + 22 + 12 + 10
    assert frame["Variable / Field Name"].is_unique


def test_dictionary_of_a_bad_template(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("slug: x\n")
    result = CliRunner().invoke(app, ["redcap", "dictionary", str(bad), "-o", str(tmp_path / "d")])
    assert result.exit_code == 2 and "missing" in result.output
    result = CliRunner().invoke(app, ["redcap", "dictionary", "nope", "-o", str(tmp_path / "d")])
    assert result.exit_code == 2


MAP = {"events": {"baseline_arm_1": "baseline", "week_12_arm_1": "end"}}


def records(**extra) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    data = {
        "record_id": ["1", "1", "2"],
        "redcap_event_name": ["baseline_arm_1", "week_12_arm_1", "baseline_arm_1"],
        **{f"phq9_q{i}": ["3", "1", "0"] for i in range(1, 10)},
        **{f"gad7_q{i}": ["2", "", ""] for i in range(1, 8)},
        "phq9_complete": ["2", "2", "2"],
    }
    data.update(extra)
    return pd.DataFrame(data, dtype="string")


def test_records_scored_through_the_mapping() -> None:
    frame = tidy(records(), parse_map(MAP), bands=True)
    got = {(r.participant, r.timepoint): r for r in frame.itertuples()}
    # PHQ-9 all 3 = 27 "severe", all 1 = 9 "mild", all 0 = 0 "minimal" (Kroenke et al. 2001);
    # GAD-7 all 2 = 14 (Spitzer et al. 2006); blank GAD-7 rows: no score, never 0.
    assert got[("1", "baseline")].phq9_total == 27 and got[("1", "baseline")].gad7_total == 14
    assert got[("1", "end")].phq9_total_band == "mild"
    assert pd.isna(got[("2", "baseline")].gad7_total)
    assert list(frame["week"]) == [0, 12, 0]
    assert list(frame.columns[:5]) == ["enrolment", "participant", "cohort", "timepoint", "week"]


def test_every_problem_of_the_records_at_once() -> None:
    bad = records(phq9_q10=["1", "1", "1"])
    bad.loc[1, "redcap_event_name"] = "week_6_arm_1"
    bad.loc[2, "record_id"] = "1"
    bad.loc[2, "redcap_event_name"] = "baseline_arm_1"
    with pytest.raises(RedcapError) as error:
        tidy(bad, parse_map(MAP))
    text = "\n".join(error.value.problems)
    assert "column phq9_q10: not an item of phq9" in text
    assert "line 3, redcap_event_name: 'week_6_arm_1' is not mapped" in text
    assert "line 4: record 1 at event baseline_arm_1 again (first on line 2)" in text
    values = records()
    values.loc[0, "phq9_q2"] = "4"
    values.loc[2, "gad7_q1"] = "x"
    with pytest.raises(RedcapError) as error:
        tidy(values, parse_map(MAP))
    assert error.value.problems == [
        "line 2, phq9_q2: 4 is not one of 0, 1, 2, 3",
        "line 4, gad7_q1: x is not a number (one of 0, 1, 2, 3)",
    ]
    with pytest.raises(RedcapError, match="is not one of baseline"):
        parse_map({"events": {"a": "week 1"}, "colour": 1})


def test_tidy_command_output_reads_into_balm_change(tmp_path: Path) -> None:
    source = tmp_path / "records.csv"
    both = records()
    later = both.iloc[[2]].assign(redcap_event_name="week_12_arm_1", phq9_q1="2")
    pd.concat([both, later]).to_csv(source, index=False)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("events: {baseline_arm_1: baseline, week_12_arm_1: end}\n")
    target = tmp_path / "scores.csv"
    runner = CliRunner()
    result = runner.invoke(
        app, ["redcap", "tidy", str(source), "--map", str(mapping), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    change = runner.invoke(
        app,
        [
            "change",
            str(target),
            "--id",
            "enrolment",
            "--time",
            "timepoint",
            "--outcome",
            "phq9_total",
            "--instrument",
            "phq9",
        ],
    )
    assert change.exit_code == 0, change.output
    report = runner.invoke(app, ["report", str(target), "-o", str(tmp_path / "report.json")])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "report.json").stat().st_size > 0
