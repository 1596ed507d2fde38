"""Tens of thousands of rows of one model written with one prepared statement (``executemany``),
for the imports of past groups.

``bulk_create`` builds a model instance and compiles an SQL value list for every field of every
row, which was most of a large import's time. :func:`insert_rows` converts each value with its
own model field (``get_db_prep_save``, as ``save`` and ``bulk_create`` do; a value repeated
down a column is converted once) and hands the rows to the database driver in batches. What
is stored is what ``bulk_create`` stores (``tests/web/test_past_import.py`` compares every
column, on SQLite and PostgreSQL). Like ``bulk_create`` it sends no signals and skips ``save``;
unlike it, no primary keys come back (read the rows again by a natural key). A model field
that sets its own value on save (``auto_now``) is refused rather than left unset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField

_CACHED = (str, int, bool, type(None), date, datetime)
BATCH = 5000


def _columns(model: type[Model]) -> list[Field[Any, Any]]:
    fields = []
    for field in model._meta.local_concrete_fields:
        if isinstance(field, AutoField | BigAutoField | SmallAutoField):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{field.name} sets itself on save; use bulk_create")
        fields.append(field)
    return fields


def insert_rows(model: type[Model], rows: Iterable[Mapping[str, object]]) -> int:
    """Insert ``rows`` (each a mapping of field attname, ``assessment_id`` for a foreign key, to
    value; a field left out takes its default) into ``model``'s table; the number inserted.
    Call inside the caller's transaction: a failing batch leaves the rest to its rollback."""
    fields = _columns(model)
    names = {field.attname for field in fields}
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rows = list(rows)
    for row in rows:
        unknown = set(row) - names
        if unknown:
            raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    columns = [_column(field, rows, connection) for field in fields]
    values = list(zip(*columns, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(values), BATCH):
            cursor.executemany(sql, values[start : start + BATCH])
    return len(values)


def _column(
    field: Field[Any, Any], rows: list[Mapping[str, object]], connection: Any
) -> list[object]:
    """One field's values of every row, converted for the database by the field."""
    name = field.attname
    prepare = field.get_db_prep_save
    converted: dict[tuple[type, object], object] = {}
    out = []
    for row in rows:
        value = row[name] if name in row else field.get_default()
        if isinstance(value, _CACHED):
            # Keyed by type too: 1, 1.0 and True are equal keys but different values.
            key = (type(value), value)
            if key not in converted:
                converted[key] = prepare(value, connection)
            out.append(converted[key])
        else:
            out.append(prepare(value, connection))
    return out
