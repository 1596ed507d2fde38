"""Who is calling: a bearer token, or the browser session (staff, a participant's account, or
a participant's personal link). Either way the endpoint gets a :class:`Caller`.

Session authentication checks CSRF on unsafe methods (django-ninja's cookie authentication
runs Django's CSRF check); a bearer token needs none, since a browser never sends it by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.query import MAX_GET_RESULTS
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja.security import APIKeyCookie, HttpBearer

from balm.accounts import permissions
from balm.accounts.models import Participant, Site, User
from balm.api.actions import note_api_token_used
from balm.api.models import ApiToken
from balm.outcomes.models import Assessment
from balm.programmes.models import Cohort, Enrolment
from balm.web.compiled_query import CompiledQuery
from balm.web.participant_session import current_participant
from balm.web.staff_session import second_step_missing

# A personal link's questionnaire for a submission, with its enrolment, group and site: the
# SQL of ``get_object_or_404(visible_assessments().select_related(...), pk=...)``, compiled
# once (``balm.web.compiled_query``); building it was the dearest step of a submission.
_LINK_ASSESSMENT = CompiledQuery(
    lambda participant_id, pk: (
        Assessment.objects.filter(enrolment__participant=participant_id)
        .select_related("enrolment__cohort__site")
        .filter(pk=pk)
        .order_by()[:MAX_GET_RESULTS]
    ),
    kinds=(int, int),
)


@dataclass(frozen=True)
class Caller:
    """A logged-in user (through a token or the session) or a participant who opened their
    personal link (no account). What each may see comes from ``balm.accounts.permissions``;
    a personal-link participant sees only their own enrolments, as on the pages."""

    user: User | None = None
    link_participant: Participant | None = None
    token: ApiToken | None = None

    @property
    def actor(self) -> User | Participant | None:
        return self.user if self.user is not None else self.link_participant

    def visible_cohorts(self) -> QuerySet[Cohort]:
        if self.user is not None:
            return permissions.visible_cohorts(self.user)
        return Cohort.objects.filter(enrolments__participant=self.link_participant).distinct()

    def visible_enrolments(self) -> QuerySet[Enrolment]:
        if self.user is not None:
            return permissions.visible_enrolments(self.user)
        return Enrolment.objects.filter(participant=self.link_participant)

    def visible_assessments(self) -> QuerySet[Assessment]:
        """The questionnaires of :meth:`visible_enrolments`. For a personal link this is a
        plain join on the participant, not a subquery: half the work on the submission path."""
        if self.user is not None:
            return permissions.visible_assessments(self.user)
        return Assessment.objects.filter(enrolment__participant=self.link_participant)

    def assessment(self, pk: int) -> Assessment:
        """One of :meth:`visible_assessments`, with ``enrolment__cohort__site`` selected;
        404 when it is not one of them."""
        if self.user is not None or self.link_participant is None:
            query = self.visible_assessments().select_related("enrolment__cohort__site")
            return get_object_or_404(query, pk=pk)
        found = _LINK_ASSESSMENT.fetch(self.link_participant.pk, pk)
        if len(found) != 1:  # none (a pk is unique, so never more)
            raise Http404("No Assessment matches the given query.")
        return found[0]

    def is_staff_at(self, site: Site) -> bool:
        return self.user is not None and permissions.can_view_pseudonymised(self.user, site)

    def identifiable(self, site: Site) -> bool:
        """May see names and e-mail addresses at ``site`` (never researchers)."""
        return self.user is not None and permissions.can_view_identifiable(self.user, site)


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from ``balm manage issue_api_token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        api_token = ApiToken.find_active(token.strip())
        if api_token is None:
            return None
        note_api_token_used(token=api_token)
        return Caller(user=api_token.user, token=api_token)


class SessionCaller(APIKeyCookie):
    """The Django session: a logged-in user, or a participant's personal link opened in this
    browser (re-checked on every request). Unsafe methods need the CSRF token. Staff who must
    sign in with a second step and have not given their code yet are not signed in here."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user: Any = request.user
        if user.is_authenticated and user.is_active:
            if second_step_missing(request):
                return None
            return Caller(user=user)
        participant = current_participant(request)
        if participant is not None:
            return Caller(link_participant=participant)
        return None
