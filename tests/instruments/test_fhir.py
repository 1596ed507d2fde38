"""FHIR R4 Questionnaire export: valid for every catalogue entry, LOINC codes, weights, and
no licensed wording."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from balm.instruments import LicenceClass, catalogue, get_instrument
from balm.instruments.fhir import (
    ITEM_WEIGHT,
    MAX_VALUE,
    MIN_VALUE,
    licensed_placeholder,
    questionnaire_dict,
    questionnaire_json,
)
from balm.instruments.schema import ItemKind

IDS = sorted(catalogue())

# LOINC PHQ-9 panel 44249-1 and its item and total codes, as listed in the LOINC panel.
PHQ9_LOINC = {
    "q1": "44250-9",
    "q2": "44255-8",
    "q3": "44259-0",
    "q4": "44254-1",
    "q5": "44251-7",
    "q6": "44258-2",
    "q7": "44252-5",
    "q8": "44253-3",
    "q9": "44260-8",
}


@pytest.mark.parametrize("instrument_id", IDS)
def test_export_validates_as_a_questionnaire(instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    text = questionnaire_json(instrument)
    parsed = Questionnaire.model_validate_json(text)
    assert parsed.status == "active"
    assert parsed.title == instrument.name
    assert parsed.url.endswith(f"/Questionnaire/{instrument_id}")
    assert parsed.identifier[0].value == instrument_id
    assert [item.linkId for item in parsed.item] == [item.id for item in instrument.items]
    assert parsed.copyright


@pytest.mark.parametrize("instrument_id", IDS)
def test_answer_options_carry_the_catalogue_weights(instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    exported = {item["linkId"]: item for item in questionnaire_dict(instrument)["item"]}
    for item in instrument.items:
        entry = exported[item.id]
        assert entry.get("required", False) is item.required
        if item.kind is ItemKind.CHOICE:
            assert entry["type"] == "choice"
            weights = [
                Decimal(str(extension["valueDecimal"]))
                for option in entry["answerOption"]
                for extension in option["extension"]
                if extension["url"] == ITEM_WEIGHT
            ]
            options = instrument.options_for(item)
            assert weights == [Decimal(repr(option.value)) for option in options]
            codes = [option["valueCoding"]["code"] for option in entry["answerOption"]]
            assert [float(code) for code in codes] == [option.value for option in options]
            labels = [option["valueCoding"]["display"] for option in entry["answerOption"]]
            assert labels == [option.label for option in options]
        elif item.kind in (ItemKind.INTEGER, ItemKind.NUMBER):
            assert entry["type"] == ("integer" if item.kind is ItemKind.INTEGER else "decimal")
            bounds = {ext["url"]: ext for ext in entry["extension"]}
            key = "valueInteger" if item.kind is ItemKind.INTEGER else "valueDecimal"
            assert float(bounds[MIN_VALUE][key]) == item.minimum
            assert float(bounds[MAX_VALUE][key]) == item.maximum
        else:
            assert entry["type"] == "string"


def test_phq9_loinc_codes() -> None:
    exported = questionnaire_dict(get_instrument("phq9"))
    assert exported["code"][0] == {
        "system": "http://loinc.org",
        "code": "44249-1",
        "display": "Patient Health Questionnaire-9",
    }
    for item in exported["item"]:
        assert item["code"] == [{"system": "http://loinc.org", "code": PHQ9_LOINC[item["linkId"]]}]
    q1 = exported["item"][0]
    assert q1["text"] == "Little interest or pleasure in doing things"
    assert [option["valueCoding"]["display"] for option in q1["answerOption"]] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert json.dumps(q1["answerOption"][3]["extension"][0]) == (
        '{"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 3}'
    )


@pytest.mark.parametrize(
    "instrument_id",
    [
        instrument_id
        for instrument_id in IDS
        if get_instrument(instrument_id).licence.licence_class is LicenceClass.LICENSED
    ],
)
def test_licensed_instruments_export_no_item_text(instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    exported = questionnaire_dict(instrument)
    for item, entry in zip(instrument.items, exported["item"], strict=True):
        assert entry["text"] == licensed_placeholder(item)
        assert "service must supply" in entry["text"]
    assert "licensed" in exported["copyright"]


def test_computable_name_follows_fhir_rule() -> None:
    for instrument_id in IDS:
        name = questionnaire_dict(get_instrument(instrument_id))["name"]
        assert name[0].isupper() and name.replace("_", "").isalnum(), name
