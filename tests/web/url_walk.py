"""Every page of the URL conf as a concrete address, for tests that must hold on every page
(security headers, the two-factor gate). Parameters are filled by name from the test world;
an unknown one gets a placeholder (the page may answer 404, which must carry the headers
too), so a page added later is walked without changing this file."""

from __future__ import annotations

import re
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    found = []
    for entry in patterns:
        route = getattr(entry.pattern, "_route", None)
        if route is None:  # a regular-expression pattern (the admin's app index): sampled apart
            continue
        if isinstance(entry, URLResolver):
            found.extend(_routes(entry.url_patterns, prefix + route))
        elif isinstance(entry, URLPattern):
            found.append(prefix + route)
    return found


def pages(values: dict[str, Any]) -> list[str]:
    """Every route with its parameters filled from ``values`` (by name), sorted, unique."""

    def fill(match: re.Match[str]) -> str:
        name, converter = match["name"], match["converter"] or "str"
        if name in values:
            return str(values[name])
        return "1" if converter == "int" else "x"

    return sorted({"/" + _PARAM.sub(fill, route) for route in _routes(get_resolver().url_patterns)})


def world_values(world: Any, link_token: str = "x") -> dict[str, Any]:
    """Parameter values for the persona world of tests/web/conftest.py."""
    assessment = world.enrolment_p1.assessments.order_by("pk").first()
    return {
        "cohort_id": world.cohort_a.pk,
        "site_id": world.site_a.pk,
        "enrolment_id": world.enrolment_p1.pk,
        "participant_id": world.p1.pk,
        "session_id": world.cohort_a.sessions.order_by("pk").first().pk,
        "assessment_id": assessment.pk if assessment else 1,
        "instrument_id": "phq9",
        "token": link_token,
        "object_id": world.site_a.pk,
    }
