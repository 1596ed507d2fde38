"""Read-only FHIR R4 endpoints under /api/fhir, and POST /api/fhir/QuestionnaireResponse.

The same authentication and permissions as the rest of the API: a caller sees the responses
of the assessments it may see (staff: their sites', pseudonyms only; a participant: their
own); anything else is a 404. Searches return a ``searchset`` Bundle:

- ``GET /api/fhir/Questionnaire`` and ``/Questionnaire/{id}``: the catalogue's instruments
  (balm's own text only; a licensed instrument's items carry a placeholder).
- ``GET /api/fhir/QuestionnaireResponse`` and ``/Observation``, searchable by ``subject``
  (the pseudonym, or ``system|pseudonym``), ``questionnaire`` (an instrument id or the
  Questionnaire's canonical URL), ``date`` (``2025-03-01``, or with a prefix ``ge``, ``gt``,
  ``le``, ``lt``; may be given twice), ``_count`` (1 to 500, default 100) and ``_offset``;
  and each by id.
- ``GET /api/fhir/Bundle?cohort=<id>`` or ``?site=<id>``: a ``collection`` Bundle of every
  response of the group or site with its Observations.
- ``POST /api/fhir/QuestionnaireResponse`` (``?site=<slug>`` when the caller is clinical
  staff at several sites): the answers are filed and scored as any other import
  (:func:`balm.outcomes.fhir_exchange.import_fhir`); 201 with the stored response as a
  QuestionnaireResponse, 200 when the same resource id was imported before, 422 with every
  problem (the API's problems body).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Site
from balm.api.auth import Caller
from balm.api.schemas import (
    BIGINT_MAX,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
)
from balm.instruments import catalogue, get_instrument
from balm.instruments.fhir import DEFAULT_BASE_URL, questionnaire_dict
from balm.instruments.fhir_response import as_json, bundle, observations, questionnaire_response
from balm.outcomes.fhir_exchange import import_fhir, response_records
from balm.outcomes.models import Response

router = Router(tags=["fhir"])
FHIR_JSON = "application/fhir+json"
MAX_COUNT = 500


def _documented_as_fhir(*statuses: int) -> dict[str, Any]:
    """``openapi_extra`` saying these answers come as ``application/fhir+json`` (the schema's
    generator only knows the API's own JSON renderer)."""
    body = {"content": {FHIR_JSON: {"schema": {"type": "object", "additionalProperties": True}}}}
    return {"responses": {str(status): body for status in statuses}}


def _fhir(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(as_json(data), content_type=FHIR_JSON, status=status)


def _searchset(resources: list[dict[str, Any]], total: int) -> dict[str, Any]:
    base = DEFAULT_BASE_URL
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def _visible_responses(caller: Caller) -> QuerySet[Response]:
    return Response.objects.filter(assessment__in=caller.visible_assessments())


@dataclass(frozen=True)
class Search:
    subject: str | None
    questionnaire: str | None
    date: list[str]
    count: int
    offset: int


def _date_filter(values: list[str], problems: list[Problem]) -> dict[str, datetime]:
    """``created_at`` bounds from FHIR date parameters (a day, or a prefixed day)."""
    bounds: dict[str, datetime] = {}
    tz = timezone.get_current_timezone()
    for raw in values:
        prefix, text = (
            (raw[:2], raw[2:]) if raw[:2] in {"ge", "gt", "le", "lt", "eq"} else ("eq", raw)
        )
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            problems.append(
                Problem("date", f"{raw!r} is not a date (YYYY-MM-DD, optionally ge/gt/le/lt)")
            )
            continue
        start = datetime.combine(day, time.min, tzinfo=tz)
        end = start + timedelta(days=1)
        if prefix in {"eq", "ge"}:
            bounds["created_at__gte"] = start
        if prefix == "gt":
            bounds["created_at__gte"] = end
        if prefix in {"eq", "le"}:
            bounds["created_at__lt"] = end
        if prefix == "lt":
            bounds["created_at__lt"] = start
    return bounds


def _search(request: HttpRequest, query: SearchParams) -> tuple[QuerySet[Response], int, int]:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    params, problems = _params(query)
    responses = _visible_responses(caller)
    if params.subject:
        pseudonym = params.subject.rsplit("|", 1)[-1]
        responses = responses.filter(assessment__enrolment__participant__pseudonym=pseudonym)
    if params.questionnaire:
        url = params.questionnaire.split("|", 1)[0].rstrip("/")
        instrument_id = url.rsplit("/", 1)[-1].replace("-", "_")
        if instrument_id not in catalogue():
            problems.append(
                Problem(
                    "questionnaire",
                    f"{params.questionnaire!r} is not an instrument; ids: "
                    + ", ".join(sorted(catalogue())),
                )
            )
        responses = responses.filter(instrument_id=instrument_id)
    responses = responses.filter(**_date_filter(params.date, problems))
    if problems:
        raise InvalidInput(problems)
    return responses.order_by("pk"), params.count, params.offset


class SearchParams(Schema):
    """FHIR search parameters, as text: they are checked together, so a request with several
    bad ones hears of all of them (422)."""

    subject: str | None = Field(None, description="A pseudonym, or system|pseudonym.")
    questionnaire: str | None = Field(None, description="An instrument id or its canonical.")
    date: list[str] = Field(
        default_factory=list, description="YYYY-MM-DD, or ge/gt/le/lt and a day; repeatable."
    )
    count: str | None = Field(None, alias="_count", description=f"1 to {MAX_COUNT} (100).")
    offset: str | None = Field(None, alias="_offset", description="How many to skip (0).")


def _whole(
    text: str | None, default: int, low: int, high: int, name: str, problems: list[Problem]
) -> int:
    if text is None or text == "":
        return default
    try:
        number = int(text)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        problems.append(Problem(name, f"Must be a whole number from {low} to {high}."))
        return default
    return number


def _params(params: SearchParams) -> tuple[Search, list[Problem]]:
    problems: list[Problem] = []
    count = _whole(params.count, 100, 1, MAX_COUNT, "_count", problems)
    offset = _whole(params.offset, 0, 0, BIGINT_MAX, "_offset", problems)
    search = Search(params.subject, params.questionnaire, list(params.date), count, offset)
    return search, problems


@router.get(
    "/Questionnaire",
    response={200: dict, **LIST_ERRORS},
    openapi_extra=_documented_as_fhir(200),
    summary="The catalogue's instruments as FHIR Questionnaires",
)
def list_questionnaires(request: HttpRequest) -> HttpResponse:
    items = [questionnaire_dict(i) for i in catalogue().values()]
    return _fhir(_searchset(items, len(items)))


@router.get(
    "/Questionnaire/{questionnaire_id}",
    response={200: dict, **READ_ERRORS},
    openapi_extra=_documented_as_fhir(200),
)
def read_questionnaire(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    instrument_id = questionnaire_id.replace("-", "_")
    if instrument_id not in catalogue():
        raise Http404
    return _fhir(questionnaire_dict(get_instrument(instrument_id)))


@router.get(
    "/QuestionnaireResponse",
    summary="Responses the caller may see (search: subject, questionnaire, date)",
    response={200: dict, **LIST_ERRORS},
    openapi_extra=_documented_as_fhir(200),
)
def search_responses(request: HttpRequest, query: Query[SearchParams]) -> HttpResponse:
    responses, count, offset = _search(request, query)
    records = response_records(responses[offset : offset + count])
    return _fhir(_searchset([questionnaire_response(r) for r in records], responses.count()))


def _one(request: HttpRequest, fhir_id: str) -> Response:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    number = fhir_id.removeprefix("response-")
    if not number.isdigit() or len(number) > 18:
        raise Http404
    return get_object_or_404(_visible_responses(caller), pk=int(number))


@router.get(
    "/QuestionnaireResponse/{response_id}",
    response={200: dict, **READ_ERRORS},
    openapi_extra=_documented_as_fhir(200),
)
def read_response(request: HttpRequest, response_id: str) -> HttpResponse:
    response = _one(request, response_id)
    record = next(response_records(Response.objects.filter(pk=response.pk)))
    return _fhir(questionnaire_response(record))


@router.get(
    "/Observation",
    summary="Scale scores the caller may see (search: subject, questionnaire, date)",
    response={200: dict, **LIST_ERRORS},
    openapi_extra=_documented_as_fhir(200),
)
def search_observations(request: HttpRequest, query: Query[SearchParams]) -> HttpResponse:
    responses, count, offset = _search(request, query)
    found = [o for r in response_records(responses) for o in observations(r)]
    return _fhir(_searchset(found[offset : offset + count], len(found)))


@router.get(
    "/Observation/{observation_id}",
    response={200: dict, **READ_ERRORS},
    openapi_extra=_documented_as_fhir(200),
)
def read_observation(request: HttpRequest, observation_id: str) -> HttpResponse:
    number, _, scale = observation_id.removeprefix("response-").partition("-")
    if not observation_id.startswith("response-") or not scale:
        raise Http404
    response = _one(request, f"response-{number}")
    record = next(response_records(Response.objects.filter(pk=response.pk)))
    for observation in observations(record):
        if observation["id"] == observation_id:
            return _fhir(observation)
    raise Http404


@router.get(
    "/Bundle",
    response={200: dict, **READ_ERRORS},
    openapi_extra=_documented_as_fhir(200),
    summary="Every response of a group (?cohort=) or site (?site=), as a Bundle",
)
def export_bundle(
    request: HttpRequest, cohort: Id | None = None, site: Id | None = None
) -> HttpResponse:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    responses = _visible_responses(caller)
    if cohort is not None:
        group = get_object_or_404(caller.visible_cohorts(), pk=cohort)
        responses = responses.filter(assessment__enrolment__cohort=group)
        scope: Any = group
        place = group.site
    elif site is not None:
        place = get_object_or_404(Site, pk=site)
        if not caller.is_staff_at(place):
            raise Http404
        responses = responses.filter(assessment__enrolment__cohort__site=place)
        scope = place
    else:
        raise InvalidInput([Problem("cohort", "Send ?cohort=<id> or ?site=<id>.")])
    from balm.audit.models import record

    data = bundle(response_records(responses), timestamp=timezone.now())
    record(
        "export.fhir",
        by=caller.actor,
        obj=scope,
        site=place,
        details={"resources": len(data["entry"])},
    )
    return _fhir(data)


def _import_site(caller: Caller, slug: str | None) -> Site:
    if caller.user is None:
        raise permissions_error()
    sites = Site.objects.filter(
        pk__in=permissions.site_ids(caller.user, permissions.CLINICAL_ROLES)
    )
    if slug:
        found = sites.filter(slug=slug).first()
        if found is None:
            raise Http404
        return found
    only = list(sites[:2])
    if len(only) == 1:
        return only[0]
    if not only:
        raise permissions_error()
    raise InvalidInput([Problem("site", "You work at several sites; send ?site=<slug>.")])


def permissions_error() -> Exception:
    from balm.accounts.errors import NotAllowed

    return NotAllowed("Only clinical staff import answers.")


@router.post(
    "/QuestionnaireResponse",
    summary="Import one QuestionnaireResponse (idempotent on its id; entry mode import)",
    response={200: dict, 201: dict, **WRITE_ERRORS},
    openapi_extra=_documented_as_fhir(200, 201),
)
def import_response(request: HttpRequest, site: str | None = None) -> HttpResponse:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    place = _import_site(caller, site)
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise InvalidInput([Problem("", "Send one QuestionnaireResponse as JSON.")])
    if data.get("resourceType") != "QuestionnaireResponse":
        raise InvalidInput(
            [Problem("resourceType", "Send a QuestionnaireResponse (Bundles: balm fhir import).")]
        )
    result = import_fhir(site=place, data=data, by=caller.user, token=caller.token)
    stored = (result.created or result.repeated)[0]
    record = next(response_records(Response.objects.filter(pk=stored.pk)))
    return _fhir(questionnaire_response(record), status=201 if result.created else 200)
