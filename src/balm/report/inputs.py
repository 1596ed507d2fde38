"""The report's inputs: what each CSV file holds, and every problem with them at once.

Files (only the scores file is required):

* **scores**: balm's tidy scores export as it is (``enrolment``, ``participant``, ``cohort``,
  ``site``, ``format``, ``diagnosis``, ``timepoint``, ``week``, then ``<instrument>_<scale>``
  columns; ``_band`` columns are ignored). One row per course of treatment per timepoint.
* **check-ins**: balm's check-in export (the id column, ``week``, ``checkin_<scale>``,
  ``practice_type``).
* **sessions**: one row per session of a cohort: ``cohort``, ``session`` (number, 1..),
  ``date`` (YYYY-MM-DD, blank when not yet held), ``title``, ``attended`` (people who came)
  and ``enrolled`` (people enrolled in the cohort then); optionally ``feedback`` and
  ``reflections`` (facilitators' free text, blank allowed). The web app's sessions export
  writes exactly these columns.
* **enrolments**: one row per course of treatment (the id column, e.g. ``enrolment``), with
  the date each step of the enrolment was reached (YYYY-MM-DD, blank when never):
  ``referred_on``, ``assessed_on``, ``started_on``, ``completed_on``, ``withdrawn_on``;
  ``withdrawal_reason`` (text); ``sessions_attended`` (a whole number, blank when not
  known). The tidy export has no status history, so the flow's first steps need this file.

A user's mistakes are collected in one pass and raised together as
:class:`ReportInputError`; nothing is computed from a file with a problem.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from balm.qual import Project

#: Columns of the tidy scores export that are not scores.
SCORE_ID_COLUMNS = (
    "enrolment",
    "participant",
    "cohort",
    "site",
    "format",
    "diagnosis",
    "timepoint",
    "week",
)
SESSION_COLUMNS = ("cohort", "session", "date", "title", "attended", "enrolled")
#: Optional free-text columns of the sessions file (the facilitators' words).
SESSION_TEXT_COLUMNS = ("feedback", "reflections")
ENROLMENT_STEPS = ("referred", "assessed", "started", "completed", "withdrawn")
ENROLMENT_COLUMNS = (
    *(f"{step}_on" for step in ENROLMENT_STEPS),
    "withdrawal_reason",
    "sessions_attended",
)
_MAX_LISTED = 10


class ReportInputError(Exception):
    """The inputs have problems a user can fix; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ReportOptions:
    """Column names, timepoints and thresholds (defaults read balm's export as it is)."""

    id: str = "enrolment"
    time: str = "timepoint"
    pre: str = "baseline"
    post: str = "end"
    follow_up: str = "follow_up"
    week: str = "week"
    k: int = 6
    sessions_planned: int = 12
    title: str = "Evaluation of the compassion-focused therapy groups"
    #: Counts under 5 suppressed everywhere and quotes not cleared for sharing left out.
    shareable: bool = False


@dataclass(frozen=True)
class ReportInputs:
    """Validated input frames and the SHA-256 of each file read (by role)."""

    scores: pd.DataFrame
    checkins: pd.DataFrame | None = None
    sessions: pd.DataFrame | None = None
    enrolments: pd.DataFrame | None = None
    #: The qualitative project (:func:`balm.qual.read_qdpx`), when one was given.
    qual: Project | None = None
    sha256: dict[str, str] = field(default_factory=dict)
    #: The options :func:`read_inputs` checked the frames with (None: not checked yet).
    checked_with: ReportOptions | None = None


def _read(path: Path, role: str, problems: list[str]) -> tuple[pd.DataFrame | None, str]:
    if not path.is_file():
        problems.append(f"{role} file {path}: no such file")
        return None, ""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        problems.append(f"{role} file {path}: cannot read as CSV ({error})")
        return None, digest
    # Rows are named by their line in the file (the header is line 1).
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame, digest


def _lines(index: pd.Index) -> str:
    shown = ", ".join(str(v) for v in list(index)[:_MAX_LISTED])
    return shown + (f" and {len(index) - _MAX_LISTED} more" if len(index) > _MAX_LISTED else "")


def _require(frame: pd.DataFrame, columns: Sequence[str], role: str, problems: list[str]) -> bool:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(
            f"{role}: column {', '.join(repr(c) for c in missing)} not found; "
            f"the file has: {', '.join(str(c) for c in frame.columns)}"
        )
    return not missing


def _numbers(
    frame: pd.DataFrame,
    column: str,
    role: str,
    problems: list[str],
    *,
    whole: bool = False,
    minimum: float | None = None,
) -> pd.Series:
    """The column as floats (blank = missing, never 0); every bad cell is a problem."""
    values = frame[column]
    text = values.astype("string").str.strip()
    blank = values.isna() | (text == "")
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").astype("Float64")
    bad = numbers.isna() & ~blank
    if bad.any():
        problems.append(
            f"{role}: {column!r} must be a number; lines {_lines(frame.index[bad.to_numpy()])} "
            f"hold {', '.join(repr(v) for v in list(values[bad])[:3])}"
        )
    ok = numbers.notna()
    if whole:
        fractional = ok & (numbers.fillna(0) % 1 != 0)
        if fractional.any():
            problems.append(
                f"{role}: {column!r} must be a whole number; lines "
                f"{_lines(frame.index[fractional.to_numpy()])}"
            )
    if minimum is not None:
        low = ok & (numbers.fillna(minimum) < minimum)
        if low.any():
            problems.append(
                f"{role}: {column!r} must be at least {minimum:g}; lines "
                f"{_lines(frame.index[low.to_numpy()])}"
            )
    return numbers.astype(np.float64)


def _dates(frame: pd.DataFrame, column: str, role: str, problems: list[str]) -> pd.Series:
    text = frame[column].astype("string").str.strip()
    blank = frame[column].isna() | (text == "")
    parsed = pd.to_datetime(text.where(~blank), format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & ~blank
    if bad.any():
        problems.append(
            f"{role}: {column!r} must be a date written YYYY-MM-DD (or blank); lines "
            f"{_lines(frame.index[bad.to_numpy()])} hold "
            f"{', '.join(repr(v) for v in list(frame[column][bad])[:3])}"
        )
    return parsed


def _unique(frame: pd.DataFrame, keys: list[str], role: str, problems: list[str]) -> None:
    dup = frame.duplicated(keys, keep=False) & frame[keys].notna().all(axis=1)
    if dup.any():
        problems.append(
            f"{role}: more than one row for the same {' and '.join(keys)}; lines "
            f"{_lines(frame.index[dup.to_numpy()])}"
        )


def _blank_ids(frame: pd.DataFrame, column: str, role: str, problems: list[str]) -> None:
    blank = frame[column].isna() | (frame[column].astype("string").str.strip() == "")
    if blank.any():
        problems.append(
            f"{role}: {column!r} is blank on lines {_lines(frame.index[blank.to_numpy()])}"
        )


def score_columns(frame: pd.DataFrame, options: ReportOptions) -> list[str]:
    """The columns of a scores frame that hold scores (not ids, not ``_band`` text)."""
    skip = {*SCORE_ID_COLUMNS, options.id, options.time, options.week}
    return [str(c) for c in frame.columns if c not in skip and not str(c).endswith("_band")]


def time_labels(values: pd.Series) -> pd.Series:
    """Time values as the text a user types for --pre/--post: ``12`` for 12 and 12.0."""

    def label(value: object) -> str | None:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value).strip()

    return pd.Series([label(v) for v in values], index=values.index, dtype="string")


def _check_scores(frame: pd.DataFrame, options: ReportOptions, problems: list[str]) -> None:
    role = "scores"
    if not _require(frame, [options.id, options.time], role, problems):
        return
    _blank_ids(frame, options.id, role, problems)
    _unique(frame, [options.id, options.time], role, problems)
    times = set(time_labels(frame[options.time]).dropna())
    for flag, value in (("--pre", options.pre), ("--post", options.post)):
        if value not in times:
            problems.append(
                f"{role}: no row has {options.time} = {value!r} (the {flag} timepoint); "
                f"the file has: {', '.join(sorted(times))}"
            )
    if options.pre == options.post:
        problems.append(f"--pre and --post are the same timepoint ({options.pre!r})")
    if options.week in frame.columns:
        _numbers(frame, options.week, role, problems, minimum=0)
    columns = score_columns(frame, options)
    if not columns:
        problems.append(f"{role}: no score columns (<instrument>_<scale>) found")
    for column in columns:
        _numbers(frame, column, role, problems)


def _check_checkins(frame: pd.DataFrame, options: ReportOptions, problems: list[str]) -> None:
    role = "check-ins"
    if not _require(frame, [options.id, "week"], role, problems):
        return
    _blank_ids(frame, options.id, role, problems)
    _numbers(frame, "week", role, problems, whole=True, minimum=0)
    _unique(frame, [options.id, "week"], role, problems)
    for column in frame.columns:
        if str(column).startswith("checkin_"):
            _numbers(frame, str(column), role, problems, minimum=0)


def _check_sessions(frame: pd.DataFrame, problems: list[str]) -> None:
    role = "sessions"
    if not _require(frame, list(SESSION_COLUMNS), role, problems):
        return
    _blank_ids(frame, "cohort", role, problems)
    _numbers(frame, "session", role, problems, whole=True, minimum=1)
    held = _dates(frame, "date", role, problems).notna()
    attended = _numbers(frame, "attended", role, problems, whole=True, minimum=0)
    enrolled = _numbers(frame, "enrolled", role, problems, whole=True, minimum=0)
    for column, values in (("attended", attended), ("enrolled", enrolled)):
        unknown = held & values.isna() & frame[column].isna()
        if unknown.any():
            problems.append(
                f"{role}: a session with a date was held, so {column!r} is needed; blank on "
                f"lines {_lines(frame.index[unknown.to_numpy()])}"
            )
    over = attended > enrolled
    if over.any():
        problems.append(
            f"{role}: 'attended' is more than 'enrolled' on lines "
            f"{_lines(frame.index[over.to_numpy()])}"
        )
    _unique(frame, ["cohort", "session"], role, problems)


def _check_enrolments(frame: pd.DataFrame, options: ReportOptions, problems: list[str]) -> None:
    role = "enrolments"
    if not _require(frame, [options.id, *ENROLMENT_COLUMNS], role, problems):
        return
    _blank_ids(frame, options.id, role, problems)
    _unique(frame, [options.id], role, problems)
    dates = {step: _dates(frame, f"{step}_on", role, problems) for step in ENROLMENT_STEPS}
    both = dates["completed"].notna() & dates["withdrawn"].notna()
    if both.any():
        problems.append(
            f"{role}: an enrolment cannot be both completed and withdrawn; lines "
            f"{_lines(frame.index[both.to_numpy()])}"
        )
    _numbers(
        frame,
        "sessions_attended",
        role,
        problems,
        whole=True,
        minimum=0,
    )
    attended = pd.to_numeric(frame["sessions_attended"], errors="coerce")
    over = attended > options.sessions_planned
    if over.any():
        problems.append(
            f"{role}: 'sessions_attended' is more than the {options.sessions_planned} sessions "
            f"planned on lines {_lines(frame.index[over.to_numpy()])}"
        )
    reason = frame["withdrawal_reason"].astype("string").str.strip().fillna("")
    stray = (reason != "") & dates["withdrawn"].isna()
    if stray.any():
        problems.append(
            f"{role}: 'withdrawal_reason' given without 'withdrawn_on' on lines "
            f"{_lines(frame.index[stray.to_numpy()])}"
        )


def _check_options(options: ReportOptions, problems: list[str]) -> None:
    if not 1 <= options.sessions_planned <= 100:
        problems.append(f"sessions planned must be 1 to 100, got {options.sessions_planned}")
    if not 0 <= options.k <= options.sessions_planned:
        problems.append(
            f"--min-sessions must be 0 to {options.sessions_planned} (the sessions planned), "
            f"got {options.k}"
        )
    if not re.fullmatch(r"[^\x00-\x1f]{1,200}", options.title):
        problems.append("the title must be 1 to 200 characters with no control characters")


def check_frames(
    scores: pd.DataFrame,
    options: ReportOptions,
    *,
    checkins: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    enrolments: pd.DataFrame | None = None,
) -> list[str]:
    """Every problem with the input frames (an empty list when there is none)."""
    problems: list[str] = []
    _check_options(options, problems)
    _check_scores(scores, options, problems)
    if checkins is not None:
        _check_checkins(checkins, options, problems)
    if sessions is not None:
        _check_sessions(sessions, problems)
    if enrolments is not None:
        _check_enrolments(enrolments, options, problems)
    return problems


def read_inputs(
    scores: Path,
    options: ReportOptions,
    *,
    checkins: Path | None = None,
    sessions: Path | None = None,
    enrolments: Path | None = None,
    qual: Path | None = None,
) -> ReportInputs:
    """Read and check the input files; raise :class:`ReportInputError` listing every problem.

    Parameters
    ----------
    scores : Path
        The tidy scores export.
    options : ReportOptions
    checkins, sessions, enrolments : Path, optional
        See the module docstring for their columns.
    qual : Path, optional
        A REFI-QDA ``.qdpx`` qualitative project (read by :func:`balm.qual.read_qdpx`).

    Returns
    -------
    ReportInputs
    """
    problems: list[str] = []
    frames: dict[str, pd.DataFrame | None] = {}
    digests: dict[str, str] = {}
    for role, path in (
        ("scores", scores),
        ("checkins", checkins),
        ("sessions", sessions),
        ("enrolments", enrolments),
    ):
        if path is None:
            frames[role] = None
            continue
        frame, digest = _read(path, role, problems)
        frames[role] = frame
        if digest:
            digests[role] = digest
    project = _read_qual(qual, digests, problems) if qual is not None else None
    score_frame = frames["scores"]
    if score_frame is not None:
        problems.extend(
            check_frames(
                score_frame,
                options,
                checkins=frames["checkins"],
                sessions=frames["sessions"],
                enrolments=frames["enrolments"],
            )
        )
    if problems or score_frame is None:
        raise ReportInputError(problems)
    return ReportInputs(
        scores=score_frame,
        checkins=frames["checkins"],
        sessions=frames["sessions"],
        enrolments=frames["enrolments"],
        qual=project,
        sha256=digests,
        checked_with=options,
    )


def _read_qual(path: Path, digests: dict[str, str], problems: list[str]) -> Project | None:
    from balm.qual import QualInputError, read_qdpx

    if not path.is_file():
        problems.append(f"qualitative project {path}: no such file")
        return None
    digests["qual"] = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        return read_qdpx(path)
    except QualInputError as error:
        problems.extend(f"qualitative project: {p}" for p in error.problems)
        return None
