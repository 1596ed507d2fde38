"""Who may see and change what. Every view and API endpoint calls these; nothing else decides.

The rules:

- A participant sees and changes only their own data (through a linked account or a personal
  link; :func:`participant_of` finds the participant either way).
- A facilitator sees every cohort at their sites (not other sites) and edits clinical records
  there: enrolments, attendance, sessions, responses, alerts.
- A researcher sees the records of their sites pseudonymised (no names or e-mail addresses)
  and cannot change clinical records.
- An administrator manages their sites (settings, people, templates, cohorts) and may edit
  clinical records there too.
- Superusers are treated as administrators of every site.

Queryset filters are named ``visible_*``; yes/no questions are named ``can_*``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from balm.accounts.errors import NotAllowed
from balm.accounts.models import Membership, Participant, Role, Site

if TYPE_CHECKING:
    from balm.api.models import ApiToken
    from balm.outcomes.models import Assessment, SafetyAlert
    from balm.programmes.models import Cohort, Enrolment
    from balm.qualitative.models import QualProject, Source

STAFF_ROLES = frozenset({Role.ADMINISTRATOR, Role.FACILITATOR, Role.RESEARCHER})
CLINICAL_ROLES = frozenset({Role.ADMINISTRATOR, Role.FACILITATOR})


def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def site_ids(user: Any, roles: frozenset[str] = STAFF_ROLES) -> set[int]:
    """Ids of the sites where ``user`` holds one of ``roles``."""
    if not _authenticated(user):
        return set()
    if user.is_superuser:
        return set(Site.objects.values_list("id", flat=True))
    return set(
        Membership.objects.filter(user=user, role__in=roles).values_list("site_id", flat=True)
    )


def roles_at(user: Any, site: Site | int) -> set[str]:
    """The roles ``user`` holds at ``site``."""
    site_id = site if isinstance(site, int) else site.pk
    if not _authenticated(user):
        return set()
    if user.is_superuser:
        return set(STAFF_ROLES)
    return {r for r in STAFF_ROLES if site_id in site_ids(user, frozenset({r}))}


def is_staff_member(user: Any) -> bool:
    """Does ``user`` hold any staff role anywhere?"""
    return bool(site_ids(user))


def participant_of(user: Any) -> Participant | None:
    """The participant record linked to a user account, if any."""
    if not _authenticated(user):
        return None
    return Participant.objects.filter(user=user).first()


# --- sites -------------------------------------------------------------------------------


def visible_sites(user: Any) -> QuerySet[Site]:
    return Site.objects.filter(id__in=site_ids(user))


def administered_site_ids(user: Any) -> set[int]:
    """Ids of the sites ``user`` administers (every site for a superuser)."""
    return site_ids(user, frozenset({Role.ADMINISTRATOR}))


def can_manage_site(user: Any, site: Site) -> bool:
    """Administrators: site settings, people and roles, templates, cohorts."""
    return site.pk in site_ids(user, frozenset({Role.ADMINISTRATOR}))


def can_edit_clinical(user: Any, site: Site) -> bool:
    """Facilitators and administrators of the site; never researchers or participants."""
    return site.pk in site_ids(user, CLINICAL_ROLES)


def can_view_identifiable(user: Any, site: Site) -> bool:
    """May see names and e-mail addresses (not only pseudonyms)."""
    return site.pk in site_ids(user, CLINICAL_ROLES)


def can_view_pseudonymised(user: Any, site: Site) -> bool:
    return site.pk in site_ids(user)


def can_view_evaluation(user: Any, site: Site) -> bool:
    """The evaluation report of the site's groups (pseudonyms and figures): its researchers,
    administrators and facilitators; never participants, never staff of other sites."""
    return site.pk in site_ids(user, STAFF_ROLES)


def can_view_free_text(user: Any, site: Site) -> bool:
    """Participants' own words (check-in notes, amendment and alert notes) and contact
    details: clinical staff of the site only; researchers see scores, never free text."""
    return site.pk in site_ids(user, CLINICAL_ROLES)


def can_edit_template(user: Any, template: Any) -> bool:
    """Administrators edit their own site's templates; a template shipped with balm (no site)
    only by a superuser; anyone else copies it to their site first."""
    if template.site_id is None:
        return _authenticated(user) and user.is_superuser
    return template.site_id in site_ids(user, frozenset({Role.ADMINISTRATOR}))


# --- cohorts and enrolments --------------------------------------------------------------


def visible_cohorts(user: Any) -> QuerySet[Cohort]:
    """Staff: every cohort at their sites. Participants: the cohorts they are enrolled in."""
    from balm.programmes.models import Cohort

    staff_sites = site_ids(user)
    participant = participant_of(user)
    if participant is not None:
        own = Cohort.objects.filter(enrolments__participant=participant)
        return (Cohort.objects.filter(site_id__in=staff_sites) | own).distinct()
    return Cohort.objects.filter(site_id__in=staff_sites)


def can_view_cohort(user: Any, cohort: Cohort) -> bool:
    return visible_cohorts(user).filter(pk=cohort.pk).exists()


def can_manage_cohort(user: Any, cohort: Cohort) -> bool:
    """Run the cohort: sessions, attendance, enrolments."""
    return can_edit_clinical(user, cohort.site)


def visible_enrolments(user: Any) -> QuerySet[Enrolment]:
    from balm.programmes.models import Enrolment

    staff = Enrolment.objects.filter(cohort__site_id__in=site_ids(user))
    participant = participant_of(user)
    if participant is not None:
        return (staff | Enrolment.objects.filter(participant=participant)).distinct()
    return staff


def can_view_enrolment(user: Any, enrolment: Enrolment) -> bool:
    participant = participant_of(user)
    if participant is not None and enrolment.participant_id == participant.pk:
        return True
    return enrolment.cohort.site_id in site_ids(user)


def visible_participants(user: Any) -> QuerySet[Participant]:
    """Staff of the site see its participants (researchers must show pseudonyms only)."""
    staff = Participant.objects.filter(site_id__in=site_ids(user))
    participant = participant_of(user)
    if participant is not None:
        return (staff | Participant.objects.filter(pk=participant.pk)).distinct()
    return staff


def can_view_participant(user: Any, participant: Participant) -> bool:
    own = participant_of(user)
    if own is not None and own.pk == participant.pk:
        return True
    return participant.site_id in site_ids(user)


# --- answering ---------------------------------------------------------------------------


def can_answer_as(actor: Any, enrolment: Enrolment) -> bool:
    """May ``actor`` (a User, or a Participant acting through a personal link) answer
    questionnaires and check-ins for ``enrolment``?

    The participant themselves may; clinical staff of the site may enter answers (from paper);
    researchers and everyone else may not.
    """
    if isinstance(actor, Participant):
        return actor.pk == enrolment.participant_id
    own = participant_of(actor)
    if own is not None and own.pk == enrolment.participant_id:
        return True
    return can_edit_clinical(actor, enrolment.cohort.site)


def can_answer_assessment(actor: Any, assessment: Assessment) -> bool:
    return can_answer_as(actor, assessment.enrolment)


# --- safety alerts -----------------------------------------------------------------------


def visible_alerts(user: Any) -> QuerySet[SafetyAlert]:
    """Clinical staff see the alerts of their sites; researchers and participants see none."""
    from balm.outcomes.models import SafetyAlert

    return SafetyAlert.objects.filter(
        response__assessment__enrolment__cohort__site_id__in=site_ids(user, CLINICAL_ROLES)
    )


def can_acknowledge_alert(user: Any, alert: SafetyAlert) -> bool:
    return can_edit_clinical(user, alert.response.assessment.enrolment.cohort.site)


# --- API tokens --------------------------------------------------------------------------


def can_manage_own_api_tokens(user: Any) -> bool:
    """Staff (any role at any site) issue and revoke their own API tokens on their account page.
    A participant's token comes only from ``balm manage issue_api_token``."""
    return is_staff_member(user)


def visible_api_tokens(user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens only (superusers see everyone's in the admin, not here)."""
    from balm.api.models import ApiToken

    if not _authenticated(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


def can_issue_api_token(by: Any, owner: Any) -> bool:
    """A superuser for anyone; a staff member for themselves (the system, ``by=None``, is
    checked by the caller)."""
    if not _authenticated(by):
        return False
    return by.is_superuser or (by.pk == owner.pk and can_manage_own_api_tokens(by))


def can_revoke_api_token(by: Any, token: ApiToken) -> bool:
    """The token's owner (whoever they are: stopping a token is always safe) or a superuser."""
    if not _authenticated(by):
        return False
    return by.is_superuser or by.pk == token.user_id


# --- qualitative projects ------------------------------------------------------------------
# Researchers and administrators of a site read and code its qualitative projects; a
# facilitator adds session feedback and reflections and reads only their own; participants never
# see this module; the pseudonym map is for administrators alone.

QUAL_ROLES = frozenset({Role.ADMINISTRATOR, Role.RESEARCHER})
FACILITATOR_SOURCE_KINDS = frozenset({"session_feedback", "reflection"})


def can_code_qual(user: Any, site: Site | int) -> bool:
    """Read every source of the site's projects, code, write notes and themes, import."""
    site_id = site if isinstance(site, int) else site.pk
    return site_id in site_ids(user, QUAL_ROLES)


def can_add_qual_source(user: Any, site: Site | int, kind: str) -> bool:
    """Researchers and administrators add any source; facilitators their session feedback and
    reflections."""
    site_id = site if isinstance(site, int) else site.pk
    if can_code_qual(user, site_id):
        return True
    return kind in FACILITATOR_SOURCE_KINDS and site_id in site_ids(
        user, frozenset({Role.FACILITATOR})
    )


def can_view_pseudonym_map(user: Any, site: Site | int) -> bool:
    """Only administrators may see which name became which pseudonym."""
    site_id = site if isinstance(site, int) else site.pk
    return site_id in site_ids(user, frozenset({Role.ADMINISTRATOR}))


def visible_qual_projects(user: Any) -> QuerySet[QualProject]:
    from balm.qualitative.models import QualProject

    return QualProject.objects.filter(site_id__in=site_ids(user, QUAL_ROLES))


def visible_qual_sources(user: Any) -> QuerySet[Source]:
    """Live sources: all of them at sites where ``user`` codes; at sites where ``user`` is a
    facilitator, the session feedback and reflections they added themselves."""
    from balm.qualitative.models import Source

    live = Source.objects.filter(deleted_at__isnull=True)
    coded = live.filter(site_id__in=site_ids(user, QUAL_ROLES))
    if not _authenticated(user):
        return coded
    own = live.filter(
        site_id__in=site_ids(user, frozenset({Role.FACILITATOR})),
        kind__in=FACILITATOR_SOURCE_KINDS,
        imported_by=user,
    )
    return (coded | own).distinct()


def can_view_qual_source(user: Any, source: Source) -> bool:
    return visible_qual_sources(user).filter(pk=source.pk).exists()


# --- enforcing ---------------------------------------------------------------------------


def require(allowed: bool, message: str = "You do not have access to this.") -> None:
    """Raise :class:`NotAllowed` unless ``allowed``; actions call this with a ``can_*`` result."""
    if not allowed:
        raise NotAllowed(message)
