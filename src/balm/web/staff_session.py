"""Signed-in staff: the session ends after ``BALM_STAFF_IDLE_MINUTES`` without a request, and
someone who must sign in with a second step (:func:`balm.accounts.permissions.must_use_two_factor`)
reaches no page but the two-factor ones until they have given a code.

Participants' own sessions are kept by :mod:`balm.web.participant_session`. API calls are
refused by the session authentication instead of redirected (:func:`second_step_missing`,
asked by :class:`balm.api.auth.SessionCaller`); a bearer token is not a session and is
unaffected (it is made on a page that needs the second step).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from balm.accounts import permissions
from balm.accounts.models import Participant

SEEN_KEY = "balm_staff_seen"
# The pages someone half signed in (password, no code yet) may reach.
_OPEN_NAMES = ("login", "logout", "two-factor", "two-factor-setup", "admin:logout")


@cache
def _open_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in _OPEN_NAMES)


def second_step_missing(request: HttpRequest) -> bool:
    """Signed in with a password only, by someone who must also give a code."""
    user: Any = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return permissions.must_use_two_factor(user)


@receiver(user_logged_in, dispatch_uid="balm.staff_session.signed_in")
def _signed_in(sender: object, request: HttpRequest | None, user: object, **_: object) -> None:
    """The idle clock starts at sign-in (and the first page then needs no session write)."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = time.time()


def _idle_too_long(request: HttpRequest) -> bool:
    """Whether this signed-in session went ``BALM_STAFF_IDLE_MINUTES`` without a request
    (noting this one, at most one session write a minute)."""
    now = time.time()
    seen = request.session.get(SEEN_KEY)
    if (
        seen is not None
        and now - seen > settings.BALM_STAFF_IDLE_MINUTES * 60
        # a participant's account has its own limit (balm.web.participant_session)
        and not Participant.objects.filter(user=request.user).exists()
    ):
        return True
    if seen is None or now - seen > 60:
        request.session[SEEN_KEY] = now
    return False


def staff_session(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:  # type: ignore[type-arg]
    def middleware(request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return get_response(request)
        if _idle_too_long(request):
            logout(request)
            if not request.path.startswith("/api/"):
                messages.info(
                    request,
                    f"You were signed out after {settings.BALM_STAFF_IDLE_MINUTES} minutes "
                    "without activity. Sign in again to carry on.",
                )
                return redirect_to_login(request.get_full_path())
            return get_response(request)
        if (
            not request.path.startswith("/api/")
            and request.path not in _open_paths()
            and second_step_missing(request)
        ):
            return redirect_to_login(request.get_full_path(), reverse("two-factor"))
        return get_response(request)

    return middleware
