"""``balm instruments`` (list, show, export) and ``balm score``: outputs and clear errors
(exit code 2, messages on stderr, nothing written)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from typer.testing import CliRunner

from balm.cli import app, instruments_cmd
from balm.instruments import catalogue

runner = CliRunner()

HEADER = "id,q1,q2,q3,q4,q5,q6,q7,q8,q9"


def write(tmp_path: Path, text: str, name: str = "answers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- balm instruments -------------------------------------------------------------------


def test_list_shows_every_instrument() -> None:
    result = runner.invoke(app, ["instruments"])
    assert result.exit_code == 0, result.stderr
    for instrument_id in catalogue():
        assert instrument_id in result.stdout
    assert "licence" in result.stdout


def test_show_phq9() -> None:
    result = runner.invoke(app, ["instruments", "show", "phq9"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for expected in (
        "Little interest or pleasure in doing things",
        "Nearly every day",
        "SAFETY",
        "44249-1",
        "44260-8",
        "moderately_severe",
        "Kroenke",
        "cronbach_alpha 0.89",
        "up to 2 blank item(s), prorated",
        "safety items (alert when above their lowest weight): q9",
    ):
        assert expected in out, expected


@pytest.mark.parametrize(
    "instrument_id",
    [
        instrument_id
        for instrument_id, instrument in catalogue().items()
        if not instrument.item_text_included
    ],
)
def test_show_licensed_instrument_names_concepts(instrument_id: str) -> None:
    result = runner.invoke(app, ["instruments", "show", instrument_id], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "licensed: the service supplies the item text" in result.stdout


@pytest.mark.parametrize("instrument_id", sorted(catalogue()))
def test_show_every_instrument(instrument_id: str) -> None:
    result = runner.invoke(app, ["instruments", "show", instrument_id])
    assert result.exit_code == 0, result.stderr


def test_show_unknown_instrument_lists_known_ids() -> None:
    result = runner.invoke(app, ["instruments", "show", "phq10"])
    assert result.exit_code == 2
    assert "unknown instrument 'phq10'" in result.stderr
    assert "phq9" in result.stderr
    assert result.stdout == ""


def test_export_fhir_to_stdout_and_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["instruments", "export", "phq9", "--format", "fhir"])
    assert result.exit_code == 0, result.stderr
    questionnaire = Questionnaire.model_validate_json(result.stdout)
    assert questionnaire.code[0].code == "44249-1"
    target = tmp_path / "phq9.json"
    result = runner.invoke(
        app, ["instruments", "export", "phq9", "--format", "fhir", "-o", str(target)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(target.read_text())["resourceType"] == "Questionnaire"
    assert list(tmp_path.iterdir()) == [target]


def test_export_unknown_format_or_instrument(tmp_path: Path) -> None:
    result = runner.invoke(app, ["instruments", "export", "phq9", "--format", "xml"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["instruments", "export", "nope", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "unknown instrument" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- balm score: good input ------------------------------------------------------------

GOOD = (
    "id,q1,q2,q3,q4,q5,q6,q7,q8,q9,comment,site\n"
    '007,0,0,0,0,0,0,0,0,0,"fine, thanks",north\n'
    '008,3,3,3,3,3,3,3,3,3,"she said ""no""",\n'
    "009,2,2,1,1,1,1,1,1,,,south\n"
    "010,3,3,3,3,3,3,,, ,NA,east\n"
)


def test_score_good_file(tmp_path: Path) -> None:
    """Hand-worked: 0 -> 0 minimal; 27 severe; 10 x 9 / 8 = 11.25 moderate (q9 blank);
    three blanks -> not computed. Pass-through columns unchanged and in order."""
    source = write(tmp_path, GOOD)
    target = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", "phq9", str(source), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    rows = rows_of(target.read_text(encoding="utf-8"))
    assert rows[0] == [
        *["id", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "comment", "site"],
        "total",
        "total_band",
        "scoring_notes",
    ]
    assert rows[1] == ["007", *["0"] * 9, "fine, thanks", "north", "0", "minimal", ""]
    assert rows[2] == ["008", *["3"] * 9, 'she said "no"', "", "27", "severe", ""]
    assert rows[3] == [
        "009",
        *["2", "2", "1", "1", "1", "1", "1", "1", ""],
        "",
        "south",
        "11.25",
        "moderate",
        "total prorated (1 missing)",
    ]
    assert rows[4] == [
        "010",
        *["3", "3", "3", "3", "3", "3", "", "", " "],
        "NA",
        "east",
        "",
        "",
        "total not computed (3 missing)",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["answers.csv", "scores.csv"]


def test_score_to_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.stderr
    assert rows_of(result.stdout)[1][:1] == ["007"]
    assert rows_of(result.stdout)[2][-3:] == ["27", "severe", ""]


def test_score_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, GOOD)), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert len(records) == 4
    assert list(records[0]) == [
        *["id", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "comment", "site"],
        "total",
        "total_band",
        "scoring_notes",
    ]
    assert records[0]["id"] == "007"
    assert records[0]["total"] == 0 and isinstance(records[0]["total"], int)
    assert records[0]["scoring_notes"] is None
    assert records[1]["comment"] == 'she said "no"'
    assert records[1]["site"] is None
    assert records[2]["total"] == 11.25
    assert records[2]["q9"] is None
    assert records[2]["q1"] == 2
    assert records[3]["total"] is None
    assert records[3]["total_band"] is None
    assert records[3]["scoring_notes"] == "total not computed (3 missing)"


def test_score_json_to_file(tmp_path: Path) -> None:
    target = tmp_path / "scores.json"
    args = ["score", "phq9", str(write(tmp_path, GOOD)), "--format", "json", "-o", str(target)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert json.loads(target.read_text())[1]["total"] == 27


def test_score_header_only_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, HEADER + "\n"))])
    assert result.exit_code == 0, result.stderr
    assert rows_of(result.stdout) == [[*HEADER.split(","), "total", "total_band", "scoring_notes"]]
    result = runner.invoke(
        app, ["score", "phq9", str(write(tmp_path, HEADER + "\n")), "--format", "json"]
    )
    assert json.loads(result.stdout) == []


def test_score_other_instrument_with_several_scales(tmp_path: Path) -> None:
    """GAD-7 all 1: 7 x 1 = 7, mild (5-9; Spitzer et al. 2006)."""
    text = "id," + ",".join(f"q{n}" for n in range(1, 8)) + "\nA," + ",".join(["1"] * 7) + "\n"
    result = runner.invoke(app, ["score", "gad7", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.stderr
    assert rows_of(result.stdout)[1][-3:] == ["7", "mild", ""]


def test_progress_bar_goes_to_stderr_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instruments_cmd, "PROGRESS_ROWS", 2)
    monkeypatch.setattr(instruments_cmd, "CHUNK_ROWS", 2)
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.stderr
    rows = rows_of(result.stdout)
    assert [row[0] for row in rows] == ["id", "007", "008", "009", "010"]
    assert rows[3][-3:] == ["11.25", "moderate", "total prorated (1 missing)"]


# --- balm score: bad input ---------------------------------------------------------------

BAD = (
    HEADER + "\n"
    "A,0,0,0,0,0,0,0,0,0\n"
    "B,0,0,0,0,7,0,0,0,0\n"
    "C,x,0,0,0,0,0,0,0,-1\n"
    "D,0,0,1.5,0,0,0,0,0,0\n"
)


def test_bad_cells_all_listed_and_nothing_written(tmp_path: Path) -> None:
    source = write(tmp_path, BAD)
    target = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", "phq9", str(source), "-o", str(target)])
    assert result.exit_code == 2
    for line in (
        "row B, q5: 7 is not one of 0, 1, 2, 3",
        "row C, q1: x is not a number (one of 0, 1, 2, 3)",
        "row C, q9: -1 is not one of 0, 1, 2, 3",
        "row D, q3: 1.5 is not one of 0, 1, 2, 3",
    ):
        assert line in result.stderr.splitlines()
    assert "4 bad answer(s)" in result.stderr
    assert result.stdout == ""
    assert not target.exists()
    assert [path.name for path in tmp_path.iterdir()] == ["answers.csv"]


def test_bad_cells_in_later_chunks_are_all_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(instruments_cmd, "CHUNK_ROWS", 1)
    target = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, BAD)), "-o", str(target)])
    assert result.exit_code == 2
    assert "4 bad answer(s)" in result.stderr
    assert not target.exists()


def test_bad_file_to_stdout_writes_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, BAD))])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_existing_output_is_left_alone_on_error(tmp_path: Path) -> None:
    target = write(tmp_path, "old contents\n", "scores.csv")
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, BAD)), "-o", str(target)])
    assert result.exit_code == 2
    assert target.read_text() == "old contents\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q1,q2,q3,q4,q5,q6,q7,q8,q9\n" + ",".join(["0"] * 9) + "\n", "the id column is missing"),
        ("id,q1,q2,q3\nA,0,0,0\n", "item column(s) missing: q4, q5, q6, q7, q8, q9"),
        (HEADER + ",total\n" + "A" + ",0" * 9 + ",5\n", "total would clash"),
        (HEADER + ",scoring_notes\n" + "A" + ",0" * 9 + ",x\n", "scoring_notes would clash"),
        (HEADER + ",total_band\n" + "A" + ",0" * 9 + ",x\n", "total_band would clash"),
        ("", "the file is empty"),
        ("   \n\n", "the file is empty"),
        (HEADER + ",id\n" + "A" + ",0" * 9 + ",B\n", "named more than once: id"),
        (HEADER + "\nA,0,0,0\n", "is not a readable CSV file"),
        (HEADER + '\nA,"0,0,0,0,0,0,0,0,0\n', "is not a readable CSV file"),
    ],
)
def test_input_errors(tmp_path: Path, text: str, message: str) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, text)), "-o", str(target)])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert result.stdout == ""
    assert not target.exists()


def test_binary_file_is_not_csv(tmp_path: Path) -> None:
    source = tmp_path / "image.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    result = runner.invoke(app, ["score", "phq9", str(source)])
    assert result.exit_code == 2
    assert "is not a CSV file" in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "phq9", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_unknown_instrument(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["score", "phq10", str(write(tmp_path, GOOD)), "-o", str(target)])
    assert result.exit_code == 2
    assert "unknown instrument 'phq10'" in result.stderr
    assert "phq9" in result.stderr
    assert not target.exists()


def test_rows_with_a_blank_id_are_named_by_number(tmp_path: Path) -> None:
    text = HEADER + "\nA" + ",0" * 9 + "\n" + ",0,0,0,0,9,0,0,0,0\n"
    result = runner.invoke(app, ["score", "phq9", str(write(tmp_path, text))])
    assert result.exit_code == 2
    assert "row with blank id (data row 2), q5: 9 is not one of 0, 1, 2, 3" in result.stderr
