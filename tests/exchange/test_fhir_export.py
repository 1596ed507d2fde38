"""The export's Bundle, whose resources share each distinct element (one object for every
resource holding it), is byte for byte the JSON text of the same resources built one by one
with nothing shared and written by ``json.dumps``; and every resource of it validates in full
with fhir.resources. The responses repeat answers and scores, differ in an answer's type
only (1 and 1.0 are equal in Python but a text item writes them differently), leave items
blank, and carry non-ASCII text. The cycle collector, paused while an export is built, is as
the caller had it afterwards, also when the export fails."""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from balm.instruments import get_instrument, score_one
from balm.instruments.catalogue import UnknownInstrumentError
from balm.instruments.fhir import DEFAULT_BASE_URL
from balm.instruments.fhir_response import (
    ResponseRecord,
    as_json,
    bundle,
    observations,
    questionnaire_response,
)

WHEN = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _record(number: int, instrument_id: str, answers: dict[str, object]) -> ResponseRecord:
    given = {k: v for k, v in answers.items() if v is not None}
    return ResponseRecord(
        id=f"response-{number}",
        instrument_id=instrument_id,
        instrument_version=get_instrument(instrument_id).version,
        site="north" if number % 2 else "süd",
        pseudonym=f"P{number % 3}",
        authored=WHEN + timedelta(hours=number),
        answers=answers,
        scores=score_one(instrument_id, given),
        scorer_version="1.0",
        timepoint=("baseline", "end", "")[number % 3],
        cohort=("Spring group", "Grupo de otoño", "")[number % 3],
        identifier=f"client-{number}" if number % 4 == 0 else "",
    )


def _records() -> list[ResponseRecord]:
    records = []
    for number in range(12):
        # PHQ-9 answers cycling through the printed weights 0-3, q9 blank now and then.
        phq9: dict[str, object] = {f"q{i}": (i + number) % 4 for i in range(1, 10)}
        if number % 5 == 0:
            phq9["q9"] = None
        records.append(_record(number, "phq9", phq9))
    checkin: dict[str, object] = {f"q{i}": i for i in range(1, 7)}
    # The same note as a whole number, as a decimal and as text: equal in Python, written
    # "1", "1.0" and "1" (the text as given).
    for number, note in enumerate((1, 1.0, "1", "Ça va mieux"), start=20):
        records.append(_record(number, "checkin", {**checkin, "q7": note, "q8": None}))
    return records


def _one_by_one(records: list[ResponseRecord]) -> dict[str, Any]:
    entries = []
    for record in records:
        for resource in [questionnaire_response(record), *observations(record)]:
            url = f"{DEFAULT_BASE_URL}/{resource['resourceType']}/{resource['id']}"
            entries.append({"fullUrl": url, "resource": resource})
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
        "timestamp": STAMP.isoformat(),
    }


def _notes(data: dict[str, Any]) -> list[str]:
    return [
        item["answer"][0]["valueString"]
        for entry in data["entry"]
        if "/Questionnaire/checkin|" in entry["resource"].get("questionnaire", "")
        for item in entry["resource"]["item"]
        if item["linkId"] == "q7"
    ]


def test_the_shared_export_is_the_text_of_the_resources_built_one_by_one() -> None:
    records = _records()
    exported = bundle(records, timestamp=STAMP)
    resources = [entry["resource"] for entry in exported["entry"]]
    # The export does share (so this compares shared against unshared): the same person's
    # subject is one object in all their resources.
    first = resources[0]["subject"]
    same = [r["subject"] for r in resources if r["subject"] == first]
    assert len(same) > 2 and all(subject is first for subject in same)
    reference = _one_by_one(records)
    assert as_json(exported) == json.dumps(reference, ensure_ascii=False)
    assert _notes(exported) == ["1", "1.0", "1", "Ça va mieux"]


def test_every_resource_of_the_export_validates_in_full() -> None:
    data = json.loads(as_json(bundle(_records(), timestamp=STAMP)))
    parsed = Bundle.model_validate(data)
    assert parsed.entry is not None
    kinds = [entry.resource.get_resource_type() for entry in parsed.entry]
    # 12 PHQ-9s with a total each (Observation), 4 check-ins with six single-item scales each
    # (mood, outlook, acceptance, comfort, pain and minutes of practice, q1-q6 all answered).
    assert kinds.count("QuestionnaireResponse") == 16
    assert kinds.count("Observation") == 12 + 4 * len(get_instrument("checkin").scales)


def test_the_collector_is_as_it_was_after_an_export_good_or_failed() -> None:
    good = _records()[:2]
    unknown = replace(good[0], instrument_id="no_such_questionnaire")
    assert gc.isenabled()
    bundle(good)
    assert gc.isenabled()
    with pytest.raises(UnknownInstrumentError):
        bundle([*good, unknown])
    assert gc.isenabled()
    gc.disable()
    try:
        bundle(good)
        assert not gc.isenabled()  # left off, as the caller had it
    finally:
        gc.enable()
