"""``balm qual agreement | recurrence | suggest`` on a .qdpx file: the numbers worked by hand,
the JSON shape the issue asks for, and bad input (exit 2, every problem listed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from balm.cli import app
from balm.qual import project_frames
from balm.qual.project import Project
from balm.qual.recurrence import recurrence
from balm.qual.refi import write_qdpx

runner = CliRunner()
DEMO = Path(__file__).parents[2] / "src" / "balm" / "qual" / "demo"


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["qual", *map(str, args)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project_file(tmp_path: Path, project: Project) -> Path:
    path = tmp_path / "study.qdpx"
    write_qdpx(project, path)
    return path


def test_agreement_json_worked_by_hand(project_file: Path) -> None:
    """The fixture's one shared source is 73 characters; Ann coded Flare-ups on [35, 44)
    (9 characters), Ben on [35, 61) (26). Ann coded nothing in the feedback source, so by
    default only the interview is compared, and only Flare-ups (the one code both could use).

    Characters: both coded 9, neither 73 - 26 = 47, one only 26 - 9 = 17.
    Percentage agreement = (9 + 47) / 73 = 76.712 %.
    Kappa (Cohen 1960): p_o = 56/73; p_e = (9*26 + 64*47) / 73^2 = 3242/5329;
    kappa = (56*73 - 3242) / (5329 - 3242) = 846 / 2087 = 0.405367.
    Alpha (Krippendorff 2011, nominal, two coders): values n = 146, ones 9 + 26 = 35, zeros
    111; each disagreeing unit adds 1 to o_01, so o_01 = 17;
    alpha = 1 - (n - 1) * o_01 / (n_0 * n_1) = 1 - 145 * 17 / (111 * 35) = 1 - 2465/3885
    = 0.365508.
    """
    code, out, err = _run("agreement", project_file, "--json", "--resamples", "0")
    assert code == 0, err
    data = json.loads(out)
    assert data["unit"] == "character"
    assert data["coders"] == ["Ann", "Ben"]
    assert set(data["overall"]) == {
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "alpha_ci",
    }
    assert data["overall"]["percent_agreement"] == pytest.approx(100 * 56 / 73)
    assert data["overall"]["cohen_kappa"] == pytest.approx(846 / 2087)
    assert data["overall"]["krippendorff_alpha"] == pytest.approx(1 - 2465 / 3885)
    assert data["overall"]["alpha_ci"] is None
    assert list(data["codes"]) == ["Flare-ups"]
    assert data["codes"]["Flare-ups"]["cohen_kappa"] == pytest.approx(846 / 2087)


def test_agreement_table_says_the_unit_and_the_rule(project_file: Path) -> None:
    code, out, err = _run("agreement", project_file, "--resamples", "0")
    assert code == 0, err
    assert "unit: character" in out
    assert "76.7" in out and "0.405" in out and "0.366" in out
    assert "overall (codes pooled)" in out


def test_agreement_bad_options_listed_at_once(project_file: Path) -> None:
    code, _, err = _run("agreement", project_file, "--unit", "word", "--uncoded", "maybe")
    assert code == 2
    assert "unit 'word' is not one of" in err
    assert "uncoded 'maybe' is not one of" in err
    code, _, err = _run("agreement", project_file, "--sources", "Nope")
    assert code == 2 and "no source named 'Nope'" in err and "P03 interview" in err


def test_recurrence_json_is_the_core_result(project_file: Path, project: Project) -> None:
    frames = project_frames(project)
    expected = recurrence(
        frames.sources,
        frames.codes,
        frames.codings,
        frames.themes,
        frames.theme_members,
        frames.notes,
    ).to_json()
    code, out, err = _run("recurrence", project_file, "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(json.dumps(expected))
    code, out, err = _run("recurrence", project_file)
    assert code == 0, err
    assert "Bodies that set limits" in out and "P03" in out and "1 of 1" in out


def test_suggest_on_the_demo_transcripts(tmp_path: Path) -> None:
    """Seven demo transcripts imported through ``add``: key phrases for each and groupings
    of their speaker turns, every one labelled a suggestion; the same seed gives the same."""
    path = tmp_path / "demo.qdpx"
    assert _run("new", path)[0] == 0
    for transcript in sorted(DEMO.glob("*.txt")):
        code, _, err = _run("add", path, transcript, "--case", transcript.stem, "--by", "Ann")
        assert code == 0, err
    code, out, err = _run("suggest", path, "--json", "--groups", "5")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["key_phrases"]) == 7
    assert 1 <= len(data["groupings"]) <= 5
    assert {s["status"] for s in data["key_phrases"] + data["groupings"]} == {"suggested"}
    assert json.loads(_run("suggest", path, "--json", "--groups", "5")[1]) == data
    code, out, _ = _run("suggest", path, "--groups", "5")
    assert "Suggestions only: nothing is applied" in out
    first = data["groupings"][0]["members"][0]
    code, out, err = _run("suggest", path, "--like", first, "--json")
    assert code == 0, err
    assert all(s["members"][0] != first for s in json.loads(out)["similar"])


def test_suggest_bad_input(project_file: Path, tmp_path: Path) -> None:
    code, _, err = _run("suggest", project_file, "--passages", "words")
    assert code == 2 and "passages 'words' is not one of turns, codings" in err
    broken = tmp_path / "broken.qdpx"
    broken.write_bytes(b"not a zip")
    code, _, err = _run("suggest", broken)
    assert code == 2 and "broken.qdpx" in err
