"""Tidy exports for researchers: one row per course of treatment per timepoint (or per week).

The frames are what ``balm change`` and ``balm trend`` read as they are: an id column, a time
column (``timepoint`` or the numeric ``week``) and one numeric column per instrument scale
(``phq9_total``, ``dass21_depression`` ...).

The id column is ``enrolment``: one person's course of treatment in one cohort, written as the
pseudonym and the cohort's number, ``<pseudonym>-c<cohort id>`` (``P07-c12``). A person who
took part in two cohorts at a site has two courses, each with its own pre and post scores, so a
site export gives ``balm change --id enrolment`` (or R's clinicalsignificance with
``id = enrolment``) one row per course, as a change analysis expects. ``participant`` (the
pseudonym) is kept beside it, for analyses of people rather than courses (for instance a course
nested in its person); with ``--id participant`` a site export of a person in two cohorts is
ambiguous, and ``balm change`` refuses it. Within one cohort the two columns identify the same
rows.

Columns: ``enrolment``, ``participant`` (pseudonym), ``cohort`` (its name), ``site`` (short
name), ``format``, ``diagnosis`` (category code), ``timepoint`` (baseline, mid, end, follow_up;
scores only), ``week``, then ``<instrument>_<scale>`` (and ``<instrument>_<scale>_band`` when
asked) or, for check-ins, ``checkin_<scale>`` and ``practice_type``.

Only fields the export policy (:mod:`balm.audit.export_policy`) keeps are exported: the
pseudonym, never a name or e-mail; no free text. Scores are the stored engine scores; nothing
is computed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import orjson
import pandas as pd

from balm.cells import neutralise
from balm.csv_text import CellText, NumberCells
from balm.programmes.templates import Timepoint

ID_COLUMNS = (
    "enrolment",
    "participant",
    "cohort",
    "site",
    "format",
    "diagnosis",
    "timepoint",
    "week",
)
CHECKIN_ID_COLUMNS = ("enrolment", "participant", "cohort", "site", "format", "diagnosis", "week")
TIMEPOINT_ORDER = {value: rank for rank, value in enumerate(Timepoint.values)}

#: The model field behind every exported column; a test checks each is ``keep`` in
#: :data:`balm.audit.export_policy.EXPORT_POLICY`, so nothing identifying or free text leaks.
SOURCE_FIELDS: dict[str, tuple[str, str]] = {
    "participant": ("accounts.participant", "pseudonym"),
    "cohort": ("programmes.cohort", "name"),
    "site": ("accounts.site", "slug"),
    "format": ("programmes.enrolment", "format"),
    "diagnosis": ("programmes.enrolment", "diagnosis_category"),
    "timepoint": ("outcomes.assessment", "timepoint"),
    "week": ("outcomes.assessment", "week"),
    "<instrument>_<scale>": ("outcomes.response", "scores"),
    "checkin week": ("outcomes.checkin", "week"),
    "checkin_<scale>": ("outcomes.checkin", "scores"),
    "practice_type": ("outcomes.checkin", "practice_type"),
    "sessions_attended": ("programmes.attendance", "mark"),
    "practice_minutes": ("outcomes.checkin", "practice_minutes"),
    "<instrument>_<item>": ("outcomes.response", "answers"),
    "<step>_on": ("programmes.enrolmentstatuschange", "on"),
    "session": ("programmes.session", "number"),
    "session date": ("programmes.session", "date"),
    "title": ("programmes.sessionplan", "title"),
    "attended": ("programmes.attendance", "mark"),
    "enrolled": ("programmes.attendance", "mark"),
}

#: Free-text columns, exported only when asked and allowed (clinical staff of the site, or a
#: researcher where the site allows it: ``Site.researchers_see_checkin_notes``).
FREE_TEXT_FIELDS: dict[str, tuple[str, str]] = {
    "note": ("outcomes.checkin", "note"),
    "withdrawal_reason": ("programmes.enrolmentstatuschange", "reason"),
    "feedback": ("programmes.session", "facilitator_feedback"),
    "reflections": ("programmes.session", "reflections"),
}

#: The columns of the sessions export, in order (what ``balm report --sessions`` reads).
SESSION_COLUMNS = (
    "cohort",
    "session",
    "date",
    "title",
    "attended",
    "enrolled",
    "feedback",
    "reflections",
)

#: Per-course columns added to the scores export after the id columns.
COURSE_COLUMNS = ("sessions_attended", "practice_minutes")

#: Columns written from several fields (each ``keep`` in the export policy too).
COMPOSED_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "enrolment": (("accounts.participant", "pseudonym"), ("programmes.cohort", "id")),
}


def enrolment_id(pseudonym: str, cohort_id: int) -> str:
    """The ``enrolment`` column: one person's course in one cohort (``P07-c12``). Unique:
    a pseudonym is unique at its site and a cohort belongs to one site."""
    return f"{pseudonym}-c{cohort_id}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as the CSV file every export serves (UTF-8, no index, ``\n`` line ends): the
    web downloads and the Evaluation page use this one function, so both hold the same bytes."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def score_columns(
    instrument_id: str, scores: dict[str, Any], *, bands: bool = False
) -> dict[str, Any]:
    """``{"<instrument>_<scale>": value}`` for the numeric scores (and ``*_band`` text when
    ``bands``). Pure."""
    out: dict[str, Any] = {}
    for key, value in scores.items():
        if _is_number(value) or (bands and key.endswith("_band") and isinstance(value, str)):
            out[f"{instrument_id}_{key}"] = value
    return out


#: The types JSON numbers decode to (``type(v) in`` leaves out bool, which is no number).
_JSON_NUMBERS = (int, float)


class _Slots:
    """Where each stored score goes in an output row: the cell of ``<instrument>_<key>`` in
    ``at``, for the values :func:`score_columns` keeps (numbers; band text with ``bands``).
    The column of each instrument and key is found once, not at every row: the streamed
    exports' hot path. Values must be decoded JSON (int, float, bool, str ...)."""

    def __init__(self, at: dict[str, int], *, bands: bool) -> None:
        self._at = at
        self._bands = bands
        self._known: dict[str, dict[str, tuple[int, bool]]] = {}

    def fill(self, out: list[Any], instrument: str, scores: dict[str, Any]) -> None:
        known = self._known.get(instrument)
        if known is None:
            known = self._known[instrument] = {}
        for key, value in scores.items():
            slot = known.get(key)
            if slot is None:
                column = f"{instrument}_{key}"
                slot = known[key] = (
                    self._at.get(column, -1),
                    self._bands and key.endswith("_band"),
                )
            cell, text = slot
            if cell >= 0 and (type(value) in _JSON_NUMBERS or (text and type(value) is str)):
                out[cell] = value


def _as_text(*fields: str) -> dict[str, Any]:
    """``<field>_text``: a JSON field as the text the database holds, decoded by the export
    with orjson (the ORM's decoding per row was most of the streamed exports' Python time;
    the values, and so the bytes written, are the same)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    return {f"{field}_text": Cast(field, TextField()) for field in fields}


def _export_order(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["cohort"],
        row["participant"],
        row["enrolment"],
        TIMEPOINT_ORDER.get(row["timepoint"], len(TIMEPOINT_ORDER)),
        row["week"],
    )


def _measures(columns: Iterable[str], fixed: Iterable[str]) -> list[str]:
    return sorted(set(columns) - set(fixed))


def tidy_scores(rows: Iterable[dict[str, Any]], *, bands: bool = False) -> pd.DataFrame:
    """The long frame from plain rows, one per response (pure, no database).

    Each row has the :data:`ID_COLUMNS`, ``instrument`` and ``scores``. Rows of the same
    enrolment and timepoint are merged into one; the week of a timepoint is the earliest
    scheduled week of its instruments. Sorted by cohort, participant, enrolment and timepoint.
    The same merge as the streamed export (:func:`scores_table`), on rows held in memory.
    """
    ordered = sorted(rows, key=_export_order)
    measures = _measures(
        (c for r in ordered for c in score_columns(r["instrument"], r["scores"], bands=bands)),
        ID_COLUMNS,
    )
    width = len(ID_COLUMNS)
    at = {column: width + n for n, column in enumerate(measures)}
    merged: list[list[Any]] = []
    key: tuple[Any, Any] | None = None
    for r in ordered:
        if (r["enrolment"], r["timepoint"]) != key:
            key = (r["enrolment"], r["timepoint"])
            merged.append([*(r[c] for c in ID_COLUMNS), *([None] * len(measures))])
        elif r["week"] < merged[-1][7]:
            merged[-1][7] = r["week"]
        for column, value in score_columns(r["instrument"], r["scores"], bands=bands).items():
            merged[-1][at[column]] = value
    frame = pd.DataFrame(merged, columns=[*ID_COLUMNS, *measures])
    frame["week"] = frame["week"].astype("int64")
    return frame


class Table(NamedTuple):
    """An export before it is written: its columns and an iterator over its rows (lists in
    column order, read once). ``count`` is how many rows the iterator will give; ``text_cells``
    are the only cells that can hold text (None: any), the ones a file writer must make safe
    for spreadsheets (:func:`balm.cells.neutralise_cells`). ``lines``, when given, is the same
    rows as the CSV file's lines, already written (text made safe, ``\n`` ends); ``data``, when
    given, the same lines as bytes, written by the database (:mod:`balm.outcomes.export_copy`).
    A CSV writer sends one of ``data``, ``lines`` and ``rows``, never two."""

    columns: list[str]
    rows: Iterator[list[Any]]
    count: int
    text_cells: tuple[int, ...] | None = None
    lines: Iterator[str] | None = None
    data: Iterator[bytes] | None = None


def _text_order(expression: Any) -> Any:
    """``expression`` compared by code point (as Python compares text), whatever the
    database's collation: PostgreSQL's default locale collation sorts "b" before "C"."""
    from django.db import connection
    from django.db.models.functions import Collate

    return Collate(expression, "C" if connection.vendor == "postgresql" else "BINARY")


def _by_course(enrolment: str) -> tuple[Any, ...]:
    """The export order's first keys, through the enrolment path ``enrolment`` (``"..__"``):
    cohort name, pseudonym and cohort id, each compared by code point."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    return (
        _text_order(f"{enrolment}cohort__name"),
        _text_order(f"{enrolment}participant__pseudonym"),
        _text_order(Cast(f"{enrolment}cohort_id", CharField())),
    )


def _course_fields(enrolment: str) -> tuple[str, ...]:
    """What every export row says of its course, through the enrolment path ``enrolment``:
    pseudonym and cohort id (the ``enrolment`` column is made of them), cohort name, site,
    format, diagnosis."""
    return tuple(
        f"{enrolment}{field}"
        for field in (
            "participant__pseudonym",
            "cohort_id",
            "cohort__name",
            "cohort__site__slug",
            "format",
            "diagnosis_category",
        )
    )


def _columns_of(keys: set[tuple[str, str, str]], *, bands: bool) -> set[str]:
    return {
        f"{label}_{key}"
        for label, key, kind in keys
        if kind == "number" or (bands and kind == "text" and key.endswith("_band"))
    }


def scores_table(enrolments: Any, *, bands: bool = False, items: bool = False) -> Table:
    """The tidy scores of a queryset of enrolments (pseudonyms only), one row per enrolment
    per timepoint with a response, streamed from the database in export order (sorted by
    cohort, participant, enrolment, timepoint) in constant memory; with the course's
    ``sessions_attended`` (sessions marked present) and ``practice_minutes`` (home practice
    summed over its check-ins, blank when it sent none), and with ``items`` each item's
    answer as ``<instrument>_<item>``.

    Read from the rows kept merged as the responses were written
    (:mod:`balm.outcomes.score_rows`): one stored row per output row. The columns come from
    the rows' few distinct ``kinds``; a cell holds what :func:`score_columns` gives (numbers;
    with ``bands`` the band texts) or the item's numeric answer. On PostgreSQL, without
    ``bands``, the table's ``data`` is the same lines written by the database
    (:mod:`balm.outcomes.export_copy`)."""
    from django.db import connections
    from django.db.models import Count

    from balm.outcomes.export_copy import copied_lines, fits, scores_copy
    from balm.outcomes.models import TimepointScores
    from balm.outcomes.score_rows import NUMBER, TEXT

    kept = TimepointScores.objects.filter(enrolment__in=enrolments).order_by()
    wanted = {NUMBER, TEXT} if bands else {NUMBER}
    columns: set[str] = set()
    count = 0  # the rows, counted in the same pass over the kept rows as their kinds
    for kinds, n in kept.values("kinds").annotate(n=Count("pk")).values_list("kinds", "n"):
        columns.update(c for c, kind in orjson.loads(kinds).items() if kind in wanted)
        count += n
    answered: set[str] = set()  # the item columns
    for texts in kept.values_list("items", flat=True).distinct() if items else ():
        for instrument, ids in orjson.loads(texts).items():
            answered.update(f"{instrument}_{item}" for item in ids)
    measures = sorted(columns | answered)
    texts = ["scores", *(["bands"] if bands else []), *(["answers"] if items else [])]
    ordered = kept.order_by(
        *_by_course("enrolment__"), _timepoint_rank("timepoint"), "week"
    ).values_list("enrolment_id", *_course_fields("enrolment__"), "timepoint", "week", *texts)

    def rows() -> Iterator[list[Any]]:
        loads = orjson.loads
        attended, minutes = _course_totals(enrolments)
        for course, pseudonym, cohort_id, *rest in _streamed(ordered):
            values = loads(rest[6])
            for more in rest[7:]:  # band texts, then answers (an item never shares a scale's name)
                values.update(loads(more))
            yield [
                enrolment_id(pseudonym, cohort_id),
                pseudonym,
                *rest[:6],
                attended.get(course, 0),
                minutes.get(course),
                *map(values.get, measures),
            ]

    def lines() -> Iterator[str]:
        # rows() written as CSV text: the course's cells and each timepoint's once, the numbers
        # through a template per pattern of columns (balm.csv_text; equal to writing rows()).
        loads = orjson.loads
        attended, minutes = _course_totals(enrolments)
        cell_text = CellText()
        numbers = NumberCells(measures)
        timepoints: dict[str, str] = {}
        last = None
        head = tail = ""
        # A row: the enrolment's key, the six course fields, timepoint, week, scores[, answers]
        # (indexed, not unpacked: this loop runs once per line).
        for row in _streamed(ordered):
            if row[0] != last:
                last = row[0]
                name = enrolment_id(row[1], row[2])
                head = cell_text([*map(neutralise, (name, row[1], *row[3:7]))]) + ","
                totals = cell_text([attended.get(last, 0), minutes.get(last)])
                tail = f",{totals}," if measures else f",{totals}\n"
            timepoint = timepoints.get(row[7])
            if timepoint is None:
                timepoint = timepoints[row[7]] = cell_text([neutralise(row[7])]) + ","
            if not measures:
                yield f"{head}{timepoint}{row[8]}{tail}"
                continue
            values = loads(row[9])
            if items:  # an item never shares a scale's name
                values.update(loads(row[10]))
            yield f"{head}{timepoint}{row[8]}{tail}{numbers(values)}\n"

    # The kept numbers and answers are numbers; band texts are text (asked for: any cell may be).
    text_cells = None if bands else tuple(range(ID_COLUMNS.index("week")))
    data = None
    if not bands and connections[kept.db].vendor == "postgresql" and fits(measures):
        first = len(ID_COLUMNS) + len(COURSE_COLUMNS)
        data = copied_lines(
            *scores_copy(enrolments, measures, answered, kept.db),
            (first, first + len(measures)),
            (ID_COLUMNS.index("week") + 2,),  # the practice minutes
            kept.db,
        )
    return Table(
        [*ID_COLUMNS, *COURSE_COLUMNS, *measures],
        rows(),
        count,
        text_cells,
        None if bands else lines(),
        data,
    )


#: Rows fetched from the database at a time by the streamed exports.
CHUNK_ROWS = 2000


def _streamed(rows: Any) -> Iterator[Any]:
    """The rows of a query from a server-side cursor, inside a transaction: PostgreSQL then
    sends them as it makes them. Outside one, Django declares the cursor ``WITH HOLD``, and
    PostgreSQL makes and stores every row (to disk, for a site's years) before the first is
    sent. Read only; a download stopped half-way rolls back nothing."""
    from django.db import transaction

    with transaction.atomic():
        yield from rows.iterator(chunk_size=CHUNK_ROWS)


def _timepoint_rank(field: str) -> Any:
    """The place of the timepoint in ``field`` in :data:`TIMEPOINT_ORDER` (unknown ones last)."""
    from django.db.models import Case, IntegerField, Value, When

    return Case(
        *(When(**{field: v}, then=Value(n)) for v, n in TIMEPOINT_ORDER.items()),
        default=Value(len(TIMEPOINT_ORDER)),
        output_field=IntegerField(),
    )


def scores_frame(enrolments: Any, *, bands: bool = False, items: bool = False) -> pd.DataFrame:
    """:func:`scores_table` as a data frame (for small sets: it holds every row)."""
    table = scores_table(enrolments, bands=bands, items=items)
    return pd.DataFrame(list(table.rows), columns=table.columns)


def _course_totals(enrolments: Any) -> tuple[dict[int, int], dict[int, float]]:
    """Per enrolment (its key): sessions marked present; home-practice minutes (only courses
    with a number of minutes in some check-in). Counted and summed by the database."""
    from django.db.models import Count, Sum

    from balm.outcomes.models import CheckIn
    from balm.programmes.models import Attendance

    attended: dict[int, int] = dict(
        Attendance.objects.filter(enrolment__in=enrolments, mark="present")
        .values("enrolment_id")
        .annotate(n=Count("id"))
        .values_list("enrolment_id", "n")
        .order_by()
    )
    minutes = {
        pk: float(total)
        for pk, total in CheckIn.objects.filter(
            enrolment__in=enrolments, practice_minutes__isnull=False
        )
        .values("enrolment_id")
        .annotate(total=Sum("practice_minutes"))
        .values_list("enrolment_id", "total")
        .order_by()
    }
    return attended, minutes


def checkins_table(enrolments: Any, *, notes: bool = False) -> Table:
    """The weekly check-ins of a queryset of enrolments, one row per enrolment per week,
    streamed in export order (cohort, participant, enrolment, week): the numeric check-in
    scales as ``checkin_<scale>`` and the practice type (a code); with ``notes`` (the caller
    has checked who may have them) the participant's ``note``. Their other free-text answers
    are never exported. On PostgreSQL the table's ``data`` is the same lines written by the
    database (:mod:`balm.outcomes.export_copy`)."""

    from django.db import connections

    from balm.outcomes.export_copy import checkins_copy, copied_lines, fits
    from balm.outcomes.jsonsql import json_keys
    from balm.outcomes.models import CheckIn

    checkins = CheckIn.objects.filter(enrolment__in=enrolments).order_by()  # as scores_table
    tail = ["practice_type", *(["note"] if notes else [])]
    keys = json_keys(checkins, "scores", "instrument_id")
    measures = _measures(_columns_of(keys, bands=False), (*CHECKIN_ID_COLUMNS, *tail))
    at = {column: len(CHECKIN_ID_COLUMNS) + n for n, column in enumerate(measures)}
    ordered = (
        checkins.annotate(**_as_text("scores"))
        .order_by(*_by_course("enrolment__"), "week")
        .values_list(
            *_course_fields("enrolment__"),
            "week",
            "instrument_id",
            "scores_text",
            "practice_type",
            *(["note"] if notes else []),
        )
    )

    # A scale named like a fixed column never displaces it: only measures have a slot.
    slots = _Slots(at, bands=False)
    blank = [None] * len(at)

    def rows() -> Iterator[list[Any]]:
        fixed = len(CHECKIN_ID_COLUMNS) - 2  # the pseudonym and cohort id become two columns
        loads = orjson.loads
        for pseudonym, cohort_id, *rest in _streamed(ordered):
            out = [enrolment_id(pseudonym, cohort_id), pseudonym, *rest[:fixed], *blank]
            out += rest[fixed + 2 :]
            slots.fill(out, rest[fixed], loads(rest[fixed + 1]))
            yield out

    # Measures are filled with numbers only; the fixed columns before the week and the tail
    # (practice type, note) are text.
    width = len(CHECKIN_ID_COLUMNS) + len(measures)
    texts = (*range(CHECKIN_ID_COLUMNS.index("week")), *range(width, width + len(tail)))
    data = None
    if connections[checkins.db].vendor == "postgresql" and fits(measures):
        sources: dict[str, list[tuple[str, str]]] = {column: [] for column in measures}
        for instrument, key, kind in sorted(keys):
            if kind == "number" and f"{instrument}_{key}" in sources:
                sources[f"{instrument}_{key}"].append((instrument, key))
        data = copied_lines(
            *checkins_copy(enrolments, sources, notes, checkins.db),
            (len(CHECKIN_ID_COLUMNS), width),
            (),
            checkins.db,
        )
    columns = [*CHECKIN_ID_COLUMNS, *measures, *tail]
    return Table(columns, rows(), checkins.count(), texts, None, data)


def checkins_frame(enrolments: Any, *, notes: bool = False) -> pd.DataFrame:
    """:func:`checkins_table` as a data frame (for small sets: it holds every row)."""
    table = checkins_table(enrolments, notes=notes)
    return pd.DataFrame(list(table.rows), columns=table.columns)


def sessions_frame(enrolments: Any, *, free_text: bool = False) -> pd.DataFrame:
    """One row per session of the cohorts of a queryset of enrolments (:data:`SESSION_COLUMNS`).

    A session counts as held once its register is taken (any attendance mark): then ``date``
    is its date, ``attended`` the enrolments marked present and ``enrolled`` the enrolments on
    its register (present, absent or apologies), both among ``enrolments``. Before that the
    three are blank, as ``balm report`` reads a session with no date as not held yet.
    ``feedback`` and ``reflections`` are the facilitators' free text when ``free_text`` (the
    caller has checked who may have it), blank otherwise. Text cells are neutralised against
    spreadsheet formulas. Cohorts that share a name get `` (c<id>)`` after it, so each
    (cohort, session) names one session."""
    from balm.programmes.models import Attendance, Session
    from balm.report.render import neutralise

    sessions = list(
        Session.objects.filter(cohort__enrolments__in=enrolments)
        .distinct()
        .order_by("cohort__name", "cohort_id", "number")
        .values_list(
            "id",
            "cohort_id",
            "cohort__name",
            "number",
            "date",
            "plan__title",
            "facilitator_feedback",
            "reflections",
        )
    )
    marks: dict[int, list[str]] = {}
    for session_id, mark in Attendance.objects.filter(
        session_id__in=[row[0] for row in sessions], enrolment__in=enrolments
    ).values_list("session_id", "mark"):
        marks.setdefault(session_id, []).append(mark)
    names: dict[str, set[int]] = {}
    for _, cohort_id, name, *_ in sessions:
        names.setdefault(name, set()).add(cohort_id)
    rows = []
    for session_id, cohort_id, name, number, day, title, feedback, reflections in sessions:
        register = marks.get(session_id, [])
        held = bool(register)
        rows.append(
            (
                neutralise(name if len(names[name]) == 1 else f"{name} (c{cohort_id})"),
                number,
                day.isoformat() if held and day is not None else None,
                neutralise(title or f"Session {number}"),
                register.count("present") if held else None,
                len(register) if held else None,
                neutralise(feedback) if free_text else None,
                neutralise(reflections) if free_text else None,
            )
        )
    frame = pd.DataFrame(rows, columns=list(SESSION_COLUMNS))
    for column in ("attended", "enrolled"):
        frame[column] = frame[column].astype("Int64")
    return frame


#: The columns of the enrolments export (what ``balm report --enrolments`` reads).
ENROLMENT_STEPS = ("referred", "assessed", "started", "completed", "withdrawn")
ENROLMENT_COLUMNS = (
    "enrolment",
    *(f"{step}_on" for step in ENROLMENT_STEPS),
    "withdrawal_reason",
    "sessions_attended",
)


def enrolments_frame(enrolments: Any, *, free_text: bool = False) -> pd.DataFrame:
    """One row per enrolment (course of treatment) with the first date each step of its
    status history was reached (blank: never), the reason for withdrawing (free text: only
    when ``free_text``, the caller having checked who may have it; neutralised against
    spreadsheet formulas) and the sessions it was marked present at."""
    from balm.programmes.models import EnrolmentStatusChange
    from balm.report.render import neutralise

    rows: dict[str, dict[str, Any]] = {}
    keys: dict[int, str] = {}
    for pk, pseudonym, cohort_id in enrolments.values_list(
        "pk", "participant__pseudonym", "cohort_id"
    ):
        key = keys[pk] = enrolment_id(pseudonym, cohort_id)
        rows[key] = dict.fromkeys(ENROLMENT_COLUMNS)
        rows[key]["enrolment"] = key
    history = EnrolmentStatusChange.objects.filter(enrolment__in=enrolments).order_by(
        "on", "recorded_at", "id"
    )
    for pseudonym, cohort_id, status, on, reason in history.values_list(
        "enrolment__participant__pseudonym", "enrolment__cohort_id", "status", "on", "reason"
    ):
        row = rows[enrolment_id(pseudonym, cohort_id)]
        if status in ENROLMENT_STEPS and row[f"{status}_on"] is None:
            row[f"{status}_on"] = on.isoformat()
        if status == "withdrawn" and free_text:
            row["withdrawal_reason"] = neutralise(reason.strip()) or None
    attended, _ = _course_totals(enrolments)
    for pk, key in keys.items():
        rows[key]["sessions_attended"] = attended.get(pk, 0)
    frame = pd.DataFrame([rows[k] for k in sorted(rows)], columns=list(ENROLMENT_COLUMNS))
    frame["sessions_attended"] = frame["sessions_attended"].astype("Int64")
    return frame


#: The fixed columns of the exports, in words: (column, meaning, values).
FIXED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("enrolment", "One person's course of treatment in one group: <pseudonym>-c<group id>", "text"),
    ("participant", "The participant's pseudonym (never a name)", "text"),
    ("cohort", "The group's name", "text"),
    ("site", "The pain service's short name", "text"),
    ("format", "How the person takes part", "{formats}"),
    ("diagnosis", "Diagnosis category (a code)", "{diagnoses}"),
    ("timepoint", "When the questionnaires were due (scores export)", ", ".join(Timepoint.values)),
    ("week", "Programme week (scores: the timepoint's scheduled week; check-ins: the week)", "0+"),
    ("sessions_attended", "Sessions the person was marked present at (scores export)", "0+"),
    (
        "practice_minutes",
        "Home-practice minutes summed over the course's check-ins; blank: no check-ins",
        "0+",
    ),
    ("practice_type", "The compassion practice named in a check-in (a code)", "text"),
    (
        "note",
        "The participant's free-text check-in note (only when asked for and allowed)",
        "text",
    ),
    *(
        (f"{step}_on", f"The day the enrolment was first {step} (enrolments export)", "date")
        for step in ("referred", "assessed", "started", "completed", "withdrawn")
    ),
    (
        "withdrawal_reason",
        "Why the person withdrew, as recorded (enrolments export; clinical staff only)",
        "text",
    ),
    ("session", "Session number in its group (sessions export)", "1+"),
    ("date", "The day the session was held (sessions export); blank: register not taken", "date"),
    ("title", "The session's title from its programme plan (sessions export)", "text"),
    ("attended", "People marked present at the session (sessions export)", "0+"),
    ("enrolled", "People on the session's register: present, absent or apologies", "0+"),
    (
        "feedback",
        "The facilitators' feedback on the session (sessions export; clinical staff only)",
        "text",
    ),
    (
        "reflections",
        "The facilitators' reflections on the session (sessions export; clinical staff only)",
        "text",
    ),
)


def data_dictionary() -> pd.DataFrame:
    """Every column the scores and check-in exports can hold: ``column``, ``meaning``,
    ``values``, ``direction`` and ``source``, from the instrument catalogue (names, ranges,
    bands, items and their sources). Pure apart from reading the catalogue."""
    from balm.instruments.catalogue import catalogue
    from balm.outcomes.models import PracticeType
    from balm.programmes.models import DiagnosisCategory, Format

    codes = {
        "formats": ", ".join(Format.values),
        "diagnoses": ", ".join(DiagnosisCategory.values),
    }
    rows: list[dict[str, str]] = [
        {"column": c, "meaning": m, "values": v.format(**codes), "direction": "", "source": "balm"}
        for c, m, v in FIXED_COLUMNS
    ]
    for row in rows:
        if row["column"] == "practice_type":
            row["values"] = "; ".join(f"{v} = {label}" for v, label in PracticeType.choices)
    for instrument in sorted(catalogue().values(), key=lambda i: i.id):
        prefix = "checkin" if instrument.id == "checkin" else instrument.id
        for scale in instrument.scales:
            rows.append(
                {
                    "column": f"{prefix}_{scale.id}",
                    "meaning": f"{instrument.short_name}: {scale.name} ({scale.method.value})",
                    "values": f"{scale.minimum:g} to {scale.maximum:g}",
                    "direction": scale.direction.value.replace("_", " "),
                    "source": instrument.citation,
                }
            )
            if scale.bands is not None:
                rows.append(
                    {
                        "column": f"{prefix}_{scale.id}_band",
                        "meaning": f"{instrument.short_name}: {scale.name}, severity band",
                        "values": ", ".join(b.label for b in scale.bands.bands),
                        "direction": "",
                        "source": scale.bands.source,
                    }
                )
        if instrument.id == "checkin":
            continue  # check-in answers are not exported item by item
        for item in instrument.items:
            options = item.options or (
                instrument.response_sets.get(item.response_set) if item.response_set else None
            )
            if options:
                values = "; ".join(f"{o.value:g} = {o.label}" for o in options)
            elif item.minimum is not None and item.maximum is not None:
                values = f"{item.minimum:g} to {item.maximum:g}"
            else:
                continue  # a text item is never exported
            rows.append(
                {
                    "column": f"{instrument.id}_{item.id}",
                    "meaning": f"{instrument.short_name} item {item.id}: {item.concept} "
                    "(answer as given; with items=1)",
                    "values": values,
                    "direction": "reverse keyed" if item.reverse else "",
                    "source": instrument.citation,
                }
            )
    return pd.DataFrame(rows, columns=["column", "meaning", "values", "direction", "source"])
