"""Pages of the API's lists: django-ninja's own ``LimitOffsetPagination`` (``@paginate(Page)``).

``?limit=`` (default 100, at most 500) and ``?offset=`` (default 0); the body is
``{"items": [...], "count": N}`` with ``count`` the whole list's length. A limit outside 1..500
or an offset outside 0..2**63-1 is refused with the API's 422 problems body, not silently
clamped. The offset's ceiling is the largest OFFSET both databases take (PostgreSQL's bigint,
SQLite's 64-bit integer; one more is a DataError or "datatype mismatch", a 500); any offset
up to it past the end of the list is an empty page. A smaller ceiling (2**31-1, say) would
refuse offsets the databases handle, for no gain.

An endpoint returns :class:`Rows`: its queryset and how one row becomes a response body. The
paginator counts the queryset (one query) and slices it (one query), and only the rows of the
page asked for are turned into bodies, so a list costs the same number of queries however long.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from balm.api.schemas import BIGINT_MAX, whole_number

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_OFFSET = BIGINT_MAX

M = TypeVar("M", bound=Model)


class Page(LimitOffsetPagination):
    """Limit and offset, with the bounds in the query schema (so out of range is a 422)."""

    class Input(Schema):
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), whole_number(1, MAX_LIMIT)] = Field(
            DEFAULT_LIMIT, description=f"How many to return (1 to {MAX_LIMIT})."
        )
        offset: Annotated[int, Field(ge=0, le=MAX_OFFSET), whole_number(0, MAX_OFFSET)] = Field(
            0, description="How many to skip from the start."
        )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


class Rows(Generic[M]):
    """A queryset seen through ``to_body``, for the paginator: it counts with ``.all().count()``
    and takes a page with ``[offset : offset + limit]``; only that page's rows become bodies.
    The queryset must be ordered (a page is a slice)."""

    def __init__(self, queryset: QuerySet[M], to_body: Callable[[M], dict[str, Any]]) -> None:
        if not queryset.ordered:
            raise ValueError("order the queryset: pages are slices of it")
        self.queryset = queryset
        self.to_body = to_body

    def all(self) -> Rows[M]:
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [self.to_body(row) for row in self.queryset[page]]
