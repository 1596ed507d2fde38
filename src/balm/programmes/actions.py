"""Writes for cohorts, enrolments, sessions and attendance.

Every function: keyword-only arguments, an actor ``by`` (a User, or None for the system),
permission checked through ``balm.accounts.permissions``, one transaction, an audit event.
User-facing problems raise ``InvalidInput`` with all problems at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone

from balm.accounts import permissions
from balm.accounts.errors import InvalidInput, Problem
from balm.accounts.models import Participant, Site, User
from balm.audit.models import record
from balm.programmes.models import (
    Attendance,
    AttendanceMark,
    Cohort,
    CohortStatus,
    DiagnosisCategory,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    Format,
    ProgrammeTemplate,
    ScheduleEntry,
    Session,
    SessionPlan,
    transition_problem,
)
from balm.programmes.schedule import unfit_checkin, unknown_instrument


def create_cohort_from_template(
    *,
    template: ProgrammeTemplate,
    site: Site,
    name: str,
    start_date: date,
    format: str,
    facilitators: Iterable[User] = (),
    by: User | None,
) -> Cohort:
    """A cohort with one session per week of the template, dated weekly from ``start_date``.

    Refused, with every problem at once, if the template names an instrument the catalogue
    does not have (its questionnaires could never be scheduled or scored), or one the site
    collects whose printed order the site has not declared (it could not be scored)."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, site))
    facilitators = list(facilitators)
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Give the group a name."))
    if format not in Format.values:
        problems.append(Problem("format", "Choose in person, online or hybrid."))
    if template.site_id is not None and template.site_id != site.pk:
        problems.append(Problem("template", "This template belongs to another site."))
    problems.extend(
        Problem("template", f"The template {template.name!r} cannot be used: {problem.message}")
        for problem in template_catalogue_problems(template)
    )
    problems.extend(scheduled_order_problems(template, site))
    clinical = {f.pk for f in facilitators if permissions.can_edit_clinical(f, site)}
    for person in facilitators:
        if person.pk not in clinical:
            problems.append(Problem("facilitators", f"{person} is not a facilitator at {site}."))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        cohort = Cohort.objects.create(
            template=template, site=site, name=name.strip(), start_date=start_date, format=format
        )
        cohort.facilitators.set(facilitators)
        plans = {plan.number: plan for plan in template.plans.all()}
        Session.objects.bulk_create(
            Session(
                cohort=cohort,
                number=number,
                date=start_date + timedelta(weeks=number - 1),
                plan=plans.get(number),
            )
            for number in range(1, template.weeks + 1)
        )
        record(
            "cohort.create",
            by=by,
            obj=cohort,
            site=site,
            details={"template": template.slug, "start_date": start_date.isoformat()},
        )
    return cohort


def enrol_participant(
    *,
    participant: Participant,
    cohort: Cohort,
    diagnosis_category: str,
    format: str | None = None,
    consent_recorded_on: date | None = None,
    on: date | None = None,
    reason: str = "",
    by: User | None,
) -> Enrolment:
    """Refer ``participant`` to ``cohort`` and schedule their questionnaires."""
    from balm.outcomes.scheduling import schedule_assessments

    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, cohort.site))
    chosen_format = format or cohort.format
    problems = []
    if participant.site_id != cohort.site_id:
        problems.append(Problem("participant", "The participant belongs to another site."))
    if Enrolment.objects.filter(participant=participant, cohort=cohort).exists():
        problems.append(Problem("participant", "The participant is already in this group."))
    if diagnosis_category not in DiagnosisCategory.values:
        problems.append(Problem("diagnosis_category", "Choose a diagnosis category."))
    if chosen_format not in Format.values:
        problems.append(Problem("format", "Choose in person, online or hybrid."))
    if cohort.status == CohortStatus.CANCELLED:
        problems.append(Problem("cohort", "This group was cancelled."))
    problems.extend(scheduled_order_problems(cohort.template, cohort.site))
    if problems:
        raise InvalidInput(problems)
    when = on or timezone.localdate()
    with transaction.atomic():
        enrolment = Enrolment.objects.create(
            participant=participant,
            cohort=cohort,
            diagnosis_category=diagnosis_category,
            format=chosen_format,
            consent_recorded_on=consent_recorded_on,
            status=EnrolmentStatus.REFERRED,
        )
        EnrolmentStatusChange.objects.create(
            enrolment=enrolment, status=EnrolmentStatus.REFERRED, on=when, reason=reason, by=by
        )
        created, skipped = schedule_assessments(enrolment)
        record(
            "enrolment.create",
            by=by,
            obj=enrolment,
            site=cohort.site,
            details={
                "cohort": cohort.pk,
                "participant": participant.pk,
                "assessments": len(created),
                "skipped_instruments": skipped,
            },
        )
    return enrolment


def change_enrolment_status(
    *,
    enrolment: Enrolment,
    status: str,
    on: date | None = None,
    reason: str = "",
    by: User | None,
) -> EnrolmentStatusChange:
    """Move an enrolment to its next status (a withdrawal needs a reason)."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, enrolment.cohort.site))
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        problems = []
        why_not = transition_problem(locked.status, status)
        if why_not:
            problems.append(Problem("status", why_not))
        if status == EnrolmentStatus.WITHDRAWN and not reason.strip():
            problems.append(Problem("reason", "Record why the participant withdrew."))
        when = on or timezone.localdate()
        last = locked.history.order_by("-on").values_list("on", flat=True).first()
        if last is not None and when < last:
            problems.append(Problem("on", f"The date cannot be before the last change ({last})."))
        if problems:
            raise InvalidInput(problems)
        change = EnrolmentStatusChange.objects.create(
            enrolment=locked, status=status, on=when, reason=reason.strip(), by=by
        )
        previous = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        enrolment.status = status
        record(
            "enrolment.status",
            by=by,
            obj=locked,
            site=locked.cohort.site,
            details={"from": previous, "to": status, "on": when.isoformat(), "reason": reason},
        )
    return change


def record_attendance(
    *, session: Session, marks: Mapping[Enrolment | int, str], by: User | None
) -> list[Attendance]:
    """Set present / absent / apologies for some or all of a session's enrolments; only for a
    session dated today or earlier (nobody has attended a session that has not happened)."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, session.cohort.site))
    wanted = {(e if isinstance(e, int) else e.pk): mark for e, mark in marks.items()}
    if not wanted:
        raise InvalidInput([Problem("", "Mark at least one participant.")])
    in_cohort = set(
        Enrolment.objects.filter(cohort_id=session.cohort_id, pk__in=wanted).values_list(
            "pk", flat=True
        )
    )
    problems = []
    if session.date is None:
        problems.append(Problem("", "Set the session's date before taking the register."))
    elif session.date > timezone.localdate():
        problems.append(
            Problem("", f"This session is on {session.date:%-d %B}: take the register then.")
        )
    for enrolment_id, mark in wanted.items():
        if enrolment_id not in in_cohort:
            problems.append(Problem(f"enrolment-{enrolment_id}", "Not a member of this group."))
        if mark not in AttendanceMark.values:
            problems.append(
                Problem(f"enrolment-{enrolment_id}", "Choose present, absent or apologies.")
            )
    if problems:
        raise InvalidInput(problems)
    saved = []
    with transaction.atomic():
        for enrolment_id, mark in sorted(wanted.items()):
            attendance, _ = Attendance.objects.update_or_create(
                session=session,
                enrolment_id=enrolment_id,
                defaults={"mark": mark, "recorded_by": by, "recorded_at": timezone.now()},
            )
            saved.append(attendance)
        record(
            "session.attendance",
            by=by,
            obj=session,
            site=session.cohort.site,
            details={"marks": {str(k): v for k, v in sorted(wanted.items())}},
        )
    return saved


def record_session_notes(
    *,
    session: Session,
    by: User | None,
    date: date | None = None,
    delivered_content: str | None = None,
    facilitator_feedback: str | None = None,
    reflections: str | None = None,
) -> Session:
    """Update what was delivered and the facilitators' feedback and reflections.

    Only fields that change are written; when none does, nothing is written or audited."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, session.cohort.site))
    changes = {
        key: value
        for key, value in {
            "date": date,
            "delivered_content": delivered_content,
            "facilitator_feedback": facilitator_feedback,
            "reflections": reflections,
        }.items()
        if value is not None and value != getattr(session, key)
    }
    if not changes:
        return session
    with transaction.atomic():
        for key, value in changes.items():
            setattr(session, key, value)
        session.save(update_fields=list(changes))
        record(
            "session.notes",
            by=by,
            obj=session,
            site=session.cohort.site,
            details={"fields": sorted(changes)},
        )
    return session


def change_cohort_status(*, cohort: Cohort, status: str, by: User | None) -> Cohort:
    """Planned, running, finished or cancelled."""
    if by is not None:
        permissions.require(permissions.can_edit_clinical(by, cohort.site))
    if status not in CohortStatus.values:
        raise InvalidInput([Problem("status", "Choose planned, running, finished or cancelled.")])
    if status == cohort.status:
        raise InvalidInput([Problem("status", f"The group is already {cohort.status}.")])
    with transaction.atomic():
        previous = cohort.status
        cohort.status = status
        cohort.save(update_fields=["status"])
        record(
            "cohort.status",
            by=by,
            obj=cohort,
            site=cohort.site,
            details={"from": previous, "to": status},
        )
    return cohort


def scheduled_order_problems(template: ProgrammeTemplate, site: Site) -> list[Problem]:
    """A problem per instrument the template would schedule at ``site`` (in the catalogue and
    collected there) whose printed order the site must declare and has not."""
    from balm.instruments import catalogue
    from balm.wording.printed_order import undeclared_problems

    known = catalogue()
    scheduled = [
        entry.instrument_id
        for entry in template.schedule.all()
        if entry.instrument_id in known and site.instrument_enabled(entry.instrument_id)
    ]
    return undeclared_problems(site, scheduled, field="template")


def schedule_problems(entries: Iterable[ScheduleEntry]) -> list[Problem]:
    """One problem (field ``schedule``) for each entry whose instrument is not in the
    catalogue, naming its timepoint and week and listing the allowed ids."""
    problems = []
    for entry in entries:
        why_not = unknown_instrument(entry.instrument_id)
        if why_not:
            problems.append(
                Problem("schedule", f"{entry.timepoint} (week {entry.week}): {why_not}")
            )
    return problems


def template_catalogue_problems(template: ProgrammeTemplate) -> list[Problem]:
    """What in ``template`` the catalogue does not know (a template saved before templates
    were checked, or a catalogue that dropped an instrument): each schedule entry with an
    unknown instrument, and a weekly check-in that is not a check-in instrument."""
    problems = schedule_problems(template.schedule.all())
    checkin_problem = unfit_checkin(template.checkin_instrument)
    if checkin_problem:
        problems.append(Problem("checkin_instrument", f"Weekly check-in: {checkin_problem}"))
    return problems


SLUG_LENGTH = ProgrammeTemplate._meta.get_field("slug").max_length
NAME_LENGTH = ProgrammeTemplate._meta.get_field("name").max_length


def copy_template_to_site(
    *, template: ProgrammeTemplate, site: Site, slug: str, name: str | None = None, by: User | None
) -> ProgrammeTemplate:
    """A site's own editable copy of a template (sessions and schedule included).

    Only an administrator of ``site`` may copy (``NotAllowed`` otherwise). Every problem is
    reported at once and nothing is written: a short name that is taken (also when another copy
    takes it at the same moment: the unique constraint refuses the second), empty, malformed or
    too long, a name too long (blank: the template's name), a template of another site, each
    schedule entry whose instrument is not in the catalogue and a weekly check-in that is not a
    check-in instrument (saved before templates were checked).
    """
    if by is not None:
        permissions.require(
            permissions.can_manage_site(by, site),
            f"Only an administrator of {site} can copy a template to it.",
        )
    problems = []
    slug = slug.strip()
    name = (name or "").strip() or template.name
    slug_taken = Problem("slug", f"A template with the short name {slug!r} exists.")
    if not slug:
        problems.append(Problem("slug", "Give the copy a short name."))
    else:
        try:
            validate_slug(slug)
        except ValidationError:
            problems.append(
                Problem(
                    "slug", "Use only letters, numbers, hyphens and underscores in the short name."
                )
            )
    if len(slug) > SLUG_LENGTH:
        problems.append(Problem("slug", f"Use at most {SLUG_LENGTH} characters in the short name."))
    if ProgrammeTemplate.objects.filter(slug=slug).exists():
        problems.append(slug_taken)
    if len(name) > NAME_LENGTH:
        problems.append(Problem("name", f"Use at most {NAME_LENGTH} characters in the name."))
    if template.site_id is not None and template.site_id != site.pk:
        problems.append(Problem("template", "This template belongs to another site."))
    problems.extend(template_catalogue_problems(template))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the transaction goes on if refused
                copy = ProgrammeTemplate.objects.create(
                    slug=slug,
                    name=name,
                    description=template.description,
                    version=template.version,
                    weeks=template.weeks,
                    checkin_instrument=template.checkin_instrument,
                    site=site,
                    source=f"copy of {template.slug}",
                )
        except IntegrityError:
            # another copy took the short name since the check (the only unique field)
            raise InvalidInput([slug_taken]) from None
        SessionPlan.objects.bulk_create(
            SessionPlan(
                template=copy,
                number=plan.number,
                title=plan.title,
                aims=plan.aims,
                exercise=plan.exercise,
                home_practice=plan.home_practice,
            )
            for plan in template.plans.all()
        )
        ScheduleEntry.objects.bulk_create(
            ScheduleEntry(
                template=copy,
                instrument_id=entry.instrument_id,
                timepoint=entry.timepoint,
                week=entry.week,
            )
            for entry in template.schedule.all()
        )
        record("template.copy", by=by, obj=copy, site=site, details={"from": template.slug})
    return copy


def update_session_plan(
    *,
    plan: SessionPlan,
    by: User | None,
    title: str | None = None,
    aims: str | None = None,
    exercise: str | None = None,
    home_practice: str | None = None,
) -> SessionPlan:
    """Edit one session of a template (administrators of the template's site)."""
    if by is not None:
        permissions.require(permissions.can_edit_template(by, plan.template))
    changes = {
        key: value.strip()
        for key, value in {
            "title": title,
            "aims": aims,
            "exercise": exercise,
            "home_practice": home_practice,
        }.items()
        if value is not None
    }
    problems = [
        Problem(key, "This cannot be empty.") for key, value in changes.items() if not value
    ]
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        for key, value in changes.items():
            setattr(plan, key, value)
        plan.save()
        ProgrammeTemplate.objects.filter(pk=plan.template_id).update(updated_at=timezone.now())
        record(
            "template.session_plan",
            by=by,
            obj=plan,
            site=plan.template.site,
            details={"number": plan.number, "fields": sorted(changes)},
        )
    return plan
