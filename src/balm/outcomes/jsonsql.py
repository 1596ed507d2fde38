"""Questions about the keys and numbers inside JSON columns, answered by the database.

The exports need the set of score columns before their first row (a CSV header comes first);
reading every JSON document into Python for that would double the cost of an export.
PostgreSQL (``jsonb_each``, ``jsonb_typeof``) and SQLite (``json_each``, ``json_type``) answer
it in one query. A number kept in JSON that the exports sum (home-practice minutes) is a
generated column (:class:`JsonNumber`), kept by the database with its row.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import F, FloatField, Func, QuerySet, TextField

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


class JsonNumber(Func):
    """The number under ``key`` of the JSON object in ``field``, NULL where it holds anything
    else (``true``/``false`` are not numbers): the expression of a generated column, so the
    database keeps it with its row. The key is written into the SQL (a column's definition
    takes no parameters), so it must be a plain name."""

    output_field = FloatField()

    def __init__(self, field: str, key: str) -> None:
        if not key.replace("_", "").isalnum() or not key.isascii():
            raise ValueError(f"not a plain key name: {key!r}")
        self.key = key
        super().__init__(F(field))

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        (field,) = self.source_expressions
        return "balm.outcomes.jsonsql.JsonNumber", (field.name, self.key), {}

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        value = f"({column} -> '{self.key}')"
        number = f"({value} #>> '{{}}')::double precision"
        return f"CASE WHEN jsonb_typeof({value}) = 'number' THEN {number} END", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        path = f"'$.{self.key}'"
        sql = (
            f"CASE WHEN json_type({column}, {path}) IN ('integer', 'real') "
            f"THEN json_extract({column}, {path}) END"
        )
        return sql, params


class JsonbText(TextField):  # type: ignore[type-arg]
    """A JSON object kept as text for Python, in a ``jsonb`` column on PostgreSQL (SQLite: text).

    Python reads and writes it as JSON text in ``jsonb``'s own form (PostgreSQL casts it to text
    as it is selected), so code reading the text works on both databases; the database, for its
    part, reads the stored ``jsonb`` without parsing text: the scores export's ``COPY`` takes
    each row's numbers from it (``jsonb_to_record``: the export of 500 groups 588 -> 444 ms
    against parsing the text, docs/performance.md)."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "jsonb"
        return super().db_type(connection)

    def select_format(self, compiler: Any, sql: str, params: Any) -> tuple[str, Any]:
        sql, params = super().select_format(compiler, sql, params)
        if compiler.connection.vendor == "postgresql":
            return f"({sql})::text", params
        return sql, params
