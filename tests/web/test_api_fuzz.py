"""schemathesis over the whole API as anonymous, participant and staff (short profile).

Goal: 0 server errors, 0 answers outside the documented statuses, content types and schemas.
The long profile is ``bench/fuzz_api.py``; figures in docs/reliability.md.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client
from tests.web import factories
from tests.web.api_fuzz import CHECKS, fuzz

from balm.api.actions import issue_api_token
from balm.outcomes.actions import submit_response

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("BALM_FUZZ_EXAMPLES", "2"))
SEED = int(os.environ.get("BALM_FUZZ_SEED", "13"))


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _personas(world: Any) -> dict[str, dict[str, str]]:
    gad7 = world.enrolment_p1.assessments.get(instrument_id="gad7", timepoint="baseline")
    submit_response(
        assessment=gad7,
        answers={f"q{i}": 1 for i in range(1, 8)},
        client_id=factories.client_id(),
        by=None,
    )
    _, token = issue_api_token(user=world.facilitator_a, name="fuzz", by=None)
    _, researcher = issue_api_token(user=world.researcher_a, name="fuzz", by=None)
    return {
        "anonymous": {},
        "participant": {"Cookie": _session_cookie(world.p1_user)},
        "facilitator": {"Authorization": f"Bearer {token}"},
        "researcher": {"Authorization": f"Bearer {researcher}"},
    }


def test_the_whole_schema_as_every_persona(world: Any) -> None:
    personas = _personas(world)
    report = fuzz(personas, examples=EXAMPLES, seed=SEED)
    print()
    print(report.summary())
    assert report.operations >= 10  # the schema was loaded, not an empty one
    assert set(report.personas) == set(personas)  # every persona sent requests
    assert report.statuses[200] > 0 and report.statuses[401] > 0  # staff got in, nobody did not
    for kind in CHECKS:
        assert report.count(kind) == 0, report.summary()


# Regressions for what the fuzzing found.


def test_a_body_that_is_not_json_is_a_422_naming_the_body(world: Any) -> None:
    """Found by schemathesis: django-ninja answered an unparsable body with a 400 the schema
    does not list; it is a malformed request, so the documented 422 problems body."""
    _, token = issue_api_token(user=world.facilitator_a, name="t", by=None)
    for path in ("/api/checkins", "/api/qual/memos", "/api/responses"):
        answer = Client().post(
            path,
            data=b"\xff{not json",
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 422, (path, answer.content)
        assert [p["field"] for p in answer.json()["problems"]] == ["body"]


def test_fhir_answers_are_documented_as_fhir_json(world: Any) -> None:
    """Found by schemathesis: FHIR reads answer ``application/fhir+json`` but the schema said
    only ``application/json``."""
    schema = Client().get("/api/openapi.json").json()
    fhir = {path: ops for path, ops in schema["paths"].items() if path.startswith("/api/fhir/")}
    assert len(fhir) >= 6
    for path, operations in fhir.items():
        for method, operation in operations.items():
            ok = [s for s in ("200", "201") if s in operation["responses"]]
            assert ok, (method, path)
            for status in ok:
                content = operation["responses"][status]["content"]
                assert "application/fhir+json" in content, (method, path, status)
    _, token = issue_api_token(user=world.facilitator_a, name="t", by=None)
    answer = Client().get("/api/fhir/Questionnaire", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/fhir+json")
