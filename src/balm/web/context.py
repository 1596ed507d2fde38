"""Template context shared by every page."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest

from balm.accounts import permissions


def balm(request: HttpRequest) -> dict[str, object]:
    @cache
    def is_staff() -> bool:
        """Staff navigation (asked only when a template shows it, once per request)."""
        return permissions.is_staff_member(getattr(request, "user", None))

    return {"balm_demo": settings.DEMO, "balm_is_staff": is_staff}
