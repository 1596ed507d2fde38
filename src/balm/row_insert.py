"""A new model instance stored with one INSERT whose SQL the ORM compiled once, for the
submission path.

``Model.save()`` on a new instance compiles its INSERT again on every call (a placeholder and
a converted value for every field, the RETURNING clause) and walks the save machinery
(parents, signals, the field list). On ``POST /api/responses`` the two inserts, the response
and its audit event, cost the server more CPU than PostgreSQL spent running them
(``bench/submit_profile.py``). :func:`insert_new` asks the ORM's own insert compiler for the
SQL once per model and connection, then on each call only converts the values as the ORM does
(``field.pre_save(obj, add=True)`` then ``get_db_prep_save``), runs that SQL through Django's
cursor (still counted and logged) and sets the new primary key on the instance, as ``save``
does. ``tests/web/test_row_insert.py`` holds the SQL equal to the ORM's and every stored column
equal, on SQLite and PostgreSQL.

Where it would not be what ``save`` does, it is ``save``: a model with ``pre_save`` or
``post_save`` receivers, inherited tables, generated or database-default fields, an instance
with its primary key already set, or a value that is an expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Plan:
    sql: str
    fields: tuple[Field[Any, Any], ...]
    returning_params: tuple[Any, ...]
    pk_attname: str
    returns: bool  # RETURNING on the INSERT, else the backend's last insert id
    pk_column: str
    converters: tuple[Any, ...]  # the ORM's converters of the returned key
    pk_expression: Any


# By model, database alias and vendor: the SQL holds no connection, so threads share it.
_plans: dict[tuple[type[Model], str, str], _Plan | None] = {}


def _plan_for(model: type[Model], obj: Model, connection: BaseDatabaseWrapper) -> _Plan | None:
    """The INSERT of ``model`` as the ORM compiles it for a new instance, or None if this
    model is not one :func:`insert_new` takes (see the module's docstring)."""
    meta = model._meta
    if meta.parents or meta.proxy or meta.auto_field is None or meta.order_with_respect_to:
        return None
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    if any(f.generated or f.db_default is not NOT_PROVIDED for f in fields):
        return None
    returning = meta.db_returning_fields
    if list(returning) != [meta.auto_field]:
        return None
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = returning
    [(sql, _)] = compiler.as_sql()
    placeholders, _ = compiler.assemble_as_sql(fields, [[None] * len(fields)])
    if any(p != "%s" for p in placeholders[0]):  # a field with its own placeholder
        return None
    returns = bool(connection.features.can_return_columns_from_insert)
    pk = meta.auto_field
    expression = pk.get_col(meta.db_table)
    converters = compiler.get_converters([expression])
    return _Plan(
        sql=sql,
        fields=tuple(fields),
        returning_params=tuple(getattr(compiler, "returning_params", ()) or ()),
        pk_attname=pk.attname,
        returns=returns,
        pk_column=pk.column,
        converters=tuple(converters[0][0]) if converters else (),
        pk_expression=expression,
    )


def _cached_plan(model: type[Model], obj: Model, connection: BaseDatabaseWrapper) -> _Plan | None:
    key = (model, connection.alias, connection.vendor)
    if key not in _plans:
        _plans[key] = _plan_for(model, obj, connection)
    return _plans[key]


def save_would_do_more(obj: Model) -> bool:
    """Whether ``obj.save()`` would do more than insert its row: receivers of ``pre_save`` or
    ``post_save`` for its model, or a primary key already set."""
    model = type(obj)
    return pre_save.has_listeners(model) or post_save.has_listeners(model) or obj.pk is not None


def prepared_values(
    obj: Model, fields: tuple[Field[Any, Any], ...], connection: BaseDatabaseWrapper
) -> list[Any] | None:
    """``fields``' values of the new ``obj`` as ``save`` passes them to the database
    (``pre_save`` then ``get_db_prep_save``), or None if one is an expression (for ``save``
    to compile). As ``save`` does, an unsaved related object is refused first, and a foreign
    key set through its object takes that object's current primary key."""
    obj._prepare_related_fields_for_save(operation_name="save")
    values = []
    for field in fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            return None
        values.append(field.get_db_prep_save(value, connection=connection))
    return values


def insert_new(obj: Model) -> None:
    """Store the new instance ``obj`` as ``obj.save(force_insert=True)`` would, and set its
    primary key. Call inside the caller's transaction where the write must be atomic with
    others (as with ``save``)."""
    model = type(obj)
    if save_would_do_more(obj):
        obj.save(force_insert=True)
        return
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    plan = _cached_plan(model, obj, connection)
    values = None if plan is None else prepared_values(obj, plan.fields, connection)
    if plan is None or values is None:
        obj.save(force_insert=True)
        return
    # As save() does: a failed insert inside an atomic block marks it for rollback.
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(plan.sql, (*values, *plan.returning_params))
        if plan.returns:
            row = connection.ops.fetch_returned_insert_columns(cursor, plan.returning_params)
            pk = row[0]
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, plan.pk_column)
    for converter in plan.converters:
        pk = converter(pk, plan.pk_expression, connection)
    setattr(obj, plan.pk_attname, pk)
    obj._state.adding = False
    obj._state.db = using


M = TypeVar("M", bound=Model)


def create_row(model: type[M], **values: Any) -> M:
    """``model.objects.create(**values)`` through :func:`insert_new`."""
    obj = model(**values)
    insert_new(obj)
    return obj
