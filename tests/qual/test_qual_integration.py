"""What a project declares for the report (balm.qual.integration) survives a .qdpx round trip,
and bad values are refused with every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from balm.qual import Code, Coding, Project, read_qdpx, write_qdpx
from balm.qual.errors import QualInputError
from balm.qual.integration import (
    CLEARED_CODE,
    MetaInference,
    case_participant,
    cleared,
    is_cleared,
    meta_inferences,
    set_meta_inference,
    set_speaks_to,
    speaks_to,
)

GROUP = "00000000-0000-4000-8000-000000007003"
S1 = "00000000-0000-4000-8000-00000000d001"


def test_declarations_round_trip_through_qdpx(project: Project, tmp_path: Path) -> None:
    set_speaks_to(project, GROUP, ("bpi_sf_interference", "phq9_total"))
    set_meta_inference(
        project,
        case="P03",
        outcome="phq9_total",
        inference="discord",
        interpretation="Says she copes better; her PHQ-9 did not move reliably.",
    )
    ann = project.users[0].id
    project.codes.append(Code("00000000-0000-4000-8000-00000000c0de", "Cleared for sharing"))
    project.codings.append(
        Coding("00000000-0000-4000-8000-0000000e0009", S1, 30, 73, project.codes[-1].id, ann)
    )
    path = tmp_path / "p.qdpx"
    write_qdpx(project, path)
    back = read_qdpx(path)
    theme = next(t for t in back.themes if t.id == GROUP)
    # The description keeps its own text, then the declaration line.
    assert (
        theme.description
        == "A group experiential theme\nSpeaks to: bpi_sf_interference, phq9_total"
    )
    assert speaks_to(theme.description) == ("bpi_sf_interference", "phq9_total")
    assert meta_inferences(back) == {
        ("P03", "phq9_total"): MetaInference(
            "P03",
            "phq9_total",
            "discord",
            "Says she copes better; her PHQ-9 did not move reliably.",
        )
    }
    spans = cleared(back)
    assert spans == {S1: [(30, 73)]}
    assert is_cleared(spans, S1, 35, 61) and is_cleared(spans, S1, 30, 73)
    assert not is_cleared(spans, S1, 29, 40) and not is_cleared(spans, "other", 35, 61)
    assert CLEARED_CODE == "cleared for sharing"


def test_replacing_a_declaration_keeps_one_line(project: Project) -> None:
    set_speaks_to(project, GROUP, ("phq9_total",))
    set_speaks_to(project, GROUP, ("gad7_total",))
    theme = next(t for t in project.themes if t.id == GROUP)
    assert theme.description.count("Speaks to:") == 1
    assert speaks_to(theme.description) == ("gad7_total",)
    set_meta_inference(project, case="P03", outcome="*", inference="agree", interpretation="Fits.")
    set_meta_inference(project, case="P03", outcome="*", inference="silent", interpretation="No.")
    assert meta_inferences(project)[("P03", "*")].inference == "silent"


def test_bad_declarations_are_refused_with_every_problem(project: Project) -> None:
    with pytest.raises(QualInputError) as error:
        set_meta_inference(
            project, case="P99", outcome="phq 9", inference="maybe", interpretation=""
        )
    assert len(error.value.problems) == 4
    with pytest.raises(QualInputError) as error:
        set_speaks_to(project, "no-such-theme", ("phq9 total",))
    assert len(error.value.problems) == 2
    case = project.cases[0]
    project.cases[0] = type(case)(case.id, case.name, {"meta_inference phq9_total": "yes"})
    with pytest.raises(QualInputError, match="use one of agree, complement, discord, silent"):
        meta_inferences(project)


def test_case_participant_prefers_variables_then_the_name(project: Project) -> None:
    case = project.cases[0]
    assert case_participant(case) == ("participant", "P03")
    with_participant = type(case)(case.id, case.name, {"participant": " Aspen "})
    assert case_participant(with_participant) == ("participant", "Aspen")
    both = type(case)(case.id, case.name, {"participant": "Aspen", "enrolment": "E7"})
    assert case_participant(both) == ("enrolment", "E7")
