"""The NinjaAPI instance: authentication, error shapes and the routers.

- Authentication: ``Authorization: Bearer <token>`` (:class:`~balm.api.auth.BearerToken`) or
  the browser session (:class:`~balm.api.auth.SessionCaller`, CSRF-checked on unsafe methods).
  No credentials: 401.
- An object the caller may not see: 404. Seen but not allowed to change (a researcher
  submitting answers): 403.
- User errors (``InvalidInput``) and malformed requests: 422 with every problem
  (``{"detail", "problems": [{"field", "message", "allowed"}]}``). That includes a whole number
  out of range (an id beyond the bigint range, an offset, a limit, a week), refused by the
  request's schema before any query (:mod:`balm.api.schemas`), so never a database error.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from balm.accounts.errors import InvalidInput, NotAllowed, Problem
from balm.api.auth import BearerToken, SessionCaller
from balm.api.problems import problems_body, schema_problems_body
from balm.api.routers import assessments, cohorts, enrolments, fhir, qual, submissions

api = NinjaAPI(
    title="balm API",
    version="1",
    description=(
        "Cohorts, enrolments, questionnaires due, responses, check-ins and scores. "
        "Authenticate with `Authorization: Bearer <token>` or a browser session."
    ),
    auth=[BearerToken(), SessionCaller()],
    urls_namespace="api",
)


@api.exception_handler(InvalidInput)
def invalid_input(request: HttpRequest, error: InvalidInput) -> HttpResponse:
    return api.create_response(request, problems_body(error.problems), status=422)


@api.exception_handler(ValidationError)
def malformed(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return api.create_response(request, schema_problems_body(error.errors), status=422)


#: How django-ninja says a request's body is not JSON (its 400, which the schema does not list).
UNPARSABLE_BODY = "Cannot parse request body"


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    """A body that is not JSON is a malformed request like any other: 422 with the problem.
    Any other ``HttpError`` keeps django-ninja's answer."""
    if error.status_code == 400 and str(error).startswith(UNPARSABLE_BODY):
        problem = Problem("body", "The request body is not valid JSON (UTF-8).")
        return api.create_response(request, problems_body([problem]), status=422)
    return api.create_response(request, {"detail": str(error)}, status=error.status_code)


@api.exception_handler(NotAllowed)
def not_allowed(request: HttpRequest, error: NotAllowed) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(error) or "You do not have access to this."}, status=403
    )


api.add_router("/cohorts", cohorts.router)
api.add_router("/enrolments", enrolments.router)
api.add_router("/assessments", assessments.router)
api.add_router("/", submissions.router)
api.add_router("/fhir", fhir.router)
api.add_router("/qual", qual.router)
