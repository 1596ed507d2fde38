"""A synthetic demo site, written through the actions layer like real data.

``load_demo()`` creates (once) the "Riverside Pain Service (demo)" site with staff logins, one
12-week CFT cohort of twelve people about seven weeks in: baseline questionnaires entered from
paper, mid-point questionnaires partly answered online (one in progress, some not yet), weekly
check-ins, attendance, two withdrawals, a few missed questionnaires and one open safety alert.
The programme's instruments that balm ships without wording (PDI, CPAQ-8, FSCRS, PSEQ) get
placeholder wording built from each item's concept and marked as a placeholder, so they are
answered online like the others. CPAQ-8's printed order is unconfirmed, so the demo site
declares one (:data:`DEMO_PRINTED_ORDERS`) and its placeholder questions follow that order.
Every person and answer is made up. Running it again changes nothing except issuing fresh
personal links to print (tokens are stored hashed, so old ones cannot be shown again).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from balm.accounts import actions as account_actions
from balm.accounts.models import Participant, Site, User
from balm.instruments import catalogue, get_instrument
from balm.instruments.schema import Direction, Instrument, ItemKind
from balm.instruments.wording import placeholder_data
from balm.outcomes import actions as outcome_actions
from balm.programmes import actions as programme_actions
from balm.programmes.loader import load_template
from balm.programmes.models import Cohort, Enrolment
from balm.wording import actions as wording_actions

DEMO_SLUG = "demo"
DEMO_PASSWORD = "balm-demo"
STAFF = (
    ("facilitator", "Alex", "Morgan", "facilitator"),
    ("researcher", "Robin", "Patel", "researcher"),
    ("admin", "Jo", "Evans", "administrator"),
)
PSEUDONYMS = (
    "Aspen",
    "Birch",
    "Cedar",
    "Elm",
    "Hazel",
    "Juniper",
    "Larch",
    "Maple",
    "Rowan",
    "Willow",
    "Alder",
    "Holly",
)
DIAGNOSES = (
    "fibromyalgia",
    "back_spinal",
    "musculoskeletal",
    "neuropathic",
    "fibromyalgia",
    "back_spinal",
    "crps",
    "headache",
    "musculoskeletal",
    "pelvic_abdominal",
    "other",
    "fibromyalgia",
)
CRISIS = (
    "If you are in danger now, call 999 or go to A&E.\n"
    "For urgent mental health help, call NHS 111 and choose option 2 (24 hours).\n"
    "Samaritans: call 116 123, free, any time.\n"
    "In working hours you can call the pain team on 01632 960000 (demo number)."
)


@dataclass
class DemoInfo:
    site: Site
    cohort: Cohort
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, password)
    links: list[tuple[str, str]] = field(default_factory=list)  # (pseudonym, url path)


def _demo_instruments(programme: list[str]) -> list[str]:
    """Instruments whose item wording balm ships, and those of the programme (the ones
    without shipped wording get placeholder wording, see :func:`_placeholder_wording`)."""
    shipped = {i.id for i in catalogue().values() if i.item_text_included}
    return sorted(shipped | set(programme))


# A demo choice, not a finding: the alternating order is the printed form with a scoring key
# citing Fish et al. (2010) quoted in balm issue #9 (engagement at printed 1, 3, 5, 6;
# willingness at 2, 4, 7, 8). A real site declares the order of the form it actually prints.
DEMO_PRINTED_ORDERS = {"cpaq8": "alternating"}


def _placeholder_wording(site: Site, programme: list[str]) -> None:
    """Placeholder wording, marked as such, for the programme's instruments balm ships
    without wording, so every construct of the demo is answered online as a service with
    licensed wording would answer it. Where the site declares a printed order, printed
    question k shows the concept of the catalogue item the order puts there."""
    for instrument_id in sorted(set(programme)):
        instrument = get_instrument(instrument_id)
        if instrument.item_text_included:
            continue
        data = placeholder_data(instrument)
        variant = DEMO_PRINTED_ORDERS.get(instrument_id)
        if variant is not None:
            by_item = data["items"]
            mapping = instrument.variant_mapping(variant)
            data["items"] = {printed: by_item[item] for printed, item in mapping.items()}
        wording_actions.load_wording(
            site=site,
            instrument_id=instrument_id,
            data=data,
            by=None,
            source_name="balm demo placeholder",
            placeholder=True,
            variant=variant,
        )
        wording_actions.enable_online(site=site, instrument_id=instrument_id, by=None)


def _answers(instrument: Instrument, severity: float, rng: random.Random) -> dict[str, object]:
    """Plausible answers for someone at ``severity`` (0 well .. 1 unwell), printed weights,
    keyed by printed question (in the demo's declared printed order, if any)."""
    worse_high: dict[str, bool] = {}
    for scale in instrument.scales:
        for item_id in scale.items:
            worse_high.setdefault(item_id, scale.direction is Direction.HIGHER_WORSE)
    answers: dict[str, object] = {}
    for item in instrument.items:
        if item.kind is ItemKind.TEXT:
            continue
        high_is_worse = worse_high.get(item.id, True) != item.reverse
        level = severity if high_is_worse else 1 - severity
        level = min(max(level + rng.gauss(0, 0.12), 0.0), 1.0)
        if item.kind is ItemKind.CHOICE:
            values = sorted(o.value for o in instrument.options_for(item))
            chosen = values[round(level * (len(values) - 1))]
        else:
            low, high = float(item.minimum or 0), float(item.maximum or 0)
            chosen = low + round(level * (high - low))
        if item.safety:
            chosen = (
                min(o.value for o in instrument.options_for(item))
                if item.options or item.response_set
                else item.minimum
            )
        answers[item.id] = int(chosen) if float(chosen).is_integer() else chosen
    variant = DEMO_PRINTED_ORDERS.get(instrument.id)
    if variant is not None:
        mapping = instrument.variant_mapping(variant)
        return {printed: answers[item] for printed, item in mapping.items() if item in answers}
    return answers


def _checkin(week: int, severity: float, rng: random.Random) -> dict[str, object]:
    better = 1 - severity

    def rating(level: float) -> int:
        return int(min(max(round(level * 10 + rng.gauss(0, 1)), 0), 10))

    return {
        "q1": rating(better),
        "q2": rating(better + 0.05),
        "q3": rating(better - 0.05 + week * 0.02),
        "q4": rating(better - 0.1),
        "q5": rating(severity + 0.2),
        "q6": int(max(0, rng.gauss(40 + week * 5, 25))),
        "q7": rng.choice(["soothing breathing", "safe place", "compassionate self", ""]),
        "q8": "",
    }


def load_demo(today: date | None = None, *, seed: int = 20260301) -> DemoInfo:
    """Create the demo once (idempotent) and return log-ins and fresh personal links."""
    today = today or timezone.localdate()
    existing = Site.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        cohort = Cohort.objects.filter(site=existing).order_by("pk").first()
        assert cohort is not None, "demo site without a cohort"
        info = DemoInfo(site=existing, cohort=cohort, created=False)
    else:
        with transaction.atomic():
            info = _create(today, random.Random(seed))
    _load_qualitative(info.site)
    info.logins = [(role, username, DEMO_PASSWORD) for username, _, _, role in STAFF]
    info.logins.append(("participant", "aspen", DEMO_PASSWORD))
    for pseudonym in ("Maple", "Elm", "Aspen"):  # not started, half-way, has a login
        participant = Participant.objects.get(site=info.site, pseudonym=pseudonym)
        _, token = account_actions.issue_participant_link(participant=participant, by=None, days=28)
        info.links.append((pseudonym, f"/p/{token}/"))
    return info


DEMO_CODERS = (("coder_a", "A"), ("coder_b", "B"))


def _load_qualitative(site: Site) -> None:
    """The synthetic interview set (src/balm/qual/demo), once: two demo coders (researchers,
    named as in codings.yaml), the transcripts pseudonymised on the way in with the planted
    identifiers as extra terms, the codebook, both coders' codings and the IPA themes."""
    from balm.qualitative.actions import import_project
    from balm.qualitative.demo_set import demo_project, planted_terms
    from balm.qualitative.models import QualProject

    if QualProject.objects.filter(site=site).exists():
        return
    with transaction.atomic():
        for username, letter in DEMO_CODERS:
            coder = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name="Demo coder",
                last_name=letter,
                email=f"{username}@demo.invalid",
            )
            account_actions.add_membership(user=coder, site=site, role="researcher", by=None)
        import_project(site=site, project=demo_project(), terms=planted_terms(), by=None)


def _create(today: date, rng: random.Random) -> DemoInfo:
    template, _ = load_template()
    programme = list(template.schedule.values_list("instrument_id", flat=True))
    site = account_actions.create_site(
        name="Riverside Pain Service (demo)",
        slug=DEMO_SLUG,
        crisis_contacts=CRISIS,
        enabled_instruments=_demo_instruments(programme),
        by=None,
    )
    _placeholder_wording(site, programme)
    staff: dict[str, User] = {}
    for username, first, last, role in STAFF:
        person = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.invalid",
        )
        account_actions.add_membership(user=person, site=site, role=role, by=None)
        staff[role] = person
    facilitator = staff["facilitator"]
    start = today - timedelta(weeks=7) + timedelta(days=1)
    cohort = programme_actions.create_cohort_from_template(
        template=template,
        site=site,
        name="Thursday CFT group (demo)",
        start_date=start,
        format="hybrid",
        facilitators=[facilitator],
        by=staff["administrator"],
    )
    programme_actions.change_cohort_status(cohort=cohort, status="running", by=facilitator)
    participant_user = User.objects.create_user(
        username="aspen", password=DEMO_PASSWORD, email="aspen@demo.invalid"
    )
    enrolments: list[tuple[Enrolment, float]] = []
    for index, pseudonym in enumerate(PSEUDONYMS):
        participant = account_actions.create_participant(
            site=site,
            pseudonym=pseudonym,
            name=f"Demo person {index + 1}",
            email=f"{pseudonym.lower()}@demo.invalid",
            user=participant_user if pseudonym == "Aspen" else None,
            by=facilitator,
        )
        enrolment = programme_actions.enrol_participant(
            participant=participant,
            cohort=cohort,
            diagnosis_category=DIAGNOSES[index],
            format="online" if index % 3 == 0 else "in_person",
            consent_recorded_on=start - timedelta(weeks=3),
            on=start - timedelta(weeks=5),
            by=facilitator,
        )
        severity = rng.uniform(0.35, 0.8)
        if pseudonym == "Holly":  # assessed, then decided the group was not for them now
            programme_actions.change_enrolment_status(
                enrolment=enrolment,
                status="assessed",
                on=start - timedelta(weeks=3),
                by=facilitator,
            )
            programme_actions.change_enrolment_status(
                enrolment=enrolment,
                status="withdrawn",
                on=start - timedelta(days=4),
                reason="Chose to wait for an evening group",
                by=facilitator,
            )
            continue
        for status, on in (("assessed", start - timedelta(weeks=3)), ("started", start)):
            programme_actions.change_enrolment_status(
                enrolment=enrolment, status=status, on=on, by=facilitator
            )
        enrolments.append((enrolment, severity))
    _fill_outcomes(enrolments, facilitator, today, rng)
    _attendance(cohort, enrolments, facilitator, today, rng)
    return DemoInfo(site=site, cohort=cohort, created=True)


def _fill_outcomes(
    enrolments: list[tuple[Enrolment, float]], facilitator: User, today: date, rng: random.Random
) -> None:
    for position, (enrolment, severity) in enumerate(enrolments):
        pseudonym = enrolment.participant.pseudonym
        for assessment in enrolment.assessments.order_by("week", "instrument_id"):
            instrument = get_instrument(assessment.instrument_id)
            if assessment.timepoint == "baseline":
                if pseudonym == "Larch" and assessment.instrument_id != "phq9":
                    continue  # missed: only the PHQ-9 came back
                outcome_actions.submit_response(
                    assessment=assessment,
                    answers=_answers(instrument, severity, rng),
                    client_id=f"demo-{assessment.pk}",
                    entry_mode="staff_paper",
                    by=facilitator,
                )
            elif assessment.timepoint == "mid" and assessment.opens_on <= today:
                improved = max(severity - rng.uniform(0.05, 0.25), 0.05)
                answers = _answers(instrument, improved, rng)
                if pseudonym in ("Maple", "Rowan"):
                    continue  # not yet answered
                if pseudonym == "Elm":
                    first = dict(list(answers.items())[:3])
                    outcome_actions.save_draft_answers(
                        assessment=assessment, answers=first, by=enrolment.participant
                    )
                    continue  # stopped part-way
                if pseudonym == "Juniper" and assessment.instrument_id == "phq9":
                    answers["q9"] = 1  # the open safety alert
                outcome_actions.submit_response(
                    assessment=assessment,
                    answers=answers,
                    client_id=f"demo-{assessment.pk}",
                    entry_mode="participant_online",
                    by=enrolment.participant,
                )
        weeks_done = (today - enrolment.cohort.start_date).days // 7
        for week in range(1, min(weeks_done, 12) + 1):
            if rng.random() < 0.15 or (position == 3 and week > 4):
                continue  # weeks without a check-in; no streaks, no shaming
            level = max(severity - week * 0.02, 0.05)
            outcome_actions.submit_checkin(
                enrolment=enrolment,
                week=week,
                answers=_checkin(week, level, rng),
                client_id=f"demo-checkin-{enrolment.pk}-{week}",
                practice_type=rng.choice(
                    ["soothing_breathing", "compassionate_imagery", "compassionate_self", "none"]
                ),
                by=enrolment.participant,
            )
    withdrawn = next(e for e, _ in enrolments if e.participant.pseudonym == "Willow")
    programme_actions.change_enrolment_status(
        enrolment=withdrawn,
        status="withdrawn",
        on=withdrawn.cohort.start_date + timedelta(weeks=3, days=2),
        reason="Flare-up; would like to join a later group",
        by=facilitator,
    )


def _attendance(
    cohort: Cohort,
    enrolments: list[tuple[Enrolment, float]],
    facilitator: User,
    today: date,
    rng: random.Random,
) -> None:
    for session in cohort.sessions.filter(date__lt=today).order_by("number"):
        marks = {}
        for enrolment, _ in enrolments:
            if enrolment.participant.pseudonym == "Willow" and session.number > 3:
                continue
            roll = rng.random()
            marks[enrolment] = (
                "present" if roll < 0.82 else "apologies" if roll < 0.94 else "absent"
            )
        programme_actions.record_attendance(session=session, marks=marks, by=facilitator)
        programme_actions.record_session_notes(
            session=session,
            delivered_content=session.plan.exercise if session.plan else "",
            facilitator_feedback="Ran to plan."
            if session.number % 2
            else "Ran over by 10 minutes.",
            by=facilitator,
        )
