"""django-csp's middleware, with the settings' policy built once instead of twice per response.

``csp.middleware.CSPMiddleware`` builds the enforced and the report-only policy from the
settings on every response (copying and joining every directive), about a tenth of the
middleware's CPU on ``POST /api/responses``. A response that asks for nothing of its own
(no ``@csp_update``/``@csp_replace``/``@csp`` on its view, no nonce used) always gets the
same two values, so they are built once and kept until a ``CONTENT_SECURITY_POLICY*`` setting
changes; every other response goes through django-csp itself. What is written is django-csp's
(``tests/web/test_csp_header.py`` compares the headers and the nonce guard, case by case).
"""

from __future__ import annotations

import http.client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# The response attributes django-csp's decorators set for a view's own policy.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_PAGES = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")

# (header, value, the response attribute exempting it, its URL prefixes left out); built once
_built: list[tuple[str, str, str, tuple[str, ...]]] | None = None


@receiver(setting_changed, dispatch_uid="balm.csp_header.setting_changed")
def _forget(*, setting: str, **_: Any) -> None:
    global _built
    if setting in _SETTINGS:
        _built = None


def _headers() -> list[tuple[str, str, str, tuple[str, ...]]]:
    global _built
    if _built is None:
        built = []
        for setting, header, exempt, report_only in (
            (_SETTINGS[0], HEADER, "_csp_exempt", False),
            (_SETTINGS[1], HEADER_REPORT_ONLY, "_csp_exempt_ro", True),
        ):
            value = build_policy(report_only=report_only)
            policy = getattr(settings, setting, None) or {}
            prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
            if value:
                built.append((header, value, exempt, prefixes))
        _built = built
    return _built


class CSPMiddleware(DjangoCSPMiddleware):  # type: ignore[misc]
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _OWN_POLICY
        ):
            return super().process_response(request, response)  # type: ignore[no-any-return]
        if response.status_code in _DEBUG_PAGES and settings.DEBUG:
            return response
        for header, value, exempt, prefixes in _headers():
            if (
                header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = value
        # As django-csp: no nonce was made, so asking for one from now on is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
