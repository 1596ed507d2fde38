"""Pages carry health data: no browser or proxy keeps a copy (``Cache-Control: no-store``).

Static files never reach this middleware (WhiteNoise answers them earlier), so they stay
cacheable; a view that sets its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

# What ``django.utils.cache.add_never_cache_headers`` writes on a response without a
# Cache-Control header, written out: it parses and re-joins the header twice per response,
# which cost a tenth of the middleware's time on the submission path.
# ``tests/web/test_no_store.py`` holds the headers equal to Django's.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def no_store(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:  # type: ignore[type-arg]
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            # add_never_cache_headers(response), as Django writes it
            if not response.has_header("Expires"):
                response.headers["Expires"] = http_date(time.time())
            response.headers["Cache-Control"] = NEVER_CACHE
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
