"""Stored responses out as FHIR R4 resources, and FHIR QuestionnaireResponses in.

Out: :func:`response_records` turns a queryset of responses into plain records (pseudonyms
only) for :mod:`balm.instruments.fhir_response`. Free-text answers are never exported (they
are for clinical staff only, and the API serves researchers too).

In: :func:`import_fhir` files each QuestionnaireResponse of a Bundle under its assessment
(participant by pseudonym at the site; the questionnaire; the timepoint from balm's extension,
else the assessment whose window holds ``authored``; the group from balm's extension when the
participant is in several) and submits it through
:func:`balm.outcomes.actions.record_submission`, the same checks and scoring as every other
route, with entry mode ``import``. Every problem in the whole Bundle is listed at once and
nothing is written unless all of it can be (one transaction). Idempotent on the resource id:
the client id is derived from the site and the resource id, so importing the same Bundle again
changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Participant, Site, User
from balm.api.models import ApiToken
from balm.audit.models import record
from balm.instruments.fhir_response import (
    IncomingResponse,
    ResponseRecord,
    questionnaire_responses_of,
    read_questionnaire_response,
)
from balm.instruments.schema import ItemKind
from balm.outcomes.answers import check_answers
from balm.outcomes.models import Assessment, EntryMode, Response
from balm.programmes.models import Timepoint
from balm.wording.printed_order import declared_variant


def resource_id(response_pk: int) -> str:
    """The FHIR id of a stored response's QuestionnaireResponse."""
    return f"response-{response_pk}"


def _text_items(instrument_id: str) -> frozenset[str]:
    from balm.instruments import get_instrument

    return frozenset(
        item.id for item in get_instrument(instrument_id).items if item.kind is ItemKind.TEXT
    )


#: The model field behind every part of an exported resource; a test checks each is ``keep``
#: in :data:`balm.audit.export_policy.EXPORT_POLICY` (the client id, ``drop``, never goes out).
SOURCE_FIELDS: dict[str, tuple[str, str]] = {
    "QuestionnaireResponse.id": ("outcomes.response", "id"),
    "questionnaire": ("outcomes.response", "instrument_version"),
    "subject": ("accounts.participant", "pseudonym"),
    "subject.identifier.system": ("accounts.site", "slug"),
    "authored": ("outcomes.response", "created_at"),
    "item.answer": ("outcomes.response", "answers"),
    "balm-timepoint": ("outcomes.assessment", "timepoint"),
    "balm-cohort": ("programmes.cohort", "name"),
    "Observation.valueQuantity": ("outcomes.response", "scores"),
    "balm-scorer-version": ("outcomes.response", "scorer_version"),
}


def response_records(responses: QuerySet[Response]) -> Iterator[ResponseRecord]:
    """Plain records of ``responses`` (one query), pseudonyms only, free text left out; in
    the order of stored responses unless ``responses`` is a slice (a page) of an ordering."""
    if not responses.query.is_sliced:
        responses = responses.order_by("pk")
    rows = responses.values_list(
        "pk",
        "instrument_id",
        "instrument_version",
        "assessment__enrolment__cohort__site__slug",
        "assessment__enrolment__participant__pseudonym",
        "created_at",
        "answers",
        "scores",
        "scorer_version",
        "assessment__timepoint",
        "assessment__enrolment__cohort__name",
    )
    text: dict[str, frozenset[str]] = {}
    for (
        pk,
        instrument,
        version,
        site,
        pseudonym,
        at,
        answers,
        scores,
        scorer,
        tp,
        cohort,
    ) in rows.iterator(chunk_size=2000):
        if instrument not in text:
            text[instrument] = _text_items(instrument)
        skip = text[instrument]
        yield ResponseRecord(
            id=resource_id(pk),
            instrument_id=instrument,
            instrument_version=version,
            site=site,
            pseudonym=pseudonym,
            authored=at,
            answers={k: v for k, v in answers.items() if k not in skip} if skip else answers,
            scores=scores,
            scorer_version=scorer,
            timepoint=tp,
            cohort=cohort,
        )


def client_id_for(site: Site, fhir_id: str) -> str:
    """The client id of an imported resource: the same resource id at the same site is the
    same submission (a repeat changes nothing); at another site it is another one."""
    digest = hashlib.sha256(f"{site.pk}/{fhir_id}".encode()).hexdigest()
    return f"fhir-{digest[:40]}"


@dataclass
class FhirImport:
    """What an import did (or, in a dry run, would do)."""

    created: list[Response] = field(default_factory=list)
    repeated: list[Response] = field(default_factory=list)
    planned: list[tuple[IncomingResponse, Assessment]] = field(default_factory=list)
    dry_run: bool = False


def _assessment_for(
    site: Site, incoming: IncomingResponse, where: str, problems: list[Problem]
) -> Assessment | None:
    participant = Participant.objects.filter(site=site, pseudonym=incoming.pseudonym).first()
    if participant is None:
        problems.append(
            Problem(
                f"{where} subject",
                f"no participant {incoming.pseudonym!r} at {site.slug}; add them (and their "
                "group) first",
            )
        )
        return None
    found = Assessment.objects.filter(
        enrolment__participant=participant, instrument_id=incoming.instrument_id
    ).select_related("enrolment__cohort__site")
    if incoming.timepoint:
        if incoming.timepoint not in Timepoint.values:
            problems.append(
                Problem(
                    f"{where} timepoint",
                    f"{incoming.timepoint!r} is not one of {', '.join(Timepoint.values)}",
                )
            )
            return None
        found = found.filter(timepoint=incoming.timepoint)
    elif incoming.authored is not None:
        day = incoming.authored.date()
        found = found.filter(opens_on__lte=day, closes_on__gte=day)
    if incoming.cohort:
        found = found.filter(enrolment__cohort__name=incoming.cohort)
    candidates = list(found[:2])
    if len(candidates) == 1:
        return candidates[0]
    what = f"{incoming.pseudonym} {incoming.instrument_id}"
    if incoming.timepoint:
        what += f" {incoming.timepoint}"
    if incoming.cohort:
        what += f" in {incoming.cohort!r}"
    if not candidates:
        problems.append(
            Problem(
                where,
                f"no questionnaire {what} is scheduled at {site.slug}"
                + (
                    ""
                    if incoming.timepoint or incoming.authored
                    else " (send the balm-timepoint extension or authored)"
                ),
            )
        )
    else:
        problems.append(
            Problem(
                where,
                f"{what} matches more than one questionnaire; send the balm-timepoint and "
                "balm-cohort extensions",
            )
        )
    return None


def import_fhir(
    *,
    site: Site,
    data: Mapping[str, Any],
    by: User | None,
    token: ApiToken | None = None,
    dry_run: bool = False,
) -> FhirImport:
    """File a Bundle's (or one) QuestionnaireResponse(s) at ``site`` (see the module notes).

    Raises :class:`InvalidInput` with every problem (field = where in the file) and writes
    nothing when any resource cannot be filed or scored."""
    if by is not None:
        permissions.require(
            permissions.can_edit_clinical(by, site),
            "Only clinical staff of the site import answers.",
        )
    found, fhir_problems = questionnaire_responses_of(data)
    problems = [Problem(p.where, p.message) for p in fhir_problems]
    result = FhirImport(dry_run=dry_run)
    seen: dict[str, str] = {}
    for where, resource in found:
        incoming, read_problems = read_questionnaire_response(resource, where=where)
        problems.extend(Problem(p.where, p.message) for p in read_problems)
        if incoming is None:
            continue
        where = f"{where} {incoming.resource_id}"
        if incoming.resource_id in seen:
            problems.append(Problem(where, f"the same id as {seen[incoming.resource_id]}"))
            continue
        seen[incoming.resource_id] = where
        earlier = Response.objects.filter(client_id=client_id_for(site, incoming.resource_id))
        stored = earlier.first()
        if stored is not None:
            result.repeated.append(stored)
            continue
        assessment = _assessment_for(site, incoming, where, problems)
        if assessment is None:
            continue
        if Response.objects.filter(assessment=assessment).exists():
            problems.append(
                Problem(where, "this questionnaire was answered already; staff can amend it")
            )
            continue
        checked = check_answers(
            incoming.instrument_id,
            incoming.answers,
            require_complete=False,
            variant=declared_variant(site, incoming.instrument_id),
        )
        problems.extend(
            Problem(f"{where} item {p.field}" if p.field else where, p.message)
            for p in checked.problems
        )
        result.planned.append((incoming, assessment))
    if problems:
        raise InvalidInput(problems)
    if dry_run:
        return result
    from balm.outcomes.actions import record_submission

    with transaction.atomic():
        refused: list[Problem] = []
        for incoming, assessment in result.planned:
            try:
                submission = record_submission(
                    assessment=assessment,
                    answers=incoming.answers,
                    client_id=client_id_for(site, incoming.resource_id),
                    entry_mode=EntryMode.IMPORT,
                    by=by,
                    token=token,
                )
            except InvalidInput as error:
                where = f"QuestionnaireResponse {incoming.resource_id}"
                refused.extend(
                    Problem(f"{where} {p.field}".strip(), p.message) for p in error.problems
                )
                continue
            result.created.append(submission.response)
        if refused:
            # Raised inside the transaction: nothing of this import is kept.
            raise InvalidInput(refused)
        if result.created:
            record(
                "fhir.import",
                by=by,
                obj=site,
                site=site,
                details={
                    "created": [r.pk for r in result.created],
                    "repeated": [r.pk for r in result.repeated],
                    "api_token": token.pk if token is not None else None,
                },
            )
    return result
