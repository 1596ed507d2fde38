"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def balm(request: HttpRequest) -> dict[str, object]:
    return {"balm_demo": settings.DEMO}
