"""Pages carry health data: no browser or proxy keeps a copy (``Cache-Control: no-store``).

Static files never reach this middleware (WhiteNoise answers them earlier), so they stay
cacheable; a view that sets its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


def no_store(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:  # type: ignore[type-arg]
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response

    return middleware


def permission_lookups_once(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:  # type: ignore[type-arg]
    """Each user's memberships are looked up once per request
    (:func:`balm.accounts.permissions.request_scope`), not at every permission check."""
    from balm.accounts.permissions import request_scope

    def middleware(request: HttpRequest) -> HttpResponse:
        with request_scope():
            return get_response(request)

    return middleware


def permissions_policy(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:  # type: ignore[type-arg]
    """``Permissions-Policy``: the browser features balm never uses (camera, microphone,
    location...) are off on every page, so injected content could not ask for them either."""
    from django.conf import settings

    value = settings.PERMISSIONS_POLICY

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", value)
        return response

    return middleware
