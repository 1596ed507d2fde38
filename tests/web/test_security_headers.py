"""Every page and API answer carries the security headers: a Content-Security-Policy with no
inline script or style, X-Content-Type-Options, Referrer-Policy, X-Frame-Options DENY,
Cross-Origin-Opener-Policy, Permissions-Policy, HSTS on HTTPS, and ``Cache-Control:
no-store`` (health data must not stay in a browser's or proxy's cache). The URL conf is
walked with a staff member, a participant and nobody signed in."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from tests.web.test_settings_cli import BALM, _env
from tests.web.url_walk import pages, world_values

from balm.accounts.actions import issue_participant_link
from balm.api.actions import issue_api_token

pytestmark = pytest.mark.django_db


def assert_secure_headers(answer, where: str) -> None:  # type: ignore[no-untyped-def]
    csp = answer.get("Content-Security-Policy", "")
    directives = dict(
        ([*part.split(" ", 1), ""])[:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives.get("script-src") == "'self'", f"{where}: {csp!r}"
    assert directives.get("style-src") == "'self'", f"{where}: {csp!r}"
    assert directives.get("default-src") == "'self'", f"{where}: {csp!r}"
    assert directives.get("frame-ancestors") == "'none'", f"{where}: {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert answer.get("X-Content-Type-Options") == "nosniff", where
    assert answer.get("Referrer-Policy") == "same-origin", where
    assert answer.get("X-Frame-Options") == "DENY", where
    assert answer.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert "camera=()" in answer.get("Permissions-Policy", ""), where
    assert "no-store" in answer.get("Cache-Control", ""), f"{where}: {answer.get('Cache-Control')}"


@pytest.mark.parametrize("persona", ["facilitator_a", "p1_user", None])
def test_every_page_carries_the_headers(world, persona) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    if persona is not None:
        client.force_login(getattr(world, persona))
    _, token = issue_participant_link(participant=world.p2, by=None)
    walked = [*pages(world_values(world, link_token=token)), "/admin/accounts/", "/nowhere/"]
    assert len(walked) > 30
    for path in walked:
        for method in (client.get, client.post):
            answer = method(path, secure=True)
            assert_secure_headers(answer, f"{method.__name__.upper()} {path}")
            assert "max-age=" in answer.get("Strict-Transport-Security", ""), path


def test_api_answers_with_health_data_are_not_stored(world) -> None:  # type: ignore[no-untyped-def]
    _, token = issue_api_token(user=world.facilitator_a, name="script", by=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    enrolment = world.enrolment_p1.pk
    for path in (
        "/api/cohorts",
        f"/api/cohorts/{world.cohort_a.pk}",
        f"/api/enrolments/{enrolment}",
        f"/api/enrolments/{enrolment}/assessments",
        "/api/nowhere",
    ):
        assert_secure_headers(client.get(path), path)


def test_no_hsts_on_plain_http(world) -> None:  # type: ignore[no-untyped-def]
    assert "Strict-Transport-Security" not in Client().get("/login/")


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    """``balm manage check --deploy`` with the settings a public server is given (README)."""
    env = _env(
        BALM_SECRET_KEY="x7#q" + os.urandom(32).hex(),
        BALM_DATA_DIR=str(tmp_path),
        BALM_SITE_URL="https://balm.example.org",
        BALM_ALLOWED_HOSTS="balm.example.org",
        BALM_SSL_REDIRECT="1",
        BALM_BEHIND_TLS_PROXY="1",
        BALM_HSTS_INCLUDE_SUBDOMAINS="1",
        BALM_HSTS_PRELOAD="1",
    )
    result = subprocess.run(
        [str(BALM), "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
