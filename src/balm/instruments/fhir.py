"""An instrument as a FHIR R4 ``Questionnaire`` (pure: a catalogue entry in, JSON out).

Which models, and why: ``fhir.resources`` 8.x builds FHIR R5 (5.0.0) from its top-level
package, and R5 changed Questionnaire (choice items became ``coding``, ``answerConstraint``
was added), so R5 output would not load into R4 servers. Its ``fhir.resources.R4B`` package
is FHIR 4.3.0, whose Questionnaire has the same elements, types and item types as R4 4.0.1
(the published R4 to R4B difference for Questionnaire only moves value-set versions). We
build and validate with the R4B models, so the JSON is an R4 Questionnaire.

What goes in:

- ``url`` (``<base>/Questionnaire/<id>``), an ``identifier``, ``version``, a computable
  ``name``, ``title``, ``status`` active, ``description`` (the citation) and ``copyright``
  (the licence class, summary, holder and address);
- LOINC ``code`` on the Questionnaire (the panel) and on each item where the catalogue has
  one;
- choice items as ``type: choice`` with ``answerOption.valueCoding`` (code = the printed
  weight, display = the label) and the weight again in the standard ``itemWeight`` extension
  (http://hl7.org/fhir/StructureDefinition/itemWeight, decimal; the FHIR extensions pack
  lists ``Questionnaire.item.answerOption`` as a context and says it goes on answerOption
  where possible; it was formerly called ``ordinalValue``);
- integer and number items as ``integer`` and ``decimal`` with the ``minValue`` and
  ``maxValue`` extensions; text items as ``string``; ``required`` from the catalogue;
- licensed instruments ship no item text: their items carry a placeholder naming the concept
  and saying the service must supply the licensed wording;
- unless a service passes its own licensed wording (``wording``, plain data from
  :mod:`balm.instruments.wording`): then its item texts, labels and instructions go in, and
  ``copyright`` says the wording is the service's, under its own licence.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.questionnaire import (
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireItemAnswerOption,
)

from balm.instruments.schema import Instrument, Item, ItemKind, LicenceClass
from balm.instruments.wording import Wording, apply_wording

FHIR_VERSION = "4.0.1"
"""The FHIR release the exported JSON targets (built with the R4B 4.3.0 models; see above)."""

DEFAULT_BASE_URL = "http://balm.invalid/fhir"
"""Placeholder canonical base (``.invalid`` is reserved); a service passes its own."""

LOINC = "http://loinc.org"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"

_FHIR_TYPES = {
    ItemKind.CHOICE: "choice",
    ItemKind.INTEGER: "integer",
    ItemKind.NUMBER: "decimal",
    ItemKind.TEXT: "string",
}


def licensed_placeholder(item: Item) -> str:
    """Item text for a licensed instrument, whose wording balm may not ship."""
    return f"[{item.concept}] Licensed item: the service must supply the licensed item text."


def _number_text(value: float) -> str:
    return f"{value:g}"


def _decimal(value: float) -> Decimal:
    # Whole weights export as 3, others through the shortest repr (0.1, not its binary
    # expansion).
    number = float(value)
    return Decimal(int(number)) if number.is_integer() else Decimal(repr(number))


def _computable_name(instrument: Instrument) -> str:
    """A name matching FHIR's ``[A-Z]([A-Za-z0-9_]){0,254}`` (constraint que-0)."""
    name = re.sub(r"[^A-Za-z0-9_]", "", instrument.short_name) or instrument.id
    if not name[0].isalpha():
        name = "Q" + name
    return (name[0].upper() + name[1:])[:255]


def _copyright(instrument: Instrument, wording: Wording | None) -> str:
    licence = instrument.licence
    parts = [f"Licence class: {licence.licence_class.value}.", licence.summary]
    if licence.copyright:
        parts.append(licence.copyright)
    if licence.url:
        parts.append(licence.url)
    if wording is not None and wording.placeholder:
        parts.append("Item text is a placeholder written for a demonstration, not the wording.")
    elif wording is not None:
        parts.append("Item text supplied by the service under its own licence.")
    elif licence.licence_class is LicenceClass.LICENSED:
        parts.append("Item text is not included: the service supplies the licensed wording.")
    return " ".join(parts)


def _loinc(code: str | None, display: str | None = None) -> list[Coding] | None:
    if code is None:
        return None
    return [Coding(system=LOINC, code=code, display=display)]


def _item(instrument: Instrument, item: Item, *, supplied: bool) -> QuestionnaireItem:
    text = item.text if item.text is not None else licensed_placeholder(item)
    if instrument.licence.licence_class is LicenceClass.LICENSED and not supplied:
        text = licensed_placeholder(item)
    fields: dict[str, Any] = {
        "linkId": item.id,
        "text": text,
        "type": _FHIR_TYPES[item.kind],
        "required": item.required,
        "code": _loinc(item.loinc),
    }
    if item.kind is ItemKind.CHOICE:
        fields["answerOption"] = [
            QuestionnaireItemAnswerOption(
                valueCoding=Coding(code=_number_text(option.value), display=option.label),
                extension=[Extension(url=ITEM_WEIGHT, valueDecimal=_decimal(option.value))],
            )
            for option in instrument.options_for(item)
        ]
    elif item.kind in (ItemKind.INTEGER, ItemKind.NUMBER):
        assert item.minimum is not None and item.maximum is not None  # schema guarantees it
        if item.kind is ItemKind.INTEGER:
            bounds = [
                Extension(url=MIN_VALUE, valueInteger=int(item.minimum)),
                Extension(url=MAX_VALUE, valueInteger=int(item.maximum)),
            ]
        else:
            bounds = [
                Extension(url=MIN_VALUE, valueDecimal=_decimal(item.minimum)),
                Extension(url=MAX_VALUE, valueDecimal=_decimal(item.maximum)),
            ]
        fields["extension"] = bounds
    return QuestionnaireItem(**{key: value for key, value in fields.items() if value is not None})


def questionnaire(
    instrument: Instrument, *, base_url: str = DEFAULT_BASE_URL, wording: Wording | None = None
) -> Questionnaire:
    """The instrument as a validated FHIR R4 (R4B models) ``Questionnaire``; with a service's
    own ``wording`` (checked by :func:`balm.instruments.wording.check_wording`) in place."""
    base = base_url.rstrip("/")
    catalogue_entry = instrument
    if wording is not None:
        instrument = apply_wording(instrument, wording)
    fields: dict[str, Any] = {
        "id": instrument.id.replace("_", "-"),
        "url": f"{base}/Questionnaire/{instrument.id}",
        "identifier": [Identifier(system=f"{base}/instrument", value=instrument.id)],
        "version": instrument.version,
        "name": _computable_name(instrument),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": instrument.citation,
        "copyright": _copyright(catalogue_entry, wording),
        "code": _loinc(instrument.loinc, instrument.name),
        "item": [
            _item(instrument, item, supplied=wording is not None) for item in instrument.items
        ],
    }
    return Questionnaire(**{key: value for key, value in fields.items() if value is not None})


def questionnaire_dict(
    instrument: Instrument, *, base_url: str = DEFAULT_BASE_URL, wording: Wording | None = None
) -> dict[str, Any]:
    """The Questionnaire as plain JSON data (``resourceType`` first)."""
    data: dict[str, Any] = json.loads(
        questionnaire(instrument, base_url=base_url, wording=wording).model_dump_json()
    )
    return data


def questionnaire_json(instrument: Instrument, *, base_url: str = DEFAULT_BASE_URL) -> str:
    """The Questionnaire as indented JSON text."""
    return json.dumps(
        questionnaire_dict(instrument, base_url=base_url), indent=2, ensure_ascii=False
    )
