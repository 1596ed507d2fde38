"""Who the participant is on this request: a linked account, or a personal link opened in
this browser session (re-checked on every request, so revoking a link works at once)."""

from __future__ import annotations

from django.http import HttpRequest

from balm.accounts.models import Participant, ParticipantLink

SESSION_KEY = "balm_participant_link"


def remember_link(request: HttpRequest, link: ParticipantLink) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = link.pk


def current_participant(request: HttpRequest) -> Participant | None:
    link_id = request.session.get(SESSION_KEY)
    if link_id is not None:
        link = (
            ParticipantLink.objects.select_related("participant__site").filter(pk=link_id).first()
        )
        if link is not None and link.is_active():
            return link.participant
        request.session.pop(SESSION_KEY, None)
    user = request.user
    if user.is_authenticated:
        return Participant.objects.select_related("site").filter(user=user).first()
    return None
