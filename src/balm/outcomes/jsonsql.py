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


def _parts(queryset: QuerySet[Any], field: str) -> tuple[Any, str, str, str, list[Any]]:
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    meta = queryset.model._meta
    ids, params = queryset.values("pk").query.sql_with_params()
    where = f"{quote(meta.pk.column)} IN ({ids})"
    return (
        connection,
        quote(meta.db_table),
        quote(meta.get_field(field).column),
        where,
        list(params),
    )


def json_keys(queryset: QuerySet[Any], field: str, label: str) -> set[tuple[str, str, str]]:
    """Distinct ``(label value, key, kind)`` over the rows of ``queryset``: the top-level keys
    of the JSON object in ``field`` holding a number (kind ``number``: true and false are not
    numbers) or text (kind ``text``); ``label`` is another column of the row (an instrument id).
    """
    connection, table, column, ids, params = _parts(queryset, field)
    label_column = connection.ops.quote_name(queryset.model._meta.get_field(label).column)
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
    sql = (
        f"SELECT DISTINCT t.{label_column}, e.key, {kind} FROM {table} AS t {source} WHERE t.{ids}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(str(a), str(k), str(kind)) for a, k, kind in cursor.fetchall() if kind}


def json_number_sums(queryset: QuerySet[Any], field: str, key: str, by: str) -> dict[Any, float]:
    """``{row's by: sum}`` of the number at ``field -> key`` over the rows of ``queryset``
    whose value there is a number (rows without one add nothing; a group with none is
    absent)."""
    connection, table, column, ids, params = _parts(queryset, field)
    group = connection.ops.quote_name(queryset.model._meta.get_field(by).column)
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
    sql = (
        f"SELECT t.{group}, SUM({number}) FROM {table} AS t "
        f"WHERE t.{ids} AND {is_number} GROUP BY t.{group}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_params[0], *params, key_params[1]])
        return {group_value: float(total) for group_value, total in cursor.fetchall()}
