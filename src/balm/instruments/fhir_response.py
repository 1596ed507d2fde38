"""Responses and scores as FHIR R4 ``QuestionnaireResponse`` and ``Observation`` resources,
and answers read back from a ``QuestionnaireResponse`` (pure: plain data in and out).

Validated with the ``fhir.resources.R4B`` models, as :mod:`balm.instruments.fhir` explains
(R4B's QuestionnaireResponse and Observation have R4's elements and types).

What goes out, per response:

- a ``QuestionnaireResponse``: ``questionnaire`` is the canonical of the instrument's
  Questionnaire with its version after ``|`` (FHIR's ``canonical|version``), ``status``
  completed, ``authored``, ``subject`` a reference *by identifier* to the pseudonym (system
  ``<base>/site/<site>/pseudonym``; never a name), and one
  ``item`` per answered question: ``linkId`` the item id, the answer as ``valueCoding`` for a
  choice (code = the printed weight, display = the catalogue's label, exactly as the
  Questionnaire's ``answerOption`` codes it), ``valueInteger``, ``valueDecimal`` or
  ``valueString``. No item text: the wording lives in the Questionnaire, and balm never
  exports wording it does not hold. Blank items are left out (missing, never 0). The
  timepoint and the group go in two balm extensions (``<base>/StructureDefinition/
  balm-timepoint`` and ``balm-cohort``) so the answers can be filed again on import.
- one ``Observation`` per scale the engine scored: category ``survey``, ``code`` the scale's
  LOINC code where the catalogue has one plus balm's own code ``<instrument>_<scale>``
  (system ``<base>/scale``), ``valueQuantity`` with UCUM unit ``{score}``, ``interpretation``
  the band (system ``<base>/band/<instrument>_<scale>``) where the scale has bands,
  ``derivedFrom`` the QuestionnaireResponse, and the scorer version in an extension.

Reading (:func:`read_questionnaire_response`) collects every problem with the resource at
once and never scores: the platform scores the answers through the engine like any other.
"""

from __future__ import annotations

import gc
import json
import math
import re
import typing
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal, ParamSpec, TypeVar

from pydantic import ValidationError

from balm.instruments.catalogue import catalogue, get_instrument
from balm.instruments.fhir import DEFAULT_BASE_URL, LOINC
from balm.instruments.schema import Bands, Instrument, Item, ItemKind, Scale

UCUM = "http://unitsofmeasure.org"
SURVEY = "http://terminology.hl7.org/CodeSystem/observation-category"
TIMEPOINT_EXTENSION = "StructureDefinition/balm-timepoint"
COHORT_EXTENSION = "StructureDefinition/balm-cohort"
SCORER_EXTENSION = "StructureDefinition/balm-scorer-version"
# FHIR ids: [A-Za-z0-9\-\.]{1,64}.
_NOT_ID = re.compile(r"[^A-Za-z0-9.\-]")
_T = TypeVar("_T")
_P = ParamSpec("_P")


class FhirResourceError(ValueError):
    """A resource balm built failed FHIR validation (a programmer error, never user input)."""


@dataclass(frozen=True)
class ResponseRecord:
    """One stored response, as plain data: what the export needs and nothing more."""

    id: str
    instrument_id: str
    instrument_version: str
    site: str
    pseudonym: str
    authored: datetime
    answers: Mapping[str, object]
    scores: Mapping[str, object]
    scorer_version: str
    timepoint: str = ""
    cohort: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class FhirProblem:
    """One thing wrong with an incoming resource: where (``entry 2, item q4``) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class IncomingResponse:
    """Answers read from a QuestionnaireResponse, not yet checked or scored."""

    resource_id: str
    instrument_id: str
    pseudonym: str
    authored: datetime | None
    timepoint: str
    cohort: str
    answers: dict[str, object] = field(default_factory=dict)


def fhir_id(text: str) -> str:
    """``text`` as a FHIR id (letters, digits, ``-`` and ``.``; at most 64 characters)."""
    return _NOT_ID.sub("-", text)[:64] or "x"


def _number(value: float) -> int | float:
    # Plain JSON numbers: whole scores as 9, others as the shortest repr (9.5, 1.43).
    number = float(value)
    return int(number) if number.is_integer() else number


def _subject(base: str, site: str, pseudonym: str) -> dict[str, Any]:
    return {
        "identifier": {"system": f"{base}/site/{site}/pseudonym", "value": pseudonym},
        "display": pseudonym,
    }


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _label(instrument: Instrument, item: Item, value: float) -> str | None:
    for option in instrument.options_for(item):
        if option.value == value:
            return option.label
    return None


@cache
def _choices(instrument_id: str, version: str) -> dict[tuple[str, float], dict[str, Any]]:
    """Each choice item's printed answers as FHIR answers, built once per instrument (an
    export of thousands of responses answers from this table)."""
    instrument = get_instrument(instrument_id)
    table = {}
    for item in instrument.items:
        if item.kind is ItemKind.CHOICE:
            for option in instrument.options_for(item):
                number = float(option.value)
                coding = {"code": f"{number:g}", "display": option.label}
                table[(item.id, number)] = {"valueCoding": coding}
    return table


def _answer(instrument: Instrument, item: Item, value: object) -> dict[str, Any]:
    if item.kind is ItemKind.CHOICE:
        try:
            known = _choices(instrument.id, instrument.version).get((item.id, float(str(value))))
        except ValueError:
            known = None
        if known is not None:
            return {"valueCoding": dict(known["valueCoding"])}
    if item.kind is ItemKind.TEXT:
        return {"valueString": str(value)}
    number = float(str(value))
    if item.kind is ItemKind.CHOICE:
        coding: dict[str, Any] = {"code": f"{number:g}"}
        label = _label(instrument, item, number)
        if label is not None:
            coding["display"] = label
        return {"valueCoding": coding}
    if item.kind is ItemKind.INTEGER:
        return {"valueInteger": int(number)}
    return {"valueDecimal": _number(number)}


class _Elements:
    """Builds the elements of resources (``build(*args)``): each anew (here), or, for an
    export (:class:`_SharedElements`), each distinct one once, known by ``key``."""

    def __call__(
        self, key: Hashable, build: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        return build(*args, **kwargs)


class _SharedElements(_Elements):
    """Each distinct element of an export built once, keyed by what it is made of, and the
    same object (never changed afterwards) handed to every resource that holds it: an
    export's resources repeat their answers, codes, subjects, scores and bands, so this
    builds a fraction of the objects, and :class:`Validator` validates each shared element
    once. The JSON text is the same: a repeated object is written out in full each time."""

    def __init__(self) -> None:
        self._made: dict[Hashable, Any] = {}

    def __call__(
        self, key: Hashable, build: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        found: _T | None = self._made.get(key)
        if found is None:
            found = self._made[key] = build(*args, **kwargs)
        return found


def questionnaire_response(
    record: ResponseRecord, *, base_url: str = DEFAULT_BASE_URL
) -> dict[str, Any]:
    """The response as a FHIR R4 QuestionnaireResponse (JSON data; see the module notes).
    Items in the catalogue's order; blank answers left out."""
    return _questionnaire_response(record, base_url.rstrip("/"), _Elements())


def _item(instrument: Instrument, item: Item, value: object) -> dict[str, Any]:
    return {"linkId": item.id, "answer": [_answer(instrument, item, value)]}


def _extension_of(url: str, kind: str, value: str) -> dict[str, Any]:
    return {"url": url, kind: value}


def _questionnaire_response(
    record: ResponseRecord, base: str, element: _Elements, authored: str | None = None
) -> dict[str, Any]:
    instrument = get_instrument(record.instrument_id)
    items = []
    for item in instrument.items:
        value = record.answers.get(item.id)
        if _is_blank(value):
            continue
        # repr tells 1 from 1.0 and "1" (a text item writes them differently).
        items.append(
            element(("item", instrument.id, item.id, repr(value)), _item, instrument, item, value)
        )
    extensions = []
    if record.timepoint:
        url = f"{base}/{TIMEPOINT_EXTENSION}"
        key = ("timepoint", record.timepoint)
        extensions.append(element(key, _extension_of, url, "valueCode", record.timepoint))
    if record.cohort:
        url = f"{base}/{COHORT_EXTENSION}"
        key = ("cohort", record.cohort)
        extensions.append(element(key, _extension_of, url, "valueString", record.cohort))
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": fhir_id(record.id),
        "questionnaire": f"{base}/Questionnaire/{instrument.id}|{record.instrument_version}",
        "status": "completed",
        "subject": element(
            ("subject", record.site, record.pseudonym),
            _subject,
            base,
            record.site,
            record.pseudonym,
        ),
        "authored": authored or record.authored.isoformat(),
    }
    if record.identifier:
        data["identifier"] = {"system": f"{base}/response", "value": record.identifier}
    if extensions:
        data["extension"] = extensions
    if items:
        data["item"] = items
    return data


def observations(
    record: ResponseRecord, *, base_url: str = DEFAULT_BASE_URL
) -> list[dict[str, Any]]:
    """One FHIR R4 Observation per scale the engine scored (a scale not computed under the
    missing-item rule has none): LOINC where the catalogue has it, UCUM ``{score}``, the band
    as ``interpretation``, ``derivedFrom`` the QuestionnaireResponse."""
    return _observations(record, base_url.rstrip("/"), _Elements())


def _scorer(base: str, version: str) -> list[dict[str, Any]]:
    return [{"url": f"{base}/{SCORER_EXTENSION}", "valueString": version}]


def _survey() -> list[dict[str, Any]]:
    return [{"coding": [{"system": SURVEY, "code": "survey", "display": "Survey"}]}]


def _code(base: str, instrument: Instrument, scale: Scale) -> dict[str, Any]:
    codings = []
    if scale.loinc:
        codings.append({"system": LOINC, "code": scale.loinc})
    codings.append(
        {
            "system": f"{base}/scale",
            "code": f"{instrument.id}_{scale.id}",
            "display": f"{instrument.short_name} {scale.name}",
        }
    )
    return {"coding": codings, "text": f"{instrument.short_name} {scale.name}"}


def _quantity(value: float) -> dict[str, Any]:
    return {"value": _number(value), "unit": "score", "system": UCUM, "code": "{score}"}


def _interpretation(
    base: str, instrument: Instrument, scale: Scale, bands: Bands, band: str
) -> list[dict[str, Any]]:
    shown = next((b for b in bands.bands if b.label == band), None)
    display = (shown.description if shown and shown.description else band).replace("_", " ")
    coding = {"system": f"{base}/band/{instrument.id}_{scale.id}", "code": band, "display": display}
    return [{"coding": [coding], "text": display}]


def _observations(
    record: ResponseRecord, base: str, element: _Elements, authored: str | None = None
) -> list[dict[str, Any]]:
    instrument = get_instrument(record.instrument_id)
    response_id = fhir_id(record.id)
    subject = element(
        ("subject", record.site, record.pseudonym), _subject, base, record.site, record.pseudonym
    )
    effective = authored or record.authored.isoformat()
    derived_from = [{"reference": f"QuestionnaireResponse/{response_id}"}]
    out = []
    for scale in instrument.scales:
        value = record.scores.get(scale.id)
        if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
            continue
        data: dict[str, Any] = {
            "resourceType": "Observation",
            "id": fhir_id(f"{response_id}-{scale.id}"),
            "extension": element(
                ("scorer", record.scorer_version), _scorer, base, record.scorer_version
            ),
            "status": "final",
            "category": element(("category",), _survey),
            "code": element(("code", instrument.id, scale.id), _code, base, instrument, scale),
            "subject": subject,
            "effectiveDateTime": effective,
            "valueQuantity": element(("quantity", repr(value)), _quantity, value),
            "derivedFrom": derived_from,
        }
        band = record.scores.get(f"{scale.id}_band")
        bands = scale.bands
        if isinstance(band, str) and band and bands is not None:
            key = ("band", instrument.id, scale.id, band)
            data["interpretation"] = element(
                key, _interpretation, base, instrument, scale, bands, band
            )
        out.append(data)
    return out


def validate(resource: Mapping[str, Any]) -> None:
    """Check ``resource`` against the R4B model of its type; :class:`FhirResourceError` if not."""
    model = _model(str(resource.get("resourceType", "")))
    try:
        model.model_validate(dict(resource))
    except ValidationError as error:
        raise FhirResourceError(str(error)) from error


@cache
def _model(resource_type: str) -> Any:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    models: dict[str, Any] = {
        "QuestionnaireResponse": QuestionnaireResponse,
        "Observation": Observation,
        "Bundle": Bundle,
    }
    if resource_type not in models:
        raise FhirResourceError(f"no model for resourceType {resource_type!r}")
    return models[resource_type]


@cache
def _element_model(model: Any, name: str) -> Any:
    """The fhir.resources model of ``model``'s complex element ``name`` (a list's item
    model for a repeating one), or None for a primitive or unknown one."""
    fields = model.model_fields
    found = fields.get(name) or next((f for f in fields.values() if f.alias == name), None)
    kinds = [found.annotation] if found is not None else []
    while kinds:
        kind = kinds.pop()
        if hasattr(kind, "get_model_klass"):
            return kind.get_model_klass()
        kinds.extend(typing.get_args(kind))
    return None


@cache
def _complex_elements(model: Any) -> dict[str, Any]:
    """:func:`_element_model` of each of ``model``'s complex elements, by name and alias."""
    fields = model.model_fields
    found = {f.alias: _element_model(model, f.alias) for f in fields.values() if f.alias}
    found.update((name, _element_model(model, name)) for name in fields)
    return {name: element for name, element in found.items() if element is not None}


class Validator:
    """Validates resources with their fhir.resources models, every element of every resource,
    each element object once.

    A resource's validation is its own fields' checks plus each complex element's model
    (which does not depend on where the element sits), so each top-level element (``item``,
    ``subject``, ``code``, ``valueQuantity`` ...) is validated by its model once and handed,
    as the validated model, to the resource's model, which takes it as it is and checks the
    rest (ids, dates, required elements, one ``value[x]``). What passes is what a full
    validation passes (``tests/exchange/test_fhir_validation.py`` checks it on resources
    good and bad). An export hands the same element object to every resource holding it
    (:class:`_SharedElements`), so this is several times faster than validating each
    resource from scratch.

    An element (a mapping) is known by the object itself, kept here so that its identity is
    never reused: a resource handed in is never changed afterwards, or a changed element
    would pass as the one validated before."""

    def __init__(self) -> None:
        # element model -> id of a mapping -> (the mapping, its validated model)
        self._seen: dict[Any, dict[int, tuple[object, Any]]] = {}

    def __call__(self, resource: Mapping[str, Any]) -> None:
        model = _model(str(resource.get("resourceType", "")))
        complex_elements = _complex_elements(model)
        data = {}
        for name, value in resource.items():
            element = complex_elements.get(name)
            if element is None:
                data[name] = value
            elif isinstance(value, list):  # its elements are known, the list is the resource's
                data[name] = self._known(element, name, value)
            else:
                data[name] = self._known(element, name, [value])[0]
        try:
            model.model_validate(data)
        except ValidationError as error:
            raise FhirResourceError(str(error)) from error

    def _known(self, model: Any, name: str, values: list[object]) -> list[object]:
        """``values``, elements ``name`` of model ``model``, each as its validated model."""
        seen = self._seen.setdefault(model, {})
        out = []
        for value in values:
            found = seen.get(id(value))
            if found is None:
                if not isinstance(value, Mapping):
                    out.append(value)  # the resource's own validation says what is wrong
                    continue
                try:
                    checked = model.model_validate(dict(value))
                except ValidationError as error:
                    raise FhirResourceError(f"{name}: {error}") from error
                found = seen[id(value)] = (value, checked)
            out.append(found[1])
        return out


Check = Literal["all", "none"]
"""How much of an export fhir.resources validates: every resource (``all``, the default; see
:class:`Validator`) or nothing (``none``, for measuring what validation costs)."""


def resources(
    records: Iterable[ResponseRecord], *, base_url: str = DEFAULT_BASE_URL, check: Check = "all"
) -> list[dict[str, Any]]:
    """Each response's QuestionnaireResponse followed by its Observations, validated with
    fhir.resources as ``check`` says (:data:`Check`); a distinct element is one object
    shared by the resources holding it (:class:`_SharedElements`)."""
    if check not in ("all", "none"):
        raise ValueError(f"check is 'all' or 'none', not {check!r}")
    base = base_url.rstrip("/")
    element = _SharedElements()
    out: list[dict[str, Any]] = []
    validator = Validator() if check == "all" else None
    for record in records:
        authored = record.authored.isoformat()
        made = [_questionnaire_response(record, base, element, authored)]
        made.extend(_observations(record, base, element, authored))
        if validator is not None:
            for resource in made:
                validator(resource)
        out.extend(made)
    return out


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while an export is built. The export's hundreds of
    thousands of objects live until it is written, so each of the collector's full passes,
    due every time the heap has grown by a quarter, walked them all again: a tenth of the
    export's time (``bench/exchange.py``). Reference counting frees as usual meanwhile; the
    objects made are collected once at the end (there, not at some later moment, so the
    export's time includes it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def bundle(
    records: Iterable[ResponseRecord],
    *,
    base_url: str = DEFAULT_BASE_URL,
    check: Check = "all",
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A ``collection`` Bundle of :func:`resources` (each with its ``fullUrl``); the JSON
    text is :func:`as_json`."""
    base = base_url.rstrip("/")
    with _collector_paused():
        entries = [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources(records, base_url=base_url, check=check)
        ]
    data: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if timestamp is not None:
        data["timestamp"] = timestamp.isoformat()
    return data


_WRITER = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def as_json(data: Mapping[str, Any]) -> str:
    """FHIR JSON text of resources balm builds, as the API and ``balm fhir export`` send it
    (UTF-8 text, no ``\\u`` escapes; the same text as ``json.dumps(data,
    ensure_ascii=False)``). The check for reference cycles is left out: built resources are
    trees, and an element shared by several resources is no cycle."""
    return _WRITER.encode(data)


# --- reading --------------------------------------------------------------------------------


def _instrument_of(canonical: str) -> tuple[str | None, str | None]:
    """``(instrument id, version)`` from ``.../Questionnaire/<id>|<version>``; the id may be
    the Questionnaire's own (``scs-sf``) or balm's (``scs_sf``)."""
    url, _, version = canonical.partition("|")
    tail = url.rstrip("/").rsplit("/Questionnaire/", 1)
    if len(tail) != 2 or not tail[1]:
        return None, version or None
    return tail[1].replace("-", "_"), version or None


def _schema_problems(where: str, error: ValidationError) -> list[FhirProblem]:
    found = []
    for detail in error.errors():
        place = ".".join(str(part) for part in detail.get("loc", ()) if part != "__root__")
        found.append(FhirProblem(f"{where} {place}".strip(), str(detail.get("msg", "invalid"))))
    return found


def _extension(data: Mapping[str, Any], suffix: str) -> str:
    for extension in data.get("extension") or ():
        if isinstance(extension, Mapping) and str(extension.get("url", "")).endswith(suffix):
            for key in ("valueCode", "valueString"):
                if isinstance(extension.get(key), str):
                    return str(extension[key])
    return ""


def _answer_value(answer: Mapping[str, Any]) -> tuple[object, str | None]:
    """The answer as balm stores it (a number or text), or a reason it cannot be read."""
    if "valueCoding" in answer:
        code = (answer.get("valueCoding") or {}).get("code")
        if code is None:
            return None, "the answer's coding has no code (the printed weight)"
        try:
            number = float(str(code))
        except ValueError:
            return None, f"answer code {code!r} is not a printed weight (a number)"
        return (int(number) if number.is_integer() else number), None
    for key in ("valueInteger", "valueDecimal"):
        if key in answer:
            value = answer[key]
            number = float(value)
            return (int(number) if number.is_integer() else number), None
    if "valueString" in answer:
        return str(answer["valueString"]), None
    kinds = ", ".join(sorted(k for k in answer if k.startswith("value"))) or "none"
    return None, (
        f"answer type {kinds} is not taken (send valueCoding, valueInteger, valueDecimal "
        "or valueString)"
    )


def read_questionnaire_response(
    data: Mapping[str, Any], *, where: str = "QuestionnaireResponse"
) -> tuple[IncomingResponse | None, list[FhirProblem]]:
    """Read one QuestionnaireResponse's answers (not scored here); every problem at once.

    Needs ``id`` (imports are idempotent on it), ``status`` completed or amended, a
    ``questionnaire`` naming a catalogue instrument (and, when it gives a version, the
    catalogue's version), a subject identified by its pseudonym, and one answer at most per
    item, each item an item of the instrument.
    """
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    if data.get("resourceType") != "QuestionnaireResponse":
        got = data.get("resourceType")
        return None, [FhirProblem(where, f"resourceType is {got!r}, not QuestionnaireResponse")]
    try:
        QuestionnaireResponse.model_validate(dict(data))
    except ValidationError as error:
        return None, _schema_problems(where, error)
    problems: list[FhirProblem] = []
    resource_id = str(data.get("id") or "")
    if not resource_id:
        problems.append(FhirProblem(where, "id is missing (imports are idempotent on it)"))
    else:
        where = f"{where} {resource_id}"
    if data.get("status") not in ("completed", "amended"):
        problems.append(
            FhirProblem(
                f"{where} status",
                f"{data.get('status')!r}: only completed or amended responses are imported",
            )
        )
    instrument_id, version = _instrument_of(str(data.get("questionnaire") or ""))
    known = catalogue()
    instrument = known.get(instrument_id) if instrument_id else None
    if instrument is None:
        problems.append(
            FhirProblem(
                f"{where} questionnaire",
                f"{data.get('questionnaire')!r} names no instrument balm holds "
                f"(…/Questionnaire/<id>; ids: {', '.join(sorted(known))})",
            )
        )
    elif version is not None and version != instrument.version:
        problems.append(
            FhirProblem(
                f"{where} questionnaire",
                f"version {version} of {instrument.id}; balm scores version {instrument.version}",
            )
        )
    subject = data.get("subject") or {}
    pseudonym = str(((subject.get("identifier") or {}).get("value")) or "").strip()
    if not pseudonym:
        problems.append(
            FhirProblem(
                f"{where} subject", "send the participant's pseudonym as subject.identifier"
            )
        )
    answers: dict[str, object] = {}
    item_ids = [item.id for item in instrument.items] if instrument else []
    for position, item in enumerate(data.get("item") or (), start=1):
        link = str(item.get("linkId", ""))
        place = f"{where} item {link or position}"
        if item.get("item"):
            problems.append(FhirProblem(place, "nested items are not taken; send a flat list"))
        if instrument is not None and link not in item_ids:
            problems.append(
                FhirProblem(place, f"not an item of {instrument.id} (items: {', '.join(item_ids)})")
            )
            continue
        if link in answers:
            problems.append(FhirProblem(place, "the item is given twice"))
            continue
        given: Sequence[Mapping[str, Any]] = item.get("answer") or ()
        if len(given) > 1:
            problems.append(FhirProblem(place, "more than one answer; each item takes one"))
            continue
        if not given:
            answers[link] = None
            continue
        value, reason = _answer_value(given[0])
        if reason:
            problems.append(FhirProblem(place, reason))
        else:
            answers[link] = value
    authored = data.get("authored")
    when = None
    if isinstance(authored, str) and authored:
        try:
            when = datetime.fromisoformat(authored)
        except ValueError:
            when = None
    if problems or instrument is None:
        return None, problems
    return (
        IncomingResponse(
            resource_id=resource_id,
            instrument_id=instrument.id,
            pseudonym=pseudonym,
            authored=when,
            timepoint=_extension(data, TIMEPOINT_EXTENSION),
            cohort=_extension(data, COHORT_EXTENSION),
            answers=answers,
        ),
        [],
    )


def questionnaire_responses_of(
    data: Mapping[str, Any],
) -> tuple[list[tuple[str, Mapping[str, Any]]], list[FhirProblem]]:
    """The QuestionnaireResponses in a Bundle (or one given alone), each with where it is
    (``entry 3``). Observations are passed over: balm scores the answers itself."""
    kind = data.get("resourceType")
    if kind == "QuestionnaireResponse":
        return [("QuestionnaireResponse", data)], []
    if kind != "Bundle":
        return [], [
            FhirProblem("file", f"resourceType {kind!r}: send a Bundle or a QuestionnaireResponse")
        ]
    found: list[tuple[str, Mapping[str, Any]]] = []
    problems: list[FhirProblem] = []
    for number, entry in enumerate(data.get("entry") or (), start=1):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            problems.append(FhirProblem(f"entry {number}", "has no resource"))
        elif resource.get("resourceType") == "QuestionnaireResponse":
            found.append((f"entry {number}", resource))
    if not found and not problems:
        problems.append(FhirProblem("file", "the Bundle holds no QuestionnaireResponse"))
    return found, problems
