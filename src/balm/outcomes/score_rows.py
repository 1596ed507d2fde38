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
  rebuilds the rows of the courses it touched from their responses (:func:`rebuild`).

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


def columns_of(instrument_id: str, scores: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The columns one response gives its row: ``(values, kinds)``, both keyed by the export's
    column ``<instrument>_<key>``. Values are the numbers (``true``/``false`` are not) and the
    ``*_band`` texts of ``scores`` (decoded JSON), the values the scores export can write
    (``balm.outcomes.export.score_columns`` with and without ``bands``)."""
    values: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for key, value in scores.items():
        kind = value_kind(key, value)
        if kind is not None:
            column = f"{instrument_id}_{key}"
            values[column] = value
            kinds[column] = kind
    return values, kinds


def value_kind(key: str, value: Any) -> str | None:
    """``number`` for a number, ``text`` for the text of a ``*_band`` key, else None."""
    if type(value) in (int, float):
        return NUMBER
    if type(value) is str and key.endswith("_band"):
        return TEXT
    return None


def _as_stored(scores: dict[str, Any]) -> dict[str, Any]:
    """``scores`` as the JSON column gives them back (a Decimal is stored as text, so it is no
    number there): the row must hold what a rebuild from the stored responses would."""
    decoded: dict[str, Any] = json.loads(json.dumps(scores, cls=DjangoJSONEncoder))
    return decoded


def _table() -> tuple[str, Any]:
    from balm.outcomes.models import TimepointScores

    return connection.ops.quote_name(TimepointScores._meta.db_table), connection.ops.quote_name


def add_response(
    *, enrolment_id: int, timepoint: str, week: int, instrument_id: str, scores: dict[str, Any]
) -> None:
    """Add a new response's columns to the row of its course and timepoint (creating the row),
    the row's week the earlier of the two. One statement; call inside the response's
    transaction. A response of an instrument the row already holds goes through
    :func:`rebuild` instead (an amendment)."""
    values, kinds = columns_of(instrument_id, _as_stored(scores))
    table, quote = _table()
    if connection.vendor == "postgresql":
        merge, earlier, cast = (
            "{t}.{c} || EXCLUDED.{c}",
            "LEAST({t}.week, EXCLUDED.week)",
            "::jsonb",
        )
    else:  # SQLite: json_patch merges two flat objects (no null values here to delete keys)
        merge, earlier, cast = (
            "json_patch({t}.{c}, EXCLUDED.{c})",
            "min({t}.week, EXCLUDED.week)",
            "",
        )
    sets = ", ".join(
        [f"week = {earlier.format(t=table)}"]
        + [f"{c} = {merge.format(t=table, c=c)}" for c in (quote("scores"), quote("kinds"))]
    )
    sql = (
        f"INSERT INTO {table} (enrolment_id, timepoint, week, scores, kinds) "
        f"VALUES (%s, %s, %s, %s{cast}, %s{cast}) "
        f"ON CONFLICT (enrolment_id, timepoint) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [enrolment_id, timepoint, week, json.dumps(values), json.dumps(kinds)])


def merged_rows(
    responses: Iterable[tuple[int, str, int, str, dict[str, Any]]],
) -> dict[tuple[int, str], tuple[int, dict[str, Any], dict[str, str]]]:
    """``{(enrolment id, timepoint): (week, values, kinds)}`` from ``(enrolment id, timepoint,
    week, instrument id, scores)`` of stored responses in the order they were written: what
    :func:`add_response` leaves after adding them one by one. Pure."""
    rows: dict[tuple[int, str], tuple[int, dict[str, Any], dict[str, str]]] = {}
    for enrolment_id, timepoint, week, instrument_id, scores in responses:
        values, kinds = columns_of(instrument_id, scores)
        key = (enrolment_id, timepoint)
        held = rows.get(key)
        if held is None:
            rows[key] = (week, values, kinds)
        else:
            held[1].update(values)
            held[2].update(kinds)
            rows[key] = (min(held[0], week), held[1], held[2])
    return rows


def _stored_responses(enrolment_ids: list[int]) -> Iterator[tuple[int, str, int, str, Any]]:
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
    from balm.outcomes.models import TimepointScores

    written = 0
    for ids in _batches(enrolment_ids):
        TimepointScores.objects.filter(enrolment_id__in=ids).delete()
        made = TimepointScores.objects.bulk_create(
            TimepointScores(
                enrolment_id=enrolment_id,
                timepoint=timepoint,
                week=week,
                scores=values,
                kinds=kinds,
            )
            for (enrolment_id, timepoint), (week, values, kinds) in merged_rows(
                _stored_responses(ids)
            ).items()
        )
        written += len(made)
    return written


def differences(enrolment_ids: Iterable[int]) -> list[str]:
    """How the stored rows of these courses differ from a rebuild from their responses, one
    line each (empty: they agree)."""
    from balm.outcomes.models import TimepointScores

    found: list[str] = []
    for ids in _batches(enrolment_ids):
        expected = merged_rows(_stored_responses(ids))
        stored = {
            (e, t): (w, s, k)
            for e, t, w, s, k in TimepointScores.objects.filter(enrolment_id__in=ids).values_list(
                "enrolment_id", "timepoint", "week", "scores", "kinds"
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
