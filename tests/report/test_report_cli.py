"""``balm report`` with bad input: exit code 2, every problem listed, nothing written."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from balm.cli import app

SCORES = (
    (
        "enrolment,participant,cohort,site,format,diagnosis,timepoint,week,phq9_total,phq9_total_band\n"
    )
    + """A-c1,A,G,s,online,crps,baseline,0,20,severe
A-c1,A,G,s,online,crps,end,12,8,mild
B-c1,B,G,s,online,crps,baseline,0,18,moderately_severe
B-c1,B,G,s,online,crps,end,12,17,moderately_severe
C-c1,C,G,s,online,crps,baseline,0,14,moderate
C-c1,C,G,s,online,crps,end,12,15,severe
"""
)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_is_listed_and_nothing_is_written(tmp_path: Path) -> None:
    scores = _write(
        tmp_path,
        "scores.csv",
        SCORES
        + "D-c1,D,G,s,online,crps,baseline,0,lots,\n"  # line 8: not a number
        + "A-c1,A,G,s,online,crps,end,12,9,\n"  # line 9: A at end twice
        + ",E,G,s,online,crps,end,12,3,\n",  # line 10: blank id
    )
    sessions = _write(
        tmp_path,
        "sessions.csv",
        "cohort,session,date,title,attended,enrolled\n"
        "G,1,2026-02-01,Welcome,6,5\n"  # attended > enrolled
        "G,2,01/02/2026,Three systems,3,5\n"  # not an ISO date
        "G,3,2026-02-15,Soothing rhythm,,5\n",  # held, attendance not given
    )
    enrolments = _write(
        tmp_path,
        "enrolments.csv",
        "enrolment,referred_on,assessed_on,started_on,completed_on,withdrawn_on,"
        "withdrawal_reason,sessions_attended\n"
        "A-c1,2026-01-01,,2026-02-01,2026-05-01,2026-03-01,,4\n"  # completed and withdrawn
        "B-c1,2026-01-01,,,,,moved,2.5\n",  # reason without withdrawal; not whole
    )
    checkins = _write(tmp_path, "checkins.csv", "enrolment,checkin_mood\nA-c1,3\n")  # no week
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(scores),
            "--sessions",
            str(sessions),
            "--enrolments",
            str(enrolments),
            "--checkins",
            str(checkins),
            "--pre",
            "start",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 2
    errors = result.stderr
    expected = [
        "'phq9_total' must be a number; lines 8 hold 'lots'",
        "more than one row for the same enrolment and timepoint; lines 3, 9",
        "'enrolment' is blank on lines 10",
        "no row has timepoint = 'start' (the --pre timepoint); the file has: baseline, end",
        "'attended' is more than 'enrolled' on lines 2",
        "'date' must be a date written YYYY-MM-DD (or blank); lines 3 hold '01/02/2026'",
        "an enrolment cannot be both completed and withdrawn; lines 2",
        "'withdrawal_reason' given without 'withdrawn_on' on lines 3",
        "'sessions_attended' must be a whole number; lines 3",
        "check-ins: column 'week' not found",
        "a session with a date was held, so 'attended' is needed; blank on lines 4",
    ]
    for message in expected:
        assert message in errors, message
    assert errors.count("error: ") == len(expected)
    assert not out.exists() and list(tmp_path.glob(".*")) == []


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", str(tmp_path / "none.csv"), "-o", str(tmp_path / "report.docx")]
    )
    assert result.exit_code == 2
    assert "the extension must be one of .html, .pdf, .xlsx, .json" in result.stderr
    assert "scores file" in result.stderr and "no such file" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_blank_score_is_missing_not_zero(tmp_path: Path) -> None:
    """C's end score left blank: C drops out of the pairs (n 2, not 3 with a 0)."""
    scores = _write(tmp_path, "scores.csv", SCORES.replace("end,12,15,severe", "end,12,,"))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["report", str(scores), "-o", str(out)])
    assert result.exit_code == 0, result.output
    import json

    phq9 = json.loads(out.read_text())["outcomes"]["phq9_total"]
    # Pairs A (20 -> 8) and B (18 -> 17): mean change (-12 - 1) / 2 = -6.5.
    assert phq9["n"] == 2 and phq9["change"]["mean"] == -6.5
    assert phq9["post"]["n"] == 2


def test_a_bad_qualitative_project_is_listed_with_the_other_problems(tmp_path: Path) -> None:
    scores = _write(tmp_path, "scores.csv", SCORES)
    not_a_zip = _write(tmp_path, "project.qdpx", "this is not a REFI-QDA archive")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        ["report", str(scores), "--qual", str(not_a_zip), "--post", "later", "-o", str(out)],
    )
    assert result.exit_code == 2
    assert "qualitative project: " in result.output and "not a zip archive" in result.output
    assert "no row has timepoint = 'later'" in result.output
    assert not out.exists()
    missing = CliRunner().invoke(
        app, ["report", str(scores), "--qual", str(tmp_path / "none.qdpx"), "-o", str(out)]
    )
    assert missing.exit_code == 2 and "none.qdpx: no such file" in missing.output
    assert not out.exists()


def test_several_outputs_from_one_build_are_each_formats_file(tmp_path: Path) -> None:
    """``-o`` twice: the same JSON and HTML as two runs with one ``-o`` each (the HTML is byte
    for byte the same for the same inputs: docs/report.md)."""
    scores = _write(tmp_path, "scores.csv", SCORES)
    both = [tmp_path / "both.json", tmp_path / "both.html"]
    result = CliRunner().invoke(
        app, ["report", str(scores), "-o", str(both[0]), "-o", str(both[1])]
    )
    assert result.exit_code == 0, result.output
    for path in both:
        alone = tmp_path / f"alone{path.suffix}"
        once = CliRunner().invoke(app, ["report", str(scores), "-o", str(alone)])
        assert once.exit_code == 0, once.output
        assert path.read_bytes() == alone.read_bytes(), path.suffix


def test_one_bad_output_of_several_writes_none(tmp_path: Path) -> None:
    scores = _write(tmp_path, "scores.csv", SCORES)
    good = tmp_path / "report.json"
    names = [str(good), str(tmp_path / "report.docx"), str(tmp_path / "no" / "r.html")]
    names.append(str(good))
    named = [arg for name in names for arg in ("-o", name)]
    result = CliRunner().invoke(app, ["report", str(scores), *named])
    assert result.exit_code == 2
    assert "report.docx: the extension must be one of" in result.stderr
    assert "the folder" in result.stderr and "does not exist" in result.stderr
    assert "-o: the same file is named more than once" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]
