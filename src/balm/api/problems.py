"""User errors as the API's 422 body: every problem, with what the answer may be."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from balm.accounts.errors import Problem
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


def problems_body(problems: Iterable[Problem], instrument_id: str | None = None) -> dict[str, Any]:
    listed = [
        {
            "field": problem.field,
            "message": problem.message,
            "allowed": allowed_for(instrument_id, problem.field),
        }
        for problem in problems
    ]
    return {"detail": "Please check these answers.", "problems": listed}


_LOCATIONS = {"body", "query", "path", "header", "cookie", "form"}


def schema_problems(errors: Iterable[dict[str, Any]]) -> list[Problem]:
    """django-ninja's pydantic errors as problems: the field is the dotted place in the body.
    One problem per field (a union type reports each of its members)."""
    found: dict[str, Problem] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        if loc[:1] == ["answers"] and len(loc) >= 2:
            loc = [loc[1]]  # an item id, as the engine's problems name it
        field = ".".join(loc)
        found.setdefault(field, Problem(field, str(error.get("msg", "Invalid value."))))
    return list(found.values())
