"""The scores export's rows, kept ready as responses are written (:class:`TimepointScores`).

A row of the scores export is one course at one timepoint: five or six responses merged. Merging
them at every download made the export's cost follow the responses, not the rows it writes
(issue 15: 9,500 rows a second at 500 groups). So each (enrolment, timepoint) keeps its merged
row, written in the same transaction as the response:

- a new response adds its columns to its row (:func:`add_response`: one ``INSERT ... ON
  CONFLICT DO UPDATE``; a course has one questionnaire of each instrument per timepoint, the
  database's ``one_assessment_each`` constraint, so adding never overwrites another response's
  column);
- anything else that changes or removes responses (an amendment, an import, an erasure)
  rebuilds the rows of the courses it touched from their responses (:func:`rebuild`), after
  locking the courses' questionnaires as a submission locks its own, so the two never cross.

:func:`differences` compares the stored rows with a rebuild (``balm manage score_rows``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

NUMBER = "number"
TEXT = "text"

#: Rebuilt in batches of this many courses (a bounded ``IN`` list and bounded memory).
BATCH = 500

#: A response's (or a row's) columns: ``(numbers, bands, answers)``, each ``{column: value}``.
Columns = tuple[dict[str, Any], dict[str, str], dict[str, Any]]


def columns_of(instrument_id: str, scores: dict[str, Any], answers: dict[str, Any]) -> Columns:
    """The columns one response gives its row, keyed by the export's column
    ``<instrument>_<key>``: the numbers of ``scores`` (decoded JSON; ``true``/``false`` are
    not numbers), the texts of its ``*_band`` keys, and the numeric ``answers`` (a blank item
    is absent, never 0): what the scores export writes, with ``bands`` and ``items`` asked for
    or not (``balm.outcomes.export.score_columns``)."""
    numbers: dict[str, Any] = {}
    bands: dict[str, str] = {}
    for key, value in scores.items():
        if type(value) in (int, float):
            numbers[f"{instrument_id}_{key}"] = value
        elif type(value) is str and key.endswith("_band"):
            bands[f"{instrument_id}_{key}"] = value
    items = {f"{instrument_id}_{k}": v for k, v in answers.items() if type(v) in (int, float)}
    return numbers, bands, items


def kinds_of(numbers: dict[str, Any], bands: dict[str, str]) -> dict[str, str]:
    """``{column: "number" or "text"}`` of a row's score columns."""
    return {**dict.fromkeys(numbers, NUMBER), **dict.fromkeys(bands, TEXT)}


def items_of(instrument_id: str, answers: dict[str, Any]) -> dict[str, list[str]]:
    """``{instrument: [item, ...]}`` of the items answered with a number (nothing when none):
    the item columns, kept short (the kinds of a hundred item columns made every row's text
    long enough for the database to store it apart)."""
    answered = [k for k, v in answers.items() if type(v) in (int, float)]
    return {instrument_id: answered} if answered else {}


def _as_stored(document: dict[str, Any]) -> dict[str, Any]:
    """Scores or answers as the JSON column gives them back (a Decimal is stored as text, so
    it is no number there): the row must hold what a rebuild from the stored responses would."""
    decoded: dict[str, Any] = json.loads(json.dumps(document, cls=DjangoJSONEncoder))
    return decoded


def _insert_sql(*, merge: bool) -> str:
    """The INSERT of one row (``enrolment_id, timepoint, week`` and the :data:`TEXT_FIELDS`), each
    JSON text in the database's own form (PostgreSQL's ``jsonb`` text, SQLite's minified JSON)
    so the same content is the same text whichever way it was written; with ``merge``, into an
    existing row: its week the earlier, its JSON objects joined (a key in both takes the new
    value)."""
    from balm.outcomes.models import TimepointScores

    quote = connection.ops.quote_name
    table = quote(TimepointScores._meta.db_table)
    texts = [quote(c) for c in TEXT_FIELDS]
    if connection.vendor == "postgresql":
        # scores and answers are jsonb columns (JsonbText), the others jsonb's text
        jsonb = {quote(c) for c in JSONB_FIELDS}
        values = ["%s::jsonb" if c in jsonb else "%s::jsonb::text" for c in texts]
        joins = [
            "{t}.{c} || EXCLUDED.{c}"
            if c in jsonb
            else "({t}.{c}::jsonb || EXCLUDED.{c}::jsonb)::text"
            for c in texts
        ]
        earlier = "LEAST"
    else:  # SQLite: json_patch joins two flat objects (no null values here to delete keys)
        values, joins, earlier = (
            ["json(%s)"] * len(texts),
            ["json_patch({t}.{c}, EXCLUDED.{c})"] * len(texts),
            "min",
        )
    sql = (
        f"INSERT INTO {table} (enrolment_id, timepoint, week, {', '.join(texts)}) "
        f"VALUES (%s, %s, %s, {', '.join(values)})"
    )
    if not merge:
        return sql
    sets = ", ".join(
        [f"week = {earlier}({table}.week, EXCLUDED.week)"]
        + [f"{c} = {joined.format(t=table, c=c)}" for c, joined in zip(texts, joins, strict=True)]
    )
    return f"{sql} ON CONFLICT (enrolment_id, timepoint) DO UPDATE SET {sets}"


#: The JSON text fields of a row, in the order :func:`_values` gives them.
TEXT_FIELDS = ("scores", "bands", "answers", "kinds", "items")
#: Those kept in ``jsonb`` columns on PostgreSQL (:class:`balm.outcomes.jsonsql.JsonbText`).
JSONB_FIELDS = ("scores", "answers")


def _values(enrolment_id: int, timepoint: str, week: int, *documents: dict[str, Any]) -> list[Any]:
    """A row's values: ids, week and the JSON texts of :data:`TEXT_FIELDS`."""
    return [enrolment_id, timepoint, week, *(json.dumps(d) for d in documents)]


def add_response(
    *,
    enrolment_id: int,
    timepoint: str,
    week: int,
    instrument_id: str,
    scores: dict[str, Any],
    answers: dict[str, Any],
) -> None:
    """Add a new response's columns to the row of its course and timepoint (creating the row),
    the row's week the earlier of the two. One statement; call inside the response's
    transaction. A response of an instrument the row already holds goes through
    :func:`rebuild` instead (an amendment)."""
    answers = _as_stored(answers)
    numbers, bands, answered = columns_of(instrument_id, _as_stored(scores), answers)
    described = (kinds_of(numbers, bands), items_of(instrument_id, answers))
    row = _values(enrolment_id, timepoint, week, numbers, bands, answered, *described)
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(merge=True), row)


Merged = dict[tuple[int, str], tuple[Any, ...]]
Stored = tuple[int, str, int, str, dict[str, Any], dict[str, Any]]


def merged_rows(responses: Iterable[Stored]) -> Merged:
    """``{(enrolment id, timepoint): (week, numbers, bands, answers, kinds, items)}`` from
    ``(enrolment id, timepoint, week, instrument id, scores, answers)`` of stored responses in
    the order they were written: what :func:`add_response` leaves after adding them one by one
    (keys in the same order). Pure."""
    rows: Merged = {}
    for enrolment_id, timepoint, week, instrument_id, scores, answers in responses:
        numbers, bands, answered = columns_of(instrument_id, scores, answers)
        described = (kinds_of(numbers, bands), items_of(instrument_id, answers))
        parts = (numbers, bands, answered, *described)
        key = (enrolment_id, timepoint)
        held = rows.get(key)
        if held is None:
            rows[key] = (week, *parts)
        else:
            for row_part, part in zip(held[1:], parts, strict=True):
                row_part.update(part)
            rows[key] = (min(held[0], week), *held[1:])
    return rows


def _stored_responses(enrolment_ids: list[int]) -> Iterator[Stored]:
    from balm.outcomes.models import Response

    return iter(
        Response.objects.filter(assessment__enrolment_id__in=enrolment_ids)
        .order_by("pk")
        .values_list(
            "assessment__enrolment_id",
            "assessment__timepoint",
            "assessment__week",
            "instrument_id",
            "scores",
            "answers",
        )
    )


def _batches(enrolment_ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(set(enrolment_ids))
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def rebuild(enrolment_ids: Iterable[int]) -> int:
    """Write again, from their stored responses, the rows of these courses (removing those of a
    timepoint left with no response). Returns the number of rows written. Call inside the
    transaction that changed the responses."""
    from balm.outcomes.models import Assessment, TimepointScores

    written = 0
    for ids in _batches(enrolment_ids):
        # A submission locks its questionnaire before it adds to its row: holding the courses'
        # questionnaires, the rebuild waits for those under way and sees them (else one adding
        # a new timepoint between the delete and the insert below would make the insert fail).
        list(
            Assessment.objects.select_for_update()
            .filter(enrolment_id__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        TimepointScores.objects.filter(enrolment_id__in=ids).delete()
        rows = [
            _values(enrolment_id, timepoint, *held)
            for (enrolment_id, timepoint), held in merged_rows(_stored_responses(ids)).items()
        ]
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(_insert_sql(merge=False), rows)
        written += len(rows)
    return written


def differences(enrolment_ids: Iterable[int]) -> list[str]:
    """How the stored rows of these courses differ from a rebuild from their responses, one
    line each (empty: they agree)."""
    from balm.outcomes.models import TimepointScores

    found: list[str] = []
    for ids in _batches(enrolment_ids):
        expected = merged_rows(_stored_responses(ids))
        stored = {
            (e, t): (w, *(json.loads(text) for text in texts))
            for e, t, w, *texts in TimepointScores.objects.filter(enrolment_id__in=ids).values_list(
                "enrolment_id", "timepoint", "week", *TEXT_FIELDS
            )
        }
        for key in sorted(expected.keys() | stored.keys()):
            if key not in stored:
                found.append(f"enrolment {key[0]}, {key[1]}: no row kept")
            elif key not in expected:
                found.append(f"enrolment {key[0]}, {key[1]}: a row kept with no response")
            elif stored[key] != expected[key]:
                found.append(f"enrolment {key[0]}, {key[1]}: the row kept differs")
    return found
