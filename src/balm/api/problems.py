"""User errors as the API's 422 body: every problem, with what the answer may be."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from balm.accounts.errors import Problem
from balm.api.schemas import RANGE_ERROR
from balm.instruments import get_instrument
from balm.instruments.schema import ItemKind
from balm.outcomes.models import PracticeType


def allowed_for(instrument_id: str | None, field: str) -> dict[str, Any] | None:
    """What ``field`` may hold: an item's printed options or range, or the practice types.
    Describes the catalogue only; checking and scoring stay in ``balm.instruments``."""
    if field == "practice_type":
        return {
            "kind": "option",
            "options": [{"value": value, "label": label} for value, label in PracticeType.choices],
        }
    if not instrument_id:
        return None
    instrument = get_instrument(instrument_id)
    try:
        item = instrument.item(field)
    except KeyError:
        return None
    if item.kind is ItemKind.CHOICE:
        return {
            "kind": item.kind.value,
            "options": [
                {"value": option.value, "label": option.label}
                for option in instrument.options_for(item)
            ],
        }
    if item.kind in (ItemKind.INTEGER, ItemKind.NUMBER):
        return {"kind": item.kind.value, "minimum": item.minimum, "maximum": item.maximum}
    return {"kind": item.kind.value}


def problems_body(
    problems: Iterable[Problem],
    instrument_id: str | None = None,
    allowed: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``allowed``: what some fields may hold, known by the caller (a number's range from the
    request's schema); the others are looked up in the catalogue (:func:`allowed_for`)."""
    given = allowed or {}
    listed = [
        {
            "field": problem.field,
            "message": problem.message,
            "allowed": given.get(problem.field) or allowed_for(instrument_id, problem.field),
        }
        for problem in problems
    ]
    return {"detail": "Please check these answers.", "problems": listed}


_LOCATIONS = {"body", "query", "path", "header", "cookie", "form"}


def _field(error: Mapping[str, Any]) -> str:
    """The dotted place of a pydantic error in the request (an item id for an answer)."""
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    if loc and loc[0] == "payload":
        loc = loc[1:]
    if loc[:1] == ["answers"] and len(loc) >= 2:
        loc = [loc[1]]  # an item id, as the engine's problems name it
    return ".".join(loc)


def schema_problems(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """django-ninja's pydantic errors as problems: the field is the dotted place in the body.
    One problem per field (a union type reports each of its members)."""
    found: dict[str, Problem] = {}
    for error in errors:
        field = _field(error)
        found.setdefault(field, Problem(field, str(error.get("msg", "Invalid value."))))
    return list(found.values())


def schema_allowed(errors: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The range of each whole number refused for being out of it or not a number (an id, a
    week, a page's limit or offset: :func:`balm.api.schemas.whole_number`)."""
    ranges: dict[str, dict[str, Any]] = {}
    for error in errors:
        if error.get("type") == RANGE_ERROR:
            ctx = error["ctx"]
            ranges.setdefault(
                _field(error),
                {"kind": "integer", "minimum": ctx["minimum"], "maximum": ctx["maximum"]},
            )
    return ranges


def schema_problems_body(errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A malformed request (django-ninja's ``ValidationError``) as the 422 problems body."""
    errors = list(errors)
    return problems_body(schema_problems(errors), allowed=schema_allowed(errors))
