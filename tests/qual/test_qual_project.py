"""The project model's validation names every problem at once."""

from __future__ import annotations

import dataclasses

import pytest

from balm.qual import QualInputError
from balm.qual.project import (
    Case,
    Code,
    Coding,
    Note,
    Project,
    Source,
    Theme,
    ThemeMember,
    Turn,
    User,
    project_problems,
    validate_project,
)


def test_the_fixture_project_is_valid(project: Project) -> None:
    validate_project(project)
    assert project_problems(project) == []


def test_every_problem_is_listed(project: Project) -> None:
    s1 = project.sources[0]  # 73 characters
    project.users.append(User("u-dup", "Ann"))  # a second "Ann"
    project.codes.append(Code("c-x", "Orphan", parent="nope", color="red"))
    project.sources.append(Source("s-bad", "Bad", "a\r\nb", kind="podcast", case="no-case"))
    project.sources.append(dataclasses.replace(s1, id="s-turn", turns=(Turn(5, 80, "P03"),)))
    project.codings += [
        Coding("k1", s1.id, 70, 74, project.codes[0].id, project.users[0].id),  # past the end
        Coding("k2", s1.id, 10, 10, project.codes[0].id, project.users[0].id),  # empty
        Coding("k3", "no-source", 0, 1, project.codes[0].id, project.users[0].id),
        Coding("k4", s1.id, 0, 1, "no-code", "no-user", origin="machine"),
    ]
    project.notes += [
        Note("n1", "x", "no-user", kind="poem", target_kind="code", target="no-code"),
        Note("n2", "x", project.users[0].id, source=s1.id, start=3),  # half an anchor
    ]
    project.themes += [
        Theme("t1", "No case", "personal"),
        Theme("t2", "Group with case", "group", case=project.cases[0].id),
        Theme("t3", "Bad member", "theme", members=(ThemeMember("coding", "nope"),)),
        Theme("t4", "Loop A", "theme", parent="t5"),
        Theme("t5", "Loop B", "theme", parent="t4"),
    ]
    with pytest.raises(QualInputError) as caught:
        validate_project(project)
    problems = caught.value.problems
    expected = [
        "user name 'Ann' is used by 2 users",
        "code 'Orphan': unknown parent code id 'nope'",
        "code 'Orphan': colour 'red' is not of the form #rrggbb",
        "source 'Bad': kind 'podcast' is not one of",
        "source 'Bad': text is not normalised",
        "source 'Bad': unknown case id 'no-case'",
        "speaker turn: span [5, 80) is not inside the text (need 0 <= start < end <= 73)",
        "coding 'k1' in 'P03 interview': span [70, 74) is not inside the text",
        "coding 'k2' in 'P03 interview': span [10, 10) is not inside the text",
        "coding 'k3': unknown source id 'no-source'",
        "unknown code id 'no-code'",
        "unknown user id 'no-user'",
        "origin 'machine' is not one of person, suggestion",
        "note 'n1': kind 'poem' is not one of",
        "note 'n1': unknown code id 'no-code'",
        "note 'n2': an anchored note needs source, start and end",
        "theme 'No case': a personal theme belongs to one case; none given",
        "theme 'Group with case': a group theme spans cases; it takes no case",
        "theme 'Bad member': unknown coding id 'nope'",
        "theme 't4': its parents form a loop",
    ]
    for text in expected:
        assert any(text in p for p in problems), text
    assert str(caught.value).startswith(f"{len(problems)} problems:")


def test_case_variables_are_checked() -> None:
    project = Project("p", cases=[Case("c", "P01", {"site": ["a", "b"], " ": 1})])
    assert project_problems(project) == [
        "case 'P01': variable 'site' is list; use text, a whole number, a number, true/false, "
        "a date or a date-time",
        "case 'P01': a variable has an empty name",
    ]


def test_duplicate_ids() -> None:
    project = Project("p", users=[User("u", "A"), User("u", "B")])
    assert project_problems(project) == ["user id 'u' is used 2 times"]
