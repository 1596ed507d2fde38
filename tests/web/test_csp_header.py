"""``balm.web.csp_header.CSPMiddleware`` writes exactly what django-csp's own middleware (the
reference, run on the same request and response) writes: the enforced and report-only
headers, their exemptions and excluded prefixes, a view's own policy, a nonce, the debug
pages, a changed setting; and asking for a nonce after the response is still an error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from csp.constants import NONCE
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory, override_settings

from balm.web.csp_header import CSPMiddleware


def _both(
    make: Callable[[], HttpResponse],
    path: str = "/api/responses",
    view: Callable[[HttpRequest], object] = lambda request: None,
) -> list[tuple[dict[str, str], HttpRequest]]:
    answers = []
    for middleware in (DjangoCSPMiddleware, CSPMiddleware):
        request = RequestFactory().post(path)

        def get_response(request: HttpRequest) -> HttpResponse:
            view(request)
            return make()

        response = middleware(get_response)(request)
        answers.append((dict(response.headers), request))
    return answers


def _exempt() -> HttpResponse:
    response = HttpResponse("x")
    response._csp_exempt = True  # type: ignore[attr-defined]  # as @csp_exempt() sets it
    return response


def _own_policy() -> HttpResponse:
    response = HttpResponse("x")
    response._csp_update = {"img-src": ["https://maps.example"]}  # type: ignore[attr-defined]
    return response


CASES: dict[str, Callable[[], HttpResponse]] = {
    "json": lambda: JsonResponse({"id": 1}, status=201),
    "page": lambda: HttpResponse("<p>page</p>"),
    "own header": lambda: HttpResponse(headers={"Content-Security-Policy": "default-src 'none'"}),
    "exempt": _exempt,
    "own policy": _own_policy,
    "not found": lambda: HttpResponse(status=404),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("path", ["/api/responses", "/me/"])
def test_the_headers_are_django_csps(case: str, path: str) -> None:
    (reference, _), (ours, _) = _both(CASES[case], path)
    assert ours == reference
    if case in ("json", "page", "not found"):
        assert "'unsafe-inline'" not in ours["Content-Security-Policy"]
        assert "default-src 'self'" in ours["Content-Security-Policy"]


@override_settings(
    CONTENT_SECURITY_POLICY={
        "EXCLUDE_URL_PREFIXES": ["/api/"],
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]},
    },
    CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"default-src": ["'none'"]}},
)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("path", ["/api/responses", "/me/"])
def test_a_changed_setting_is_followed(case: str, path: str) -> None:
    (reference, _), (ours, _) = _both(CASES[case], path)
    assert ours == reference
    if case == "json":
        assert ours["Content-Security-Policy-Report-Only"] == "default-src 'none'"
        assert ("Content-Security-Policy" in ours) is (path == "/me/")


@override_settings(
    CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'self'"], "script-src": [NONCE]}}
)
def test_a_nonce_used_by_the_view_is_in_the_header() -> None:
    (reference, first), (ours, second) = _both(
        lambda: HttpResponse("x"), view=lambda request: str(request.csp_nonce)
    )
    nonces = [first._csp_nonce, second._csp_nonce]  # type: ignore[attr-defined]
    assert (
        ours["Content-Security-Policy"].replace(nonces[1], nonces[0])
        == (reference["Content-Security-Policy"])
    )
    assert f"'nonce-{nonces[1]}'" in ours["Content-Security-Policy"]


@override_settings(DEBUG=True)
def test_debug_pages_get_no_header_as_with_django_csp() -> None:
    (reference, _), (ours, _) = _both(lambda: HttpResponse(status=404))
    assert ours == reference and "Content-Security-Policy" not in ours


def test_a_nonce_asked_for_after_the_response_is_an_error() -> None:
    for _, request in _both(CASES["json"]):
        with pytest.raises(CSPNonceError):
            str(request.csp_nonce)  # type: ignore[attr-defined]
