"""REDCap: a data dictionary for a programme's questionnaires, and a records export read
back through a mapping (pure: no Django).

The dictionary (:func:`data_dictionary`) has REDCap's 18 columns in REDCap's order. One REDCap
instrument (form) per questionnaire, named by its balm id; the first field is ``record_id``;
each item is a field named as balm's exports name it, ``<instrument>_<item>`` (``phq9_q1``),
so a project built from it uses balm's keys from the start. A choice item is a ``radio`` field
whose choices are ``weight, label`` in the printed order (``0, Not at all | 1, Several days``);
a whole-number or decimal item is a ``text`` field validated as ``integer`` or ``number`` with
its range; a text item is ``notes``. balm never ships wording it does not hold: an item of a
licensed instrument is labelled with its concept and a field note saying the service enters
its licensed wording.

A records export (the "CSV (raw data)" flat file: ``record_id``, ``redcap_event_name`` and the
fields) is read with a mapping (:class:`RecordMap`, YAML): which event is which timepoint,
and optionally which record is which participant (pseudonym) and group. :func:`answers_frame`
checks it (every problem at once: unknown events, records, columns that name no item, repeated
record and event) and :func:`tidy` scores it through the engine into balm's tidy scores table
(what ``balm change`` and ``balm report`` read).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from balm.instruments.catalogue import catalogue, get_instrument
from balm.instruments.engine import ResponseValidationError, score
from balm.instruments.schema import Instrument, Item, ItemKind, LicenceClass

COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
"""REDCap's data dictionary columns, in REDCap's order."""

TIMEPOINTS = ("baseline", "mid", "end", "follow_up")
PLATFORM_KEYS = ("cohort_start", "diagnosis", "template", "format")
DEFAULT_WEEKS = {"baseline": 0, "mid": 6, "end": 12, "follow_up": 24}
"""The shipped 12-week programme's weeks, used when a mapping names none."""


class RedcapError(ValueError):
    """A file or mapping that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s):\n" + "\n".join(self.problems))


def error_text(error: BaseException) -> str:
    """A reader's error on one line (YAML and CSV parsers say where over several), so each
    problem of a refused file stays one line."""
    return " ".join(str(error).split())


def field_name(instrument_id: str, item_id: str) -> str:
    """The REDCap field (and balm export column) of an item: ``<instrument>_<item>``."""
    return f"{instrument_id}_{item_id}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _field(instrument: Instrument, item: Item) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row["Variable / Field Name"] = field_name(instrument.id, item.id)
    row["Form Name"] = instrument.id
    licensed = instrument.licence.licence_class is LicenceClass.LICENSED or item.text is None
    if licensed:
        row["Field Label"] = f"{item.id}. {item.concept}"
        row["Field Note"] = (
            "Licensed item: balm does not hold its wording; enter the service's licensed "
            "wording here."
        )
    else:
        row["Field Label"] = f"{item.id}. {item.text}"
    if item.kind is ItemKind.CHOICE:
        row["Field Type"] = "radio"
        row["Choices, Calculations, OR Slider Labels"] = " | ".join(
            f"{_number(o.value)}, {o.label}" for o in instrument.options_for(item)
        )
    elif item.kind in (ItemKind.INTEGER, ItemKind.NUMBER):
        row["Field Type"] = "text"
        row["Text Validation Type OR Show Slider Number"] = (
            "integer" if item.kind is ItemKind.INTEGER else "number"
        )
        row["Text Validation Min"] = _number(item.minimum)
        row["Text Validation Max"] = _number(item.maximum)
    else:
        row["Field Type"] = "notes"
    row["Field Annotation"] = f"balm {instrument.id} {instrument.version} item {item.id}"
    return row


def data_dictionary(instrument_ids: Iterable[str]) -> list[dict[str, str]]:
    """The REDCap data dictionary rows for these instruments (in the order given, each once),
    ``record_id`` first."""
    first = dict.fromkeys(COLUMNS, "")
    ordered = list(dict.fromkeys(instrument_ids))
    first.update(
        {
            "Variable / Field Name": "record_id",
            "Form Name": ordered[0] if ordered else "record",
            "Field Type": "text",
            "Field Label": "Record ID",
        }
    )
    rows = [first]
    for instrument_id in ordered:
        instrument = get_instrument(instrument_id)
        fields = [_field(instrument, item) for item in instrument.items]
        if instrument.instructions and instrument.item_text_included:
            fields[0]["Section Header"] = instrument.instructions
        fields[0]["Section Header"] = (
            f"{instrument.name} ({instrument.short_name}). " + fields[0]["Section Header"]
        ).strip()
        rows.extend(fields)
    return rows


def dictionary_csv(instrument_ids: Iterable[str]) -> str:
    """:func:`data_dictionary` as CSV text, as REDCap's "Upload data dictionary" takes it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(data_dictionary(instrument_ids))
    return out.getvalue()


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    pseudonym: str
    cohort: str = ""
    cohort_start: str = ""
    diagnosis: str = ""


@dataclass(frozen=True)
class RecordMap:
    """Which REDCap event is which timepoint; which record is which participant (optional:
    without it the record id is the pseudonym) and group; the week of each timepoint."""

    events: Mapping[str, str]
    records: Mapping[str, Person] = field(default_factory=dict)
    cohort: str = ""
    weeks: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEEKS))
    # Only for importing into the platform (a past cohort): defaults for every record.
    cohort_start: str = ""
    diagnosis: str = ""
    template: str = ""
    format: str = ""


def read_map(path: Path) -> RecordMap:
    """A mapping file::

    events: {baseline_arm_1: baseline, week_12_arm_1: end}
    records: {"101": P01, "102": {pseudonym: P02, cohort: Spring 2024}}   # optional
    cohort: Spring 2024                                                  # optional
    weeks: {baseline: 0, end: 12}                                        # optional
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RedcapError(
            [f"{path.name}: cannot read the mapping ({error_text(error)})"]
        ) from error
    return parse_map(raw, where=path.name)


def parse_map(raw: Any, *, where: str = "mapping") -> RecordMap:
    """Check a mapping (see :func:`read_map`); every problem at once."""
    if not isinstance(raw, dict):
        raise RedcapError([f"{where}: expected keys events (and records, cohort, weeks)"])
    problems = []
    keys = ("events", "records", "cohort", "weeks", *PLATFORM_KEYS)
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(unknown)} (keys: {', '.join(keys)})")
    events = raw.get("events")
    if not isinstance(events, dict) or not events:
        problems.append(f"{where} events: map each REDCap event name to a timepoint")
        events = {}
    for event, timepoint in events.items():
        if timepoint not in TIMEPOINTS:
            problems.append(
                f"{where} events.{event}: {timepoint!r} is not one of {', '.join(TIMEPOINTS)}"
            )
    for key in ("records", "weeks"):
        if not isinstance(raw.get(key) or {}, dict):
            problems.append(f"{where} {key}: a mapping (key: value, one a line), not {raw[key]!r}")
    for key in ("cohort", *PLATFORM_KEYS):
        if isinstance(raw.get(key), list | dict):
            problems.append(f"{where} {key}: one value, not {raw[key]!r}")
    records: dict[str, Person] = {}
    raw_records = raw.get("records")
    for record, person in (raw_records if isinstance(raw_records, dict) else {}).items():
        if isinstance(person, str) and person.strip():
            records[str(record)] = Person(person.strip())
        elif isinstance(person, dict) and str(person.get("pseudonym") or "").strip():
            records[str(record)] = Person(
                str(person["pseudonym"]).strip(),
                *(
                    str(person.get(key) or "").strip()
                    for key in ("cohort", "cohort_start", "diagnosis")
                ),
            )
        else:
            problems.append(f"{where} records.{record}: give a pseudonym (and optionally cohort)")
    weeks = dict(DEFAULT_WEEKS)
    raw_weeks = raw.get("weeks")
    for timepoint, week in (raw_weeks if isinstance(raw_weeks, dict) else {}).items():
        if timepoint not in TIMEPOINTS or not isinstance(week, int) or isinstance(week, bool):
            problems.append(f"{where} weeks.{timepoint}: a timepoint and a whole number of weeks")
        else:
            weeks[timepoint] = week
    if problems:
        raise RedcapError(problems)
    return RecordMap(
        events={str(k): str(v) for k, v in events.items()},
        records=records,
        cohort=str(raw.get("cohort") or "").strip(),
        weeks=weeks,
        **{key: str(raw.get(key) or "").strip() for key in PLATFORM_KEYS},
    )


def read_records(path: Path) -> pd.DataFrame:
    """A REDCap records export (flat CSV), every cell as text (blank = missing)."""
    try:
        frame = pd.read_csv(path, dtype="string", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise RedcapError([f"{path.name}: cannot read as CSV ({error_text(error)})"]) from error
    return frame


def item_columns(columns: Iterable[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``{instrument: {column: item}}`` for the columns that are balm items, and problems for
    columns that name an instrument but no item of it (``<form>_complete`` is REDCap's)."""
    known = catalogue()
    found: dict[str, dict[str, str]] = {}
    problems = []
    for column in columns:
        for instrument_id in sorted(known, key=len, reverse=True):
            if not column.startswith(f"{instrument_id}_"):
                continue
            rest = column[len(instrument_id) + 1 :]
            if rest == "complete":
                break
            items = [item.id for item in known[instrument_id].items]
            if rest in items:
                found.setdefault(instrument_id, {})[column] = rest
            else:
                problems.append(
                    f"column {column}: not an item of {instrument_id} (items: {', '.join(items)})"
                )
            break
    return found, problems


@dataclass(frozen=True)
class Answers:
    """The records, checked: per instrument, a frame of item answers (columns = item ids) with
    the rows' ``line``, ``participant``, ``cohort`` and ``timepoint``; rows whose items of the
    instrument are all blank are left out (nothing was collected)."""

    by_instrument: dict[str, pd.DataFrame]


def answers_frame(records: pd.DataFrame, mapping: RecordMap) -> Answers:
    """Check a records export against ``mapping`` (every problem at once, with the line of the
    file and the allowed values) and split it by instrument."""
    problems = []
    for needed in ("record_id", "redcap_event_name"):
        if needed not in records.columns:
            problems.append(f"column {needed} is missing (a REDCap flat export has it)")
    if problems:
        raise RedcapError(problems)
    columns, column_problems = item_columns(str(c) for c in records.columns)
    problems.extend(column_problems)
    if not columns:
        problems.append("no column is a balm item (<instrument>_<item>, e.g. phq9_q1)")
    lines = pd.RangeIndex(2, len(records) + 2)
    record_ids = records["record_id"].fillna("").str.strip().to_numpy()
    events = records["redcap_event_name"].fillna("").str.strip().to_numpy()
    people, cohorts, timepoints = [], [], []
    seen: dict[tuple[str, str], int] = {}
    for line, record, event in zip(lines, record_ids, events, strict=True):
        timepoint = mapping.events.get(event)
        if timepoint is None:
            problems.append(
                f"line {line}, redcap_event_name: {event!r} is not mapped "
                f"(events: {', '.join(mapping.events)})"
            )
        person = mapping.records.get(record) if mapping.records else Person(record)
        if not record:
            problems.append(f"line {line}, record_id: blank")
        elif person is None:
            problems.append(f"line {line}, record_id: {record!r} is not in the mapping's records")
        key = (record, event)
        if key in seen:
            problems.append(
                f"line {line}: record {record} at event {event} again (first on line {seen[key]})"
            )
        seen.setdefault(key, line)
        people.append(person.pseudonym if person else "")
        cohorts.append((person.cohort if person else "") or mapping.cohort)
        timepoints.append(timepoint or "")
    if problems:
        raise RedcapError(problems)
    by_instrument = {}
    for instrument_id, named in columns.items():
        part = records[list(named)].rename(columns=named)
        filled = (part.fillna("").apply(lambda c: c.str.strip()) != "").any(axis=1).to_numpy()
        part = part.loc[filled].copy()
        part.index = lines[filled]
        part.index.name = "line"
        part.insert(0, "timepoint", [t for t, keep in zip(timepoints, filled, strict=True) if keep])
        part.insert(0, "cohort", [c for c, keep in zip(cohorts, filled, strict=True) if keep])
        part.insert(0, "participant", [p for p, keep in zip(people, filled, strict=True) if keep])
        by_instrument[instrument_id] = part
    return Answers(by_instrument)


def tidy(records: pd.DataFrame, mapping: RecordMap, *, bands: bool = False) -> pd.DataFrame:
    """The records as balm's tidy scores table: ``enrolment`` (the pseudonym, with the group
    when the mapping names one), ``participant``, ``cohort``, ``timepoint``, ``week`` and
    ``<instrument>_<scale>`` (``_band`` with ``bands``), scored by :func:`balm.instruments.score`;
    every bad answer of every instrument is listed at once (line and field)."""
    answers = answers_frame(records, mapping)
    problems: list[str] = []
    merged: pd.DataFrame | None = None
    keys = ["participant", "cohort", "timepoint"]
    for instrument_id, part in answers.by_instrument.items():
        try:
            result = score(instrument_id, part, row_labels=[str(i) for i in part.index])
        except ResponseValidationError as error:
            problems.extend(
                f"line {p.row_label}, {field_name(instrument_id, p.column)}: {p.message}"
                if p.row is not None
                else f"{instrument_id}: {p}"
                for p in error.problems
            )
            continue
        scores = result.scores
        if not bands:
            scores = scores[[c for c in scores.columns if not c.endswith("_band")]]
        scored = pd.concat(
            [part[keys], scores.add_prefix(f"{instrument_id}_")], axis=1
        ).reset_index(drop=True)
        merged = scored if merged is None else merged.merge(scored, on=keys, how="outer")
    if problems:
        raise RedcapError(problems)
    if merged is None:
        return pd.DataFrame(columns=["enrolment", *keys, "week"])
    enrolment = merged["participant"].where(
        merged["cohort"] == "", merged["participant"] + "-" + merged["cohort"]
    )
    merged.insert(0, "enrolment", enrolment)
    merged.insert(4, "week", merged["timepoint"].map(dict(mapping.weeks)).astype("int64"))
    order = {t: n for n, t in enumerate(TIMEPOINTS)}
    merged = merged.sort_values(
        ["cohort", "participant", "timepoint"],
        key=lambda c: c.map(order) if c.name == "timepoint" else c,
    )
    return merged.reset_index(drop=True)


def past_table(records: pd.DataFrame, mapping: RecordMap) -> pd.DataFrame:
    """The records as a past-cohorts table (:mod:`balm.exchange.past`) for importing into the
    platform: ``participant``, ``cohort``, ``cohort_start``, ``diagnosis``, ``timepoint``,
    ``template``, ``format`` and the item columns, from the mapping (a record's own cohort,
    start and diagnosis first, then the mapping's). Checked as :func:`answers_frame` checks."""
    answers_frame(records, mapping)  # every problem of the records and the mapping, at once
    record_ids = records["record_id"].fillna("").str.strip()
    people = [mapping.records.get(r) or Person(r) for r in record_ids]
    table = pd.DataFrame(
        {
            "participant": [p.pseudonym for p in people],
            "cohort": [p.cohort or mapping.cohort for p in people],
            "cohort_start": [p.cohort_start or mapping.cohort_start for p in people],
            "diagnosis": [p.diagnosis or mapping.diagnosis for p in people],
            "timepoint": records["redcap_event_name"]
            .fillna("")
            .str.strip()
            .map(dict(mapping.events)),
            "template": mapping.template,
            "format": mapping.format,
        },
        dtype="string",
    )
    columns, _ = item_columns(str(c) for c in records.columns)
    named = [c for cols in columns.values() for c in cols]
    return pd.concat([table, records[named].reset_index(drop=True)], axis=1)
