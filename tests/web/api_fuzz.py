"""schemathesis over the whole OpenAPI schema, in-process (Django's WSGI handler, no server).

Every operation is fuzzed as each persona (nobody, a participant through their session, staff
through a bearer token), with cases that fit the schema and cases that break it. Each answer is
checked for a server error (a 5xx), a status code the operation does not document, a
content type it does not document, and a body that breaks the documented schema. Used by
``tests/web/test_api_fuzz.py`` (short profile) and ``bench/fuzz_api.py`` (long profile).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SCHEMA_PATH = "/api/openapi.json"

#: What each check's failure counts as in the figures.
CHECKS: dict[str, Callable[..., Any]] = {
    "server error": not_a_server_error,
    "undocumented status": status_code_conformance,
    "undocumented content type": content_type_conformance,
    "schema violation": response_schema_conformance,
}


@dataclass
class Finding:
    persona: str
    operation: str
    kind: str
    status: int
    detail: str
    reproduce: str


@dataclass
class Report:
    operations: int = 0
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    personas: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    def summary(self) -> str:
        lines = [
            f"operations: {self.operations}",
            f"examples tried: {self.examples}",
            "by persona: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.personas.items())),
            "answers by status: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())),
        ]
        lines += [f"{kind} findings: {self.count(kind)}" for kind in CHECKS]
        seen: set[tuple[str, str, str]] = set()
        for f in self.findings:
            key = (f.operation, f.kind, f.detail[:80])
            if key not in seen:
                seen.add(key)
                lines.append(f"  [{f.kind}] {f.persona} {f.operation} -> {f.status}: {f.detail}")
                lines.append(f"      {f.reproduce}")
        return "\n".join(lines)


def _one_failure_kind(error: BaseException) -> list[tuple[str, str]]:
    """(kind, message) for each failed check in ``error``."""
    errors = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
    found = []
    for failure in errors:
        title = getattr(failure, "title", type(failure).__name__)
        message = (getattr(failure, "message", "") or str(failure)).strip().replace("\n", " ")
        names = getattr(failure, "checks", ())
        kind = next(
            (name for name, check in CHECKS.items() if check.__name__ in names),
            "schema violation",
        )
        found.append((kind, f"{title}: {message[:300]}"))
    return found


def fuzz(
    personas: dict[str, dict[str, str]],
    *,
    examples: int,
    seed: int,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Report:
    """Fuzz every operation with about ``examples`` cases per persona (``name -> request
    headers``) and generation mode, each case sent as a drawn persona; deterministic for a
    given ``seed``. One Hypothesis run per operation (a run per persona and mode costs more
    in set-up than in requests)."""
    # As Django's test client does: the handler's request signals would close the test's
    # connection (it is inside the test's transaction), which on PostgreSQL ends the test.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        return _fuzz(personas, examples, seed, modes)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz(
    personas: dict[str, dict[str, str]],
    examples: int,
    seed: int,
    modes: tuple[GenerationMode, ...],
) -> Report:
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler())
    report = Report()
    operations = [result.ok() for result in schema.get_all_operations()]
    report.operations = len(operations)
    for operation in operations:
        cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes))
        _fuzz_one(
            report,
            operation.label,
            cases,
            personas,
            examples * len(modes) * len(personas),
            seed,
        )
    return report


def _fuzz_one(
    report: Report,
    label: str,
    cases: Any,
    personas: dict[str, dict[str, str]],
    examples: int,
    seed: int,
) -> None:
    checks = list(CHECKS.values())

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.seed(seed)
    @given(case=cases, persona=st.sampled_from(sorted(personas)))
    def run(case: Any, persona: str) -> None:
        headers = personas[persona]
        report.examples += 1
        report.personas[persona] += 1

        def found(kind: str, status: int, detail: str) -> None:
            report.findings.append(
                Finding(persona, label, kind, status, detail, case.as_curl_command(headers=headers))
            )

        try:
            # The in-process transport re-raises the view's exception instead of a 500.
            response = case.call(headers=headers)
        except Exception as error:
            report.statuses[500] += 1
            found("server error", 500, f"{type(error).__name__}: {error}"[:300])
            return
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (AssertionError, FailureGroup) as error:
            for kind, detail in _one_failure_kind(error):
                found(kind, response.status_code, detail)

    run()
