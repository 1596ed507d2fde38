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

Within a request (:func:`request_scope`, entered by :mod:`balm.web.middleware`) a user's
memberships and participant record are looked up once and kept for the rest of the request;
a change to a membership or a participant clears them. Outside a request (actions called by
the worker, the command line, tests) every question asks the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


_request_cache: ContextVar[dict[tuple[str, Any], Any] | None] = ContextVar(
    "balm_permission_cache", default=None
)


@contextmanager
def request_scope() -> Iterator[None]:
    """Look each user's memberships up once until the block ends (one request)."""
    token = _request_cache.set({})
    try:
        yield
    finally:
        _request_cache.reset(token)


def forget_lookups() -> None:
    """Drop what the current request has looked up (a membership or participant changed)."""
    cache = _request_cache.get()
    if cache is not None:
        cache.clear()


def _once(kind: str, user: Any, lookup: Any) -> Any:
    cache = _request_cache.get()
    if cache is None:
        return lookup()
    key = (kind, user.pk)
    if key not in cache:
        cache[key] = lookup()
    return cache[key]


def _memberships(user: Any) -> frozenset[tuple[int, str]]:
    """``(site id, role)`` of every membership of ``user``; every site as an administrator,
    facilitator and researcher for a superuser."""
    if user.is_superuser:
        return frozenset(
            (site_id, role)
            for site_id in Site.objects.values_list("id", flat=True)
            for role in STAFF_ROLES
        )
    return frozenset(Membership.objects.filter(user=user).values_list("site_id", "role"))


def site_ids(user: Any, roles: frozenset[str] = STAFF_ROLES) -> set[int]:
    """Ids of the sites where ``user`` holds one of ``roles``."""
    if not _authenticated(user):
        return set()
    held = _once("memberships", user, lambda: _memberships(user))
    return {site_id for site_id, role in held if role in roles}


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
    found: Participant | None = _once(
        "participant", user, lambda: Participant.objects.filter(user=user).first()
    )
    return found


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


def visible_assessments(user: Any) -> QuerySet[Assessment]:
    """The questionnaires of :func:`visible_enrolments`, as joins rather than a subquery of
    enrolments, so the planner can start from a few open questionnaires of a large site."""
    from django.db.models import Q

    from balm.outcomes.models import Assessment

    allowed = Q(enrolment__cohort__site_id__in=site_ids(user))
    participant = participant_of(user)
    if participant is not None:
        allowed |= Q(enrolment__participant=participant)
    return Assessment.objects.filter(allowed)


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


def can_bring_session_notes(user: Any, cohort: Cohort) -> bool:
    """Turn a cohort's session feedback and reflections into qualitative sources: the
    cohort's own facilitators and the site's administrators (their own cohorts' notes only)."""
    if not _authenticated(user):
        return False
    if cohort.site_id in site_ids(user, frozenset({Role.ADMINISTRATOR})):
        return True
    return (
        cohort.site_id in site_ids(user, frozenset({Role.FACILITATOR}))
        and cohort.facilitators.filter(pk=user.pk).exists()
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


def can_open_qual_workspace(user: Any, site: Site | int) -> bool:
    """Open a project's workspace at all: coders read everything; a facilitator of the site
    reaches only the pages for their own session feedback and reflections."""
    site_id = site if isinstance(site, int) else site.pk
    return can_code_qual(user, site_id) or site_id in site_ids(user, frozenset({Role.FACILITATOR}))


def workspace_qual_projects(user: Any) -> QuerySet[QualProject]:
    """Projects whose workspace ``user`` may open (see :func:`can_open_qual_workspace`)."""
    from balm.qualitative.models import QualProject

    return QualProject.objects.filter(site_id__in=site_ids(user, QUAL_ROLES | {Role.FACILITATOR}))


# --- enforcing ---------------------------------------------------------------------------


def require(allowed: bool, message: str = "You do not have access to this.") -> None:
    """Raise :class:`NotAllowed` unless ``allowed``; actions call this with a ``can_*`` result."""
    if not allowed:
        raise NotAllowed(message)


# --- staff sign-in -------------------------------------------------------------------------


def must_use_two_factor(user: Any) -> bool:
    """Staff who sign in with a second step (a code from an authenticator app) when
    ``BALM_STAFF_2FA`` is on: superusers, administrators and researchers always; facilitators
    at a site that asks (``Site.facilitators_need_two_factor``). Participants never."""
    from django.conf import settings

    if not settings.BALM_STAFF_2FA or not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    for role, facilitators_too in Membership.objects.filter(user=user).values_list(
        "role", "site__facilitators_need_two_factor"
    ):
        if role != Role.FACILITATOR or facilitators_too:
            return True
    return False


def can_manage_sign_in_locks(user: Any) -> bool:
    """Administrators (of any site) and superusers see the sign-in locks page."""
    return bool(administered_site_ids(user))


def lockable_usernames(user: Any) -> QuerySet[Any] | None:
    """Whose locked account ``user`` may unlock: the staff of the sites they administer
    (``None``: anyone's, for a superuser; an empty list for everyone else)."""
    from balm.accounts.models import User

    if not _authenticated(user):
        return User.objects.none().values_list("username", flat=True)
    if user.is_superuser:
        return None
    return (
        User.objects.filter(memberships__site_id__in=administered_site_ids(user))
        .values_list("username", flat=True)
        .distinct()
    )


# --- the audit trail and data-protection duties -------------------------------------------


def visible_audit_events(user: Any) -> QuerySet[Any]:
    """Administrators see the audit trail of the sites they administer (events without a site
    only in the superusers' admin)."""
    from balm.audit.models import AuditEvent

    return AuditEvent.objects.filter(site_id__in=administered_site_ids(user))


def can_view_audit_trail(user: Any) -> bool:
    return bool(administered_site_ids(user))


def can_erase_participant(user: Any, participant: Participant) -> bool:
    """Erasure on request is an administrator's decision at the participant's site."""
    return participant.site_id in administered_site_ids(user)
