"""A service's past groups from a spreadsheet (CSV or XLSX), read and checked (pure).

One row per participant per group per timepoint, with these columns:

==================  =========================================================================
``participant``     the pseudonym (never a name), at most 40 characters
``cohort``          the group's name, at most 200 characters
``cohort_start``    the date of its first session, ``YYYY-MM-DD``, from 1900 to today
``diagnosis``       the diagnosis category code (``fibromyalgia``, ``back_spinal`` ...)
``timepoint``       ``baseline``, ``mid``, ``end`` or ``follow_up``
``template``        optional: the programme template's slug (default the shipped 12-week one)
``format``          optional: ``in_person`` (default), ``online`` or ``hybrid``
``status``          optional: how the course ended, ``completed`` (default) or ``withdrawn``
``status_reason``   optional; needed with ``withdrawn``
``<instr>_<item>``  the answers, named as balm's exports name them (``phq9_q1``): the printed
                    weight chosen; a blank is missing, never 0
==================  =========================================================================

:func:`check_rows` reports every problem at once, each with its line (the header is line 1),
column, value and the allowed values, and returns one :class:`PastRow` per line. Scoring and
everything the database knows (templates, existing groups, earlier imports) is checked by the
platform (:mod:`balm.outcomes.past_import`) through the same engine as every other answer.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from balm.exchange.redcap import TIMEPOINTS, error_text, item_columns

REQUIRED = ("participant", "cohort", "cohort_start", "diagnosis", "timepoint")
OPTIONAL = ("template", "format", "status", "status_reason")
DEFAULT_TEMPLATE = "cft-persistent-pain-12"
FORMATS = ("in_person", "online", "hybrid")
STATUSES = ("completed", "withdrawn")
EARLIEST = date(1900, 1, 1)
NAMES = (*REQUIRED, "template", "format", "status")


class PastFileError(ValueError):
    """The file cannot be imported; ``problems`` lists every reason, in line order."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s):\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class PastRow:
    line: int
    participant: str
    cohort: str
    cohort_start: date
    diagnosis: str
    timepoint: str
    template: str
    format: str
    status: str
    status_reason: str
    answers: dict[str, dict[str, object]] = field(default_factory=dict)


def read_file(path: Path) -> pd.DataFrame:
    """Every cell of a CSV or XLSX file as text (blank = ""); the first sheet of a workbook."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype="string", keep_default_na=False)
        elif suffix in (".xlsx", ".xlsm"):
            # keep_default_na=False: a cell of "NA" or "NULL" is what was typed (as in a CSV),
            # not a blank.
            frame = pd.read_excel(path, dtype=object, engine="openpyxl", keep_default_na=False)
            frame = frame.map(_cell_text).astype("string")
        else:
            raise PastFileError([f"{path.name}: send a .csv or .xlsx file"])
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        if isinstance(error, PastFileError):
            raise
        raise PastFileError([f"{path.name}: cannot read it ({error_text(error)})"]) from error
    except (zipfile.BadZipFile, KeyError, SyntaxError, InvalidFileException) as error:
        # What openpyxl raises for a file that is not a workbook, or a broken one: not a zip,
        # a zip without a workbook's parts, parts that are not XML.
        raise PastFileError(
            [f"{path.name}: cannot read it as a workbook ({error_text(error)})"]
        ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and callable(value.date):
        return str(value.date())
    return str(value)


def _number(text: str) -> object:
    """An answer as given: a whole number, a decimal, or the text itself (the engine says
    what is wrong with it). "nan" and "inf" stay text: read as floats, "nan" would be taken
    for a blank answer and a typed cell would be lost without a word."""
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() else number


@dataclass(frozen=True)
class Checked:
    """The lines without a problem, as rows, and every problem found (``(line, text)``; line 1
    is the header). The platform checks the good rows' answers and adds its problems, so a dry
    run lists everything at once."""

    rows: list[PastRow]
    problems: list[tuple[int, str]]

    def raise_problems(self) -> None:
        if self.problems:
            raise PastFileError([text for _, text in self.problems])


def check_rows(frame: pd.DataFrame, *, diagnoses: Sequence[str]) -> Checked:
    """The rows of a past-cohorts table, checked (see the module notes). A missing required
    column is a :class:`PastFileError` at once (no row can be read without it)."""
    problems: list[tuple[int, str]] = []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise PastFileError(
            [f"column {c} is missing (needed: {', '.join(REQUIRED)})" for c in missing]
        )
    items, column_problems = item_columns(frame.columns)
    problems.extend((1, p) for p in column_problems)
    known = set(REQUIRED) | set(OPTIONAL) | {c for cols in items.values() for c in cols}
    problems.extend(
        (
            1,
            f"column {c}: not a column of this file (columns: {', '.join(REQUIRED + OPTIONAL)} "
            "and the answers, <instrument>_<item>; see docs/exchange.md)",
        )
        for c in frame.columns
        if c not in known and not c.endswith("_complete")
    )
    if not items:
        problems.append((1, "no answer column (<instrument>_<item>, e.g. phq9_q1)"))
    text = frame.fillna("").apply(lambda c: c.astype("string").str.strip())
    rows = []
    groups: dict[str, tuple[int, str, str, str]] = {}
    courses: dict[tuple[str, str], tuple[int, str, str]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for position, values in enumerate(text.to_dict("records")):
        line = position + 2
        before = len(problems)

        def bad(column: str, value: str, allowed: str, line: int = line) -> None:
            problems.append((line, f"line {line}, {column}: {value!r} {allowed}"))

        # Names and codes are printable text (no control or invisible character); no cell
        # holds a NUL, which PostgreSQL cannot store in text or JSON (a reason or a free-text
        # answer may hold a line break).
        for column, value in values.items():
            if "\x00" in value or (column in NAMES and not value.isprintable()):
                bad(column, value, "holds a control or invisible character (printable text only)")
        participant, cohort = values["participant"], values["cohort"]
        if not participant or len(participant) > 40:
            bad("participant", participant, "must be a pseudonym of 1 to 40 characters")
        if not cohort or len(cohort) > 200:
            bad("cohort", cohort, "must be a group name of 1 to 200 characters")
        try:
            start = date.fromisoformat(values["cohort_start"])
        except ValueError:
            bad("cohort_start", values["cohort_start"], "is not a date (YYYY-MM-DD)")
            start = date.min
        else:
            # A past group started on or before today; near date.max its sessions and
            # follow-up would fall past the last date there is.
            if not EARLIEST <= start <= date.today():
                bad(
                    "cohort_start",
                    values["cohort_start"],
                    f"is not a date from {EARLIEST} to today (a past group's first session)",
                )
                start = date.min
        diagnosis = values["diagnosis"]
        if diagnosis not in diagnoses:
            bad("diagnosis", diagnosis, f"is not one of {', '.join(diagnoses)}")
        timepoint = values["timepoint"]
        if timepoint not in TIMEPOINTS:
            bad("timepoint", timepoint, f"is not one of {', '.join(TIMEPOINTS)}")
        template = values.get("template") or DEFAULT_TEMPLATE
        group_format = values.get("format") or "in_person"
        if group_format not in FORMATS:
            bad("format", group_format, f"is not one of {', '.join(FORMATS)}")
        status = values.get("status") or "completed"
        reason = values.get("status_reason") or ""
        if status not in STATUSES:
            bad("status", status, f"is not one of {', '.join(STATUSES)}")
        elif status == "withdrawn" and not reason:
            bad("status_reason", reason, "is needed: say why the participant withdrew")
        group = (line, str(start), template, group_format)
        first = groups.setdefault(cohort, group) if start != date.min else group
        # Only values that are each fine are compared, so one bad cell is one problem.
        if first[1:] != group[1:] and first[1] != str(date.min):
            problems.append(
                (
                    line,
                    f"line {line}, cohort {cohort!r}: start, template or format differ from "
                    f"line {first[0]} ({first[1]}, {first[2]}, {first[3]})",
                )
            )
        course = (line, diagnosis, status)
        if diagnosis in diagnoses and status in STATUSES:
            course = courses.setdefault((participant, cohort), course)
        if course[1:] != (diagnosis, status):
            problems.append(
                (
                    line,
                    f"line {line}, {participant} in {cohort!r}: diagnosis or status differ from "
                    f"line {course[0]} ({course[1]}, {course[2]})",
                )
            )
        key = (participant, cohort, timepoint)
        if key in seen:
            problems.append(
                (
                    line,
                    f"line {line}: {participant} {timepoint} in {cohort!r} again "
                    f"(first on line {seen[key]})",
                )
            )
        seen.setdefault(key, line)
        answers: dict[str, dict[str, object]] = {}
        for instrument_id, columns in items.items():
            given = {
                item: _number(values[column]) for column, item in columns.items() if values[column]
            }
            if given:
                answers[instrument_id] = given
        if len(problems) > before:
            continue
        rows.append(
            PastRow(
                line=line,
                participant=participant,
                cohort=cohort,
                cohort_start=start,
                diagnosis=diagnosis,
                timepoint=timepoint,
                template=template,
                format=group_format,
                status=status,
                status_reason=reason,
                answers=answers,
            )
        )
    return Checked(rows, sorted(problems, key=lambda p: p[0]))
