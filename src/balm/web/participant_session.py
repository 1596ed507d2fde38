"""Who the participant is on this request: a linked account, or a personal link opened in
this browser session (re-checked on every request, so revoking a link works at once).

A participant's session, by personal link or by signing in to their account, lasts until the
browser closes and ends after :data:`LINK_IDLE_SECONDS` without a request, so a shared phone
or clinic tablet does not keep someone's health record open; the link itself still works to
come back, and saved answers stay. "Sign out (forget this device)" ends it at once
(:func:`forget_link`). Staff sessions have their own idle limit (:mod:`balm.web.staff_session`).
"""

from __future__ import annotations

import time

from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from balm.accounts.models import Participant, ParticipantLink
from balm.web.compiled_query import CompiledQuery

SESSION_KEY = "balm_participant_link"
SEEN_KEY = "balm_participant_seen"
#: Thirty minutes without a page: long enough for one questionnaire page, short enough that
#: the next person to pick up a clinic tablet does not find it open.
LINK_IDLE_SECONDS = 30 * 60

# The session's link with its participant and site, read on every participant request: the
# SQL of ``...filter(pk=link_id).first()``, compiled once (``balm.web.compiled_query``).
_LINK = CompiledQuery(
    lambda link_id: ParticipantLink.objects.select_related("participant__site").filter(pk=link_id)[
        :1
    ],
    kinds=(int,),
)


def remember_link(request: HttpRequest, link: ParticipantLink) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = link.pk
    _start_participant_session(request)


def _start_participant_session(request: HttpRequest) -> None:
    request.session[SEEN_KEY] = time.time()
    request.session.set_expiry(0)  # the cookie ends when the browser closes


def _still_active(request: HttpRequest) -> bool:
    """Whether this participant session had a request within :data:`LINK_IDLE_SECONDS`
    (noting this one); a session without the mark (from before it was kept) counts as idle."""
    seen = request.session.get(SEEN_KEY, 0.0)
    now = time.time()
    if now - seen > LINK_IDLE_SECONDS:
        return False
    if now - seen > 60:  # at most one session write a minute
        request.session[SEEN_KEY] = now
    return True


@receiver(user_logged_in, dispatch_uid="balm.participant_session.account_log_in")
def _participant_logged_in(
    sender: object, request: HttpRequest | None, user: object, **_: object
) -> None:
    """A participant signing in to their account gets a personal link's session."""
    if request is not None and Participant.objects.filter(user=user).exists():
        _start_participant_session(request)


def forget_link(request: HttpRequest) -> None:
    """End this browser's personal-link session (a new session key, nothing kept)."""
    request.session.flush()


def current_participant(request: HttpRequest) -> Participant | None:
    link_id = request.session.get(SESSION_KEY)
    if link_id is not None:
        found = _LINK.fetch(link_id) if isinstance(link_id, int) else []
        link = found[0] if found else None
        if link is not None and link.is_active() and _still_active(request):
            return link.participant
        request.session.pop(SESSION_KEY, None)
        request.session.pop(SEEN_KEY, None)
    user = request.user
    if not user.is_authenticated:
        return None
    participant = Participant.objects.select_related("site").filter(user=user).first()
    if participant is not None and not _still_active(request):
        logout(request)  # the account's session ends as a link's does
        return None
    return participant
