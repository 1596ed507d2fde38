"""The export's validator (each element object validated once) passes and refuses exactly what
fhir.resources' full validation of each resource passes and refuses, on good resources (built
one by one, and built as the export builds them, sharing each distinct element) and on
resources broken at the top, inside an element, and beside elements validated before in good
ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from balm.instruments import get_instrument, score_one
from balm.instruments.fhir_response import (
    FhirResourceError,
    ResponseRecord,
    Validator,
    _model,
    bundle,
    observations,
    questionnaire_response,
    resources,
)


def _record(number: int, instrument_id: str, person: str) -> ResponseRecord:
    instrument = get_instrument(instrument_id)
    low = 1 if instrument_id == "scs_sf" else 0
    # Answers cycling through the printed weights; a blank now and then (left out).
    answers: dict[str, object] = {
        item.id: (None if (n + number) % 7 == 0 else low + (n + number) % 3)
        for n, item in enumerate(instrument.items)
    }
    given = {k: v for k, v in answers.items() if v is not None}
    return ResponseRecord(
        id=f"response-{number}",
        instrument_id=instrument_id,
        instrument_version=instrument.version,
        site="north",
        pseudonym=person,
        authored=datetime(2025, 3, 4, 10, number % 60, tzinfo=UTC),
        answers=answers,
        scores=score_one(instrument_id, given),
        scorer_version="1.0",
        timepoint="baseline",
        cohort="Spring group",
    )


def _records() -> list[ResponseRecord]:
    return [
        _record(number, ["phq9", "gad7", "dass21", "scs_sf"][number % 4], f"P{number % 5}")
        for number in range(24)
    ]


def _good() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for record in _records():
        out.append(questionnaire_response(record))
        out.extend(observations(record))
    return out


def _shared() -> list[dict[str, Any]]:
    """The same resources as the export builds them: each distinct element one object."""
    return resources(_records(), check="none")


def _sharing(target: dict[str, Any], broken: dict[str, Any]) -> dict[str, Any]:
    """``broken`` with each top-level element it left as it was being the very object in
    ``target`` (so the validator has met it before)."""
    return {k: target[k] if k in target and target[k] == v else v for k, v in broken.items()}


def _full(resource: dict[str, Any]) -> bool:
    try:
        _model(resource["resourceType"]).model_validate(copy.deepcopy(resource))
    except ValidationError:
        return False
    return True


def _memo(validator: Validator, resource: dict[str, Any]) -> bool:
    try:
        validator(resource)
    except FhirResourceError:
        return False
    return True


def _set(path: tuple[Any, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def change(resource: dict[str, Any]) -> None:
        place: Any = resource
        for step in path[:-1]:
            place = place[step]
        place[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda resource: resource.pop(key)


# Each breaks a resource as FHIR R4 defines it (ids [A-Za-z0-9-.]{1,64}, dateTime, status a
# required code, one value[x], no unknown elements, no empty strings).
QR_BREAKS = {
    "id with a space": _set(("id",), "response 1"),
    "authored not a date": _set(("authored",), "2025-13-45"),
    "status missing": _drop("status"),
    "unknown element": _set(("colour",), "red"),
    "empty pseudonym": _set(("subject", "identifier", "value"), ""),
    "unknown element in subject": _set(("subject", "colour"), "red"),
    "answer with two values": _set(("item", 0, "answer", 0, "valueInteger"), 2),
    "item without linkId": lambda r: r["item"][0].pop("linkId"),
    "extension without url": lambda r: r["extension"][0].pop("url"),
}
OBSERVATION_BREAKS = {
    "two values": _set(("valueString",), "nine"),
    "status not a code": _set(("status",), "final "),
    "effective not a date": _set(("effectiveDateTime",), "yesterday"),
    "score not a number": _set(("valueQuantity", "value"), "nine"),
    "code missing": _drop("code"),
    "category coding not a list": _set(("category", 0, "coding"), {"code": "survey"}),
    "derivedFrom not a list": _set(("derivedFrom",), {"reference": "QuestionnaireResponse/1"}),
}


def test_good_resources_pass_both_ways_and_the_bundle_validates_in_full() -> None:
    good = _good()
    validator = Validator()
    assert all(_full(r) and _memo(validator, r) for r in good)
    shared = _shared()
    assert shared == good
    validator = Validator()
    assert all(_full(r) and _memo(validator, r) for r in shared)
    records = [_record(n, "phq9", "P1") for n in range(3)]
    data = bundle(records)
    assert data == bundle(records, check="none")  # validating changes nothing
    Bundle.model_validate(data)


@pytest.mark.parametrize("built", ["one by one", "shared"])
@pytest.mark.parametrize("kind, breaks", [("QR", QR_BREAKS), ("Observation", OBSERVATION_BREAKS)])
def test_broken_resources_fail_both_ways(built: str, kind: str, breaks: dict[str, Any]) -> None:
    good = _good() if built == "one by one" else _shared()
    validator = Validator()
    for resource in good:  # every good element is known before the broken ones come
        validator(resource)
    target = next(
        r for r in good if (r["resourceType"] == "QuestionnaireResponse") == (kind == "QR")
    )
    for name, change in breaks.items():
        broken = copy.deepcopy(target)
        change(broken)
        if built == "shared":  # beside the very element objects validated before
            broken = _sharing(target, broken)
            kept = [
                k for k, v in broken.items() if isinstance(v, dict | list) and v is target.get(k)
            ]
            assert kept, name
        assert not _full(broken), name  # the break is a real one
        assert not _memo(validator, broken), name
        assert not _memo(validator, broken), name  # a refusal is not remembered as a pass
        assert not _memo(Validator(), broken), name


def test_an_unknown_check_is_refused() -> None:
    with pytest.raises(ValueError, match="check"):
        bundle([_record(1, "phq9", "P1")], check="shapes")  # type: ignore[arg-type]
