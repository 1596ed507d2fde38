"""The scores export's lines written by PostgreSQL's COPY (balm.outcomes.export_copy): byte for
byte the lines balm's own CSV writer makes of the same rows, whatever the texts and numbers."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from tests.web import factories
from tests.web.test_export_streamed import FORMULA, _answer, _checkin

from balm.outcomes import export_copy, score_rows
from balm.outcomes.export import checkins_table, scores_table
from balm.outcomes.export_copy import as_python_writes, fits
from balm.outcomes.models import CheckIn, Response
from balm.programmes.actions import record_attendance
from balm.programmes.models import Enrolment
from balm.web.downloads import csv_chunks, data_chunks, line_chunks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

#: Stored scores whose text PostgreSQL writes differently from Python (a number under 0.0001:
#: ``jsonb`` keeps ``0.00001``, ``repr`` gives ``1e-05``) or the same (the rest).
ODD_SCORES = {
    "total": 1e-05,
    "tiny": -1.5e-07,
    "edge": 0.0001,
    "third": 2 / 3,
    "big": 1e16,
    "whole": 7,
    "minus": -2.5,
    "total_band": "=x",
}


def _site(world: Any) -> Any:
    """Courses whose texts and numbers test every rule: a group name with a comma and quotes
    that a spreadsheet would run, a pseudonym that would run, one holding a carriage return, a
    group name holding a line end, the numbers of :data:`ODD_SCORES`, home practice summed
    (with and without check-ins) and a session attended."""
    odd = factories.cohort(world.site_a, name='+cmd, "odd"')
    broken = factories.cohort(world.site_a, name="two\nlines")
    formula = factories.enrol(factories.participant(world.site_a, FORMULA), odd)
    carriage = factories.enrol(factories.participant(world.site_a, "P\r9"), broken)
    _answer(formula, "phq9", "baseline", 2, 9)
    _answer(formula, "gad7", "baseline", 1, 7)
    _answer(formula, "phq9", "mid", 0, 9)
    _answer(carriage, "gad7", "end", 3, 7)
    _answer(world.enrolment_p1, "gad7", "end", 3, 7)
    _answer(world.enrolment_p2, "phq9", "baseline", 1, 9)
    Response.objects.filter(assessment__enrolment=world.enrolment_p2).update(scores=ODD_SCORES)
    score_rows.rebuild([world.enrolment_p2.pk])
    _checkin(formula, 1, 15, "")
    _checkin(formula, 2, 30, "")
    _checkin(world.enrolment_p1, 2, 0, "")
    session = world.cohort_a.sessions.order_by("number").first()
    session.date = datetime.date.today()
    session.save()
    record_attendance(session=session, marks={world.enrolment_p1: "present"}, by=None)
    return Enrolment.objects.filter(cohort__site=world.site_a)


def test_the_database_writes_the_lines_balm_writes(world: Any) -> None:
    enrolments = _site(world)
    for items in (False, True):
        table = scores_table(enrolments, items=items)
        assert table.data is not None
        copied = b"".join(data_chunks(table.columns, table.data))
        again, more = (scores_table(enrolments, items=items) for _ in range(2))
        assert again.lines is not None
        assert copied == b"".join(csv_chunks(again.columns, again.rows, again.text_cells))
        assert copied == b"".join(line_chunks(more.columns, more.lines)), items
        assert copied.count(b"\n") - copied.count(b"two\nlines") == table.count + 1 == 6
        # The numbers written as Python writes them, texts quoted as Python's writer does.
        read = csv.reader(io.StringIO(copied.decode(), newline=""))
        cells = {cell for row in read for cell in row}
        for text in ("1e-05", "-1.5e-07", "0.0001", "0.6666666666666666", "7", "-2.5"):
            assert text in cells, text
        assert "10000000000000000" in cells
        assert b'"\'+cmd, ""odd"""' in copied and b"P\r9" in copied and b'"P\r9' not in copied
        assert b",1,0.0," in copied  # P1: a session attended, 0 minutes of practice
        assert b",0,," in copied  # P2: none attended, no check-ins (blank minutes)
        # The enrolments given as a list, as some callers give them: the same file.
        listed = scores_table(list(enrolments), items=items)
        assert listed.data is not None
        assert b"".join(data_chunks(listed.columns, listed.data)) == copied
        assert b",45.0," in copied  # the formula's course: 15 + 30 minutes, as a float


def test_rows_written_again_by_python_are_unchanged_unless_they_differed(world: Any) -> None:
    """Every line COPY writes for the site above, read back and written by Python's csv module,
    is the line balm sends; exactly two differ (the carriage return PostgreSQL quotes, the
    numbers under 0.0001 ``jsonb`` writes out). Hand-made lines as PostgreSQL writes them."""
    enrolments = _site(world)
    table = scores_table(enrolments, items=True)
    assert table.data is not None
    sent = list(table.data)
    minutes = table.columns.index("practice_minutes")
    measures = table.columns[minutes + 1 :]
    answered = {m for m in measures if m.endswith(tuple(f"_q{n}" for n in range(1, 10)))}
    with connection.cursor() as cursor:
        statement, params = export_copy.scores_copy(enrolments, measures, answered)
        with cursor.cursor.copy(statement, params) as copy:
            raw = [bytes(block) for block in copy]
    numbers = (minutes + 1, len(table.columns))
    assert [as_python_writes(line, numbers, (minutes,)) for line in raw] == sent
    differed = [line for line, out in zip(raw, sent, strict=True) if line != out]
    assert len(differed) == 2
    assert b'"P\r9' in differed[0] + differed[1] and b"0.00001" in differed[0] + differed[1]
    raw = b"P1-c3,P1,Cohort A,site-a,group,other,baseline,0,0,12.0,0.00001,-0.000015,0.5,3,\n"
    assert (
        as_python_writes(raw, (10, 15), (9,))
        == b"P1-c3,P1,Cohort A,site-a,group,other,baseline,0,0,12.0,1e-05,-1.5e-05,0.5,3,\n"
    )
    assert as_python_writes(
        b'a,"P\r9",c,d,e,f,g,1,2,1e+15,1,0.00002,x0.00001\n', (10, 12), (9,)
    ) == (b"a,P\r9,c,d,e,f,g,1,2,1000000000000000.0,1,2e-05,x0.00001\n")


def test_the_download_sends_the_databases_lines(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolments = _site(world)
    sent: list[bytes] = []
    copied_lines = export_copy.copied_lines

    def counted(*args: Any) -> Any:
        for line in copied_lines(*args):
            sent.append(line)
            yield line

    monkeypatch.setattr(export_copy, "copied_lines", counted)
    client = Client()
    client.force_login(world.researcher_a)
    page = client.get(reverse("export-site", args=[world.site_a.pk]))
    table = scores_table(enrolments)
    assert page.getvalue() == b"".join(csv_chunks(table.columns, table.rows, table.text_cells))
    assert page.status_code == 200 and len(sent) == 5
    sent.clear()
    with_bands = client.get(reverse("export-site", args=[world.site_a.pk]) + "?bands=1")
    assert with_bands.status_code == 200 and b"phq9_total_band" in with_bands.getvalue()
    assert not sent


def test_a_download_stopped_half_way_leaves_the_connection_usable(world: Any) -> None:
    table = scores_table(_site(world))
    assert table.data is not None
    first = next(table.data)
    table.data.close()  # what Django does when the client goes away
    assert first.startswith(b"\"'=HYPERLINK")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert Enrolment.objects.filter(cohort__site=world.site_a).count() == 4


def test_what_one_statement_can_hold() -> None:
    assert fits(["phq9_total"] * export_copy.MAX_MEASURES)
    assert not fits(["phq9_total"] * (export_copy.MAX_MEASURES + 1))
    assert fits(["x" * 63]) and not fits(["x" * 64]) and not fits(["é" * 32])


def test_the_check_ins_lines_are_balms_too(world: Any) -> None:
    """The check-ins export: notes a spreadsheet would run, one holding quotes, a line end and
    a carriage return; stored scores PostgreSQL writes differently (under 0.0001), true and text
    (never exported), and a second instrument whose column only its own rows fill."""
    enrolments = _site(world)
    _checkin(world.enrolment_p2, 1, 20, '=cmd "quoted", \nnext\rline')
    _checkin(world.enrolment_p2, 2, 25, "@home")
    _checkin(world.enrolment_p2, 3, 30, "")
    odd = CheckIn.objects.get(enrolment=world.enrolment_p2, week=2)
    CheckIn.objects.filter(pk=odd.pk).update(
        scores={**odd.scores, "wellbeing": 1e-05, "flag": True, "word": "x"}
    )
    CheckIn.objects.filter(enrolment=world.enrolment_p2, week=3).update(
        instrument_id="other", scores={"wellbeing": 3, "total": 0.5}
    )
    for notes in (False, True):
        table = checkins_table(enrolments, notes=notes)
        assert table.data is not None
        copied = b"".join(data_chunks(table.columns, table.data))
        again = checkins_table(enrolments, notes=notes)
        assert copied == b"".join(csv_chunks(again.columns, again.rows, again.text_cells))
        assert "other_total" in table.columns and "checkin_word" not in table.columns
        listed = checkins_table([e.pk for e in enrolments], notes=notes)
        assert listed.data is not None
        assert b"".join(data_chunks(listed.columns, listed.data)) == copied
        read = list(csv.DictReader(io.StringIO(copied.decode(), newline="")))
        assert len(read) == table.count == 6
        assert [r["checkin_wellbeing"] for r in read if r["participant"] == "P2"] == [
            "",
            "1e-05",
            "",
        ]
        assert [r["other_wellbeing"] for r in read if r["participant"] == "P2"] == ["", "", "3"]
        if notes:
            assert read[-3]["note"] == '\'=cmd "quoted", \nnext\rline'
            assert read[-2]["note"] == "'@home"
