"""Every operation in /api/openapi.json documents each answer it can give, with a schema, so
clients and fuzzers can rely on the schema (the rules: balm.api.api)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ERROR_SCHEMAS = {"401": "ErrorOut", "403": "ErrorOut", "404": "ErrorOut", "409": "ErrorOut"}


def _expected(method: str, operation: dict) -> set[str]:  # type: ignore[type-arg]
    """Which error answers apply: derived from the operation's shape, not from balm's code."""
    params = operation.get("parameters", [])
    wanted = set()
    if operation.get("security"):
        wanted.add("401")
    if params or "requestBody" in operation:
        wanted.add("422")
    if any(p["in"] == "path" for p in params) or "requestBody" in operation:
        wanted.add("404")  # an id the caller may not see, in the path or the body
    if method in {"post", "put", "patch", "delete"}:
        wanted |= {"403", "409"}
    return wanted


def test_every_operation_lists_its_error_answers_with_schemas() -> None:
    schema = Client().get("/api/openapi.json").json()
    checked = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            answers = operation["responses"]
            for code in _expected(method, operation):
                assert code in answers, (method, path, code)
                ref = answers[code]["content"]["application/json"]["schema"]["$ref"]
                name = ERROR_SCHEMAS.get(code, "ProblemsOut")
                assert ref.endswith(f"/{name}"), (method, path, code, ref)
                checked += 1
    assert checked >= 6 * 3  # every operation has at least 401, 422 and 404 or a page
    print(f"openapi: {checked} documented error answers checked")


def test_documented_401_is_what_the_api_answers() -> None:
    answer = Client().get("/api/cohorts")
    assert answer.status_code == 401 and set(answer.json()) == {"detail"}
