"""Responses and scores as FHIR QuestionnaireResponse and Observation, read back by
fhir.resources (the R4B models), and bad QuestionnaireResponses refused with every problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from balm.instruments import score_one
from balm.instruments.fhir_response import (
    ResponseRecord,
    bundle,
    observations,
    questionnaire_response,
    questionnaire_responses_of,
    read_questionnaire_response,
)

AUTHORED = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
# PHQ-9 with every item "Several days" (weight 1) but q9 blank: 8 answered items sum to 8,
# prorated to 8 x 9 / 8 = 9 (Kroenke, Spitzer & Williams 2001 weights; the catalogue's
# prorating rule), which is in the "mild" band 5-9 (Kroenke et al. 2001 cut-points).
PHQ9 = {**{f"q{i}": 1 for i in range(1, 9)}, "q9": None}


def record(**fields) -> ResponseRecord:  # type: ignore[no-untyped-def]
    answers = fields.pop("answers", PHQ9)
    instrument = fields.pop("instrument_id", "phq9")
    return ResponseRecord(
        id=fields.pop("id", "response-7"),
        instrument_id=instrument,
        instrument_version=fields.pop("instrument_version", "2001.1"),
        site="north",
        pseudonym="P07",
        authored=AUTHORED,
        answers=answers,
        scores=score_one(instrument, {k: v for k, v in answers.items() if v is not None}),
        scorer_version="1.0",
        timepoint="baseline",
        cohort="Spring group",
        identifier="7b0c",
        **fields,
    )


def test_questionnaire_response_reads_back_with_fhir_resources() -> None:
    data = questionnaire_response(record())
    parsed = QuestionnaireResponse.model_validate(json.loads(json.dumps(data)))
    assert parsed.questionnaire == "http://balm.invalid/fhir/Questionnaire/phq9|2001.1"
    assert parsed.status == "completed"
    assert parsed.subject.identifier.value == "P07"
    assert parsed.subject.identifier.system.endswith("/site/north/pseudonym")
    # The blank q9 is left out (missing, never 0); the others carry the printed weight as
    # the code and the printed label as the display.
    assert [item.linkId for item in parsed.item] == [f"q{i}" for i in range(1, 9)]
    first = parsed.item[0].answer[0].valueCoding
    assert (first.code, first.display) == ("1", "Several days")
    assert "text" not in json.dumps(data["item"])  # no wording in the response


def test_observation_has_loinc_unit_band_and_source() -> None:
    found = observations(record())
    assert len(found) == 1
    parsed = Observation.model_validate(found[0])
    codes = {(c.system, c.code) for c in parsed.code.coding}
    # 44261-6 is LOINC's "Patient Health Questionnaire 9 item (PHQ-9) total score".
    assert ("http://loinc.org", "44261-6") in codes
    assert ("http://balm.invalid/fhir/scale", "phq9_total") in codes
    assert float(parsed.valueQuantity.value) == 9.0
    assert parsed.valueQuantity.code == "{score}"
    assert parsed.valueQuantity.system == "http://unitsofmeasure.org"
    assert parsed.interpretation[0].coding[0].code == "mild"
    assert parsed.derivedFrom[0].reference == "QuestionnaireResponse/response-7"
    assert parsed.category[0].coding[0].code == "survey"


def test_scale_not_scored_has_no_observation() -> None:
    # DASS-21 allows no blank item per subscale: with q3 (a depression item) blank, the
    # depression score is not computed, anxiety and stress are (Lovibond & Lovibond 1995).
    answers = {f"q{i}": 1 for i in range(1, 22)}
    answers["q3"] = None
    scales = [
        o["code"]["coding"][-1]["code"]
        for o in observations(
            record(instrument_id="dass21", instrument_version="1995.1", answers=answers)
        )
    ]
    assert scales == ["dass21_anxiety", "dass21_stress"]


def test_bundle_validates_as_a_whole_and_reads_back() -> None:
    data = bundle([record(), record(id="response-8")])
    parsed = Bundle.model_validate(json.loads(json.dumps(data)))
    kinds = [entry.resource.get_resource_type() for entry in parsed.entry]
    assert kinds == ["QuestionnaireResponse", "Observation"] * 2
    found, problems = questionnaire_responses_of(data)
    assert problems == [] and [where for where, _ in found] == ["entry 1", "entry 3"]
    incoming, problems = read_questionnaire_response(found[0][1])
    assert problems == [] and incoming is not None
    assert incoming.answers == {f"q{i}": 1 for i in range(1, 9)}
    assert (incoming.pseudonym, incoming.timepoint, incoming.cohort) == (
        "P07",
        "baseline",
        "Spring group",
    )


def test_licensed_instrument_exports_no_wording() -> None:
    # HADS is licensed: the catalogue holds only placeholder labels, never item text.
    answers = {f"q{i}": 0 for i in range(1, 15)}
    data = questionnaire_response(
        record(instrument_id="hads", instrument_version="1983.1", answers=answers)
    )
    QuestionnaireResponse.model_validate(data)
    assert all("text" not in item for item in data["item"])
    assert data["item"][0]["answer"][0]["valueCoding"]["display"].startswith("option")


def test_every_problem_of_a_bad_response_at_once() -> None:
    data = questionnaire_response(record())
    data.pop("id")
    data["status"] = "in-progress"
    data["questionnaire"] = "http://elsewhere.example/Questionnaire/phq9|1999"
    data["subject"] = {"display": "someone"}
    data["item"][0]["linkId"] = "q99"
    data["item"][1]["answer"].append({"valueCoding": {"code": "2"}})
    data["item"][2]["answer"] = [{"valueCoding": {"code": "often"}}]
    incoming, problems = read_questionnaire_response(data)
    assert incoming is None
    text = [str(p) for p in problems]
    assert len(text) == 7, text
    assert any("id is missing" in t for t in text)
    assert any("in-progress" in t for t in text)
    assert any("version 1999 of phq9; balm scores version 2001.1" in t for t in text)
    assert any("pseudonym" in t for t in text)
    assert any("item q99: not an item of phq9" in t for t in text)
    assert any("item q2: more than one answer" in t for t in text)
    assert any("item q3: answer code 'often' is not a printed weight" in t for t in text)


def test_not_fhir_at_all_is_refused_by_the_reader() -> None:
    incoming, problems = read_questionnaire_response(
        {"resourceType": "QuestionnaireResponse", "status": 7, "item": "x"}
    )
    assert incoming is None and problems
    found, problems = questionnaire_responses_of({"resourceType": "Patient"})
    assert found == [] and "send a Bundle" in problems[0].message
    found, problems = questionnaire_responses_of({"resourceType": "Bundle", "entry": []})
    assert found == [] and "no QuestionnaireResponse" in problems[0].message
    incoming, problems = read_questionnaire_response(
        {**questionnaire_response(record()), "questionnaire": "http://x/Questionnaire/nope"}
    )
    assert incoming is None and "names no instrument" in problems[0].message
