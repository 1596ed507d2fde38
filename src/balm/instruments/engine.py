"""The vectorised scoring engine: a data frame of answers in, a data frame of scores out.

Every route into balm (web form, API, CSV import, FHIR) scores through :func:`score`, so a
response is validated and scored the same way whichever door it came through. The work is
done column-wise over numpy arrays: the cost grows with the number of items, not with a
Python loop over rows.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from balm.instruments.catalogue import UnknownInstrumentError, get_instrument
from balm.instruments.schema import Instrument, Item, ItemKind, Scale, ScaleMethod

SCORER_VERSION = "1.0"
"""Bumped whenever the engine would score some response differently."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, order=True)
class Problem:
    """One bad cell (or bad column, when ``row`` is None), in words a person can act on."""

    row: int | None
    column: str
    message: str
    row_label: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.column}: {self.message}"
        return f"row {self.row_label}, {self.column}: {self.message}"


class ResponseValidationError(ValueError):
    """Answers that cannot be scored; ``problems`` lists every one found, in row order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the answers:\n{lines}")


@dataclass(frozen=True)
class ScoreResult:
    """Scores for every row, aligned with the input's index.

    ``scores`` holds one float column per scale (NaN where too many items were missing)
    and ``<scale>_band`` where the scale has severity bands. ``missing`` holds, per scale,
    how many of its items were blank; ``prorated`` and ``not_computed`` flag the rows whose
    score was prorated or could not be computed under the catalogue's missing-item rule.
    """

    instrument_id: str
    instrument_version: str
    scorer_version: str
    scores: pd.DataFrame
    missing: pd.DataFrame
    prorated: pd.DataFrame
    not_computed: pd.DataFrame

    def notes(self) -> pd.Series:
        """A short note per row naming the scales that were prorated or not computed.

        For example ``total prorated (1 missing)`` or, for several scales, the notes joined
        with ``"; "``; an empty string when every score used all of its items. Only the
        flagged rows are formatted, so the cost follows the number of notes, not of rows.
        """
        notes = np.full(len(self.scores), "", dtype=object)
        for scale_id in self.missing.columns:
            prorated = self.prorated[scale_id].to_numpy(dtype=bool)
            dropped = self.not_computed[scale_id].to_numpy(dtype=bool)
            n_missing = self.missing[scale_id].to_numpy()
            for flagged, verb in ((prorated, "prorated"), (dropped, "not computed")):
                rows = np.flatnonzero(flagged)
                if len(rows) == 0:
                    continue
                counts = n_missing[rows]
                # Few distinct missing counts: format each once, not once per row.
                for count in np.unique(counts):
                    text = f"{scale_id} {verb} ({count} missing)"
                    chosen = rows[counts == count]
                    before = notes[chosen]
                    notes[chosen] = np.where(before == "", text, before + "; " + text)
        return pd.Series(notes, index=self.scores.index, dtype=object)


def _item_bounds(instrument: Instrument, item: Item) -> tuple[float, float]:
    if item.kind is ItemKind.CHOICE:
        values = [option.value for option in instrument.options_for(item)]
        return min(values), max(values)
    assert item.minimum is not None and item.maximum is not None  # schema guarantees it
    return item.minimum, item.maximum


def _format_number(value: float) -> str:
    return f"{value:g}"


def _describe_allowed(instrument: Instrument, item: Item) -> str:
    if item.kind is ItemKind.CHOICE:
        values = ", ".join(_format_number(o.value) for o in instrument.options_for(item))
        return f"is not one of {values}"
    low, high = _item_bounds(instrument, item)
    whole = "a whole number " if item.kind is ItemKind.INTEGER else "a number "
    return f"is not {whole}from {_format_number(low)} to {_format_number(high)}"


def _shown(value: object) -> str:
    """A bad answer as a problem shows it: as typed, or quoted with escapes when it holds a
    line break or another unprintable character (one problem stays one line)."""
    text = str(value).strip()
    return text if text.isprintable() else repr(text)


def _not_a_number(allowed: str) -> str:
    """ "x is not a number (one of 0, 1, 2, 3)": the problem names what the item takes."""
    return f"is not a number ({allowed.removeprefix('is not ')})"


def _row_labels(
    frame: pd.DataFrame, row_labels: Sequence[Hashable] | pd.Series | None
) -> list[str]:
    if row_labels is not None:
        return [str(label) for label in row_labels]
    if "id" in frame.columns:
        return [str(label) for label in frame["id"].tolist()]
    return [str(number) for number in range(1, len(frame) + 1)]


def _parse_text(column: pd.Series) -> tuple[FloatArray, BoolArray, BoolArray]:
    """Numbers, blank mask and not-a-number mask for a column of text (or mixed objects)."""
    text = column.astype("string").str.strip()
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    parsed = pd.to_numeric(text.where(~blank), errors="coerce")
    values = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    not_a_number = ~blank & ~np.isfinite(values)
    values = np.where(not_a_number, np.nan, values)
    return values, blank, not_a_number


def _as_numbers(
    column: pd.Series,
) -> tuple[npt.NDArray[np.intp] | None, FloatArray, BoolArray, BoolArray]:
    """Codes, numbers, a blank mask and a not-a-number mask for one answer column.

    A blank (empty string, whitespace, None, NaN) is missing; it is never read as zero.
    Numeric columns come back row by row with codes None. Text is parsed once per distinct
    value (answers take few distinct values): the numbers and masks are then per distinct
    value, and row i's answer is distinct value ``codes[i]`` (categorical columns use their
    categories, string columns are factorised). Code -1 is a missing value.
    """
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        blank = np.isnan(values)
        return None, values, blank, np.zeros(len(values), dtype=bool)
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.intp)
        uniques = pd.Series(column.cat.categories, dtype=object)
    elif pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        codes, found = pd.factorize(column)
        uniques = pd.Series(found, dtype=object)
    else:
        return None, *_parse_text(column)
    return codes, *_parse_text(uniques)


def _out_of_key(
    instrument: Instrument, item: Item, values: FloatArray, unusable: BoolArray
) -> BoolArray:
    """Numbers that are not one of a choice item's weights, or outside a numeric item's range."""
    if item.kind is ItemKind.CHOICE:
        allowed = np.array([option.value for option in instrument.options_for(item)])
        return ~unusable & ~np.isin(values, allowed)
    low, high = _item_bounds(instrument, item)
    with np.errstate(invalid="ignore"):
        outside = (values < low) | (values > high)
        if item.kind is ItemKind.INTEGER:
            outside |= values != np.round(values)
    return ~unusable & outside


def parse_answers(
    instrument: Instrument,
    frame: pd.DataFrame,
    *,
    row_labels: Sequence[Hashable] | pd.Series | None = None,
) -> tuple[FloatArray, list[Problem]]:
    """Check every scored item's answers and return them as a float matrix (NaN = blank).

    All problems are collected in one pass: a missing item column, a value that is not a
    number, a value that is not one of the item's printed weights or outside its range.
    Row labels come from ``row_labels``, else the frame's ``id`` column, else 1-based numbers.
    """
    items = instrument.scored_items
    missing_columns = [item.id for item in items if item.id not in frame.columns]
    if missing_columns:
        expected = ", ".join(item.id for item in items)
        return np.empty((len(frame), 0)), [
            Problem(None, column, f"column is missing (expected items: {expected})")
            for column in missing_columns
        ]
    # Column-major: the scorer works column by column, so each item's answers are contiguous.
    matrix = np.empty((len(frame), len(items)), dtype=np.float64, order="F")
    bad_cells: list[tuple[int, int, str]] = []
    for position, item in enumerate(items):
        codes, values, blank, not_a_number = _as_numbers(frame[item.id])
        out_of_key = _out_of_key(instrument, item, values, blank | not_a_number)
        clean = np.where(not_a_number | out_of_key, np.nan, values)
        if codes is not None:
            # Spread the distinct values to the rows; the extra last slot is code -1 (blank).
            # (np.take is several times faster than fancy indexing here.)
            status = np.take(np.append(not_a_number + 2 * out_of_key, 0).astype(np.int8), codes)
            not_a_number, out_of_key = status == 1, status == 2
            matrix[:, position] = np.take(np.append(clean, np.nan), codes)
        else:
            matrix[:, position] = clean
        reason = _describe_allowed(instrument, item)
        for bad_row in np.flatnonzero(not_a_number):
            bad_cells.append((int(bad_row), position, _not_a_number(reason)))
        if out_of_key.any():
            for bad_row in np.flatnonzero(out_of_key):
                bad_cells.append((int(bad_row), position, reason))
    if not bad_cells:
        return matrix, []
    labels = _row_labels(frame, row_labels)
    raw = frame[[item.id for item in items]]
    problems = []
    for row, position, reason in sorted(bad_cells):
        shown = _shown(raw.iat[row, position])
        problems.append(Problem(row, items[position].id, f"{shown} {reason}", labels[row]))
    return matrix, problems


def _reverse_keyed(instrument: Instrument, matrix: FloatArray) -> FloatArray:
    """Reverse-keyed items scored as (lowest weight + highest weight - answer)."""
    reversed_items = [
        (position, item) for position, item in enumerate(instrument.scored_items) if item.reverse
    ]
    if not reversed_items:
        return matrix
    keyed = np.array(matrix, dtype=np.float64, order="F", copy=True)
    for position, item in reversed_items:
        low, high = _item_bounds(instrument, item)
        keyed[:, position] = low + high - keyed[:, position]
    return keyed


def _lookup(scale: Scale, source: FloatArray) -> FloatArray:
    assert scale.lookup is not None  # schema guarantees it for lookup scales
    keys = np.array(sorted(scale.lookup), dtype=np.float64)
    table = np.array([scale.lookup[int(key)] for key in keys], dtype=np.float64)
    where = np.clip(np.searchsorted(keys, source), 0, len(keys) - 1)
    found = keys[where] == source
    return np.where(found, table[where], np.nan)


def _band_labels(scale: Scale, values: FloatArray) -> npt.NDArray[np.object_]:
    """The band whose printed minimum the score has reached (a prorated 9.5 on 5-9/10-14 is
    still in the lower band: it has not reached 10)."""
    assert scale.bands is not None
    minima = np.array([band.minimum for band in scale.bands.bands])
    # One label per band, then a last slot for "no score, no band".
    labels = np.array([*(band.label for band in scale.bands.bands), None], dtype=object)
    index = np.clip(np.searchsorted(minima, values, side="right") - 1, 0, len(minima) - 1)
    index = np.where(np.isnan(values), len(minima), index)
    banded: npt.NDArray[np.object_] = np.take(labels, index)
    return banded


def score_matrix(
    instrument: Instrument, matrix: FloatArray
) -> dict[str, tuple[FloatArray, npt.NDArray[np.int64], BoolArray, BoolArray]]:
    """Score a validated answer matrix (columns in ``instrument.scored_items`` order).

    Per scale, with k items of which m are blank and S the sum of the answered items
    (after reverse keying: each item's own ``reverse`` flag, or the scale's ``reverse_items``
    where the scale lists them): sum = S·k/(k-m) when prorating is allowed and m <= max_missing
    (S when m = 0); mean = S/(k-m); doubled_sum = 2 × the (prorated) sum, as DASS-21
    scores are reported on the 42-point metric (Lovibond & Lovibond 1995); lookup = the
    published conversion of another scale's complete score. A scale with m above its
    max_missing is NaN. Returns (score, m, prorated, not_computed) per scale id.
    """
    keyed = _reverse_keyed(instrument, matrix)
    positions = {item.id: index for index, item in enumerate(instrument.scored_items)}
    n_rows = keyed.shape[0]
    # Per item, computed once and shared by every scale that uses it: the answered mask and
    # the answers with blanks as 0 (only ever added up, never read as an answer of 0).
    columns_seen: dict[int, tuple[BoolArray, FloatArray]] = {}

    def column(position: int) -> tuple[BoolArray, FloatArray]:
        if position not in columns_seen:
            values = keyed[:, position]
            blank = np.isnan(values)
            columns_seen[position] = (blank, np.where(blank, 0.0, values))
        return columns_seen[position]

    items = instrument.scored_items

    def scale_column(scale: Scale, position: int) -> tuple[BoolArray, FloatArray]:
        # A scale that names its own reverse_items is keyed by that list alone (SCS-SF
        # reports its negative subscales raw while its total reverses them).
        item = items[position]
        if scale.reverse_items is None or (item.id in scale.reverse_items) == item.reverse:
            return column(position)
        blank, filled = column(position)
        low, high = _item_bounds(instrument, item)
        return blank, np.where(blank, 0.0, low + high - filled)

    results: dict[str, tuple[FloatArray, npt.NDArray[np.int64], BoolArray, BoolArray]] = {}
    for scale in instrument.scales:
        k = len(scale.items)
        n_missing = np.zeros(n_rows, dtype=np.int64)
        total = np.zeros(n_rows, dtype=np.float64)
        for item_id in scale.items:
            blank, filled = scale_column(scale, positions[item_id])
            n_missing += blank
            total += filled
        answered = k - n_missing
        computable = n_missing <= scale.missing.max_missing
        with np.errstate(divide="ignore", invalid="ignore"):
            if scale.method is ScaleMethod.SUM:
                value = total * k / answered
            elif scale.method is ScaleMethod.DOUBLED_SUM:
                value = 2.0 * (total * k / answered)
            elif scale.method is ScaleMethod.MEAN:
                value = total / answered
            else:
                assert scale.lookup_source is not None
                value = _lookup(scale, results[scale.lookup_source][0])
        value = np.where(computable, value, np.nan)
        prorated = computable & (n_missing > 0)
        results[scale.id] = (value, n_missing, prorated, ~computable)
    return results


def _assemble(
    instrument: Instrument,
    scored: Mapping[str, tuple[FloatArray, npt.NDArray[np.int64], BoolArray, BoolArray]],
    index: pd.Index,
) -> ScoreResult:
    scores: dict[str, object] = {}
    for scale in instrument.scales:
        values = scored[scale.id][0]
        scores[scale.id] = values
        if scale.bands is not None:
            scores[f"{scale.id}_band"] = _band_labels(scale, values)
    scale_ids = [scale.id for scale in instrument.scales]

    def frame_of(part: int) -> pd.DataFrame:
        return pd.DataFrame({sid: scored[sid][part] for sid in scale_ids}, index=index)

    return ScoreResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        scorer_version=SCORER_VERSION,
        scores=pd.DataFrame(scores, index=index),
        missing=frame_of(1),
        prorated=frame_of(2),
        not_computed=frame_of(3),
    )


def _variant_mapping(definition: Instrument, variant: str) -> dict[str, str]:
    try:
        return definition.variant_mapping(variant)
    except KeyError as error:
        raise ResponseValidationError([Problem(None, "variant", str(error.args[0]))]) from error


def resolve(instrument: Instrument | str) -> Instrument:
    """An :class:`Instrument` from itself or from its catalogue id."""
    return get_instrument(instrument) if isinstance(instrument, str) else instrument


def score(
    instrument: Instrument | str,
    frame: pd.DataFrame,
    *,
    row_labels: Sequence[Hashable] | pd.Series | None = None,
    variant: str | None = None,
) -> ScoreResult:
    """Validate and score many responses at once.

    ``frame`` has one column per item (``q1`` .. ``qN``, the catalogue's item ids); other
    columns are ignored. Raises :class:`ResponseValidationError` listing every bad cell when
    any answer is not a number or not allowed by the key; nothing is scored then.

    ``variant`` names a printed item order of the instrument (``Instrument.variants``): the
    columns are then the printed questions q1 .. qN in that form's order, renamed to the
    catalogue's items before scoring. An unknown variant is a :class:`ResponseValidationError`.
    """
    definition = resolve(instrument)
    if variant is not None:
        frame = frame.rename(columns=_variant_mapping(definition, variant))
    matrix, problems = parse_answers(definition, frame, row_labels=row_labels)
    if problems:
        raise ResponseValidationError(problems)
    return _assemble(definition, score_matrix(definition, matrix), frame.index)


@dataclass(frozen=True)
class _ItemCheck:
    """What one scored item accepts, worked out once per instrument (see :func:`_checks`)."""

    id: str
    allowed: frozenset[float] | None  # a choice item's printed weights; None for a range
    low: float
    high: float
    whole: bool
    reason: str  # the words after the value when it is not allowed


def _build_checks(instrument: Instrument) -> tuple[_ItemCheck, ...]:
    checks = []
    for item in instrument.scored_items:
        low, high = _item_bounds(instrument, item)
        allowed = (
            frozenset(float(option.value) for option in instrument.options_for(item))
            if item.kind is ItemKind.CHOICE
            else None
        )
        checks.append(
            _ItemCheck(
                id=item.id,
                allowed=allowed,
                low=float(low),
                high=float(high),
                whole=item.kind is ItemKind.INTEGER,
                reason=_describe_allowed(instrument, item),
            )
        )
    return tuple(checks)


@cache
def _catalogue_checks(instrument_id: str, version: str) -> tuple[_ItemCheck, ...]:
    return _build_checks(get_instrument(instrument_id))


def _checks(instrument: Instrument) -> tuple[_ItemCheck, ...]:
    """The per-item checks; cached by id and version for the catalogue's own instruments."""
    try:
        shipped = get_instrument(instrument.id)
    except UnknownInstrumentError:
        shipped = None
    if shipped is instrument:
        return _catalogue_checks(instrument.id, instrument.version)
    return _build_checks(instrument)  # a hand-built instrument (tests, notebooks): not cached


# Short unsigned plain decimals ("2", "2.5"), which pandas and Python read to the same float;
# anything else a person might type is handed to the frame parser itself, so the two routes
# cannot drift apart on an odd spelling.
_PLAIN_NUMBER = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,6})?")


def _read_one(value: object) -> tuple[float, bool, bool]:
    """(number, blank, not a number) for one answer, exactly as :func:`_parse_text` reads it."""
    if value is None:
        return np.nan, True, False
    if isinstance(value, float):  # float and numpy float64
        if np.isnan(value):
            return np.nan, True, False
        if not np.isfinite(value):
            return np.nan, False, True
        return float(value), False, False
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        if (
            -(2**53) < int(value) < 2**53
        ):  # exactly a float; a huge integer goes to the frame parser
            return float(value), False, False
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return np.nan, True, False
        if _PLAIN_NUMBER.fullmatch(text):
            return float(text), False, False
    values, blank, not_a_number = _parse_text(pd.Series([value], dtype=object))
    return float(values[0]), bool(blank[0]), bool(not_a_number[0])


def _check_one(
    instrument: Instrument, answers: Mapping[str, object]
) -> tuple[FloatArray, list[Problem]]:
    """One response's answers as a 1×k matrix and its problems, as :func:`parse_answers` gives
    them for a one-row frame labelled ``response`` (same checks, same words, same order)."""
    checks = _checks(instrument)
    matrix = np.full((1, len(checks)), np.nan, dtype=np.float64, order="F")
    problems: list[Problem] = []
    for position, check in enumerate(checks):
        raw = answers.get(check.id)
        number, blank, not_a_number = _read_one(raw)
        if blank:
            continue
        if not_a_number:
            reason = _not_a_number(check.reason)
        elif check.allowed is not None:
            reason = "" if number in check.allowed else check.reason
        elif number < check.low or number > check.high or (check.whole and number != round(number)):
            reason = check.reason
        else:
            reason = ""
        if reason:
            problems.append(Problem(0, check.id, f"{_shown(raw)} {reason}", "response"))
        else:
            matrix[0, position] = number
    return matrix, problems


def score_one(
    instrument: Instrument | str, answers: Mapping[str, object], *, variant: str | None = None
) -> dict[str, object]:
    """Score a single response given as ``{item_id: value}``; blanks may be omitted.

    ``variant`` as in :func:`score` (the keys are then the printed questions of that form).

    Returns ``{scale: value or None, "<scale>_band": label or None}``; raises
    :class:`ResponseValidationError` as :func:`score` does. The answers are checked in plain
    Python (the same checks and messages as :func:`parse_answers`, with no data frame to
    build), then scored by :func:`score_matrix` and banded as :func:`score` bands them;
    ``tests/instruments/test_engine_single.py`` holds the two routes to the same results.
    """
    definition = resolve(instrument)
    if variant is not None:
        mapping = _variant_mapping(definition, variant)
        answers = {mapping.get(name, name): value for name, value in answers.items()}
    unknown = sorted(set(answers) - {item.id for item in definition.items})
    if unknown:
        raise ResponseValidationError(
            [Problem(None, name, f"is not an item of {definition.id}") for name in unknown]
        )
    matrix, problems = _check_one(definition, answers)
    if problems:
        raise ResponseValidationError(problems)
    scored = score_matrix(definition, matrix)
    record: dict[str, object] = {}
    for scale in definition.scales:
        values = scored[scale.id][0]
        value = float(values[0])
        record[scale.id] = None if np.isnan(value) else value
        if scale.bands is not None:
            record[f"{scale.id}_band"] = _band_labels(scale, values)[0]
    return record


def safety_flags(instrument: Instrument | str, answers: Mapping[str, object]) -> list[str]:
    """Ids of safety items answered above their lowest weight (e.g. PHQ-9 item 9 above 0).
    A value that is not a number (a form's bad input, not yet an answer) flags nothing."""
    definition = resolve(instrument)
    flagged = []
    for item in definition.safety_items:
        value = answers.get(item.id)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            number = float(str(value))
        except ValueError:  # not an answer yet (the form shows it as a problem): no flag
            continue
        if number > _item_bounds(definition, item)[0]:
            flagged.append(item.id)
    return flagged
