"""Hot-path reads whose SQL the ORM compiles once per thread instead of on every request.

Building a SELECT with ``select_related`` (its joins and every column of four tables) cost
the ORM more CPU than PostgreSQL spent running it: on ``POST /api/responses`` the personal
link and the questionnaire reads were about a quarter of the server's CPU
(``bench/submit_profile.py``). A :class:`CompiledQuery` asks the ORM for the queryset once,
with marker values in place of the arguments, keeps the compiled SQL and the compiler that
knows how to turn a row into model instances (with their related objects), and then only
runs that SQL with the real arguments: the same SQL, the same objects, through Django's
cursor (so the queries are still counted and logged). ``tests/web/test_compiled_query.py``
holds it equal to the ORM.

A Django connection belongs to one thread, so the compiled query is kept per thread and
compiled again if the thread's connection object changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Marker arguments, found once each among the compiled parameters: integers no id will ever
# be, strings no key will be, datetimes at the start of 1900 with the argument's number as
# microseconds.
_MARKER_BASE = -(2**62)
Kind = type[int] | type[str] | type[datetime]


def _marker(kind: Kind, number: int) -> Any:
    if kind is int:
        return _MARKER_BASE - number
    if kind is str:
        return f"\x00compiled-query-marker-{number}"
    if kind is datetime:
        return datetime(1900, 1, 1, 0, 0, 0, number, tzinfo=UTC)
    raise TypeError(f"arguments are int, str or datetime, not {kind}")


def _prepared(kind: Kind, value: Any, connection: BaseDatabaseWrapper) -> Any:
    """``value`` as the ORM passes it to the database for a field of this kind."""
    if kind is datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        return connection.ops.adapt_datetimefield_value(value)
    return kind(value)


@dataclass(frozen=True)
class _Compiled:
    connection: BaseDatabaseWrapper
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, argument number)
    compiler: SQLCompiler
    converters: dict[int, Any]  # the ORM's converters of the selected columns, found once
    init_list: tuple[str, ...]
    model_slice: slice
    populators: list[Any]


class CompiledQuery(Generic[M]):
    """``build(*args)`` must return the queryset, sliced and ordered as it is to run, for
    arguments of the ``kinds`` given (int, str or datetime: each compared with a field of
    that kind); :meth:`fetch` runs it for given arguments and returns the objects."""

    def __init__(self, build: Callable[..., QuerySet[M]], kinds: tuple[Kind, ...]) -> None:
        self._build = build
        self._kinds = kinds
        self._local = threading.local()

    def queryset(self, *args: Any) -> QuerySet[M]:
        """The ORM's queryset for these arguments (what :meth:`fetch` runs the SQL of)."""
        return self._build(*args)

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        """The compiled SQL and its parameters, with the markers in place of the arguments."""
        compiled = self._compiled()
        return compiled.sql, compiled.params

    def _compiled(self) -> _Compiled:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled: _Compiled | None = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._compile(connection)
            self._local.compiled = compiled
        return compiled

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        markers = [_marker(kind, number) for number, kind in enumerate(self._kinds)]
        queryset = self._build(*markers)
        if queryset._known_related_objects or queryset.query.annotation_select:
            raise ValueError("CompiledQuery takes plain model querysets only")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns) or compiler.has_extra_select:
            raise ValueError("CompiledQuery takes plain model querysets only")
        slots = []
        for number, (kind, marker) in enumerate(zip(self._kinds, markers, strict=True)):
            wanted = _prepared(kind, marker, connection)
            found = [position for position, value in enumerate(params) if value == wanted]
            if len(found) != 1:
                raise ValueError(f"argument {number} is not one parameter of the SQL")
            slots.append((found[0], number))
        fields = compiler.klass_info["select_fields"]
        model_slice = slice(fields[0], fields[-1] + 1)
        return _Compiled(
            connection=connection,
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            compiler=compiler,
            converters=compiler.get_converters(columns),
            init_list=tuple(column[0].target.attname for column in compiler.select[model_slice]),
            model_slice=model_slice,
            populators=get_related_populators(compiler.klass_info, compiler.select, queryset.db),
        )

    def fetch(self, *args: Any) -> list[M]:
        """The objects the queryset for ``args`` gives (in its order), from the kept SQL."""
        if len(args) != len(self._kinds):
            raise TypeError(f"expected {len(self._kinds)} arguments, got {len(args)}")
        compiled = self._compiled()
        params = list(compiled.params)
        for position, number in compiled.slots:
            params[position] = _prepared(self._kinds[number], args[number], compiled.connection)
        with compiled.connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        model = compiled.compiler.klass_info["model"]
        alias = compiled.connection.alias
        objects = []
        converted: Iterable[Sequence[Any]] = rows
        if compiled.converters:  # as the ORM's results_iter, with the converters kept
            converted = compiled.compiler.apply_converters(rows, compiled.converters)
        for row in converted:
            obj = model.from_db(alias, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
