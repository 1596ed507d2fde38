"""From long data (one row per participant per timepoint) to pre-post pairs.

The input is a tidy, long data frame, like the example data of clinicalsignificance:
an id column, a time column and an outcome column (and optionally a group column).
Problems a researcher can fix (missing column, unknown timepoint, text in the outcome,
the same participant twice at one timepoint) raise :class:`ChangeInputError`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from balm.change.errors import ChangeInputError

#: Words recognised as timepoint names, with their order. When every time value is one
#: of these (case-insensitive), they are ordered by this rank instead of alphabetically,
#: so "pre"/"post" and "Before"/"After" come out the right way round.
TIMEPOINT_WORDS: dict[str, int] = {
    "baseline": 0,
    "pre": 0,
    "before": 0,
    "start": 0,
    "intake": 0,
    "mid": 1,
    "midpoint": 1,
    "middle": 1,
    "post": 2,
    "after": 2,
    "end": 2,
    "discharge": 2,
    "follow-up": 3,
    "followup": 3,
    "follow_up": 3,
    "fu": 3,
}


def check_columns(data: pd.DataFrame, columns: Sequence[str | None]) -> None:
    """Raise ChangeInputError naming any missing column and the columns present."""
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        present = ", ".join(str(c) for c in data.columns)
        raise ChangeInputError(
            f"column {', '.join(repr(m) for m in missing)} not found; the data has: {present}"
        )


def numeric_outcome(data: pd.DataFrame, outcome: str) -> pd.Series:
    """The outcome column as floats; blanks become NaN, text raises naming the rows.

    Raises
    ------
    ChangeInputError
        If a non-blank value is not a number; the message names up to 10 row labels.
    """
    column = data[outcome]
    if pd.api.types.is_bool_dtype(column):
        raise ChangeInputError(f"outcome {outcome!r} holds true/false values, not scores")
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(np.float64)
    as_text = column.astype("string").str.strip()
    blank = column.isna() | (as_text == "")
    numbers = pd.to_numeric(as_text.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        rows = [str(r) for r in list(data.index[bad.to_numpy()])[:10]]
        values = [repr(v) for v in list(column[bad])[:3]]
        more = " ..." if int(bad.sum()) > 10 else ""
        raise ChangeInputError(
            f"outcome {outcome!r} is not a number in rows {', '.join(rows)}{more} "
            f"(e.g. {', '.join(values)})"
        )
    return numbers.astype(np.float64)


def ordered_timepoints(values: pd.Series) -> list[Any]:
    """The distinct time values in order: numeric order, timepoint words, or text order.

    Parameters
    ----------
    values : pandas.Series
        The time column.

    Returns
    -------
    list
        Distinct non-missing values, earliest first.
    """
    unique = pd.unique(values.dropna())
    if pd.api.types.is_numeric_dtype(values):
        return sorted(unique.tolist())
    words = [str(v).strip().lower() for v in unique]
    if words and all(w in TIMEPOINT_WORDS for w in words):
        return [
            v
            for _, v in sorted(zip(words, unique, strict=True), key=lambda p: TIMEPOINT_WORDS[p[0]])
        ]
    try:
        return sorted(unique.tolist())
    except TypeError:
        return sorted(unique.tolist(), key=str)


def match_timepoint(column: pd.Series, value: Any, name: str) -> pd.Series:
    """Rows of ``column`` equal to ``value``, matching "1" to 1 when the column is numeric.

    Raises
    ------
    ChangeInputError
        If no row has that value; the message lists the values present.
    """
    target: Any = value
    if pd.api.types.is_numeric_dtype(column) and isinstance(value, str):
        try:
            target = float(value)
        except ValueError:
            target = value
    mask: pd.Series = column == target
    if not pd.api.types.is_numeric_dtype(column) and not isinstance(value, str):
        mask = column.astype("string") == str(value)
    if not bool(mask.any()):
        present = ", ".join(_show(v) for v in ordered_timepoints(column))
        raise ChangeInputError(
            f"{name} value {value!r} is not in the time column; it has: {present}"
        )
    return mask


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class PrePost:
    """Pre-post pairs of every participant in the data.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by participant id (all participants in the data), columns ``pre``,
        ``post`` (NaN when missing) and ``group`` when a group column was given.
    pre_label, post_label : object
        The time values used as pre and post.
    defaulted : bool
        Whether pre and post were taken as the first and last timepoints.
    timepoints : list
        All time values, in order.
    """

    table: pd.DataFrame
    pre_label: Any
    post_label: Any
    defaulted: bool
    timepoints: list[Any]

    @property
    def complete(self) -> pd.DataFrame:
        """Participants with both pre and post."""
        t = self.table
        return t.loc[t["pre"].notna() & t["post"].notna()]


def participant_groups(data: pd.DataFrame, id: str, group: str) -> pd.Series:
    """One group value per participant; raise if a participant is in two groups."""
    pairs = data[[id, group]].dropna().drop_duplicates()
    if pairs[id].duplicated().any():
        twice = pairs.loc[pairs[id].duplicated(keep=False), id].unique()[:5]
        raise ChangeInputError(
            f"participants {', '.join(str(v) for v in twice)} have more than one value in "
            f"group column {group!r}"
        )
    return pairs.set_index(id)[group]


def pre_post(
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    pre: Hashable | None = None,
    post: Hashable | None = None,
    group: str | None = None,
) -> PrePost:
    """Pair each participant's pre and post scores from long data.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: one row per participant per timepoint.
    id, time, outcome : str
        Column names.
    pre, post : optional
        Time values to compare; default to the first and last in
        :func:`ordered_timepoints` order.
    group : str, optional
        A column with one value per participant (cohort, site, format ...).

    Returns
    -------
    PrePost

    Raises
    ------
    ChangeInputError
        For a missing column, unknown timepoint, non-numeric outcome, duplicate
        participant-timepoint rows, or fewer than two timepoints.
    """
    check_columns(data, [id, time, outcome, group])
    scores = numeric_outcome(data, outcome)
    timepoints = ordered_timepoints(data[time])
    defaulted = pre is None and post is None
    if (pre is None or post is None) and len(timepoints) < 2:
        raise ChangeInputError(
            f"the time column {time!r} needs at least two values; it has: "
            + ", ".join(_show(v) for v in timepoints)
        )
    pre_value: Any = timepoints[0] if pre is None else pre
    post_value: Any = timepoints[-1] if post is None else post
    pre_mask = match_timepoint(data[time], pre_value, "pre")
    post_mask = match_timepoint(data[time], post_value, "post")
    if bool((pre_mask & post_mask).any()):
        raise ChangeInputError("pre and post name the same timepoint")
    ids = data[id]
    if bool(ids.isna().any()):
        raise ChangeInputError(f"the id column {id!r} has blank values")
    pre_s = pd.Series(scores[pre_mask].to_numpy(), index=ids[pre_mask].to_numpy())
    post_s = pd.Series(scores[post_mask].to_numpy(), index=ids[post_mask].to_numpy())
    for label, s in (("pre", pre_s), ("post", post_s)):
        if not s.index.is_unique:
            twice = s.index[s.index.duplicated()].unique()[:5]
            raise ChangeInputError(
                f"participants {', '.join(str(v) for v in twice)} have more than one {label} row"
            )
    all_ids = pd.Index(pd.unique(ids), name=id)
    table = pd.DataFrame(
        {"pre": pre_s.reindex(all_ids), "post": post_s.reindex(all_ids)}, index=all_ids
    )
    if group is not None:
        table["group"] = participant_groups(data, id, group).reindex(all_ids)
    pre_label = data.loc[pre_mask, time].iloc[0]
    post_label = data.loc[post_mask, time].iloc[0]
    return PrePost(table, _plain(pre_label), _plain(post_label), defaulted, timepoints)


def _plain(value: Any) -> Any:
    """numpy scalars to plain Python values (for JSON and messages)."""
    if isinstance(value, np.generic):
        return value.item()
    return value
