"""A service's own licensed item wording for a catalogue instrument (pure: plain data in and out).

balm ships no wording for an instrument whose licence does not allow it (``item_text_included:
false``). A service that holds a licence supplies the wording itself: item texts, response
labels, instructions and recall period. This module reads such a file (YAML or CSV), checks it
against the catalogue entry (every item and option present, nothing extra, options in the
printed weight order) and reports every problem at once; :func:`apply_wording` gives the
catalogue entry with that wording in place, for pages, paper forms and the FHIR export.

The wording never changes scoring: weights, reversal, scales and safety items stay the
catalogue's, and the options are matched by their printed weight.

A file, as YAML::

    instrument: pdi
    instructions: ...          # optional
    recall_period: ...         # optional
    licence:                   # or given beside the file (the admin form, command options)
      granted_by: ...
      granted_on: 2026-01-15
      use: ...
    items:
      q1: item text            # or {text: ..., options: [{value: 0, label: ...}, ...]}
    response_sets:             # labels for each response set the catalogue uses
      disability:
        - {value: 0, label: ...}

and as CSV with the columns ``part,id,value,text``: one row per ``instructions``,
``recall_period``, ``licence_granted_by``, ``licence_granted_on``, ``licence_use``, ``item``
(id = item id) and ``option`` (id = response set or item id, value = printed weight), option
rows in printed order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from balm.instruments.schema import Instrument, ItemKind, Option

PLACEHOLDER_MARK = "[Placeholder wording, not the licensed text]"
"""Begins every text of a placeholder wording, so nobody takes it for the real questionnaire."""

CSV_COLUMNS = ("part", "id", "value", "text")
CSV_PARTS = (
    "instructions",
    "recall_period",
    "licence_granted_by",
    "licence_granted_on",
    "licence_use",
    "item",
    "option",
)
MAX_TEXT = 2000


@dataclass(frozen=True)
class WordingProblem:
    """One problem with a wording file: where (``items.q3``, ``response_sets.truth``, a CSV
    row) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class WordingError(ValueError):
    """A wording file that cannot be loaded; ``problems`` lists every problem found."""

    def __init__(self, problems: list[WordingProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class LicenceGrant:
    """Who granted the service its licence to the wording, when, and for what use."""

    granted_by: str
    granted_on: date
    use: str


@dataclass(frozen=True)
class Wording:
    """A checked wording: item texts by item id, option labels (in printed weight order) by
    response set id or, for an item with its own options, by item id."""

    instrument_id: str
    items: Mapping[str, str]
    option_labels: Mapping[str, tuple[str, ...]]
    instructions: str | None = None
    recall_period: str | None = None
    placeholder: bool = False
    licence: LicenceGrant | None = field(default=None, compare=False)

    def as_data(self) -> dict[str, Any]:
        """Plain JSON-able data (what the database stores and :func:`wording_from_data` reads)."""
        return {
            "instrument": self.instrument_id,
            "items": dict(self.items),
            "option_labels": {key: list(labels) for key, labels in self.option_labels.items()},
            "instructions": self.instructions,
            "recall_period": self.recall_period,
            "placeholder": self.placeholder,
        }


def wording_from_data(data: Mapping[str, Any]) -> Wording:
    """A :class:`Wording` from :meth:`Wording.as_data` output (already checked when stored)."""
    return Wording(
        instrument_id=str(data["instrument"]),
        items={str(k): str(v) for k, v in data["items"].items()},
        option_labels={str(k): tuple(v) for k, v in data["option_labels"].items()},
        instructions=data.get("instructions"),
        recall_period=data.get("recall_period"),
        placeholder=bool(data.get("placeholder", False)),
    )


# --- reading files ---------------------------------------------------------------------------


def parse_yaml(text: str) -> dict[str, Any]:
    """The mapping a YAML wording file holds; :class:`WordingError` if it is not one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise WordingError([WordingProblem("file", f"not valid YAML ({error})")]) from None
    if not isinstance(data, dict):
        raise WordingError([WordingProblem("file", "a YAML wording file holds a mapping")])
    return data


def parse_csv(text: str, instrument_id: str) -> dict[str, Any]:
    """The same mapping as :func:`parse_yaml` from a CSV file (columns ``part,id,value,text``).

    Every bad row is reported at once, by its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or tuple(reader.fieldnames) != CSV_COLUMNS:
        found = ", ".join(reader.fieldnames or []) or "nothing"
        raise WordingError(
            [WordingProblem("file", f"the columns must be {', '.join(CSV_COLUMNS)}; found {found}")]
        )
    data: dict[str, Any] = {"instrument": instrument_id}
    items: dict[str, Any] = {}
    options: dict[str, list[dict[str, Any]]] = {}
    licence: dict[str, Any] = {}
    problems: list[WordingProblem] = []
    for line, row in enumerate(reader, start=2):
        part = (row.get("part") or "").strip()
        key = (row.get("id") or "").strip()
        text_value = row.get("text") or ""
        where = f"line {line}"
        if part not in CSV_PARTS:
            problems.append(
                WordingProblem(where, f"part {part!r} is not one of {', '.join(CSV_PARTS)}")
            )
        elif part in ("instructions", "recall_period"):
            data[part] = text_value
        elif part.startswith("licence_"):
            licence[part.removeprefix("licence_")] = text_value
        elif part == "item":
            if key in items:
                problems.append(WordingProblem(where, f"item {key} is given twice"))
            items[key] = text_value
        else:
            options.setdefault(key, []).append({"value": row.get("value"), "label": text_value})
    if problems:
        raise WordingError(problems)
    if licence:
        data["licence"] = licence
    data["items"] = items
    data["options"] = options
    return data


# --- checking against the catalogue ----------------------------------------------------------


def _text(value: object, where: str, problems: list[WordingProblem], *, optional: bool) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if not optional:
            problems.append(WordingProblem(where, "give the text (it is blank)"))
        return ""
    if not isinstance(value, str):
        problems.append(WordingProblem(where, "must be text"))
        return ""
    if len(value) > MAX_TEXT:
        problems.append(WordingProblem(where, f"is longer than {MAX_TEXT} characters"))
    return value.strip()


def _weight(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _shown(weights: list[float]) -> str:
    return ", ".join(f"{weight:g}" for weight in weights)


def _labels(
    given: object, printed: tuple[Option, ...], where: str, problems: list[WordingProblem]
) -> tuple[str, ...]:
    """The labels of ``given`` (a list of ``{value, label}``), checked against the printed
    options: the same number, the same weights, in the printed order."""
    expected = [option.value for option in printed]
    if not isinstance(given, list):
        problems.append(
            WordingProblem(where, f"give {len(expected)} options, weights {_shown(expected)}")
        )
        return ()
    weights: list[float] = []
    labels: list[str] = []
    found_problem = False
    for position, entry in enumerate(given, start=1):
        if not isinstance(entry, dict):
            problems.append(WordingProblem(f"{where}[{position}]", "give a value and a label"))
            found_problem = True
            continue
        weight = _weight(entry.get("value"))
        if weight is None:
            problems.append(
                WordingProblem(
                    f"{where}[{position}]", f"value {entry.get('value')!r} is not a number"
                )
            )
            found_problem = True
            continue
        weights.append(weight)
        labels.append(
            _text(entry.get("label"), f"{where}[{position}].label", problems, optional=False)
        )
    if found_problem:
        return ()
    if len(given) != len(expected):
        problems.append(
            WordingProblem(
                where,
                f"{len(given)} options given; the catalogue prints {len(expected)} "
                f"(weights {_shown(expected)})",
            )
        )
    elif weights != expected:
        if sorted(weights) == sorted(expected):
            message = (
                f"options are out of order: give them in the printed order, weights "
                f"{_shown(expected)} (given {_shown(weights)})"
            )
        else:
            message = f"weights {_shown(weights)} do not match the printed {_shown(expected)}"
        problems.append(WordingProblem(where, message))
    return tuple(labels)


def _licence(data: Mapping[str, Any], problems: list[WordingProblem]) -> LicenceGrant | None:
    raw = data.get("licence")
    if not isinstance(raw, dict):
        problems.append(
            WordingProblem("licence", "record who granted the licence, when, and for what use")
        )
        return None
    extra = sorted(set(raw) - {"granted_by", "granted_on", "use"})
    if extra:
        problems.append(WordingProblem("licence", f"unknown fields {', '.join(map(str, extra))}"))
    granted_by = _text(raw.get("granted_by"), "licence.granted_by", problems, optional=False)
    use = _text(raw.get("use"), "licence.use", problems, optional=False)
    on = raw.get("granted_on")
    granted_on: date | None = None
    if isinstance(on, date):
        granted_on = on
    elif isinstance(on, str) and on.strip():
        try:
            granted_on = date.fromisoformat(on.strip())
        except ValueError:
            problems.append(
                WordingProblem("licence.granted_on", f"{on!r} is not a date (YYYY-MM-DD)")
            )
    else:
        problems.append(WordingProblem("licence.granted_on", "give the date (YYYY-MM-DD)"))
    if granted_on is not None and granted_by and use:
        return LicenceGrant(granted_by=granted_by, granted_on=granted_on, use=use)
    return None


def _mapping(data: Mapping[str, Any], key: str, problems: list[WordingProblem]) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(WordingProblem(key, "give a mapping of ids to lists of options"))
        return {}
    return dict(value)


KNOWN_KEYS = frozenset(
    {"instrument", "instructions", "recall_period", "licence", "items", "response_sets", "options"}
)


def check_wording(
    instrument: Instrument, data: Mapping[str, Any], *, placeholder: bool = False
) -> Wording:
    """Check a wording file's data against ``instrument``; every problem at once.

    Every item needs a text and nothing outside the catalogue may be given. A choice item's
    labels come from its response set (``response_sets``) or, for an item with its own
    options, from ``items.<id>.options`` (``options.<id>`` in CSV): as many as the catalogue
    prints, with the same weights, in the printed order. Raises :class:`WordingError`.
    """
    problems: list[WordingProblem] = []
    named = data.get("instrument")
    if named is not None and named != instrument.id:
        problems.append(
            WordingProblem("instrument", f"the file is for {named!r}, not {instrument.id!r}")
        )
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.append(WordingProblem("file", f"unknown sections {', '.join(map(str, unknown))}"))
    instructions = _text(data.get("instructions"), "instructions", problems, optional=True)
    recall = _text(data.get("recall_period"), "recall_period", problems, optional=True)
    licence = _licence(data, problems)

    raw_items = data.get("items")
    if not isinstance(raw_items, dict):
        problems.append(WordingProblem("items", "give a text for every item"))
        raw_items = {}
    own_options = _mapping(data, "options", problems)
    texts: dict[str, str] = {}
    labels: dict[str, tuple[str, ...]] = {}
    catalogue_ids = [item.id for item in instrument.items]
    for item in instrument.items:
        where = f"items.{item.id}"
        if item.id not in raw_items:
            problems.append(WordingProblem(where, "missing: give this item's text"))
            continue
        entry = raw_items[item.id]
        given_options = None
        if isinstance(entry, dict):
            extra = sorted(set(entry) - {"text", "options"})
            if extra:
                problems.append(WordingProblem(where, f"unknown fields {', '.join(extra)}"))
            given_options = entry.get("options")
            entry = entry.get("text")
        texts[item.id] = _text(entry, where, problems, optional=False)
        if item.id in own_options:
            given_options = own_options.pop(item.id)
        if item.kind is ItemKind.CHOICE and item.options is not None:
            labels[item.id] = _labels(given_options, item.options, f"{where}.options", problems)
        elif given_options is not None:
            why = (
                "its options come from a response set"
                if item.kind is ItemKind.CHOICE
                else ("it is not a choice item")
            )
            problems.append(WordingProblem(f"{where}.options", f"not expected: {why}"))
    for extra_id in sorted(set(raw_items) - set(catalogue_ids), key=str):
        problems.append(
            WordingProblem(
                f"items.{extra_id}",
                f"not an item of {instrument.short_name} (items: {', '.join(catalogue_ids)})",
            )
        )

    raw_sets = _mapping(data, "response_sets", problems)
    for set_id in list(own_options):  # CSV gives response sets and items' options alike
        if set_id in instrument.response_sets:
            raw_sets.setdefault(set_id, own_options.pop(set_id))
    used_sets = sorted({item.response_set for item in instrument.items if item.response_set})
    for set_id in used_sets:
        where = f"response_sets.{set_id}"
        if set_id not in raw_sets:
            problems.append(WordingProblem(where, "missing: give the labels of this response set"))
            continue
        labels[set_id] = _labels(
            raw_sets.pop(set_id), instrument.response_sets[set_id], where, problems
        )
    for extra_id in sorted(set(raw_sets) | set(own_options), key=str):
        allowed = ", ".join(used_sets) or "none"
        problems.append(
            WordingProblem(
                f"response_sets.{extra_id}",
                f"not a response set or option item of {instrument.short_name} "
                f"(response sets: {allowed})",
            )
        )
    if problems:
        raise WordingError(problems)
    return Wording(
        instrument_id=instrument.id,
        items=texts,
        option_labels=labels,
        instructions=instructions or None,
        recall_period=recall or None,
        placeholder=placeholder,
        licence=licence,
    )


# --- using a wording -------------------------------------------------------------------------


def apply_wording(instrument: Instrument, wording: Wording) -> Instrument:
    """``instrument`` with ``wording``'s texts and labels in place (weights unchanged)."""
    if wording.instrument_id != instrument.id:
        raise ValueError(f"wording for {wording.instrument_id} applied to {instrument.id}")

    def relabel(options: tuple[Option, ...], key: str) -> tuple[Option, ...]:
        labels = wording.option_labels.get(key)
        if labels is None or len(labels) != len(options):
            return options
        return tuple(
            option.model_copy(update={"label": label})
            for option, label in zip(options, labels, strict=True)
        )

    items = tuple(
        item.model_copy(
            update={
                "text": wording.items.get(item.id, item.text),
                "options": relabel(item.options, item.id) if item.options is not None else None,
            }
        )
        for item in instrument.items
    )
    sets = {key: relabel(options, key) for key, options in instrument.response_sets.items()}
    update: dict[str, Any] = {"items": items, "response_sets": sets}
    if wording.instructions is not None:
        update["instructions"] = wording.instructions
    if wording.recall_period is not None:
        update["recall_period"] = wording.recall_period
    return instrument.model_copy(update=update)


def placeholder_data(instrument: Instrument) -> dict[str, Any]:
    """A wording file's data built from each item's concept, every text marked with
    :data:`PLACEHOLDER_MARK`, and the catalogue's own response labels: for a demo, never for
    real answers."""
    items: dict[str, Any] = {}
    for item in instrument.items:
        entry: dict[str, Any] = {"text": f"{PLACEHOLDER_MARK} {item.concept}"}
        if item.options is not None:
            entry["options"] = [
                {"value": option.value, "label": option.label} for option in item.options
            ]
        items[item.id] = entry
    used = {item.response_set for item in instrument.items if item.response_set}
    instructions = instrument.instructions or "Choose the answer that fits you best."
    return {
        "instrument": instrument.id,
        "instructions": f"{PLACEHOLDER_MARK} {instructions}",
        "recall_period": instrument.recall_period,
        "licence": {
            "granted_by": "nobody: placeholder wording written by balm for the demo",
            "granted_on": date(2026, 1, 1).isoformat(),
            "use": "demonstration only; replace with the licensed wording before real use",
        },
        "items": items,
        "response_sets": {
            key: [{"value": o.value, "label": o.label} for o in options]
            for key, options in instrument.response_sets.items()
            if key in used
        },
    }
