"""Questions about the keys and numbers inside JSON columns, answered by the database.

The exports need the set of score columns before their first row (a CSV header comes first)
and per-course sums of a number kept in JSON; reading every JSON document into Python for
that would double the cost of an export. PostgreSQL (``jsonb_each``, ``jsonb_typeof``) and
SQLite (``json_each``, ``json_type``) answer both in one query each.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import QuerySet

NUMBER = "number"
TEXT = "text"


def _rows(queryset: QuerySet[Any], *fields: str) -> tuple[Any, str, list[Any], list[str]]:
    """The rows of ``queryset`` as a subquery selecting the columns of ``fields`` (its own
    filters, no ordering: an ``id IN (...)`` of the same rows cost the database a second scan
    and a sort of every row), with the connection and the columns' quoted names."""
    connection = connections[queryset.db]
    meta = queryset.model._meta
    columns = [meta.get_field(field).column for field in fields]
    sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()
    return connection, sql, list(params), [connection.ops.quote_name(c) for c in columns]


def json_keys(queryset: QuerySet[Any], field: str, label: str) -> set[tuple[str, str, str]]:
    """Distinct ``(label value, key, kind)`` over the rows of ``queryset``: the top-level keys
    of the JSON object in ``field`` holding a number (kind ``number``: true and false are not
    numbers) or text (kind ``text``); ``label`` is another column of the row (an instrument id).
    """
    connection, rows, params, (column, label_column) = _rows(queryset, field, label)
    if connection.vendor == "postgresql":
        kind = (
            "CASE jsonb_typeof(e.value) WHEN 'number' THEN 'number' WHEN 'string' THEN 'text' END"
        )
        source = f"CROSS JOIN LATERAL jsonb_each(t.{column}) AS e"
    elif connection.vendor == "sqlite":
        kind = (
            "CASE WHEN e.type IN ('integer', 'real') THEN 'number' "
            "WHEN e.type = 'text' THEN 'text' END"
        )
        source = f"CROSS JOIN json_each(t.{column}) AS e"
    else:  # pragma: no cover - balm runs on PostgreSQL and SQLite
        raise NotImplementedError(connection.vendor)
    sql = f"SELECT DISTINCT t.{label_column}, e.key, {kind} FROM ({rows}) AS t {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(str(a), str(k), str(kind)) for a, k, kind in cursor.fetchall() if kind}


def json_number_sums(queryset: QuerySet[Any], field: str, key: str, by: str) -> dict[Any, float]:
    """``{row's by: sum}`` of the number at ``field -> key`` over the rows of ``queryset``
    whose value there is a number (rows without one add nothing; a group with none is
    absent)."""
    connection, rows, params, (column, group) = _rows(queryset, field, by)
    if connection.vendor == "postgresql":
        value = f"(t.{column} -> %s)"
        number, is_number = (
            f"({value} #>> '{{}}')::double precision",
            f"jsonb_typeof({value}) = 'number'",
        )
        key_params = [key, key]
    elif connection.vendor == "sqlite":
        path = "$." + '"' + key.replace('"', '""') + '"'
        number = f"json_extract(t.{column}, %s)"
        is_number = f"json_type(t.{column}, %s) IN ('integer', 'real')"
        key_params = [path, path]
    else:  # pragma: no cover - balm runs on PostgreSQL and SQLite
        raise NotImplementedError(connection.vendor)
    # FILTER, not WHERE: the planner cannot estimate how many rows hold a number, guessed a
    # few hundred of 70,000 and sorted every row (with its JSON) to group them.
    sql = (
        f"SELECT t.{group}, SUM({number}) FILTER (WHERE {is_number}) "
        f"FROM ({rows}) AS t GROUP BY t.{group}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_params, *params])
        return {
            group_value: float(total)
            for group_value, total in cursor.fetchall()
            if total is not None
        }
