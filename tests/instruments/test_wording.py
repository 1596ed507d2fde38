"""A service's licensed wording, checked against the catalogue (pure core, no database).

The expected problems are worked from the catalogue entries by hand: PDI has seven items
q1..q7 sharing the response set ``disability`` with eleven weights 0..10 (pdi.yaml, Pollard
1984); HADS q1 prints its own four options with weights 3, 2, 1, 0 (hads.yaml, Zigmond &
Snaith 1983)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from balm.instruments import catalogue, get_instrument
from balm.instruments.fhir import questionnaire_dict
from balm.instruments.wording import (
    PLACEHOLDER_MARK,
    WordingError,
    apply_wording,
    check_wording,
    parse_csv,
    parse_yaml,
    placeholder_data,
    wording_from_data,
)

LICENCE = {"granted_by": "Test licensor", "granted_on": "2026-02-01", "use": "routine care"}


def pdi_file() -> dict[str, Any]:
    return {
        "instrument": "pdi",
        "instructions": "Synthetic instructions.",
        "recall_period": "the past week",
        "licence": dict(LICENCE),
        "items": {f"q{n}": f"Synthetic domain {n}" for n in range(1, 8)},
        "response_sets": {"disability": [{"value": w, "label": f"level {w}"} for w in range(11)]},
    }


def problems_of(instrument_id: str, data: dict[str, Any]) -> list[str]:
    with pytest.raises(WordingError) as caught:
        check_wording(get_instrument(instrument_id), data)
    return [str(p) for p in caught.value.problems]


def test_a_complete_file_is_accepted() -> None:
    wording = check_wording(get_instrument("pdi"), pdi_file())
    assert wording.items["q4"] == "Synthetic domain 4"
    assert wording.option_labels["disability"][10] == "level 10"
    assert wording.licence is not None and wording.licence.granted_on == date(2026, 2, 1)
    assert wording_from_data(wording.as_data()) == wording


def test_every_problem_is_listed_at_once() -> None:
    data = pdi_file()
    del data["items"]["q3"]  # a missing item
    data["items"]["q8"] = "not in the PDI"  # an extra item
    data["response_sets"]["disability"] = data["response_sets"]["disability"][:10]  # 10 of 11
    del data["licence"]["use"]
    found = problems_of("pdi", data)
    assert found == [
        "licence.use: give the text (it is blank)",
        "items.q3: missing: give this item's text",
        "items.q8: not an item of PDI (items: q1, q2, q3, q4, q5, q6, q7)",
        "response_sets.disability: 10 options given; the catalogue prints 11 "
        "(weights 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)",
    ]


def test_labels_out_of_printed_order_are_refused() -> None:
    data = pdi_file()
    data["response_sets"]["disability"].reverse()  # 10 .. 0, the printed order is 0 .. 10
    (found,) = problems_of("pdi", data)
    assert found.startswith("response_sets.disability: options are out of order")
    assert "weights 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 (given 10, 9, 8" in found


def test_an_items_own_options_follow_its_printed_order() -> None:
    # HADS q1 prints weights 3, 2, 1, 0 (in that order); giving 0..3 is out of order.
    hads = placeholder_data(get_instrument("hads"))
    hads["items"]["q1"]["options"] = sorted(
        hads["items"]["q1"]["options"], key=lambda o: o["value"]
    )
    (found,) = problems_of("hads", hads)
    assert found == (
        "items.q1.options: options are out of order: give them in the printed order, "
        "weights 3, 2, 1, 0 (given 0, 1, 2, 3)"
    )


def test_missing_response_set_and_unknown_set() -> None:
    data = pdi_file()
    data["response_sets"] = {"agreement": data["response_sets"]["disability"]}
    assert problems_of("pdi", data) == [
        "response_sets.disability: missing: give the labels of this response set",
        "response_sets.agreement: not a response set or option item of PDI "
        "(response sets: disability)",
    ]


def test_no_licence_record_is_refused() -> None:
    data = pdi_file()
    del data["licence"]
    assert problems_of("pdi", data) == [
        "licence: record who granted the licence, when, and for what use"
    ]


def test_apply_wording_changes_text_and_labels_never_weights() -> None:
    pdi = get_instrument("pdi")
    worded = apply_wording(pdi, check_wording(pdi, pdi_file()))
    assert worded.item("q2").text == "Synthetic domain 2"
    options = worded.options_for(worded.item("q2"))
    assert [o.value for o in options] == [float(w) for w in range(11)]
    assert options[3].label == "level 3"
    assert worded.instructions == "Synthetic instructions."
    assert worded.scales == pdi.scales
    assert pdi.item("q2").text is None  # the catalogue entry itself is untouched


WORDLESS = sorted(key for key, entry in catalogue().items() if not entry.item_text_included)


@pytest.mark.parametrize("instrument_id", WORDLESS)
def test_placeholder_wording_is_accepted_and_marked(instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    wording = check_wording(instrument, placeholder_data(instrument), placeholder=True)
    assert all(text.startswith(PLACEHOLDER_MARK) for text in wording.items.values())
    assert wording.instructions is not None
    assert wording.instructions.startswith(PLACEHOLDER_MARK)
    assert wording.placeholder


def test_yaml_and_csv_give_the_same_wording() -> None:
    yaml_text = (
        """
instrument: pdi
licence: {granted_by: Test licensor, granted_on: 2026-02-01, use: routine care}
items:
"""
        + "".join(f"  q{n}: Synthetic domain {n}\n" for n in range(1, 8))
        + """
response_sets:
  disability:
"""
        + "".join(f"    - {{value: {w}, label: level {w}}}\n" for w in range(11))
    )
    rows = ["part,id,value,text"]
    rows += [
        "licence_granted_by,,,Test licensor",
        "licence_granted_on,,,2026-02-01",
        "licence_use,,,routine care",
    ]
    rows += [f"item,q{n},,Synthetic domain {n}" for n in range(1, 8)]
    rows += [f"option,disability,{w},level {w}" for w in range(11)]
    pdi = get_instrument("pdi")
    from_yaml = check_wording(pdi, parse_yaml(yaml_text))
    from_csv = check_wording(pdi, parse_csv("\n".join(rows) + "\n", "pdi"))
    assert from_yaml == from_csv
    assert from_yaml.licence == from_csv.licence


def test_csv_with_wrong_columns_or_parts_lists_every_row() -> None:
    with pytest.raises(WordingError) as caught:
        parse_csv("part,id,text\nitem,q1,x\n", "pdi")
    assert "the columns must be part, id, value, text" in str(caught.value)
    with pytest.raises(WordingError) as caught:
        parse_csv("part,id,value,text\nitme,q1,,x\nitem,q1,,a\nitem,q1,,b\n", "pdi")
    assert [str(p) for p in caught.value.problems] == [
        "line 2: part 'itme' is not one of instructions, recall_period, licence_granted_by, "
        "licence_granted_on, licence_use, item, option",
        "line 4: item q1 is given twice",
    ]


def test_fhir_export_carries_the_wording_only_when_given() -> None:
    pdi = get_instrument("pdi")
    wording = check_wording(pdi, pdi_file())
    plain = questionnaire_dict(pdi)
    worded = questionnaire_dict(pdi, wording=wording)
    assert "Synthetic domain 1" not in str(plain)
    assert worded["item"][0]["text"] == "Synthetic domain 1"
    assert worded["item"][0]["answerOption"][0]["valueCoding"]["display"] == "level 0"
    assert "supplied by the service under its own licence" in worded["copyright"]
    unchanged = copy.deepcopy(plain)
    assert questionnaire_dict(pdi) == unchanged


@pytest.mark.parametrize("instrument_id", WORDLESS)
def test_dropping_any_one_item_names_exactly_that_item(instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    for item in instrument.items:
        data = placeholder_data(instrument)
        del data["items"][item.id]
        assert problems_of(instrument_id, data) == [
            f"items.{item.id}: missing: give this item's text"
        ]


def test_sections_of_the_wrong_shape_are_problems_not_crashes() -> None:
    data = pdi_file()
    data["response_sets"] = ["level 0", "level 1"]
    data["items"]["q1"] = ["not", "text"]
    data["colour"] = "blue"
    assert problems_of("pdi", data) == [
        "file: unknown sections colour",
        "items.q1: must be text",
        "response_sets: give a mapping of ids to lists of options",
        "response_sets.disability: missing: give the labels of this response set",
    ]
