"""Checking and scoring answers through ``balm.instruments`` (never scoring here).

Blank answers (None, "", whitespace) are *missing*, never zero: they are left out of what is
scored, and the engine decides (by the catalogue's missing-item rule) whether a score can
still be given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from balm.accounts.errors import Problem
from balm.instruments import ResponseValidationError, get_instrument, safety_flags, score_one
from balm.instruments.schema import Instrument, ItemKind


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _plain(value: object) -> object:
    """numpy scalars to plain JSON-able Python values."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()  # type: ignore[attr-defined]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class Checked:
    """The outcome of checking answers: scores and safety flags, or problems."""

    instrument: Instrument
    scores: dict[str, Any]
    flagged: list[str]
    problems: list[Problem]


def check_answers(
    instrument_id: str,
    answers: Mapping[str, object],
    *,
    require_complete: bool,
    require_scored: bool = True,
    variant: str | None = None,
) -> Checked:
    """Validate and score ``answers`` ({item id: printed weight}); every problem at once.

    With ``require_complete`` a blank required item is a problem ("please answer"). With
    ``require_scored`` (every submission; not a draft) the engine must score at least one of
    the instrument's scales within that scale's missing-item rule: answers that score nothing
    record nothing (see :func:`too_few_answers`). A key that is not an item of the
    instrument is a problem even when its value is blank. Problems from the engine (not one of
    the weights, out of range) come with the item id as the field.

    ``variant`` (the site's declared printed order, for an instrument that needs one): the
    keys are the form's printed questions q1, q2 ..., renamed to the catalogue's items by the
    engine; a problem names the printed question.
    """
    instrument = get_instrument(instrument_id)
    problems: list[Problem] = []
    present = {key: value for key, value in answers.items() if not is_blank(value)}
    known = {item.id for item in instrument.items}
    text_items = {item.id for item in instrument.items if item.kind is ItemKind.TEXT}
    for key in answers:
        if key not in known:
            problems.append(Problem(str(key), "This is not a question of this questionnaire."))
    scorable = {
        key: value for key, value in present.items() if key in known and key not in text_items
    }
    for key, value in present.items():
        if key in text_items and not isinstance(value, str):
            problems.append(Problem(key, "This answer must be text."))
    if require_complete:
        for item in instrument.items:
            if item.required and item.kind is not ItemKind.TEXT and item.id not in present:
                problems.append(Problem(item.id, "Please answer this question."))
    scores: dict[str, Any] = {}
    flagged: list[str] = []
    mapping = instrument.variant_mapping(variant) if variant is not None else {}
    try:
        raw_scores = score_one(instrument, scorable, variant=variant)
    except ResponseValidationError as error:
        printed = {item: key for key, item in mapping.items()}
        problems.extend(Problem(printed.get(p.column, p.column), p.message) for p in error.problems)
    else:
        scores = {key: _plain(value) for key, value in raw_scores.items()}
        by_item = {mapping.get(key, key): value for key, value in scorable.items()}
        flagged = [printed_key(mapping, item) for item in safety_flags(instrument, by_item)]
        if require_scored and not problems:
            problems.extend(too_few_answers(instrument, by_item, scores))
    problems.sort(key=lambda p: _order(instrument, p.field))
    return Checked(instrument=instrument, scores=scores, flagged=flagged, problems=problems)


def check_many(
    instrument_id: str, many: Sequence[Mapping[str, object]], *, variant: str | None = None
) -> list[Checked]:
    """:func:`check_answers` (``require_complete=False``) for many responses of one instrument
    at once, through the engine's vectorised :func:`balm.instruments.score` (the same checks,
    words and scores as :func:`score_one`, which ``tests/instruments/test_engine_single.py``
    holds equal): for imports of thousands of responses. Every key must be an item of the
    instrument (the caller checked its columns)."""
    import pandas as pd

    from balm.instruments import score

    instrument = get_instrument(instrument_id)
    mapping = instrument.variant_mapping(variant) if variant is not None else {}
    printed = {item: key for key, item in mapping.items()}
    text_items = {item.id for item in instrument.items if item.kind is ItemKind.TEXT}
    present = [{k: v for k, v in answers.items() if not is_blank(v)} for answers in many]
    frame = pd.DataFrame(present, columns=[item.id for item in instrument.items], dtype=object)
    problems: list[list[Problem]] = [[] for _ in many]
    for position, answers in enumerate(present):
        for key in text_items & set(answers):
            if not isinstance(answers[key], str):
                problems[position].append(Problem(key, "This answer must be text."))
    keep = frame
    try:
        result = score(instrument, frame, variant=variant)
    except ResponseValidationError as error:
        for p in error.problems:
            field = printed.get(p.column, p.column)
            targets = problems if p.row is None else [problems[p.row]]
            for found in targets:
                found.append(Problem(field, p.message))
        if any(p.row is None for p in error.problems):
            return [Checked(instrument, {}, [], found) for found in problems]
        keep = frame.drop(index=sorted({p.row for p in error.problems if p.row is not None}))
        result = score(instrument, keep, variant=variant)  # the rows without a bad cell
    scored = result.scores.astype(object).where(result.scores.notna(), None)
    records = dict(zip(keep.index, scored.to_dict("records"), strict=True))
    out = []
    for position, answers in enumerate(present):
        found = problems[position]
        if position not in records:
            out.append(Checked(instrument, {}, [], found))
            continue
        scores = {key: _plain(value) for key, value in records[position].items()}
        by_item = {mapping.get(k, k): v for k, v in answers.items()}
        flagged = [printed_key(mapping, item) for item in safety_flags(instrument, by_item)]
        if not found:
            found.extend(too_few_answers(instrument, by_item, scores))
        out.append(Checked(instrument, scores, flagged, found))
    return out


def printed_key(mapping: Mapping[str, str], item: str) -> str:
    """The printed question that is catalogue ``item`` under a variant's ``mapping``."""
    return next((key for key, value in mapping.items() if value == item), item)


def too_few_answers(
    instrument: Instrument, present: Mapping[str, object], scores: Mapping[str, Any]
) -> list[Problem]:
    """One problem when the engine scored none of the instrument's scales, saying for each
    scale how many of its items must be answered (its items less the catalogue's
    ``max_missing``) and how many were. Empty when at least one scale has a score.

    At least one scale, not every scale: a paper form whose anxiety items were left blank
    still gives a valid depression score, and refusing it would lose that score; a scale the
    engine cannot score stays "not scored" in the stored record.
    """
    if any(scores.get(scale.id) is not None for scale in instrument.scales):
        return []
    needs = []
    for scale in instrument.scales:
        answered = sum(1 for item in scale.items if item in present)
        needed = len(scale.items) - scale.missing.max_missing
        needs.append(f"{scale.name}: {needed} of {len(scale.items)} ({answered} answered)")
    return [
        Problem(
            "",
            f"Too few answers to give any score for {instrument.short_name}. Answers needed "
            f"for a score: {'; '.join(needs)}. If the form was not returned or was declined, "
            "record that instead.",
        )
    ]


def _order(instrument: Instrument, field: str) -> tuple[int, str]:
    ids = [item.id for item in instrument.items]
    return (ids.index(field) if field in ids else len(ids), field)


def stored_answers(answers: Mapping[str, object]) -> dict[str, object]:
    """The answers as given, made JSON-safe (blank stays blank: None, never 0)."""
    return {
        str(key): (None if is_blank(value) else _plain(value)) for key, value in answers.items()
    }
