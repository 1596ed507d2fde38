"""A synthetic site with years of groups, built through the actions or in bulk (``bench/scale.py``).

A group is first drawn as a plan (:func:`plan_group`: who, which questionnaires answered and
how, which weekly check-ins), from a seeded ``random.Random``; then built either through the
actions layer (:func:`build_with_actions`: ``create_participant``, ``enrol_participant``,
``submit_response``, ``submit_checkin``, about 300 actions a group of 12) or in bulk
(:func:`build_in_bulk`: the cohort through its two actions, then one ``bulk_create`` per table
of the rows those actions would write, audit events included and linked into the site's hash
chain). In finished groups the facilitator acknowledges each safety alert as it is raised
(``acknowledge_alert``). The answers are checked and scored by the same function the actions call
(``balm.outcomes.answers.check_answers``). ``tests/web/test_scale_bulk.py`` builds one plan both
ways and compares the rows table by table, so the bulk rows stay what the actions write.

Only synthetic data: pseudonyms ``S<group><seat>``, answers drawn from each instrument's printed
options. The bulk builder queues no alert e-mails (the actions queue one after commit per
alert); the benchmark runs with the dummy task backend, where neither writes a row.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

GROUP_SIZE = 12
ANSWERED = 0.75
CHECKIN = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20}
#: A group starts every four weeks (a service's monthly intake). A course has questionnaires
#: open until 28 weeks after its start (follow-up at week 24, closing four weeks later), so the
#: ten newest groups hold the whole present of a site of any size: growing it past ten adds
#: only finished history, and what a page shows of the present stays the same.
WEEKS_APART = 4
ACKNOWLEDGED = "Called and followed up (synthetic)."


@dataclass
class Site:
    site: Any
    template: Any
    staff: Any
    groups: list[Any] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(15))


@dataclass(frozen=True)
class Seat:
    """One person of a group: the questionnaires they answered (instrument, timepoint,
    answers) in schedule order, and one check-in's answers per week gone by."""

    pseudonym: str
    responses: list[tuple[str, str, dict[str, float]]]
    checkins: list[dict[str, float]]


@dataclass(frozen=True)
class GroupPlan:
    name: str
    start: date
    status: str
    seats: list[Seat]

    @property
    def acknowledged(self) -> bool:
        """Whether the facilitator acknowledges the group's alerts as they are raised."""
        return self.status == "finished"


def answers_for(instrument_id: str, rng: random.Random) -> dict[str, float]:
    """Every choice or number item answered with a printed option (or a value in range)."""
    from balm.instruments import get_instrument
    from balm.instruments.schema import ItemKind

    instrument = get_instrument(instrument_id)
    out: dict[str, float] = {}
    for item in instrument.items:
        if item.kind is ItemKind.CHOICE:
            options = instrument.options_for(item)
            out[item.id] = rng.choice(options).value
        elif item.minimum is not None and item.maximum is not None:
            out[item.id] = rng.randint(int(item.minimum), int(item.maximum))
    return out


def new_site(slug: str = "scale") -> Site:
    """A site, its facilitator and the default template, through the actions."""
    from balm.accounts import actions as accounts
    from balm.accounts.models import User
    from balm.programmes.loader import load_template
    from balm.wording.actions import declare_printed_order

    site = accounts.create_site(
        name=f"Scale pain service {slug} (synthetic)",
        slug=slug,
        crisis_contacts="Call 999 in an emergency (synthetic benchmark site).",
        by=None,
    )
    # The default template schedules CPAQ-8, whose printed order a site declares first.
    declare_printed_order(site=site, instrument_id="cpaq8", variant="alternating", by=None)
    staff = User.objects.create_user(f"{slug}-facilitator", password=uuid.uuid4().hex)
    accounts.add_membership(user=staff, site=site, role="facilitator", by=None)
    template, _ = load_template()
    return Site(site, template, staff)


def _schedule(state: Site) -> tuple[list[Any], list[str]]:
    """The schedule entries an enrolment gets assessments for, in the order
    ``schedule_assessments`` creates them (one per instrument and timepoint), and the
    instruments it skips."""
    from balm.instruments import catalogue

    known = catalogue()
    entries, skipped, seen = [], set(), set()
    for entry in state.template.schedule.all():
        if entry.instrument_id not in known or not state.site.instrument_enabled(
            entry.instrument_id
        ):
            skipped.add(entry.instrument_id)
        elif (entry.instrument_id, entry.timepoint) not in seen:
            seen.add((entry.instrument_id, entry.timepoint))
            entries.append(entry)
    return entries, sorted(skipped)


def plan_group(
    state: Site, number: int, today: date, *, size: int = GROUP_SIZE, rng: random.Random
) -> GroupPlan:
    """Group ``number`` (0: the newest): started ``number`` x :data:`WEEKS_APART` weeks before
    ``today``; running until its programme's weeks are over, then finished (its safety alerts
    acknowledged by the facilitator: a service does not leave years of alerts open); three in
    four of its questionnaires answered once open; a check-in for every week gone by."""
    from balm.outcomes.scheduling import assessment_window

    start = today - timedelta(weeks=number * WEEKS_APART)
    entries, _ = _schedule(state)
    seats = []
    for seat in range(size):
        responses = [
            (entry.instrument_id, entry.timepoint, answers_for(entry.instrument_id, rng))
            for entry in entries
            if assessment_window(start, entry.week, entry.timepoint)[0] <= today
            and rng.random() < ANSWERED
        ]
        weeks = min(state.template.weeks, (today - start).days // 7)
        checkins = [{**CHECKIN, "q1": rng.randint(0, 10)} for _ in range(weeks)]
        seats.append(Seat(f"S{number:04d}{seat:02d}", responses, checkins))
    status = "running" if (today - start).days < 7 * state.template.weeks else "finished"
    return GroupPlan(f"Group {number + 1:04d}", start, status, seats)


def _cohort(state: Site, plan: GroupPlan) -> Any:
    from balm.programmes import actions as programmes

    group = programmes.create_cohort_from_template(
        template=state.template,
        site=state.site,
        name=plan.name,
        start_date=plan.start,
        format="in_person",
        by=None,
    )
    programmes.change_cohort_status(cohort=group, status=plan.status, by=None)
    return group


def build_with_actions(state: Site, plan: GroupPlan) -> Any:
    """The group, one action per write (as the service itself would have written it)."""
    from balm.accounts import actions as accounts
    from balm.outcomes import actions as outcomes
    from balm.programmes import actions as programmes

    group = _cohort(state, plan)
    for seat in plan.seats:
        person = accounts.create_participant(site=state.site, pseudonym=seat.pseudonym, by=None)
        enrolment = programmes.enrol_participant(
            participant=person, cohort=group, diagnosis_category="other", by=None
        )
        assessments = {(a.instrument_id, a.timepoint): a for a in enrolment.assessments.all()}
        for instrument_id, timepoint, answers in seat.responses:
            response = outcomes.submit_response(
                assessment=assessments[instrument_id, timepoint],
                answers=answers,
                client_id=uuid.uuid4().hex,
                entry_mode="import",
                by=None,
            )
            if plan.acknowledged:
                for alert in response.alerts.order_by("pk"):
                    outcomes.acknowledge_alert(alert=alert, by=state.staff, note=ACKNOWLEDGED)
        for week, answers in enumerate(seat.checkins, start=1):
            outcomes.submit_checkin(
                enrolment=enrolment,
                week=week,
                answers=answers,
                client_id=uuid.uuid4().hex,
                by=None,
            )
    state.groups.append(group)
    return group


def _checked(instrument_id: str, answers: dict[str, float], **options: Any) -> Any:
    from balm.accounts.errors import InvalidInput
    from balm.outcomes.answers import check_answers

    checked = check_answers(instrument_id, answers, **options)
    if checked.problems:  # the action would refuse it
        raise InvalidInput(checked.problems)
    return checked


def build_in_bulk(state: Site, plan: GroupPlan) -> Any:
    """The group's rows as :func:`build_with_actions` writes them, one ``bulk_create`` per
    table in one transaction: participants, enrolments and their first status, assessments,
    responses, safety alerts, check-ins, and the audit event of every write, in the same order
    and linked into the site's hash chain. The cohort and its status go through their actions
    (two writes a group)."""
    from django.db import transaction
    from django.utils import timezone

    from balm.accounts.models import Participant
    from balm.accounts.permissions import forget_lookups
    from balm.audit import chain
    from balm.audit.models import AuditEvent
    from balm.instruments import SCORER_VERSION, get_instrument
    from balm.outcomes import score_rows
    from balm.outcomes.answers import stored_answers
    from balm.outcomes.models import Assessment, CheckIn, EntryMode, Response, SafetyAlert
    from balm.outcomes.scheduling import assessment_window
    from balm.programmes.models import Enrolment, EnrolmentStatus, EnrolmentStatusChange
    from balm.wording.lookup import current_wording
    from balm.wording.printed_order import declared_variant

    site = state.site
    group = _cohort(state, plan)
    entries, skipped = _schedule(state)
    today = timezone.localdate()
    checkin_instrument = state.template.checkin_instrument
    variants = {e.instrument_id: declared_variant(site, e.instrument_id) for e in entries}
    wordings = {
        e.instrument_id: current_wording(site, get_instrument(e.instrument_id)) for e in entries
    }
    events: list[AuditEvent] = []

    def event(
        action: str, obj: Any, participant_id: int, details: dict[str, Any], by: Any = None
    ) -> None:
        events.append(
            AuditEvent(
                actor=by,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                site_id=site.pk,
                participant_id=participant_id,
                at=timezone.now(),
                details=chain.canonical_details(details),
            )
        )

    with transaction.atomic():
        people = Participant.objects.bulk_create(
            Participant(site=site, pseudonym=seat.pseudonym) for seat in plan.seats
        )
        forget_lookups()  # as the post_save signal does for each participant saved
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(
                participant=person,
                cohort=group,
                diagnosis_category="other",
                format=group.format,
                status=EnrolmentStatus.REFERRED,
            )
            for person in people
        )
        EnrolmentStatusChange.objects.bulk_create(
            EnrolmentStatusChange(enrolment=e, status=EnrolmentStatus.REFERRED, on=today)
            for e in enrolments
        )
        assessments = Assessment.objects.bulk_create(
            Assessment(
                enrolment=enrolment,
                instrument_id=entry.instrument_id,
                timepoint=entry.timepoint,
                week=entry.week,
                **dict(
                    zip(
                        ("opens_on", "due_on", "closes_on"),
                        assessment_window(group.start_date, entry.week, entry.timepoint),
                        strict=True,
                    )
                ),
            )
            for enrolment in enrolments
            for entry in entries
        )
        by_key = {(a.enrolment_id, a.instrument_id, a.timepoint): a for a in assessments}
        responses, flags = [], []
        for enrolment, seat in zip(enrolments, plan.seats, strict=True):
            for instrument_id, timepoint, answers in seat.responses:
                variant = variants[instrument_id]
                checked = _checked(instrument_id, answers, require_complete=False, variant=variant)
                now = timezone.now()
                responses.append(
                    Response(
                        assessment=by_key[enrolment.pk, instrument_id, timepoint],
                        instrument_id=checked.instrument.id,
                        instrument_version=checked.instrument.version,
                        wording=wordings[instrument_id],
                        variant=variant or "",
                        answers=stored_answers(answers),
                        scores=checked.scores,
                        scorer_version=SCORER_VERSION,
                        entry_mode=EntryMode.IMPORT,
                        client_id=uuid.uuid4().hex,
                        created_at=now,
                        updated_at=now,
                    )
                )
                flags.append((checked.flagged, answers))
        Response.objects.bulk_create(responses)
        score_rows.rebuild(e.pk for e in enrolments)
        acknowledged = {"acknowledged_by": state.staff, "acknowledgement_note": ACKNOWLEDGED}
        alerts = SafetyAlert.objects.bulk_create(
            SafetyAlert(
                response=response,
                item=item,
                value=float(str(answers[item])),
                email_attempts=1,
                email_last_attempt_at=timezone.now(),
                **(
                    {**acknowledged, "acknowledged_at": timezone.now()} if plan.acknowledged else {}
                ),
            )
            for response, (flagged, answers) in zip(responses, flags, strict=True)
            for item in flagged
        )
        alerts_of: dict[int, list[SafetyAlert]] = {}
        for alert in alerts:
            alerts_of.setdefault(alert.response_id, []).append(alert)
        checkins = []
        for enrolment, seat in zip(enrolments, plan.seats, strict=True):
            for week, answers in enumerate(seat.checkins, start=1):
                # by=None sends a check-in as the participant's own online one: complete.
                checked = _checked(checkin_instrument, answers, require_complete=True)
                checkins.append(
                    CheckIn(
                        enrolment=enrolment,
                        week=week,
                        instrument_id=checked.instrument.id,
                        instrument_version=checked.instrument.version,
                        answers=stored_answers(answers),
                        scores=checked.scores,
                        scorer_version=SCORER_VERSION,
                        entry_mode=EntryMode.PARTICIPANT_ONLINE,
                        client_id=uuid.uuid4().hex,
                    )
                )
        CheckIn.objects.bulk_create(checkins)

        # The audit events in the order the actions write them: person by person.
        responses_of: dict[int, list[Response]] = {}
        for response in responses:
            responses_of.setdefault(response.assessment.enrolment_id, []).append(response)
        checkins_of: dict[int, list[CheckIn]] = {}
        for checkin in checkins:
            checkins_of.setdefault(checkin.enrolment_id, []).append(checkin)
        for person, enrolment in zip(people, enrolments, strict=True):
            event("participant.create", person, person.pk, {})
            details = {
                "cohort": group.pk,
                "participant": person.pk,
                "assessments": len(entries),
                "skipped_instruments": skipped,
            }
            event("enrolment.create", enrolment, person.pk, details)
            for response in responses_of.get(enrolment.pk, []):
                details = {
                    "assessment": response.assessment_id,
                    "instrument": response.instrument_id,
                    "entry_mode": EntryMode.IMPORT,
                    "variant": response.variant,
                    "api_token": None,
                    "alerts": [alert.pk for alert in alerts_of.get(response.pk, [])],
                }
                event("response.submit", response, person.pk, details)
                for alert in alerts_of.get(response.pk, []) if plan.acknowledged else []:
                    note = {"note": ACKNOWLEDGED}
                    event("alert.acknowledge", alert, person.pk, note, by=state.staff)
            for checkin in checkins_of.get(enrolment.pk, []):
                details = {
                    "week": checkin.week,
                    "entry_mode": EntryMode.PARTICIPANT_ONLINE,
                    "api_token": None,
                }
                event("checkin.submit", checkin, person.pk, details)
        chain.lock_chain(site.pk)
        last = AuditEvent.objects.filter(site_id=site.pk).order_by("-id").values_list("hash")
        previous = (last.first() or (chain.GENESIS,))[0]
        for audit in events:
            audit.prev_hash = previous
            audit.hash = previous = chain.digest(previous, audit.hashed_values())
        AuditEvent.objects.bulk_create(events)
    state.groups.append(group)
    return group


def grow(state: Site, size: int, *, actions: int, group_size: int = GROUP_SIZE) -> None:
    """Add groups, each :data:`WEEKS_APART` weeks older than the last, until the site has
    ``size``: the first ``actions`` through the actions, the rest in bulk."""
    from django.utils import timezone

    today = timezone.localdate()
    while len(state.groups) < size:
        number = len(state.groups)
        plan = plan_group(state, number, today, size=group_size, rng=state.rng)
        if number < actions:
            build_with_actions(state, plan)
        else:
            build_in_bulk(state, plan)
