"""``balm qual load`` / ``balm qual dump`` and the import/export actions: a .qdpx made by
balm.qual goes in and comes out with every coding's source, start, end, code and coder kept;
cases are matched to participants by pseudonym; bad input exits 2 with every problem listed
and the database untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from balm.accounts.errors import InvalidInput
from balm.audit.models import AuditEvent
from balm.cli import app
from balm.qual import project as q
from balm.qual.refi import read_qdpx, write_qdpx
from balm.qualitative import actions
from balm.qualitative.models import Case, Coder, Coding, QualProject, Source

pytestmark = pytest.mark.django_db
runner = CliRunner()

ANN, BEN = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["qual", *map(str, args)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def _project() -> q.Project:
    """Two coders, a nested codebook, a source of case P1 (a participant of site A) and one of
    case X9 (no such participant), codings by both coders, a note and a theme."""
    p = q.Project("Exchange study")
    p.users = [q.User(ANN, "Ann Coder"), q.User(BEN, "Ben Coder")]
    p.codes = [
        q.Code(q.new_id(), "Impact", None, "How pain shapes life", "#9A3412"),
    ]
    p.codes.append(q.Code(q.new_id(), "Loss", p.codes[0].id))
    p.cases = [q.Case(q.new_id(), "P1", {"age": 44}), q.Case(q.new_id(), "X9")]
    one = "Interviewer: How has it been?\nP1: I lost my job and my evenings out."
    two = "Interviewer: And now?\nX9: Slower days, but mine."
    p.sources = [
        q.Source(q.new_id(), "P1 interview", one, "interview", p.cases[0].id),
        q.Source(q.new_id(), "X9 interview", two, "interview", p.cases[1].id),
    ]
    job = one.index("I lost my job")
    p.codings = [
        q.Coding(q.new_id(), p.sources[0].id, job, job + 13, p.codes[1].id, ANN),
        q.Coding(q.new_id(), p.sources[0].id, job, len(one), p.codes[1].id, BEN),
        q.Coding(q.new_id(), p.sources[1].id, 26, 37, p.codes[0].id, ANN),
    ]
    p.notes = [q.Note(q.new_id(), "Work came up first.", ANN, "memo", "coding", p.codings[0].id)]
    p.themes = [
        q.Theme(
            q.new_id(),
            "What pain took",
            "theme",
            members=(q.ThemeMember("coding", p.codings[0].id),),
        )
    ]
    q.validate_project(p)
    return p


def _codings(p: q.Project) -> set[tuple[str, int, int, str, str]]:
    sources = {s.id: s.name for s in p.sources}
    codes = {c.id: c.name for c in p.codes}
    users = {u.id: u.name for u in p.users}
    return {(sources[c.source], c.start, c.end, codes[c.code], users[c.coder]) for c in p.codings}


def test_load_then_dump_keeps_every_coding(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    original = _project()
    path = tmp_path / "study.qdpx"
    write_qdpx(original, path)
    code, out, err = _run("load", path, "--site", "site-a", "--as", "res_a")
    assert code == 0, err
    assert "cases matched to participants: P1" in out
    assert "X9" in out.split("kept, linked to no one")[1]
    stored = QualProject.objects.get(site=world.site_a)
    assert Case.objects.get(project=stored, name="P1").participant == world.p1
    assert Case.objects.get(project=stored, name="X9").participant is None
    assert Source.objects.get(name="P1 interview").enrolment == world.enrolment_p1
    assert Coding.objects.filter(source__project=stored).count() == 3

    out_path = tmp_path / "out.qdpx"
    code, out, err = _run("dump", "--site", "site-a", "-o", out_path)
    assert code == 0, err
    back = read_qdpx(out_path)
    assert _codings(back) == _codings(original)
    assert {c.id for c in back.codings} == {c.id for c in original.codings}  # ids travel
    assert [s.text for s in back.sources] == [s.text for s in original.sources]
    assert back.case_named("P1").variables == {"age": 44}
    assert back.themes[0].members == original.themes[0].members
    assert back.notes[0].target == original.codings[0].id
    assert AuditEvent.objects.filter(action="qual.project.import").count() == 1
    assert AuditEvent.objects.filter(action="qual.project.export").count() == 1


def test_coders_are_matched_to_site_staff_by_name(world) -> None:  # type: ignore[no-untyped-def]
    world.researcher_a.first_name, world.researcher_a.last_name = "Ann", "Coder"
    world.researcher_a.save()
    actions.import_project(site=world.site_a, project=_project(), by=world.admin_a)
    coders = {c.name: c.user for c in Coder.objects.all()}
    assert coders == {"Ann Coder": world.researcher_a, "Ben Coder": None}


def test_import_pseudonymises_and_moves_the_codings(world) -> None:  # type: ignore[no-untyped-def]
    p = _project()
    text = "P1: I told Sam Two about it, and Pat One too."
    about = text.index("about it")
    p.sources.append(q.Source(q.new_id(), "Pat One notes", text, "feedback", p.cases[0].id))
    p.codings.append(q.Coding(q.new_id(), p.sources[-1].id, about, about + 8, p.codes[0].id, ANN))
    result = actions.import_project(site=world.site_a, project=p, by=None)
    source = Source.objects.get(project=result.project, kind="feedback")
    # Sam Two (another participant of site A) -> [participant A]; Pat One (this case's
    # participant, P1) -> P1, also in the source's name.
    assert source.text == "P1: I told [participant A] about it, and P1 too."
    assert source.name == "P1 notes"
    coding = Coding.objects.get(source=source)
    assert source.text[coding.start : coding.end] == "about it"
    assert [r.original for r in result.replacements["P1 notes"]] == ["Sam Two", "Pat One"]


def test_import_is_all_or_nothing(world) -> None:  # type: ignore[no-untyped-def]
    p = _project()
    # Both names become "[participant A]" only once pseudonymised: found late, mid-import.
    p.sources.append(q.Source(q.new_id(), "Sam Two", "one", "feedback"))
    p.sources.append(q.Source(q.new_id(), "sam_two", "two", "feedback"))
    with pytest.raises(InvalidInput) as caught:
        actions.import_project(site=world.site_a, project=p, by=world.researcher_a)
    assert "[participant A]" in caught.value.problems[0].message
    assert QualProject.objects.count() == 0 and Source.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="qual.").count() == 0


def test_load_refuses_bad_input_and_writes_nothing(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    not_zip = tmp_path / "bad.qdpx"
    not_zip.write_text("hello", encoding="utf-8")
    code, _, err = _run("load", not_zip, "--site", "site-a")
    assert code == 2 and "not a zip archive" in err

    path = tmp_path / "study.qdpx"
    write_qdpx(_project(), path)
    code, _, err = _run("load", path, "--site", "nowhere", "--as", "nobody")
    assert code == 2
    assert "no site 'nowhere'" in err and "no user 'nobody'" in err

    code, _, err = _run("load", path, "--site", "site-a", "--as", "fac_a")
    assert code == 2 and "may not load" in err

    assert _run("load", path, "--site", "site-a")[0] == 0
    code, _, err = _run("load", path, "--site", "site-a")
    assert code == 2 and "already has a project named 'Exchange study'" in err
    assert QualProject.objects.count() == 1 and Source.objects.count() == 2


def test_dump_refuses_bad_input(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = _run("dump", "--site", "site-a", "-o", tmp_path / "no" / "x.txt")
    assert code == 2 and "ends in .qdpx" in err and "no such folder" in err
    code, _, err = _run("dump", "--site", "site-a", "-o", tmp_path / "x.qdpx")
    assert code == 2 and "no such project" in err
    for name in ("One", "Two"):
        actions.create_project(site=world.site_a, name=name, by=None)
    code, _, err = _run("dump", "--site", "site-a", "-o", tmp_path / "x.qdpx")
    assert code == 2 and "choose one with --project: One, Two" in err
    assert _run("dump", "--site", "site-a", "-o", tmp_path / "x.qdpx", "--project", "Two")[0] == 0
    assert not (tmp_path / "no").exists()


def test_load_takes_more_names(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = _project()
    text = "P1: Dev drove me to Larkfield."
    p.sources.append(q.Source(q.new_id(), "P1 feedback", text, "feedback", p.cases[0].id))
    path = tmp_path / "study.qdpx"
    write_qdpx(p, path)
    bad = tmp_path / "bad.txt"
    bad.write_text("participant: Someone\n", encoding="utf-8")
    code, _, err = _run("load", path, "--site", "site-a", "--names", bad)
    assert code == 2 and "names no participant" in err
    assert QualProject.objects.count() == 0
    names = tmp_path / "names.txt"
    names.write_text("other: Dev\nplace: Larkfield\n", encoding="utf-8")
    code, out, err = _run("load", path, "--site", "site-a", "--names", names)
    assert code == 0, err
    # Dev is another person ([participant A]: the first "other" name this site has seen).
    assert Source.objects.get(name="P1 feedback").text == "P1: [participant A] drove me to [place]."
    assert "P1 feedback: 2 replacements" in out


def test_the_database_refuses_an_empty_or_reversed_coding(world) -> None:  # type: ignore[no-untyped-def]
    from django.db import IntegrityError, transaction

    result = actions.import_project(site=world.site_a, project=_project(), by=None)
    coding = Coding.objects.filter(source__project=result.project).first()
    for start, end in ((5, 5), (9, 3)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Coding.objects.filter(pk=coding.pk).update(start=start, end=end)


def test_a_dump_carries_no_original_name(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    p = _project()
    text = "P1: Pat One and Sam Two met at Larkfield."
    p.sources.append(q.Source(q.new_id(), "P1 notes", text, "feedback", p.cases[0].id))
    actions.import_project(site=world.site_a, project=p, terms=[("Larkfield", "place")], by=None)
    out_path = tmp_path / "out.qdpx"
    assert _run("dump", "--site", "site-a", "-o", out_path)[0] == 0
    with zipfile.ZipFile(out_path) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist()).lower()
    for original in (b"pat one", b"sam two", b"larkfield"):
        assert original not in everything
    assert b"[participant a]" in everything and b"[place]" in everything
