"""Erasure on request (UK GDPR art. 17) and the participant's own copy of their data (art. 15).

Erasure keeps the participant's row, under a placeholder pseudonym, because audit events and
research rows refer to it by id (the audit chain hashes those ids, ``balm.audit.chain``); what
identifies the person is removed:

- always: name, e-mail, telephone, GP, the pseudonym (replaced by ``erased-<id>``), personal
  links, the linked user account (deactivated, its names and e-mail cleared), the site's
  pseudonym-map entries for them, free text they or staff wrote about them (check-in notes,
  amendment reasons, alert and outcome notes, status-change reasons);
- unless research consent was recorded and the administrator keeps the research data:
  their answers, scores, drafts, check-ins and safety alerts, and the text of their interview
  transcripts (the sources stay, empty and deleted, so other people's codings stay valid).

The audit event says what kinds of record were erased and how many, never what they held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from balm.accounts import permissions
from balm.accounts.errors import NotAllowed
from balm.accounts.models import Participant, ParticipantLink
from balm.audit.models import record


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a participant would do, shown on the confirmation page."""

    consent_recorded: bool
    responses: int
    checkins: int
    transcripts: int
    links: int


def research_consent_recorded(participant: Participant) -> bool:
    return participant.enrolments.filter(consent_recorded_on__isnull=False).exists()


def plan_erasure(participant: Participant) -> ErasurePlan:
    from balm.outcomes.models import CheckIn, Response

    return ErasurePlan(
        consent_recorded=research_consent_recorded(participant),
        responses=Response.objects.filter(assessment__enrolment__participant=participant).count(),
        checkins=CheckIn.objects.filter(enrolment__participant=participant).count(),
        transcripts=participant.qual_sources.count(),
        links=participant.links.count(),
    )


ERASED_PREFIX = "erased-"


def erase_participant(
    *,
    participant: Participant,
    by: Any,
    keep_research_data: bool,
    action: str = "participant.erase",
) -> dict[str, int]:
    """Erase ``participant`` as the module says; returns the counts the audit event holds.
    Keeping research data needs research consent recorded on one of their enrolments."""
    from balm.outcomes import score_rows
    from balm.outcomes.models import (
        Assessment,
        CheckIn,
        Draft,
        Response,
        ResponseAmendment,
        SafetyAlert,
    )
    from balm.programmes.models import Enrolment, EnrolmentStatusChange
    from balm.qualitative.models import PseudonymEntry

    if by is not None and not permissions.can_erase_participant(by, participant):
        raise NotAllowed("Only an administrator of the participant's site may erase them.")
    if keep_research_data and not research_consent_recorded(participant):
        keep_research_data = False
    with transaction.atomic():
        person = Participant.objects.select_for_update().get(pk=participant.pk)
        names = {" ".join(n.lower().split()) for n in (person.name, person.pseudonym) if n}
        responses = Response.objects.filter(assessment__enrolment__participant=person)
        checkins = CheckIn.objects.filter(enrolment__participant=person)
        counts = {
            "links": ParticipantLink.objects.filter(participant=person).delete()[0],
            "pseudonym_map": PseudonymEntry.objects.filter(
                site_id=person.site_id, original__in=names
            ).delete()[0],
            "status_reasons": EnrolmentStatusChange.objects.filter(enrolment__participant=person)
            .exclude(reason="")
            .update(reason=""),
        }
        ResponseAmendment.objects.filter(response__in=responses).update(reason="")
        SafetyAlert.objects.filter(response__in=responses).update(acknowledgement_note="")
        Assessment.objects.filter(enrolment__participant=person).update(outcome_note="")
        if keep_research_data:
            counts["checkin_notes"] = checkins.exclude(note="").update(note="")
        else:
            counts["drafts"] = Draft.objects.filter(
                assessment__enrolment__participant=person
            ).delete()[0]
            counts["responses"] = responses.count()
            responses.delete()  # their amendments and alerts go with them
            score_rows.rebuild(
                Enrolment.objects.filter(participant=person).values_list("pk", flat=True)
            )
            counts["checkins"] = checkins.delete()[0]
            counts["transcripts"] = person.qual_sources.update(
                text="", turns=[], deleted_at=_now(), deleted_by=by
            )
        if person.user_id is not None:
            _close_account(person.user_id)
        person.pseudonym = f"{ERASED_PREFIX}{person.pk}"
        person.name = person.email = person.phone = person.gp = ""
        person.user = None
        person.save()
        record(
            action,
            by=by,
            obj=person,
            site=person.site_id,
            details={"kept_research_data": keep_research_data, "erased": counts},
        )
    return counts


def past_retention(today: date) -> list[tuple[Participant, date]]:
    """Participants not yet erased whose every enrolment closed (completed or withdrawn) more
    than their site's ``retention_years`` ago, with the day their last programme ended."""
    from django.db.models import Max

    from balm.programmes.models import EnrolmentStatusChange

    found = []
    candidates = (
        Participant.objects.filter(site__retention_years__isnull=False)
        .exclude(pseudonym__startswith=ERASED_PREFIX)
        .exclude(enrolments__status__in=["referred", "assessed", "started"])
        .filter(enrolments__isnull=False)
        .select_related("site")
        .distinct()
    )
    for person in candidates:
        ended = EnrolmentStatusChange.objects.filter(
            enrolment__participant=person, status__in=["completed", "withdrawn"]
        ).aggregate(last=Max("on"))["last"]
        years = person.site.retention_years or 0
        if ended is not None and _add_years(ended, years) < today:
            found.append((person, ended))
    return found


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def apply_retention(*, today: date | None = None, dry_run: bool = False) -> list[str]:
    """Remove the identifiers of everyone past their site's retention period (the system
    acts, ``by=None``; each is audited as ``participant.retention``). Returns one line per
    participant, what was or (dry run) would be done."""
    from django.utils import timezone

    lines = []
    for person, ended in past_retention(today or timezone.localdate()):
        keep = research_consent_recorded(person)
        what = "identifiers" + ("" if keep else ", answers and transcripts")
        lines.append(
            f"{person.site.slug} {person.pseudonym}: programme ended {ended}; "
            f"{'would remove' if dry_run else 'removed'} {what}"
        )
        if not dry_run:
            erase_participant(
                participant=person,
                by=None,
                keep_research_data=keep,
                action="participant.retention",
            )
    return lines


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def _close_account(user_id: int) -> None:
    from balm.accounts.models import User

    account = User.objects.get(pk=user_id)
    account.username = f"erased-user-{account.pk}"
    account.first_name = account.last_name = account.email = ""
    account.is_active = False
    account.set_unusable_password()
    account.save()


def own_data(participant: Participant) -> dict[str, Any]:
    """Everything balm holds that a participant gave or that was worked out from it: their
    details, enrolments, answers and scores, check-ins (art. 15 copy; JSON-ready)."""
    from balm.instruments import get_instrument
    from balm.outcomes.models import CheckIn, Response

    def title(instrument_id: str) -> str:
        try:
            return get_instrument(instrument_id).name
        except LookupError:
            return instrument_id

    responses = (
        Response.objects.filter(assessment__enrolment__participant=participant)
        .select_related("assessment__enrolment__cohort")
        .order_by("created_at", "pk")
    )
    checkins = (
        CheckIn.objects.filter(enrolment__participant=participant)
        .select_related("enrolment__cohort")
        .order_by("enrolment_id", "week")
    )
    return {
        "participant": {
            "pseudonym": participant.pseudonym,
            "name": participant.name,
            "email": participant.email,
            "phone": participant.phone,
            "gp": participant.gp,
            "site": participant.site.name,
        },
        "enrolments": [
            {
                "group": e.cohort.name,
                "status": e.status,
                "consent_recorded_on": e.consent_recorded_on,
            }
            for e in participant.enrolments.select_related("cohort").order_by("pk")
        ],
        "questionnaires": [
            {
                "questionnaire": title(r.instrument_id),
                "instrument_id": r.instrument_id,
                "timepoint": r.assessment.timepoint,
                "group": r.assessment.enrolment.cohort.name,
                "sent_at": r.created_at,
                "answers": r.answers,
                "scores": r.scores,
            }
            for r in responses
        ],
        "checkins": [
            {
                "group": c.enrolment.cohort.name,
                "week": c.week,
                "answers": c.answers,
                "scores": c.scores,
                "note": c.note,
            }
            for c in checkins
        ],
    }
