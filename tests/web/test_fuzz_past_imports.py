"""Hypothesis fuzz of the two imports of past groups, through the commands staff run
(``balm manage import_past`` and ``balm redcap import``; there is no page for them): whatever
the file holds, the answer is the import or a ``CommandError`` listing every problem (line,
column, allowed values); a refused file writes nothing to any table; an accepted one writes
what it says, and a second import of it writes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.web import factories

from balm.accounts.models import Participant
from balm.audit.models import AuditEvent
from balm.outcomes.models import Assessment, Response
from balm.programmes.models import Cohort, Enrolment, EnrolmentStatusChange, Session

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TABLES = (Participant, Cohort, Session, Enrolment, EnrolmentStatusChange, Assessment, Response)
PHQ = [f"phq9_q{i}" for i in range(1, 10)]
GAD = [f"gad7_q{i}" for i in range(1, 8)]
ITEMS = {"phq9": PHQ, "gad7": GAD}
TIMEPOINTS = ["baseline", "mid", "end", "follow_up"]
# The shipped 12-week template (src/balm/programmes/data/cft-persistent-pain-12.yaml):
# twelve sessions; PHQ-9 and GAD-7 each at all four timepoints.
WEEKS, SCHEDULED = 12, 4

# Every kind of bad cell: blank, out of range, wrong type, formula-like, unicode digits and
# marks, huge numbers, impossible or out-of-range dates, near-miss codes, too long.
BAD = [
    "", " ", "-1", "4", "99", "1.5", "x", "two", "=1+1", '=HYPERLINK("http://x")', "+1",
    "@SUM(A1)", "-0", "1e308", "1e400", "9" * 60, "nan", "inf", "NA", "NULL", "１", "٣",
    "Ⅲ", "e\u0301", "\u202e1", "\x00", "\ufeff", "0x1", "TRUE", "9999-12-31", "0001-01-01",
    "2023-02-30", "20230306", "withdrawn", "completed", "follow up", "week 12", "hybrid",
    "fibro", "x" * 41, "x" * 201, "no-such-template", "cft-persistent-pain-12",
]  # fmt: skip
bad_cell = st.one_of(
    st.sampled_from(BAD),
    st.text(max_size=30),
    st.dates().map(str),
    st.integers().map(str),
    st.floats().map(str),
)
weight = st.sampled_from(["0", "1", "2", "3"])


def answers(n: int) -> st.SearchStrategy[list[str]]:
    """All blank, all answered, or some blank (the engine prorates or refuses)."""
    return st.one_of(
        st.just([""] * n),
        st.lists(weight, min_size=n, max_size=n),
        st.lists(st.one_of(weight, st.just("")), min_size=n, max_size=n),
    )


def counts() -> tuple[int, ...]:
    return (*(t.objects.count() for t in TABLES), AuditEvent.objects.count())


def problems_of(error: CommandError) -> list[str]:
    head, *lines = str(error).splitlines()
    assert re.fullmatch(r"\d+ problem\(s\); nothing imported:", head), head
    assert lines and int(head.split()[0]) == len(lines)
    return [line.removeprefix("  ") for line in lines]


ALLOWED = ("one of", "from", "YYYY-MM-DD", "templates:", "events:", "items:", "mapping's records")


def assert_named(problem: str) -> None:
    """A problem names its line and column (or is about a column, the file or the mapping),
    and a bad value comes with the values allowed."""
    where = (
        r"line \d+, [^:]+: .+",  # a cell: line and column
        r"line \d+: .+ again \(first on line \d+\)",  # a repeated row: the whole line
        r"column \S+.*",
        r"no (answer )?column .+",
        r"file: .+",
        r"\S+: cannot read .+",
        r"\S+: send a \.csv or \.xlsx file",
        r"map\.yaml[ :].+",
    )
    assert any(re.fullmatch(p, problem, re.S) for p in where), problem
    if re.match(r"line \d+, [^:]+: .* is not ", problem):
        assert any(word in problem for word in ALLOWED), problem


def run(command: Callable[[], Any]) -> tuple[bool, list[str], tuple[int, ...]]:
    """Run an import: (accepted, problems, rows added per table)."""
    before = counts()
    try:
        command()
    except CommandError as error:
        problems = problems_of(error)
        assert counts() == before, "a refused file wrote something"
        for problem in problems:
            assert_named(problem)
        return False, problems, (0,) * len(before)
    return True, [], tuple(a - b for a, b in zip(counts(), before, strict=True))


def expected(rows: list[dict[str, str]]) -> tuple[int, ...]:
    """What an accepted file adds at a new site, worked out from the rows as written:
    one response per row and questionnaire with any answer (a blank is not an answer)."""
    clean = [{k: v.strip() for k, v in r.items()} for r in rows]
    people = {r["participant"] for r in clean}
    groups = {r["cohort"] for r in clean}
    courses = {(r["participant"], r["cohort"]) for r in clean}
    withdrawn = {(r["participant"], r["cohort"]) for r in clean if r.get("status") == "withdrawn"}
    collected = {
        (r["cohort"], i) for r in clean for i, cols in ITEMS.items() if any(r.get(c) for c in cols)
    }
    responses = sum(1 for r in clean for cols in ITEMS.values() if any(r.get(c) for c in cols))
    assessments = sum(SCHEDULED for person, group in courses for g, _ in collected if g == group)
    # History: referred, assessed, started, completed; or referred, withdrawn.
    history = sum(2 if course in withdrawn else 4 for course in courses)
    audit = 1 if rows else 0
    return (
        len(people),
        len(groups),
        WEEKS * len(groups),
        len(courses),
        history,
        assessments,
        responses,
        audit,
    )


# --- the past-groups file (CSV or XLSX) --------------------------------------------------------

PEOPLE = {  # pseudonym: diagnosis, status, reason (one course per person and group)
    "P01": ("fibromyalgia", "completed", ""),
    "P02": ("back_spinal", "withdrawn", "moved away"),
    "P03": ("crps", "", ""),
}
GROUPS = {"Spring 2023": "2023-03-06", "Autumn 2023": "2023-09-04"}
HEAD = ["participant", "cohort", "cohort_start", "diagnosis", "timepoint", "status"]
HEAD += ["status_reason", "template", "format", *PHQ, *GAD]
EXTRA = ["pdi_q1", "phq9_q10", "bdi_q1", "phq9_complete", "notes", "gad7_", "participant"]


@st.composite
def past_files(draw: st.DrawFn) -> tuple[list[str], list[dict[str, str]]]:
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        person = draw(st.sampled_from(sorted(PEOPLE)))
        group = draw(st.sampled_from(sorted(GROUPS)))
        diagnosis, status, reason = PEOPLE[person]
        rows.append(
            {
                "participant": person,
                "cohort": group,
                "cohort_start": GROUPS[group],
                "diagnosis": diagnosis,
                "timepoint": draw(st.sampled_from(TIMEPOINTS)),
                "status": status,
                "status_reason": reason,
                "template": draw(st.sampled_from(["", "cft-persistent-pain-12"])),
                "format": draw(st.sampled_from(["", "in_person"])) if group[0] == "S" else "",
                **dict(zip(PHQ, draw(answers(9)), strict=True)),
                **dict(zip(GAD, draw(answers(7)), strict=True)),
            }
        )
    if rows and draw(st.booleans()):
        rows.append(dict(rows[0]))  # the same row twice
    head = list(HEAD)
    for _ in range(draw(st.integers(0, 2))):  # spoil a cell
        if rows:
            spoilt = rows[draw(st.integers(0, len(rows) - 1))]
            spoilt[draw(st.sampled_from(head))] = draw(bad_cell)
    if draw(st.integers(0, 4)) == 0:  # spoil the header: an odd column, or one missing
        head = draw(st.permutations([*head, draw(st.sampled_from(EXTRA))]))[: len(head)]
    return head, rows


def write_past(path: Path, head: list[str], rows: list[dict[str, str]]) -> Path:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(head)
            writer.writerows([r.get(c, "") for c in head] for r in rows)
        return path
    book = openpyxl.Workbook()
    sheet = book.active
    for r, values in enumerate([dict(zip(head, head, strict=True)), *rows], start=1):
        for c, column in enumerate(head, start=1):
            value: Any = openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", values.get(column, ""))
            values[column] = value
            if r > 1 and re.fullmatch(r"[0-3]", value):
                value = int(value)  # a number cell, as a spreadsheet holds a typed answer
            elif r > 1 and column == "cohort_start" and value in GROUPS.values():
                value = dt.datetime.fromisoformat(value)  # a date cell
            cell = sheet.cell(r, c, value)
            if isinstance(value, str):
                cell.data_type = "s"  # text as typed, "=1+1" too (not a formula)
    book.save(path)
    return path


@pytest.fixture
def template():  # type: ignore[no-untyped-def]
    return factories.template()


def new_site() -> tuple[str, str]:
    """A new site and its administrator: what a file adds there is all there is."""
    site = factories.site()
    return site.slug, factories.staff("administrator", site).username


def _import_past(at: tuple[str, str], path: Path) -> Callable[[], Any]:
    site, by = at
    return lambda: call_command("import_past", site, str(path), "--by", by, stdout=io.StringIO())


@FUZZ
@given(file=past_files(), suffix=st.sampled_from([".csv", ".csv", ".xlsx"]))
def test_past_files_import_exactly_or_write_nothing(tmp_path, template, file, suffix) -> None:  # type: ignore[no-untyped-def]
    head, rows = file
    at = new_site()
    path = write_past(tmp_path / f"past{suffix}", head, rows)
    accepted, _, added = run(_import_past(at, path))
    event("accepted" if accepted else "refused")
    if accepted:
        assert added == expected(rows)
        again, _, added = run(_import_past(at, path))
        assert again and added == (0,) * len(added)


@FUZZ
@given(body=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_past_import_of_any_bytes_never_crashes(tmp_path, template, body, suffix) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"any{suffix}"
    path.write_bytes(body)
    run(_import_past(new_site(), path))


# --- the REDCap records export and its mapping ----------------------------------------------

EVENTS = {"baseline_arm_1": "baseline", "week_12_arm_1": "end"}
RECORDS = {"101": "P01", "102": {"pseudonym": "P02", "diagnosis": "crps"}}


@st.composite
def mappings(draw: st.DrawFn) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "events": dict(EVENTS),
        "cohort": "Winter 2022",
        "cohort_start": "2022-01-10",
        "diagnosis": "back_spinal",
    }
    if draw(st.booleans()):
        mapping["records"] = dict(RECORDS)
    if draw(st.integers(0, 2)) == 0:  # spoil one key
        key = draw(st.sampled_from(["events", "records", "cohort", "cohort_start", "weeks"]))
        mapping[key] = draw(
            st.one_of(
                bad_cell,
                st.just({"baseline_arm_1": "week 1"}),
                st.just({"baseline": "twelve"}),
                st.just({"101": ""}),
                st.lists(st.integers(), max_size=2),
                st.none(),
            )
        )
    if draw(st.integers(0, 5)) == 0:
        mapping[draw(st.sampled_from(["colour", "diagnosis", "template", "format"]))] = draw(
            bad_cell
        )
    return mapping


@st.composite
def redcap_files(draw: st.DrawFn) -> tuple[list[str], list[dict[str, str]]]:
    head = ["record_id", "redcap_event_name", *PHQ, "phq9_complete", *GAD]
    rows = [
        {
            "record_id": draw(st.sampled_from(["101", "102"])),
            "redcap_event_name": draw(st.sampled_from(sorted(EVENTS))),
            **dict(zip(PHQ, draw(answers(9)), strict=True)),
            "phq9_complete": "2",
            **dict(zip(GAD, draw(answers(7)), strict=True)),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    for _ in range(draw(st.integers(0, 2))):
        if rows:
            spoilt = rows[draw(st.integers(0, len(rows) - 1))]
            spoilt[draw(st.sampled_from(head))] = draw(bad_cell)
    if draw(st.integers(0, 4)) == 0:
        head = draw(st.permutations([*head, draw(st.sampled_from(EXTRA))]))[: len(head)]
    return head, rows


def _redcap_import(at: tuple[str, str], records: Path, mapping: Path) -> Callable[[], Any]:
    site, by = at
    return lambda: call_command(
        "redcap_import",
        site,
        str(records),
        "--map",
        str(mapping),
        "--by",
        by,
        stdout=io.StringIO(),
    )


def as_past_rows(rows: list[dict[str, str]], mapping: dict[str, Any]) -> list[dict[str, str]]:
    """The records as the past-groups rows they stand for (the mapping's pseudonym and group)."""
    people = mapping.get("records") or {}
    out = []
    for row in rows:
        person = people.get(row["record_id"].strip(), row["record_id"].strip())
        pseudonym = person["pseudonym"] if isinstance(person, dict) else person
        out.append({**row, "participant": pseudonym, "cohort": str(mapping["cohort"])})
    return out


@FUZZ
@given(file=redcap_files(), mapping=mappings())
def test_redcap_records_import_exactly_or_write_nothing(tmp_path, template, file, mapping) -> None:  # type: ignore[no-untyped-def]
    head, rows = file
    records = tmp_path / "records.csv"
    with records.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(head)
        writer.writerows([r.get(c, "") for c in head] for r in rows)
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), "utf-8")
    command = _redcap_import(new_site(), records, tmp_path / "map.yaml")
    accepted, _, added = run(command)
    event("accepted" if accepted else "refused")
    if accepted:
        assert added == expected(as_past_rows(rows, mapping))
        again, _, added = run(command)
        assert again and added == (0,) * len(added)


@FUZZ
@given(body=st.binary(max_size=300), mapping=st.one_of(st.binary(max_size=100), mappings()))
def test_redcap_import_of_any_bytes_never_crashes(tmp_path, template, body, mapping) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "records.csv").write_bytes(body)
    text = mapping if isinstance(mapping, bytes) else yaml.safe_dump(mapping).encode()
    (tmp_path / "map.yaml").write_bytes(text)
    run(_redcap_import(new_site(), tmp_path / "records.csv", tmp_path / "map.yaml"))


# --- what the fuzz found, one test each ---------------------------------------------------------


def refused(command: Callable[[], Any]) -> list[str]:
    accepted, problems, _ = run(command)
    assert not accepted
    return problems


def one_row(**cells: str) -> dict[str, str]:
    row = {"participant": "P01", "cohort": "G", "cohort_start": "2023-03-06"}
    row |= {"diagnosis": "crps", "timepoint": "end", **dict.fromkeys(PHQ, "1")}
    return row | cells


def test_a_file_named_xlsx_that_is_no_workbook_is_refused(tmp_path, template) -> None:  # type: ignore[no-untyped-def]
    """Was a ``zipfile.BadZipFile`` (or ``KeyError``, ``SyntaxError``) out of openpyxl."""
    import zipfile

    path = tmp_path / "past.xlsx"
    path.write_bytes(b"participant,cohort\n")
    assert "cannot read it as a workbook" in refused(_import_past(new_site(), path))[0]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    assert "cannot read it as a workbook" in refused(_import_past(new_site(), path))[0]


def test_a_start_date_out_of_range_is_a_problem_not_a_crash(tmp_path, template) -> None:  # type: ignore[no-untyped-def]
    """9999-12-31 was an ``OverflowError`` writing the group's sessions; a past group cannot
    start after today either."""
    rows = [one_row(cohort_start="9999-12-31"), one_row(cohort="H", cohort_start="2999-01-01")]
    path = write_past(tmp_path / "past.csv", HEAD[:5] + PHQ, rows)
    assert refused(_import_past(new_site(), path)) == [
        f"line {n}, cohort_start: {d!r} is not a date from 1900-01-01 to today (a past group's "
        "first session)"
        for n, d in ((2, "9999-12-31"), (3, "2999-01-01"))
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("typed", ["nan", "inf", "NA", "NULL"])
def test_typed_text_is_never_read_as_a_blank_answer(tmp_path, template, typed, suffix) -> None:  # type: ignore[no-untyped-def]
    """A "nan" cell was read as the float NaN and so as a blank answer; in a workbook, "NA" and
    "NULL" cells were blanks while the same CSV was refused. PHQ-9 answers are 0-3 (Kroenke,
    Spitzer & Williams 2001)."""
    path = write_past(tmp_path / f"past{suffix}", HEAD[:5] + PHQ, [one_row(phq9_q9=typed)])
    assert refused(_import_past(new_site(), path)) == [
        f"line 2, phq9_q9: {typed} is not a number (one of 0, 1, 2, 3)"
    ]


def test_a_line_break_in_a_bad_answer_stays_on_its_problem_line(tmp_path, template) -> None:  # type: ignore[no-untyped-def]
    path = write_past(tmp_path / "past.csv", HEAD[:5] + PHQ, [one_row(phq9_q1="0\n0")])
    assert refused(_import_past(new_site(), path)) == [
        "line 2, phq9_q1: '0\\n0' is not a number (one of 0, 1, 2, 3)"
    ]


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("records", "P01", "map.yaml records: a mapping (key: value, one a line), not 'P01'"),
        ("weeks", [12], "map.yaml weeks: a mapping (key: value, one a line), not [12]"),
        ("cohort", ["A", "B"], "map.yaml cohort: one value, not ['A', 'B']"),
    ],
)
def test_a_mapping_key_of_the_wrong_shape_is_a_problem(
    tmp_path, template, key, value, said
) -> None:  # type: ignore[no-untyped-def]
    """``records`` or ``weeks`` that were not mappings raised ``AttributeError``; a list as the
    group's name was taken as the text "['A', 'B']"."""
    records = tmp_path / "records.csv"
    records.write_text("record_id,redcap_event_name,phq9_q1\n101,baseline_arm_1,1\n", "utf-8")
    mapping = {"events": EVENTS, "cohort": "W", "cohort_start": "2022-01-10", key: value}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping), "utf-8")
    assert refused(_redcap_import(new_site(), records, tmp_path / "map.yaml")) == [said]


@pytest.mark.parametrize(
    "cells",
    [
        {"participant": "P\x0001"},
        {"cohort": "G\x00"},
        {"participant": "P\u202e10"},
        {"status": "withdrawn", "status_reason": "moved\x00"},
        {"phq9_q1": "1\x00"},
    ],
)
def test_a_nul_or_an_invisible_character_in_a_name_is_a_problem(tmp_path, template, cells) -> None:  # type: ignore[no-untyped-def]
    """A NUL was a ``DataError`` on PostgreSQL ("text fields cannot contain NUL"; SQLite stored
    it); names hold printable text only."""
    path = write_past(tmp_path / "past.csv", HEAD[:7] + PHQ, [one_row(**cells)])
    column, value = list(cells.items())[-1]
    assert refused(_import_past(new_site(), path)) == [
        f"line 2, {column}: {value!r} holds a control or invisible character (printable text only)"
    ]


def test_a_reader_error_is_one_problem_on_one_line(tmp_path, template) -> None:  # type: ignore[no-untyped-def]
    """YAML's errors (and the CSV parser's) run over several lines, which read as several
    problems."""
    records = tmp_path / "records.csv"
    records.write_text("record_id,redcap_event_name,phq9_q1\n101,baseline_arm_1,1\n", "utf-8")
    (tmp_path / "map.yaml").write_bytes(b"events: {a: baseline\n  - [")
    (problem,) = refused(_redcap_import(new_site(), records, tmp_path / "map.yaml"))
    assert problem.startswith("map.yaml: cannot read the mapping (while parsing a flow mapping")
    (tmp_path / "map.yaml").write_text(yaml.safe_dump({"events": EVENTS, "cohort": "W"}))
    records.write_text('record_id,redcap_event_name\n"101,baseline_arm_1\n', "utf-8")
    (problem,) = refused(_redcap_import(new_site(), records, tmp_path / "map.yaml"))
    assert problem.startswith("records.csv: cannot read as CSV (Error tokenizing data.")
