"""``balm qual``: new, add (pseudonymised, with a review report), codes, quotes; bad input
exits 2 with every problem listed and nothing written."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from balm.cli import app
from balm.qual.project import Project
from balm.qual.refi import read_qdpx, write_qdpx

runner = CliRunner()


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["qual", *map(str, args)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    transcript = tmp_path / "priya_interview.txt"
    transcript.write_text(
        "Interviewer: Thanks, Priya.\nPriya: Ring me on 07700 900456 at Larkfield.\n",
        encoding="utf-8",
    )
    names = tmp_path / "names.txt"
    names.write_text("participant: Priya\nplace: Larkfield\n", encoding="utf-8")
    return {"transcript": transcript, "names": names}


def test_new_add_and_report(tmp_path: Path, files: dict[str, Path]) -> None:
    project_path = tmp_path / "study.qdpx"
    code, out, _ = _run("new", project_path)
    assert code == 0 and project_path.exists()
    code, out, err = _run(
        "add", project_path, files["transcript"], "--case", "P05", "--names", files["names"],
        "--by", "Ann",
    )  # fmt: skip
    assert code == 0, err
    for line in ("participant", "Priya", "P05", "phone", "07700 900456", "[phone]", "[place]"):
        assert line in out
    project = read_qdpx(project_path)
    (source,) = project.sources
    assert source.name == "P05 interview"
    assert source.text == "Interviewer: Thanks, P05.\nP05: Ring me on [phone] at [place]."
    assert [t.speaker for t in source.turns] == ["Interviewer", "P05"]
    assert [c.name for c in project.cases] == ["P05"]
    # The map is beside the project, not inside it.
    mapping = json.loads((tmp_path / "study.pseudonyms.json").read_text(encoding="utf-8"))
    assert mapping["entries"] == {"priya": "P05", "larkfield": "[place]"}
    with zipfile.ZipFile(project_path) as archive:
        assert archive.namelist()[0] == "project.qde"
        everything = b"".join(archive.read(n) for n in archive.namelist()).lower()
    assert b"priya" not in everything and b"larkfield" not in everything


def test_bad_input_lists_every_problem_and_writes_nothing(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    project_path = tmp_path / "study.qdpx"
    _run("new", project_path)
    before = project_path.read_bytes()
    bad_names = tmp_path / "bad_names.txt"
    bad_names.write_text("staff:\n", encoding="utf-8")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a docx")
    code, _, err = _run(
        "add", project_path, files["transcript"], broken, tmp_path / "missing.txt",
        "--case", "P05", "--names", bad_names, "--kind", "podcast",
    )  # fmt: skip
    assert code == 2
    assert "'staff' has no name" in err
    assert "broken.docx: cannot read this .docx file" in err
    assert "missing.txt: no such file" in err
    assert "kind 'podcast' is not one of" in err
    assert project_path.read_bytes() == before
    assert not (tmp_path / "study.pseudonyms.json").exists()


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    project_path = tmp_path / "study.qdpx"
    project_path.write_bytes(b"keep me")
    code, _, err = _run("new", project_path)
    assert code == 2 and "already exists" in err
    assert project_path.read_bytes() == b"keep me"


def test_unreadable_project(tmp_path: Path) -> None:
    path = tmp_path / "x.qdpx"
    path.write_text("not a zip")
    code, _, err = _run("codes", path)
    assert code == 2 and "not a zip archive" in err


def test_codes_and_quotes(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "p.qdpx"
    write_qdpx(project, path)
    code, out, _ = _run("codes", path)
    assert code == 0
    # By hand from the fixture: Flare-ups has 2 codings, Pain none of its own (2 in its
    # branch), Self-kindness 1.
    assert "Pain  0 (branch 2)" in out
    assert "Flare-ups  2" in out
    assert "Self-kindness  1" in out
    code, out, _ = _run("quotes", path, "--code", "Flare-ups")
    assert code == 0
    assert "Flare-ups: 2 passages" in out
    assert "It flares when I am tired." in out and "coded by Ben" in out and "(P03)" in out
    code, _, err = _run("quotes", path, "--code", "Nope")
    assert code == 2 and "no code named 'Nope'" in err and "Self-kindness" in err
