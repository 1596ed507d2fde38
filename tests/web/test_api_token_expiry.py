"""API tokens expire after their site's lifetime (shown on the tokens page; an expired token
is a 401), note their last use at most once a minute, and personal-link tokens never reach
a log line (Django's request log, runserver's and gunicorn's access logs)."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.accounts.actions import add_membership, issue_participant_link
from balm.api.actions import issue_api_token, token_lifetime_days
from balm.api.models import ApiToken
from balm.web.log_redaction import RedactLinks, redact
from balm.web.server import RedactingLogger

pytestmark = pytest.mark.django_db


def test_a_token_lasts_its_sites_lifetime_the_shortest_of_several(world, settings) -> None:  # type: ignore[no-untyped-def]
    world.site_a.api_token_days = 30
    world.site_a.save(update_fields=["api_token_days"])
    world.site_b.api_token_days = 7
    world.site_b.save(update_fields=["api_token_days"])
    assert token_lifetime_days(world.facilitator_a) == 30
    add_membership(user=world.facilitator_a, site=world.site_b, role="researcher", by=None)
    assert token_lifetime_days(world.facilitator_a) == 7
    settings.BALM_API_TOKEN_DAYS = 45
    assert token_lifetime_days(factories.user("nobody_in_particular")) == 45
    before = timezone.now()
    token, _ = issue_api_token(user=world.facilitator_a, name="tablet", by=None)
    assert before + timedelta(days=7) <= token.expires_at <= timezone.now() + timedelta(days=7)


def test_an_expired_token_is_refused_with_401(world) -> None:  # type: ignore[no-untyped-def]
    token, secret = issue_api_token(user=world.facilitator_a, name="tablet", by=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/cohorts").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/cohorts").status_code == 401


def test_last_use_is_written_at_most_once_a_minute(world) -> None:  # type: ignore[no-untyped-def]
    token, secret = issue_api_token(user=world.facilitator_a, name="tablet", by=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get("/api/cohorts")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/api/cohorts")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # within the minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(seconds=61))
    client.get("/api/cohorts")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_the_tokens_page_shows_the_lifetime_and_each_expiry(world) -> None:  # type: ignore[no-untyped-def]
    world.site_a.api_token_days = 14
    world.site_a.save(update_fields=["api_token_days"])
    token, _ = issue_api_token(user=world.facilitator_a, name="old one", by=None)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = Client()
    client.force_login(world.facilitator_a)
    page = client.get(reverse("api-tokens")).content.decode()
    assert "A new token works for 14 days" in page
    assert '<th scope="col">Expires</th>' in page and "Expired" in page


def test_the_redaction_hides_link_tokens_only() -> None:
    assert redact("GET /p/AbC-123_x/ HTTP/1.1") == "GET /p/[link]/ HTTP/1.1"
    assert redact("https://balm.example.org/p/tok?x=1") == "https://balm.example.org/p/[link]?x=1"
    assert redact("GET /api/cohorts/3 HTTP/1.1") == "GET /api/cohorts/3 HTTP/1.1"
    assert redact("GET /me/progress/ HTTP/1.1") == "GET /me/progress/ HTTP/1.1"


def test_django_request_log_never_holds_a_link_token(world, caplog) -> None:  # type: ignore[no-untyped-def]
    _, token = issue_participant_link(participant=world.p1, by=None)
    guessed = "Zz9" * 14
    handler = logging.StreamHandler()
    handler.addFilter(RedactLinks())
    lines: list[str] = []
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        Client().get(f"/p/{guessed}/")  # 404: logged as "Not Found: /p/..."
        Client().get(f"/p/{token}/", HTTP_REFERER=f"https://mail.example.org/p/{token}/")
    finally:
        logger.removeHandler(handler)
    assert any("Not Found: /p/[link]/" in line for line in lines), lines
    assert not any(guessed in line or token in line for line in lines)


def test_the_configured_handlers_redact(settings) -> None:  # type: ignore[no-untyped-def]
    config = settings.LOGGING
    assert "redact_links" in config["handlers"]["console"]["filters"]
    assert config["loggers"]["django.server"]["handlers"] == ["server"]
    assert "redact_links" in config["handlers"]["server"]["filters"]
    record = logging.LogRecord(
        "django.server", 20, "", 0, '"%s" %s', ("GET /p/abc/ HTTP/1.1", 302), None
    )
    RedactLinks().filter(record)
    assert record.getMessage() == '"GET /p/[link]/ HTTP/1.1" 302'


def test_gunicorn_access_log_never_holds_a_link_token() -> None:
    from gunicorn.config import Config

    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/p/secretTOKEN123/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/p/secretTOKEN123/",
        "QUERY_STRING": "",
        "HTTP_REFERER": "https://balm.example.org/p/secretTOKEN123/",
        "REMOTE_ADDR": "10.0.0.1",
    }
    response = SimpleNamespace(status="302 Found", sent=0, headers=[])
    request = SimpleNamespace(headers=[("REFERER", "https://x/p/secretTOKEN123/")])
    atoms = logger.atoms(response, request, environ, timedelta(seconds=0.01))
    line = logger.cfg.access_log_format % atoms
    assert "secretTOKEN123" not in line
    assert "GET /p/[link]/ HTTP/1.1" in line
