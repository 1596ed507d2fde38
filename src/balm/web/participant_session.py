"""Who the participant is on this request: a linked account, or a personal link opened in
this browser session (re-checked on every request, so revoking a link works at once).

A personal-link session lasts until the browser closes and ends after
:data:`LINK_IDLE_SECONDS` without a request, so a shared phone or clinic tablet does not keep
someone's health record open; the link itself still works to come back, and saved answers
stay. "Sign out (forget this device)" ends it at once (:func:`forget_link`).
"""

from __future__ import annotations

import time

from django.http import HttpRequest

from balm.accounts.models import Participant, ParticipantLink

SESSION_KEY = "balm_participant_link"
SEEN_KEY = "balm_participant_seen"
#: Thirty minutes without a page: long enough for one questionnaire page, short enough that
#: the next person to pick up a clinic tablet does not find it open.
LINK_IDLE_SECONDS = 30 * 60


def remember_link(request: HttpRequest, link: ParticipantLink) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = link.pk
    request.session[SEEN_KEY] = time.time()
    request.session.set_expiry(0)  # the cookie ends when the browser closes


def forget_link(request: HttpRequest) -> None:
    """End this browser's personal-link session (a new session key, nothing kept)."""
    request.session.flush()


def current_participant(request: HttpRequest) -> Participant | None:
    link_id = request.session.get(SESSION_KEY)
    if link_id is not None:
        seen = request.session.get(SEEN_KEY, 0.0)
        now = time.time()
        link = (
            ParticipantLink.objects.select_related("participant__site").filter(pk=link_id).first()
        )
        if link is not None and link.is_active() and now - seen <= LINK_IDLE_SECONDS:
            if now - seen > 60:  # at most one session write a minute
                request.session[SEEN_KEY] = now
            return link.participant
        request.session.pop(SESSION_KEY, None)
        request.session.pop(SEEN_KEY, None)
    user = request.user
    if user.is_authenticated:
        return Participant.objects.select_related("site").filter(user=user).first()
    return None
