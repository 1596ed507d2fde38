"""``balm.web.middleware.no_store`` writes what Django's ``add_never_cache_headers`` writes
(the reference: its headers on the same response), without parsing the header twice."""

from __future__ import annotations

import time

import pytest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from balm.web.middleware import no_store


def _through(response: HttpResponse) -> HttpResponse:
    return no_store(lambda request: response)(HttpRequest())


def _by_django(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


@pytest.mark.parametrize(
    "make",
    [
        lambda: HttpResponse("page"),
        lambda: JsonResponse({"id": 1}, status=201),
        lambda: HttpResponse(status=302, headers={"Location": "/"}),
        lambda: HttpResponse(headers={"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}),
    ],
)
def test_the_headers_are_djangos(make) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):  # the Expires date is to the second: again if a second turned
        second = int(time.time())
        ours, django = _through(make()), _by_django(make())
        if int(time.time()) == second:
            break
    assert dict(ours.headers) == dict(django.headers)
    assert ours["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_a_view_that_sets_its_own_cache_control_keeps_it() -> None:
    response = _through(HttpResponse(headers={"Cache-Control": "max-age=60"}))
    assert response["Cache-Control"] == "max-age=60" and not response.has_header("Expires")
