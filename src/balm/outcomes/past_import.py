"""Importing a service's past groups: participants, cohorts, enrolments, their scheduled
questionnaires and the answers, all or nothing.

The rows come checked from :func:`balm.exchange.past.check_rows`. Here every answer is checked
and scored by :func:`balm.outcomes.answers.check_answers` (the engine, as every other route;
in the site's declared printed order where the instrument needs one), and everything the
database decides is checked too: the template (the site's own or a shipped one), that it
schedules each questionnaire at that timepoint and the site collects it, an existing group of
the same name with another start or template, an answer stored before. Every problem is
listed at once (line, column, value, allowed values) and nothing is written unless all of it
can be; a dry run stops there.

Then, in one transaction: the missing participants, groups (with their sessions), enrolments
(their history: referred, assessed and started on the start date, then completed at the end
of the programme or withdrawn on the start date with the reason), the scheduled
questionnaires of the instruments the file holds for the group (at every timepoint the
template schedules them, so one left unanswered counts as missed; none the service did not
collect) and the responses, entry mode ``import``, and one audit event for the import.
Everything is checked and scored first; the many rows (scheduled questionnaires, course
history, responses) are then written with :func:`balm.outcomes.bulk_rows.insert_rows`, each
response with exactly the columns :func:`balm.outcomes.actions.record_submission` stores for
the same answers (``tests/web/test_past_import.py`` compares them column for column).

Idempotent: each response's client id is derived from the site, group, pseudonym, timepoint
and instrument, so importing the same file again finds every answer stored and writes nothing.
An answer stored with other values is a problem (amend it on the record instead). Safety
items answered in the past raise no alert (the groups are over and an alert asks the team to
act now); the import's audit event counts them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Participant, Site, User
from balm.audit.models import record
from balm.exchange.past import PastRow
from balm.exchange.redcap import field_name
from balm.instruments import SCORER_VERSION
from balm.outcomes import score_rows
from balm.outcomes.answers import check_many, stored_answers
from balm.outcomes.bulk_rows import insert_rows
from balm.outcomes.models import Assessment, EntryMode, Response
from balm.outcomes.scheduling import assessment_window
from balm.programmes.models import (
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    ProgrammeTemplate,
    Session,
)
from balm.wording.lookup import current_wording
from balm.wording.printed_order import declared_variant, undeclared_problems


@dataclass
class PastImport:
    """What an import did (or would do, in a dry run)."""

    participants: int = 0
    cohorts: int = 0
    enrolments: int = 0
    responses: int = 0
    unchanged: int = 0
    safety_answers: int = 0
    dry_run: bool = False


def client_id_for(site: Site, row: PastRow, instrument_id: str) -> str:
    key = f"{site.pk}/{row.cohort}/{row.participant}/{row.timepoint}/{instrument_id}"
    return "past-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _same(stored: dict[str, Any], given: dict[str, object]) -> bool:
    left = {k: v for k, v in stored.items() if v is not None}
    right = {k: v for k, v in stored_answers(given).items() if v is not None}
    return left == right


@dataclass
class _Planned:
    row: PastRow
    instrument_id: str
    answers: dict[str, object]
    scores: dict[str, Any]
    variant: str
    client_id: str
    flagged: int


def _templates(site: Site, rows: list[PastRow], problems: list[Problem]) -> dict[str, Any]:
    slugs = {row.template for row in rows}
    found = {
        t.slug: t
        for t in ProgrammeTemplate.objects.filter(
            Q(site=site) | Q(site__isnull=True), slug__in=slugs
        ).prefetch_related("schedule")
    }
    allowed = ", ".join(
        ProgrammeTemplate.objects.filter(Q(site=site) | Q(site__isnull=True))
        .order_by("slug")
        .values_list("slug", flat=True)
    )
    for row in rows:
        if row.template not in found:
            problems.append(
                Problem(
                    f"line {row.line}, template",
                    f"{row.template!r} is not a template of {site.slug} (templates: {allowed})",
                )
            )
            found[row.template] = None
    return found


@cache
def _text_items(instrument_id: str) -> frozenset[str]:
    from balm.instruments import get_instrument
    from balm.instruments.schema import ItemKind

    return frozenset(i.id for i in get_instrument(instrument_id).items if i.kind is ItemKind.TEXT)


def _as_given(instrument_id: str, answers: dict[str, object]) -> dict[str, object]:
    """A text item's answer stays text (a spreadsheet cell of "5" is read as 5 elsewhere)."""
    text = _text_items(instrument_id)
    if not text:
        return answers
    return {k: (str(v) if k in text else v) for k, v in answers.items()}


def plan(site: Site, rows: list[PastRow]) -> tuple[list[_Planned], list[Problem]]:
    """Check every row against the database and the engine; the responses to write."""
    problems: list[Problem] = []
    templates = _templates(site, rows, problems)
    schedules = {
        slug: {(e.instrument_id, e.timepoint): e.week for e in t.schedule.all()}
        for slug, t in templates.items()
        if t is not None
    }
    existing = {
        c.name: c for c in Cohort.objects.filter(site=site, name__in={r.cohort for r in rows})
    }
    for name, cohort in existing.items():
        row = next(r for r in rows if r.cohort == name)
        template = templates.get(row.template)
        if cohort.start_date != row.cohort_start or (
            template and cohort.template_id != template.pk
        ):
            problems.append(
                Problem(
                    f"line {row.line}, cohort",
                    f"{name!r} exists at {site.slug} with start {cohort.start_date} and template "
                    f"{cohort.template.slug}; the file says {row.cohort_start} and {row.template}",
                )
            )
    instruments = sorted({i for row in rows for i in row.answers})
    undeclared = {p.message for p in undeclared_problems(site, instruments, field="")}
    problems.extend(Problem("file", message) for message in sorted(undeclared))
    variants = {i: declared_variant(site, i) for i in instruments}
    stored = {
        client: answers
        for client, answers in Response.objects.filter(client_id__startswith="past-")
        .filter(assessment__enrolment__cohort__site=site)
        .values_list("client_id", "answers")
    }
    wanted: dict[str, list[tuple[PastRow, dict[str, object]]]] = {}
    for row in rows:
        schedule = schedules.get(row.template)
        for instrument_id, answers in row.answers.items():
            if schedule is not None and (instrument_id, row.timepoint) not in schedule:
                at = sorted(t for i, t in schedule if i == instrument_id)
                problems.append(
                    Problem(
                        f"line {row.line}, {instrument_id}",
                        f"the template {row.template} does not schedule {instrument_id} at "
                        f"{row.timepoint} (it does at: {', '.join(at) or 'no timepoint'})",
                    )
                )
                continue
            if not site.instrument_enabled(instrument_id):
                problems.append(
                    Problem(f"line {row.line}, {instrument_id}", f"{site.slug} does not collect it")
                )
                continue
            wanted.setdefault(instrument_id, []).append((row, _as_given(instrument_id, answers)))
    planned = []
    for instrument_id, entries in wanted.items():
        variant = variants.get(instrument_id)
        checked_all = check_many(instrument_id, [a for _, a in entries], variant=variant)
        for (row, answers), checked in zip(entries, checked_all, strict=True):
            for problem in checked.problems:
                column = (
                    field_name(instrument_id, problem.field) if problem.field else instrument_id
                )
                problems.append(Problem(f"line {row.line}, {column}", problem.message))
            if checked.problems:
                continue
            client_id = client_id_for(site, row, instrument_id)
            if client_id in stored and not _same(stored[client_id], answers):
                problems.append(
                    Problem(
                        f"line {row.line}, {instrument_id}",
                        "imported before with other answers; amend it on the record",
                    )
                )
                continue
            planned.append(
                _Planned(
                    row,
                    instrument_id,
                    answers,
                    checked.scores,
                    variant or "",
                    client_id,
                    len(checked.flagged),
                )
            )
    return planned, problems


def _line(problem: Problem) -> int:
    found = re.match(r"line (\d+)", problem.field or problem.message)
    return int(found.group(1)) if found else 1


def import_past(
    *,
    site: Site,
    rows: list[PastRow],
    by: User | None,
    dry_run: bool = False,
    file_problems: Sequence[tuple[int, str]] = (),
) -> PastImport:
    """Import checked rows at ``site`` (see the module notes). Administrators of the site (or
    the system, ``by=None``). Raises :class:`InvalidInput` with every problem: the file's own
    (``file_problems``, from :func:`balm.exchange.past.check_rows`) and the database's and
    the engine's for the good rows, in line order."""
    if by is not None:
        permissions.require(
            permissions.can_manage_site(by, site),
            "Only administrators of the site import past groups.",
        )
    planned, problems = plan(site, rows)
    problems.extend(Problem("", text) for _, text in file_problems)
    if problems:
        raise InvalidInput(sorted(problems, key=_line))
    stored_ids = set(
        Response.objects.filter(client_id__in=[p.client_id for p in planned]).values_list(
            "client_id", flat=True
        )
    )
    new = [p for p in planned if p.client_id not in stored_ids]
    result = PastImport(unchanged=len(planned) - len(new), dry_run=dry_run)
    result.safety_answers = sum(p.flagged for p in new)
    people = {r.participant for r in rows}
    known_people = dict(
        Participant.objects.filter(site=site, pseudonym__in=people).values_list("pseudonym", "pk")
    )
    result.participants = len(people - set(known_people))
    cohorts = {r.cohort: r for r in rows}
    known_cohorts = dict(
        Cohort.objects.filter(site=site, name__in=cohorts).values_list("name", "pk")
    )
    result.cohorts = len(set(cohorts) - set(known_cohorts))
    courses = {(r.participant, r.cohort): r for r in rows}
    known_courses = set(
        Enrolment.objects.filter(cohort__site=site, cohort__name__in=cohorts).values_list(
            "participant__pseudonym", "cohort__name"
        )
    )
    result.enrolments = len(set(courses) - known_courses)
    result.responses = len(new)
    if dry_run or not (new or result.participants or result.cohorts or result.enrolments):
        return result
    with transaction.atomic():
        _write(site, rows, new, by, known_people, known_cohorts, known_courses, courses)
        record(
            "past.import",
            by=by,
            obj=site,
            site=site,
            details={
                "participants": result.participants,
                "cohorts": result.cohorts,
                "enrolments": result.enrolments,
                "responses": result.responses,
                "unchanged": result.unchanged,
                "safety_answers_no_alert": result.safety_answers,
            },
        )
    return result


def _write(
    site: Site,
    rows: list[PastRow],
    new: list[_Planned],
    by: User | None,
    known_people: dict[str, int],
    known_cohorts: dict[str, int],
    known_courses: set[tuple[str, str]],
    courses: dict[tuple[str, str], PastRow],
) -> None:
    by_id = by.pk if by is not None else None
    templates = {
        t.slug: t
        for t in ProgrammeTemplate.objects.filter(
            Q(site=site) | Q(site__isnull=True), slug__in={r.template for r in rows}
        ).prefetch_related("schedule", "plans")
    }
    made = Participant.objects.bulk_create(
        Participant(site=site, pseudonym=name)
        for name in sorted({r.participant for r in rows} - set(known_people))
    )
    people = {**known_people, **{p.pseudonym: p.pk for p in made}}
    cohort_ids = dict(known_cohorts)
    for name, row in sorted({r.cohort: r for r in rows}.items()):
        if name in cohort_ids:
            continue
        template = templates[row.template]
        cohort = Cohort.objects.create(
            template=template,
            site=site,
            name=name,
            start_date=row.cohort_start,
            format=row.format,
            status=CohortStatus.FINISHED,
        )
        plans = {plan.number: plan for plan in template.plans.all()}
        Session.objects.bulk_create(
            Session(
                cohort=cohort,
                number=n,
                date=row.cohort_start + timedelta(weeks=n - 1),
                plan=plans.get(n),
            )
            for n in range(1, template.weeks + 1)
        )
        cohort_ids[name] = cohort.pk
    fresh = [key for key in courses if key not in known_courses]
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            participant_id=people[person],
            cohort_id=cohort_ids[group],
            diagnosis_category=courses[(person, group)].diagnosis,
            format=courses[(person, group)].format,
            status=courses[(person, group)].status,
        )
        for person, group in fresh
    )
    history = []
    for enrolment, key in zip(enrolments, fresh, strict=True):
        row = courses[key]
        start = row.cohort_start
        end = start + timedelta(weeks=templates[row.template].weeks)
        if row.status == EnrolmentStatus.WITHDRAWN:
            steps = [("referred", start, ""), ("withdrawn", start, row.status_reason)]
        else:
            steps = [("referred", start, ""), ("assessed", start, ""), ("started", start, "")]
            steps.append(("completed", end, ""))
        history.extend(
            {"enrolment_id": enrolment.pk, "status": s, "on": on, "reason": why, "by_id": by_id}
            for s, on, why in steps
        )
    insert_rows(EnrolmentStatusChange, history)
    enrolment_ids = {
        (person, group): pk
        for pk, person, group in Enrolment.objects.filter(
            cohort_id__in=cohort_ids.values()
        ).values_list("pk", "participant__pseudonym", "cohort__name")
    }

    def assessments() -> dict[tuple[int, str, str], int]:
        found = Assessment.objects.filter(enrolment_id__in=enrolment_ids.values()).values_list(
            "enrolment_id", "instrument_id", "timepoint", "pk"
        )
        return {(e, i, t): pk for e, i, t, pk in found}

    existing = assessments()
    # The questionnaires a group's file holds, at every timepoint the template schedules them
    # (one not answered then counts as not returned); none the service did not collect.
    collected: dict[str, set[str]] = {}
    for row in rows:
        collected.setdefault(row.cohort, set()).update(row.answers)
    to_make = []
    for key, row in courses.items():
        enrolment_id = enrolment_ids[key]
        for entry in templates[row.template].schedule.all():
            if entry.instrument_id not in collected[row.cohort]:
                continue
            if (enrolment_id, entry.instrument_id, entry.timepoint) in existing:
                continue
            if not site.instrument_enabled(entry.instrument_id):
                continue
            opens, due, closes = assessment_window(row.cohort_start, entry.week, entry.timepoint)
            to_make.append(
                {
                    "enrolment_id": enrolment_id,
                    "instrument_id": entry.instrument_id,
                    "timepoint": entry.timepoint,
                    "week": entry.week,
                    "opens_on": opens,
                    "due_on": due,
                    "closes_on": closes,
                }
            )
            existing[(enrolment_id, entry.instrument_id, entry.timepoint)] = -1
    insert_rows(Assessment, to_make)
    assessment_ids = assessments()
    answered = set(
        Response.objects.filter(assessment_id__in=assessment_ids.values()).values_list(
            "assessment_id", flat=True
        )
    )
    now = timezone.now()
    wordings: dict[str, Any] = {}
    responses = []
    problems = []
    for item in new:
        key = (item.row.participant, item.row.cohort)
        assessment_id = assessment_ids[(enrolment_ids[key], item.instrument_id, item.row.timepoint)]
        if assessment_id in answered:
            problems.append(
                Problem(
                    f"line {item.row.line}, {item.instrument_id}",
                    "this questionnaire was answered already (not by an import of this file)",
                )
            )
            continue
        if item.instrument_id not in wordings:
            wordings[item.instrument_id] = current_wording(site, item.instrument_id)
        wording = wordings[item.instrument_id]
        # The fields record_submission gives a response, no more and no fewer
        # (tests/web/test_past_import.py compares the two).
        responses.append(
            {
                "assessment_id": assessment_id,
                "instrument_id": item.instrument_id,
                "instrument_version": _version(item.instrument_id),
                "wording_id": wording.pk if wording is not None else None,
                "variant": item.variant,
                "answers": stored_answers(item.answers),
                "scores": item.scores,
                "scorer_version": SCORER_VERSION,
                "entered_by_id": by_id,
                "api_token_id": None,
                "entry_mode": str(EntryMode.IMPORT),
                "client_id": item.client_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    if problems:
        raise InvalidInput(problems)  # inside the transaction: nothing is kept
    insert_rows(Response, responses)
    score_rows.rebuild(enrolment_ids[(item.row.participant, item.row.cohort)] for item in new)


def _version(instrument_id: str) -> str:
    from balm.instruments import get_instrument

    return get_instrument(instrument_id).version
