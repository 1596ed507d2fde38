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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Marker arguments: integers no id will ever be, so each is found once among the parameters.
_MARKER_BASE = -(2**62)


@dataclass(frozen=True)
class _Compiled:
    connection: BaseDatabaseWrapper
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, argument number)
    compiler: SQLCompiler
    init_list: tuple[str, ...]
    model_slice: slice
    populators: list[Any]


class CompiledQuery(Generic[M]):
    """``build(*ids)`` must return the queryset, sliced and ordered as it is to run, for
    integer arguments (ids); :meth:`fetch` runs it for given ids and returns the objects."""

    def __init__(self, build: Callable[..., QuerySet[M]], arity: int) -> None:
        self._build = build
        self._arity = arity
        self._local = threading.local()

    def queryset(self, *ids: int) -> QuerySet[M]:
        """The ORM's queryset for these ids (what :meth:`fetch` runs the SQL of)."""
        return self._build(*ids)

    def sql(self) -> tuple[str, tuple[Any, ...]]:
        """The compiled SQL and its parameters, with the markers in place of the ids."""
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
        markers = [_MARKER_BASE - number for number in range(self._arity)]
        queryset = self._build(*markers)
        if queryset._known_related_objects or queryset.query.annotation_select:
            raise ValueError("CompiledQuery takes plain model querysets only")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = []
        for number, marker in enumerate(markers):
            found = [position for position, value in enumerate(params) if value == marker]
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
            init_list=tuple(column[0].target.attname for column in compiler.select[model_slice]),
            model_slice=model_slice,
            populators=get_related_populators(compiler.klass_info, compiler.select, queryset.db),
        )

    def fetch(self, *ids: int) -> list[M]:
        """The objects the queryset for ``ids`` gives (in its order), from the kept SQL."""
        if len(ids) != self._arity:
            raise TypeError(f"expected {self._arity} ids, got {len(ids)}")
        compiled = self._compiled()
        params = list(compiled.params)
        for position, number in compiled.slots:
            params[position] = int(ids[number])
        with compiled.connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        model = compiled.compiler.klass_info["model"]
        alias = compiled.connection.alias
        objects = []
        for row in compiled.compiler.results_iter([rows]):
            obj = model.from_db(alias, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
