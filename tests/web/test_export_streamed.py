"""The streamed exports: rows in code-point order with hand-worked values, sent in chunks, and
text a spreadsheet would run written as text (OWASP, "CSV Injection").

(Before the in-memory exports were removed, a test compared the streamed files with theirs on
a rich fixture, every scope and option, on SQLite and PostgreSQL: commit "Stream the CSV
exports".)"""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd
import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from tests.web import factories

from balm import cells
from balm.outcomes import score_rows
from balm.outcomes.actions import submit_checkin, submit_response
from balm.outcomes.export import checkins_table, scores_table
from balm.outcomes.models import CheckIn, Response
from balm.programmes.models import Enrolment
from balm.web import downloads
from balm.web.downloads import csv_chunks, line_chunks

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("x")'


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answer(enrolment: Enrolment, instrument: str, timepoint: str, value: int, n: int) -> None:
    submit_response(
        assessment=enrolment.assessments.get(instrument_id=instrument, timepoint=timepoint),
        answers={f"q{i}": (value + i) % 4 if i % 3 else value for i in range(1, n + 1)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


def _checkin(enrolment: Enrolment, week: int, minutes: int, note: str) -> None:
    answers = {"q1": 6, "q2": week % 10, "q3": 4, "q4": 5, "q5": 7, "q6": minutes}
    submit_checkin(
        enrolment=enrolment,
        week=week,
        answers=answers,
        note=note,
        client_id=factories.client_id(),
        by=None,
    )


def _read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))


def _uniform(enrolment: Enrolment, timepoint: str, value: int) -> None:
    submit_response(
        assessment=enrolment.assessments.get(instrument_id="phq9", timepoint=timepoint),
        answers={f"q{i}": value for i in range(1, 10)},
        client_id=factories.client_id(),
        entry_mode="staff_paper",
        by=None,
    )


def test_rows_in_code_point_order_with_hand_worked_totals(world: Any) -> None:
    """Two groups named "Cohort A"; people "B1", "P1" (in both) and "b2". Code-point order puts
    "B1" < "P1" < "b2" (a locale collation would put "b2" before "P1"), and P1's two courses
    in the order of their ``enrolment`` text. PHQ-9 total = sum of the nine items (Kroenke,
    Spitzer & Williams 2001): all 2 -> 18, all 1 -> 9, all 3 -> 27, all 0 -> 0."""
    twin = factories.cohort(world.site_a, name="Cohort A")
    a, t = world.cohort_a.pk, twin.pk
    b1 = factories.enrol(factories.participant(world.site_a, "B1"), world.cohort_a)
    b2 = factories.enrol(factories.participant(world.site_a, "b2"), twin)
    p1_twin = factories.enrol(world.p1, twin)
    _uniform(b1, "end", 1)
    _uniform(b1, "baseline", 2)
    _uniform(b2, "baseline", 3)
    _uniform(world.enrolment_p1, "mid", 0)
    _uniform(p1_twin, "baseline", 1)
    page = client_for(world.researcher_a).get(reverse("export-site", args=[world.site_a.pk]))
    frame = _read(page.getvalue())
    p1_courses = sorted([(f"P1-c{a}", "mid", 0), (f"P1-c{t}", "baseline", 9)])
    expected = [(f"B1-c{a}", "baseline", 18), (f"B1-c{a}", "end", 9), *p1_courses]
    expected.append((f"b2-c{t}", "baseline", 27))
    got = list(zip(frame["enrolment"], frame["timepoint"], frame["phq9_total"], strict=True))
    assert got == expected
    assert list(frame.columns[:10]) == [
        *("enrolment", "participant", "cohort", "site", "format", "diagnosis"),
        *("timepoint", "week", "sessions_attended", "practice_minutes"),
    ]
    assert list(frame.columns[10:]) == sorted(frame.columns[10:])


def test_text_a_spreadsheet_would_run_is_written_as_text(world: Any) -> None:
    """A pseudonym ``=HYPERLINK("x")``, a group "+cmd" and a note "@x" get a leading
    apostrophe; a score of -3 stays the number -3."""
    plus = factories.cohort(world.site_a, name="+cmd")
    enrolment = factories.enrol(factories.participant(world.site_a, FORMULA), plus)
    _uniform(enrolment, "baseline", 1)
    # No instrument gives -3; stored as if it had, and the export's kept row made again from it.
    Response.objects.filter(assessment__enrolment=enrolment).update(scores={"total": -3})
    score_rows.rebuild([enrolment.pk])
    _checkin(enrolment, 1, 15, "@x")
    client = client_for(world.facilitator_a)
    scores = client.get(reverse("export-cohort", args=[plus.pk])).getvalue().decode()
    rows = list(csv.reader(io.StringIO(scores)))
    assert rows[1][:3] == [f"'{FORMULA}-c{plus.pk}", f"'{FORMULA}", "'+cmd"]
    assert rows[1][rows[0].index("phq9_total")] == "-3"
    assert _read(scores.encode())["phq9_total"].tolist() == [-3]
    url = reverse("export-checkins") + f"?cohort={plus.pk}&notes=1"
    checkins = list(csv.reader(io.StringIO(client.get(url).getvalue().decode())))
    assert checkins[1][checkins[0].index("note")] == "'@x"
    assert checkins[1][checkins[0].index("checkin_practice_minutes")] == "15.0"


def test_csv_chunks_neutralise_text_only() -> None:
    columns = ["name", "value", "note"]
    rows = [["\tTAB", -3, "\rCR"], ["-dash", -1.5, None], ["plain", 0, "+"]]
    text = b"".join(csv_chunks(columns, iter(rows))).decode()
    assert text == "name,value,note\n'\tTAB,-3,'\rCR\n'-dash,-1.5,\nplain,0,'+\n"


def test_csv_chunks_check_only_the_cells_said_to_hold_text() -> None:
    rows = [["=x", -3, "+y"]]
    text = b"".join(csv_chunks(["a", "b", "c"], iter(rows), text_cells=(0,))).decode()
    assert text == "a,b,c\n'=x,-3,+y\n"


def test_only_the_text_cells_an_export_names_hold_text(world: Any) -> None:
    """The cells a table says hold no text (so are not checked for formulas) hold none: every
    cell of every row of the scores (without bands: with them, every cell is checked) and
    check-ins exports, with a pseudonym and a group name a spreadsheet would run."""
    plus = factories.cohort(world.site_a, name="+cmd")
    enrolment = factories.enrol(factories.participant(world.site_a, FORMULA), plus)
    _uniform(enrolment, "baseline", 1)
    _uniform(world.enrolment_p1, "baseline", 2)
    _checkin(enrolment, 1, 15, "@x")
    enrolments = Enrolment.objects.filter(cohort__site=world.site_a)
    tables = [scores_table(enrolments), checkins_table(enrolments, notes=True)]
    assert scores_table(enrolments, bands=True).text_cells is None
    for table in tables:
        assert table.text_cells is not None
        rows = list(table.rows)
        assert len(rows) == table.count > 0
        for row in rows:
            texts = {n for n, value in enumerate(row) if isinstance(value, str)}
            assert texts <= set(table.text_cells), [table.columns[n] for n in texts]


def test_exports_stream_in_chunks(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """More rows than a chunk: several pieces sent, nothing lost."""
    monkeypatch.setattr(downloads, "CHUNK_ROWS", 1)
    for week in (1, 2, 3):
        _checkin(world.enrolment_p1, week, week, "")
    page = client_for(world.researcher_a).get(
        reverse("export-checkins") + f"?cohort={world.cohort_a.pk}"
    )
    assert isinstance(page, StreamingHttpResponse)
    pieces = list(page.streaming_content)
    assert len(pieces) >= 4
    assert _read(b"".join(pieces))["week"].tolist() == [1, 2, 3]


def test_the_database_keeps_each_checkins_practice_minutes(world: Any) -> None:
    """``CheckIn.practice_minutes`` (a generated column) is the number under
    ``practice_minutes`` in the scores, whatever writes them, and blank for anything else."""
    _checkin(world.enrolment_p1, 1, 25, "")
    checkin = CheckIn.objects.get(enrolment=world.enrolment_p1, week=1)
    assert checkin.practice_minutes == 25.0
    for stored, kept in ((12.5, 12.5), (0, 0.0), ("30", None), (True, None), (None, None)):
        CheckIn.objects.filter(pk=checkin.pk).update(scores={"practice_minutes": stored})
        checkin.refresh_from_db()
        assert checkin.practice_minutes == kept, stored
    CheckIn.objects.filter(pk=checkin.pk).update(scores={"mood": 3})
    checkin.refresh_from_db()
    assert checkin.practice_minutes is None


def test_the_fast_formula_checks_agree_with_the_rule() -> None:
    """The row and cell checks look at the first character; every start of the rule (OWASP,
    "CSV Injection") is one character, so they agree with ``neutralise`` on every value."""
    assert all(len(start) == 1 for start in cells.FORMULA_STARTS)
    values = ["", "plain", "'=quoted", "a=b", 3, -3, 2.5, None, True]
    values += [start + "x" for start in cells.FORMULA_STARTS] + list(cells.FORMULA_STARTS)
    expected = [cells.neutralise(v) for v in values]
    assert cells.neutralise_row(values) == expected
    assert cells.neutralise_cells(list(values), range(len(values))) == expected
    assert [e for v, e in zip(values, expected, strict=True) if e != v] == [
        *("'" + start + "x" for start in cells.FORMULA_STARTS),
        *("'" + start for start in cells.FORMULA_STARTS),
    ]


def test_the_scores_exports_written_lines_are_its_rows_written(world: Any) -> None:
    """The scores export sends lines it writes itself (balm.csv_text); they are byte for byte
    what the CSV writer makes of its rows, with and without items: a group name with a comma
    and quotes, a pseudonym a spreadsheet would run, gaps, a float score, courses with and
    without check-ins. With bands it has no lines (the rows are written)."""
    odd = factories.cohort(world.site_a, name='+cmd, "odd"')
    formula = factories.enrol(factories.participant(world.site_a, FORMULA), odd)
    _answer(formula, "phq9", "baseline", 2, 9)
    _answer(formula, "gad7", "baseline", 1, 7)
    _answer(formula, "phq9", "mid", 0, 9)
    _answer(world.enrolment_p1, "gad7", "end", 3, 7)
    _answer(world.enrolment_p2, "phq9", "baseline", 1, 9)
    Response.objects.filter(assessment__enrolment=world.enrolment_p2).update(
        scores={"total": 2 / 3, "total_band": "=x"}
    )
    score_rows.rebuild([world.enrolment_p2.pk])
    _checkin(formula, 1, 15, "")
    _checkin(world.enrolment_p1, 2, 0, "")
    enrolments = Enrolment.objects.filter(cohort__site=world.site_a)
    for items in (False, True):
        table, again = (scores_table(enrolments, items=items) for _ in range(2))
        assert table.lines is not None
        written = b"".join(csv_chunks(table.columns, table.rows, table.text_cells))
        assert b"".join(line_chunks(again.columns, again.lines)) == written, items
        assert written.count(b"\n") == table.count + 1 == 5
        assert b"0.6666666666666666" in written and b'"\'+cmd, ""odd"""' in written
    assert scores_table(enrolments, bands=True).lines is None
    page = client_for(world.researcher_a).get(reverse("export-site", args=[world.site_a.pk]))
    table = scores_table(enrolments)
    assert page.getvalue() == b"".join(csv_chunks(table.columns, table.rows, table.text_cells))


def test_line_chunks_send_the_header_then_the_lines_in_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(downloads, "CHUNK_ROWS", 2)
    pieces = list(line_chunks(["=a", "b"], iter(["1,2\n", "3,4\n", "5,6\n"])))
    assert pieces == [b"'=a,b\n1,2\n", b"3,4\n5,6\n", b""]
