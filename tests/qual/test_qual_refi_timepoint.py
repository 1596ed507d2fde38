"""A source's programme timepoint travels in a .qdpx as the source variable ``Timepoint``
(REFI-QDA 1.0 allows ``VariableValue`` on a ``TextSource``): written valid against the schema,
read back exactly, read as other programs spell it, and an unknown value refused by name."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from balm.qual import QualInputError
from balm.qual.project import Case, Project, Source, project_problems
from balm.qual.refi import project_to_qde, read_qdpx, schema_problems, write_qdpx

NS = {"q": "urn:QDA-XML:project:1.0"}
SRC = "33333333-3333-4333-8333-333333333333"
VAR = "99999999-9999-4999-8999-999999999902"


def _project() -> Project:
    return Project(
        "p",
        cases=[Case("c1", "P1", {"Timepoint": 3})],  # a case variable of the same name
        sources=[
            Source("s1", "P1 baseline", "Before the group.", case="c1", timepoint="baseline"),
            Source("s2", "P1 end", "After the group.", case="c1", timepoint="end"),
            Source("s3", "Notes", "Not tied to a timepoint."),
        ],
    )


def test_written_as_a_source_variable_valid_against_the_schema() -> None:
    qde = project_to_qde(_project())
    assert schema_problems(qde) == []
    root = etree.fromstring(qde)
    declared = root.findall("q:Variables/q:Variable[@name='Timepoint']", NS)
    # one for the case variable (Integer), one for the sources (Text): kept apart
    assert sorted(v.get("typeOfVariable") for v in declared) == ["Integer", "Text"]
    text_guid = next(v.get("guid") for v in declared if v.get("typeOfVariable") == "Text")
    values = {
        s.get("name"): [
            (h.find("q:VariableRef", NS).get("targetGUID"), h.findtext("q:TextValue", None, NS))
            for h in s.findall("q:VariableValue", NS)
        ]
        for s in root.iterfind("q:Sources/q:TextSource", NS)
    }
    assert values == {
        "P1 baseline": [(text_guid, "baseline")],
        "P1 end": [(text_guid, "end")],
        "Notes": [],
    }


def test_round_trip_keeps_each_sources_timepoint(tmp_path: Path) -> None:
    write_qdpx(_project(), tmp_path / "p.qdpx")
    again = read_qdpx(tmp_path / "p.qdpx")
    assert {s.name: s.timepoint for s in again.sources} == {
        "P1 baseline": "baseline",
        "P1 end": "end",
        "Notes": None,
    }
    assert again.cases[0].variables == {"Timepoint": 3}


def _qdpx(path: Path, value: str) -> Path:
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" '
        f'name="x"><Variables><Variable guid="{VAR}" name="timepoint" typeOfVariable="Text"/>'
        f'</Variables><Sources><TextSource guid="{SRC}" name="s"><PlainTextContent>hi'
        f'</PlainTextContent><VariableValue><VariableRef targetGUID="{VAR}"/>'
        f"<TextValue>{value}</TextValue></VariableValue></TextSource></Sources></Project>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
    return path


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Baseline", "baseline"),
        ("Mid-point", "mid"),
        ("Follow-up", "follow_up"),
        ("follow up", "follow_up"),
        (" End ", "end"),
        ("", None),
    ],
)
def test_other_programs_spellings_are_read(tmp_path: Path, written: str, read: str) -> None:
    assert read_qdpx(_qdpx(tmp_path / "x.qdpx", written)).sources[0].timepoint == read


def test_an_unknown_timepoint_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(QualInputError) as error:
        read_qdpx(_qdpx(tmp_path / "x.qdpx", "week 3"))
    (problem,) = error.value.problems
    assert "source 's'" in problem and "'week 3'" in problem
    assert "baseline, mid, end, follow_up" in problem


def test_the_project_check_names_a_bad_timepoint() -> None:
    bad = Project("p", sources=[Source("s1", "S", "text", timepoint="week 3")])
    assert project_problems(bad) == [
        "source 'S': timepoint 'week 3' is not one of baseline, mid, end, follow_up (or none)"
    ]
