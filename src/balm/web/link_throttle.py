"""Personal links: an address that opens many unknown links is made to wait.

A token has 256 random bits, so guessing one is hopeless; the limit stops a script flooding
the server (and its logs) all the same. django-axes counts failed sign-ins against a
username, and a personal link has none (a shared pseudo-username would lock every
participant out at once), so this counts failures per address in Django's cache:
``BALM_LINK_FAILURES_PER_HOUR`` unknown, expired or revoked links an hour, then 429 until
the hour is over. With the default per-process cache each server process counts on its
own (with ``N`` processes an address gets up to ``N`` times the limit); a shared cache
(``CACHES``) makes it one count.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from balm.web.client_ip import client_ip

WINDOW_SECONDS = 3600


def _key(request: HttpRequest) -> str:
    return f"balm.link-failures:{client_ip(request)}"


def too_many_failures(request: HttpRequest) -> bool:
    return int(cache.get(_key(request), 0)) >= settings.BALM_LINK_FAILURES_PER_HOUR


def note_failure(request: HttpRequest) -> None:
    key = _key(request)
    cache.add(key, 0, WINDOW_SECONDS)  # the window starts at the first failure
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls: start a new window
        cache.set(key, 1, WINDOW_SECONDS)
