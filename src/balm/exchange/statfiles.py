"""A tidy scores table as an SPSS (.sav), Stata (.dta) or Parquet file (pure: no Django).

The table is balm's tidy export (:mod:`balm.outcomes.export`) or anything shaped like it: an
id column, ``timepoint`` and ``week``, and ``<instrument>_<scale>`` (``_band``) and
``<instrument>_<item>`` columns. What each format carries:

- SPSS and Stata (written by pyreadstat): a variable label on every column (the instrument's
  short name and the scale's name, an item's concept, or what a fixed column means) and value
  labels on the coded columns: ``timepoint`` (1 baseline, 2 mid, 3 end, 4 follow_up), each
  ``*_band`` (1 = the lowest band of the catalogue, in its printed order) and each choice
  item (its printed weights and labels, where the weights are whole numbers). Stata keeps
  value labels on whole numbers only, so those columns are written as numeric codes in both
  formats; a blank stays a system missing value, never 0.
- Parquet (pyarrow): the columns keep their types (whole numbers, decimals with missing
  values, text), and ``timepoint`` and the bands are ordered categories.

Every problem with the table is listed at once (:class:`StatFileError`) before anything is
written: a column name a format cannot hold, a band or timepoint that is not one of its
values (row, column, value, allowed values).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from balm.instruments.catalogue import catalogue
from balm.instruments.schema import Instrument, ItemKind

FORMATS = (".sav", ".dta", ".parquet")
TIMEPOINTS = ("baseline", "mid", "end", "follow_up")

#: What balm's fixed export columns mean (the same words as the export's data dictionary).
FIXED_LABELS: dict[str, str] = {
    "enrolment": "Course of treatment: pseudonym and group",
    "participant": "Participant pseudonym",
    "cohort": "Group name",
    "site": "Pain service",
    "format": "How the person takes part",
    "diagnosis": "Diagnosis category",
    "timepoint": "Timepoint",
    "week": "Programme week",
    "sessions_attended": "Sessions attended",
    "practice_minutes": "Home-practice minutes",
    "practice_type": "Compassion practice named",
}

_STATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_SPSS_NAME = re.compile(r"[A-Za-z@][A-Za-z0-9_.@#$]{0,63}")


class StatFileError(ValueError):
    """The table cannot be written as asked; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems))


@dataclass(frozen=True)
class Column:
    """What balm knows about one column: its label and, for coded columns, its codes."""

    label: str
    codes: Mapping[str, int] | None = None  # text value -> code (timepoint, bands)
    value_labels: Mapping[int, str] | None = None


def _split(name: str) -> tuple[Instrument, str] | None:
    """The catalogue instrument a ``<instrument>_<rest>`` column belongs to, longest id first
    (``scs_sf_total`` is SCS-SF's, not a ``scs`` instrument's)."""
    known = catalogue()
    for instrument_id in sorted(known, key=len, reverse=True):
        if name.startswith(f"{instrument_id}_"):
            return known[instrument_id], name[len(instrument_id) + 1 :]
    return None


def describe(name: str) -> Column | None:
    """The label and codes of column ``name`` (None for a column balm does not know)."""
    if name in FIXED_LABELS:
        if name == "timepoint":
            codes = {value: code for code, value in enumerate(TIMEPOINTS, start=1)}
            return Column(FIXED_LABELS[name], codes, {c: v for v, c in codes.items()})
        return Column(FIXED_LABELS[name])
    found = _split(name)
    if found is None:
        return None
    instrument, rest = found
    prefix = instrument.short_name
    for scale in instrument.scales:
        if rest == scale.id:
            return Column(f"{prefix}: {scale.name}")
        if rest == f"{scale.id}_band" and scale.bands is not None:
            codes = {band.label: code for code, band in enumerate(scale.bands.bands, start=1)}
            return Column(f"{prefix}: {scale.name}, band", codes, {c: v for v, c in codes.items()})
    for item in instrument.items:
        if rest == item.id:
            labels = None
            if item.kind is ItemKind.CHOICE:
                options = instrument.options_for(item)
                if all(float(o.value).is_integer() for o in options):
                    labels = {int(o.value): o.label for o in options}
            return Column(f"{prefix} item {item.id}: {item.concept}", None, labels)
    return None


def _name_problems(columns: list[str], suffix: str) -> list[str]:
    problems = []
    for name in columns:
        if suffix == ".dta" and not _STATA_NAME.fullmatch(name):
            problems.append(
                f"column {name!r}: Stata names are letters, digits and _ (at most 32, "
                "not starting with a digit)"
            )
        if suffix == ".sav" and not _SPSS_NAME.fullmatch(name):
            problems.append(
                f"column {name!r}: SPSS names are letters, digits and _.@#$ (at most 64, "
                "starting with a letter)"
            )
    return problems


def coded(
    frame: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, str | None], dict[str, dict[int, str]]]:
    """The table with its coded columns as numbers, the variable labels and value labels.
    Raises :class:`StatFileError` naming every value that is not one of its column's values
    (row numbers count the header as line 1, as a spreadsheet shows them)."""
    out = frame.copy()
    labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[int, str]] = {}
    problems: list[str] = []
    for name in frame.columns:
        column = describe(str(name))
        if column is None:
            continue
        labels[str(name)] = column.label
        if column.value_labels:
            value_labels[str(name)] = dict(column.value_labels)
        if column.codes is None:
            continue
        text = frame[name].astype("string").str.strip()
        blank = text.isna() | (text == "")
        mapped = text.map(dict(column.codes))
        bad = ~blank & mapped.isna()
        for position in bad.to_numpy().nonzero()[0]:
            problems.append(
                f"line {int(position) + 2}, column {name}: {text.iloc[position]!r} is not one "
                f"of {', '.join(column.codes)}"
            )
        out[name] = mapped.where(~blank).astype("Float64").astype("Int64")
    if problems:
        raise StatFileError(problems)
    return out, labels, value_labels


def _for_readstat(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float64 (a missing value is NaN: system missing), text as object."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            out[name] = column.astype("Float64").to_numpy(dtype="float64", na_value=float("nan"))
        else:
            out[name] = column.astype("string").fillna("").astype(object)
    return out


def write(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as .sav, .dta or .parquet (by its suffix); see the module
    notes. Nothing is written when the table has a problem."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise StatFileError([f"{path.name}: write .sav (SPSS), .dta (Stata) or .parquet"])
    problems = _name_problems([str(c) for c in frame.columns], suffix)
    if problems:
        raise StatFileError(problems)
    if suffix == ".parquet":
        _write_parquet(frame, path)
        return
    table, labels, value_labels = coded(frame)
    import pyreadstat

    data = _for_readstat(table)
    kept = {k: v for k, v in value_labels.items() if k in data.columns}
    if suffix == ".sav":
        pyreadstat.write_sav(
            data,
            str(path),
            column_labels=labels,
            variable_value_labels=kept,  # type: ignore[arg-type]
        )
    else:
        pyreadstat.write_dta(
            data,
            str(path),
            column_labels=labels,
            variable_value_labels=kept,  # type: ignore[arg-type]
        )


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    problems: list[str] = []
    for name in frame.columns:
        column = describe(str(name))
        if column is None or column.codes is None:
            continue
        order = list(column.codes)
        text = frame[name].astype("string").str.strip()
        text = text.where(text != "")
        unknown = ~text.isna() & ~text.isin(order)
        for position in unknown.to_numpy().nonzero()[0]:
            problems.append(
                f"line {int(position) + 2}, column {name}: {text.iloc[position]!r} is not one "
                f"of {', '.join(order)}"
            )
        if not problems:
            out[name] = pd.Categorical(text, categories=order, ordered=True)
    if problems:
        raise StatFileError(problems)
    out.to_parquet(path, index=False)


def read_scores_csv(path: Path) -> pd.DataFrame:
    """A tidy scores CSV as written by balm (text ids, whole weeks, decimal scores)."""
    numbers = ("week", "sessions_attended", "practice_minutes")
    text = [c for c in FIXED_LABELS if c not in numbers]
    frame = pd.read_csv(path, dtype=dict.fromkeys(text, "string"), keep_default_na=True)
    for name in frame.columns:
        if str(name).endswith("_band"):
            frame[name] = frame[name].astype("string")
    return frame
