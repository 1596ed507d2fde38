"""The scores and check-ins exports' lines written by PostgreSQL (``COPY (SELECT ...) TO STDOUT
CSV``).

At 500 groups the scores export spent most of its Python time formatting cells (decoding each
row's scores, placing and writing them): about 0.4 s of CPU for 24,000 rows. PostgreSQL's own
CSV writer makes the same lines from one statement, in its parallel workers, and balm passes
its bytes on (about 0.12 s of Python CPU; the check-ins export 1.0 s to 0.3 s for 72,000 rows):
``docs/performance.md``, session 11.

The lines are byte for byte those balm's writer makes (the ``rows`` and ``lines`` of
:func:`balm.outcomes.export.scores_table` and :func:`balm.outcomes.export.checkins_table`;
``tests/web/test_export_copied.py`` holds them equal on PostgreSQL):

- the text cells are made safe for spreadsheets in SQL, by the rule of
  :func:`balm.cells.neutralise`; an empty text is written as NULL, so COPY leaves it unquoted
  as Python's writer does;
- each number cell is the number as ``jsonb`` writes it (the kept scores and answers are
  ``jsonb`` columns, :class:`balm.outcomes.jsonsql.JsonbText`, and check-in scores ``jsonb``;
  ``jsonb`` keeps the digits Python's ``repr`` stored, or the integer), which is what the
  Python writer gives back, except for a number under 0.0001 (``jsonb`` writes ``0.00001``,
  Python ``1e-05``);
- the home-practice minutes are summed as floats, and an integral sum gets Python's ``.0``
  (PostgreSQL writes a float from 1e15 on with an exponent, Python from 1e16 on);
- COPY quotes a text holding a carriage return, which Python's ``csv`` writer (3.11, with
  ``\\n`` line ends) leaves bare.

A row where these can differ (it holds ``0.0000``, a carriage return, ``e+`` or ``e-``) is read
back and written again by Python's ``csv`` module (:func:`as_python_writes`), so the file never
depends on which path wrote it. Other rows pass through untouched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

#: The most measures one statement selects (PostgreSQL allows 1,664 target columns); PostgreSQL
#: names are at most 63 bytes (a longer name would be cut and miss its JSON key). Beyond either,
#: balm writes the lines itself.
MAX_MEASURES = 1500
MAX_NAME_BYTES = 63


def fits(measures: Sequence[str]) -> bool:
    """Whether one COPY statement can hold these measure columns."""
    return len(measures) <= MAX_MEASURES and all(
        len(m.encode()) <= MAX_NAME_BYTES for m in measures
    )


def _name(identifier: str) -> str:
    """A quoted identifier in a statement with ``%s`` parameters (a ``%`` doubled)."""
    return '"' + identifier.replace('"', '""').replace("%", "%%") + '"'


def _literal(text: str) -> str:
    """``text`` as an SQL string literal (standard strings: a quote doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _safe(expression: str) -> str:
    """``expression`` (text) as :func:`balm.cells.neutralise` leaves it, empty text as NULL."""
    from balm.cells import FORMULA_STARTS

    starts = ", ".join(map(_literal, FORMULA_STARTS))
    return (
        f"NULLIF(CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN '''' || {expression} ELSE {expression} END, '')"
    )


class _Course(NamedTuple):
    """What both exports say of a row's course, for rows of a table with an ``enrolment_id``:
    the six text cells, the joins that give them, the enrolments in scope (a subquery and its
    parameters) and the ordering's first keys (cohort name, pseudonym and cohort id by code
    point, as :func:`balm.outcomes.export.scores_table` sorts)."""

    cells: list[str]
    joins: str
    scope: str
    params: list[Any]
    order: str


def _course(enrolments: Any, rows: str, alias: str, using: str) -> _Course:
    """The :class:`_Course` of rows of table ``rows`` (as ``alias``) for ``enrolments`` (a
    queryset, or enrolments or their keys)."""
    from django.db import connections
    from django.db.models import QuerySet

    from balm.accounts.models import Participant, Site
    from balm.programmes.models import Cohort, Enrolment

    q = connections[using].ops.quote_name
    if not isinstance(enrolments, QuerySet):
        keys = [getattr(enrolment, "pk", enrolment) for enrolment in enrolments]
        enrolments = Enrolment.objects.using(using).filter(pk__in=keys)
    scope, params = enrolments.order_by().values("pk").query.sql_with_params()
    cells = [
        _safe(f"p.{q('pseudonym')} || '-c' || e.{q('cohort_id')}"),
        _safe(f"p.{q('pseudonym')}"),
        _safe(f"c.{q('name')}"),
        _safe(f"s.{q('slug')}"),
        _safe(f"e.{q('format')}"),
        _safe(f"e.{q('diagnosis_category')}"),
    ]
    joins = (
        f"FROM {q(rows)} {alias} "
        f"JOIN {q(Enrolment._meta.db_table)} e ON e.id = {alias}.{q('enrolment_id')} "
        f"JOIN {q(Participant._meta.db_table)} p ON p.id = e.{q('participant_id')} "
        f"JOIN {q(Cohort._meta.db_table)} c ON c.id = e.{q('cohort_id')} "
        f"JOIN {q(Site._meta.db_table)} s ON s.id = c.{q('site_id')}"
    )
    order = (
        f'c.{q("name")} COLLATE "C", p.{q("pseudonym")} COLLATE "C", '
        f'e.{q("cohort_id")}::varchar COLLATE "C"'
    )
    return _Course(cells, joins, f"({scope})", list(params), order)


def scores_copy(
    enrolments: Any, measures: Sequence[str], answered: set[str], using: str = "default"
) -> tuple[str, list[Any]]:
    """The COPY statement writing the scores export's lines for a queryset of enrolments, and
    its parameters (bound by psycopg on the client: COPY takes none). ``answered`` are the
    measures read from the item answers; the others come from the scores. Sorted as
    :func:`balm.outcomes.export.scores_table` sorts (cohort name, pseudonym and cohort id by code
    point, timepoint, week)."""
    from django.db import connections

    from balm.outcomes.export import TIMEPOINT_ORDER
    from balm.outcomes.models import CheckIn, TimepointScores
    from balm.programmes.models import Attendance

    q = connections[using].ops.quote_name
    course = _course(enrolments, TimepointScores._meta.db_table, "t", using)
    ranks = " ".join(f"WHEN {_literal(v)} THEN {n}" for v, n in TIMEPOINT_ORDER.items())
    rank = f"CASE t.{q('timepoint')} {ranks} ELSE {len(TIMEPOINT_ORDER)} END"
    total = "m.total::text"
    minutes = (
        f"CASE WHEN strpos({total}, '.') > 0 OR strpos({total}, 'e') > 0 "
        f"OR strpos({total}, 'n') > 0 THEN {total} ELSE {total} || '.0' END"
    )
    scale_names = [m for m in measures if m not in answered]
    item_names = [m for m in measures if m in answered]
    sources = {m: "j" for m in scale_names} | {m: "k" for m in item_names}
    lateral = ""
    if scale_names:
        defined = ", ".join(f"{_name(m)} text" for m in scale_names)
        lateral += f" CROSS JOIN LATERAL jsonb_to_record(t.scores) AS j({defined})"
    if item_names:
        defined = ", ".join(f"{_name(m)} text" for m in item_names)
        lateral += f" CROSS JOIN LATERAL jsonb_to_record(t.answers) AS k({defined})"
    cells = [
        *course.cells,
        _safe(f"t.{q('timepoint')}"),
        f"t.{q('week')}",
        "coalesce(a.n, 0)",
        minutes,
        *(f"{sources[m]}.{_name(m)}" for m in measures),
    ]
    scope = course.scope
    select = (
        f"SELECT {', '.join(cells)} {course.joins}{lateral} "
        f"LEFT JOIN (SELECT {q('enrolment_id')} AS id, count(*) AS n "
        f"FROM {q(Attendance._meta.db_table)} WHERE {q('mark')} = 'present' "
        f"AND {q('enrolment_id')} IN {scope} GROUP BY 1) a ON a.id = e.id "
        f"LEFT JOIN (SELECT {q('enrolment_id')} AS id, sum({q('practice_minutes')}) AS total "
        f"FROM {q(CheckIn._meta.db_table)} WHERE {q('practice_minutes')} IS NOT NULL "
        f"AND {q('enrolment_id')} IN {scope} GROUP BY 1) m ON m.id = e.id "
        f"WHERE t.{q('enrolment_id')} IN {scope} "
        f"ORDER BY {course.order}, {rank}, t.{q('week')}"
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", course.params * 3


def checkins_copy(
    enrolments: Any,
    columns: dict[str, list[tuple[str, str]]],
    notes: bool,
    using: str = "default",
) -> tuple[str, list[Any]]:
    """The COPY statement writing the check-ins export's lines (see :func:`scores_copy`):
    ``columns`` maps each measure column, in order, to the (instrument, key) pairs whose number
    it holds; then the practice type and, with ``notes``, the note. Sorted as
    :func:`balm.outcomes.export.checkins_table` sorts (the course, then the week)."""
    from django.db import connections

    from balm.outcomes.models import CheckIn

    q = connections[using].ops.quote_name
    course = _course(enrolments, CheckIn._meta.db_table, "ch", using)
    picked: list[Any] = []  # the instruments and keys, bound before the scope's parameters
    cells = [*course.cells, f"ch.{q('week')}"]
    for pairs in columns.values():
        whens = []
        for instrument, key in pairs:
            value = f"ch.{q('scores')} -> %s"
            whens.append(
                f"WHEN ch.{q('instrument_id')} = %s AND jsonb_typeof({value}) = 'number' "
                f"THEN ch.{q('scores')} ->> %s"
            )
            picked += [instrument, key, key]
        cells.append(f"CASE {' '.join(whens)} END")
    cells.append(_safe(f"ch.{q('practice_type')}"))
    if notes:
        cells.append(_safe(f"ch.{q('note')}"))
    select = (
        f"SELECT {', '.join(cells)} {course.joins} "
        f"WHERE ch.{q('enrolment_id')} IN {course.scope} "
        f"ORDER BY {course.order}, ch.{q('week')}"
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", [*picked, *course.params]


def copied_lines(
    statement: str,
    params: Sequence[Any],
    numbers: tuple[int, int],
    floats: tuple[int, ...] = (),
    using: str = "default",
) -> Iterator[bytes]:
    """The rows COPY writes, each as the CSV line balm's writer makes (see the module's
    docstring; ``numbers`` and ``floats`` as in :func:`as_python_writes`), read as PostgreSQL
    sends them (libpq hands over one row at a time), so in constant memory. A download
    stopped half-way cancels the statement."""
    from django.db import connections

    with connections[using].cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for block in copy:
            line = bytes(block)
            # A row that may differ from Python's writing (see the module's docstring).
            if b"0.0000" in line or b"\r" in line or b"e+" in line or b"e-" in line:
                line = as_python_writes(line, numbers, floats)
            yield line


def _number(text: str) -> str:
    """A number cell as Python writes it: a float as its ``repr``, an integer as it is."""
    return repr(float(text)) if "." in text or "e" in text else text


def as_python_writes(data: bytes, numbers: tuple[int, int], floats: tuple[int, ...] = ()) -> bytes:
    """Lines as PostgreSQL's COPY wrote them, written again by Python's ``csv`` writer
    (``\\n`` line ends): what balm's own writer makes of the same rows. The cells from
    ``numbers[0]`` up to ``numbers[1]`` (the measures: numbers from JSON) are written as Python
    writes them back from the JSON (a float as its ``repr``, an integer as it is), each cell
    in ``floats`` (a float summed by the database) as its ``repr``, the others as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in csv.reader(io.StringIO(data.decode(), newline="")):
        for cell in floats:
            row[cell] = repr(float(row[cell])) if row[cell] else ""
        row[numbers[0] : numbers[1]] = [
            _number(cell) if cell else "" for cell in row[numbers[0] : numbers[1]]
        ]
        writer.writerow(row)
    return buffer.getvalue().encode()
