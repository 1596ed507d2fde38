"""Settings fail loudly; the ``balm`` web commands work from a clean process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.support.pgcluster import free_port

BALM = Path(sys.executable).with_name("balm")


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BALM_", "DATABASE_URL"))}
    keep.pop("DJANGO_SETTINGS_MODULE", None)
    return {**keep, **extra}


def _import_settings(**extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import balm.web.settings as s; print(s.DEBUG, s.DATABASES)"],
        env=_env(**extra),
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_required_in_production(tmp_path: Path) -> None:
    result = _import_settings(BALM_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "BALM_SECRET_KEY must be set" in result.stderr


def test_debug_is_off_by_default_and_sqlite_is_in_the_data_dir(tmp_path: Path) -> None:
    result = _import_settings(BALM_SECRET_KEY="x", BALM_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False")
    assert str(tmp_path / "balm.sqlite3") in result.stdout


def test_malformed_setting_stops_start_up(tmp_path: Path) -> None:
    result = _import_settings(BALM_SECRET_KEY="x", BALM_DEBUG="perhaps")
    assert result.returncode != 0 and "BALM_DEBUG='perhaps'" in result.stderr


def test_database_url_selects_the_database() -> None:
    result = _import_settings(
        BALM_SECRET_KEY="x", DATABASE_URL="postgres://u:p@db.example.org:5433/balm"
    )
    assert "django.db.backends.postgresql" in result.stdout and "5433" in result.stdout


def _security(**extra: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import balm.web.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "getattr(s, 'CSRF_TRUSTED_ORIGINS', []), getattr(s, 'SECURE_PROXY_SSL_HEADER', None), "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=_env(BALM_SECRET_KEY="x", **extra),
        capture_output=True,
        text=True,
        check=False,
    )


def test_plain_http_site_keeps_cookies_usable_and_sends_no_hsts() -> None:
    result = _security()
    assert result.stdout.split() == ["False", "False", "[]", "None", "False", "0"]


def test_https_site_behind_a_proxy_is_locked_down() -> None:
    result = _security(
        BALM_SITE_URL="https://pain.example.nhs.uk",
        BALM_BEHIND_TLS_PROXY="1",
        BALM_SSL_REDIRECT="on",
        BALM_HSTS_SECONDS="31536000",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True True ['https://pain.example.nhs.uk'] ('HTTP_X_FORWARDED_PROTO', 'https') "
        "True 31536000"
    )


def test_negative_hsts_stops_start_up() -> None:
    result = _security(BALM_HSTS_SECONDS="-5")
    assert result.returncode != 0 and "BALM_HSTS_SECONDS=-5" in result.stderr


def _email_timeout(**extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import balm.web.settings as s; print(s.EMAIL_TIMEOUT)"],
        env=_env(BALM_SECRET_KEY="x", BALM_EMAIL_HOST="smtp.example.org", **extra),
        capture_output=True,
        text=True,
        check=False,
    )


def test_email_timeout_must_end_a_send_before_its_retry() -> None:
    """A send must end before the check may queue its e-mail again (the retry grace)."""
    assert _email_timeout().stdout.strip() == "30"
    assert _email_timeout(BALM_EMAIL_TIMEOUT="1").stdout.strip() == "1"
    fits = _email_timeout(BALM_EMAIL_TIMEOUT="119", BALM_REMINDER_RETRY_MINUTES="2")
    assert fits.returncode == 0, fits.stderr
    assert fits.stdout.strip() == "119"
    for timeout, retry in [("0", "30"), ("-1", "30"), ("60", "1"), ("1800", "30")]:
        bad = _email_timeout(BALM_EMAIL_TIMEOUT=timeout, BALM_REMINDER_RETRY_MINUTES=retry)
        assert bad.returncode != 0, (timeout, retry)
        assert "ConfigError" in bad.stderr
        assert f"BALM_EMAIL_TIMEOUT={timeout}" in bad.stderr
        assert f"BALM_REMINDER_RETRY_MINUTES={retry}" in bad.stderr
    # checked even before an SMTP server is set, so a bad value is not found later
    unset = _import_settings(BALM_SECRET_KEY="x", BALM_EMAIL_TIMEOUT="0")
    assert unset.returncode != 0 and "BALM_EMAIL_TIMEOUT=0" in unset.stderr


@pytest.mark.slow
def test_balm_demo_loads_once_ends_with_the_log_ins_and_no_warnings(tmp_path: Path) -> None:
    """Issue #8 section 6: the demo's e-mails go to files in its data folder (one line says
    where), nothing warns, and the log-ins and personal links are the last lines printed
    before the first request is logged. Run again, it finds the demo already loaded; ``balm
    manage`` passes a command through to the same data. (One demo serves both checks: loading
    it in a new data folder is the dearest step.)"""
    port = free_port()
    command = [str(BALM), "demo", "--port", str(port), "--data-dir", str(tmp_path)]
    env = _env()
    env.pop("PYTHONWARNINGS", None)  # the warnings a newcomer would see, no more, no fewer
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as reply:
                    assert reply.status == 200
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.communicate()[0]
                    raise AssertionError(f"balm demo did not start: {output}") from None
                time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a loaded machine: what it printed is what counts
            server.kill()
            output, _ = server.communicate()
    before_requests = output.split('] "GET /healthz')[0]
    lines = [line for line in before_requests.splitlines() if line.strip()]
    # (Python's own notes at exit after Ctrl+C are not the start-up's business.)
    assert "warn" not in before_requests.lower(), output
    assert "Subject:" not in output, output  # no e-mail in the terminal
    assert f"E-mails it sends (alerts, questionnaire links) are written to: {tmp_path}" in output
    links = [i for i, line in enumerate(lines) if "/p/" in line]
    login = next(i for i, line in enumerate(lines) if line.startswith("Log in at"))
    assert links and login < links[0]
    # After the last personal link: only the closing line (and the request log's timestamp).
    tail = [line for line in lines[links[-1] + 1 :] if not line.startswith("[")]
    assert tail == [f"Everything here is synthetic. Serving at {base}/ ; press Ctrl+C to stop."]
    sent = list((tmp_path / "emails").iterdir())
    assert sent and any("Subject: Safety answer to review" in f.read_text() for f in sent)
    assert "loaded now" in output
    assert "facilitator    username facilitator" in output

    command = [str(BALM), "demo", "--no-serve", "--data-dir", str(tmp_path)]
    again = subprocess.run(command, env=_env(), capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout and "loaded now" not in again.stdout
    manage = subprocess.run(
        [str(BALM), "manage", "send_due_reminders"],
        env=_env(BALM_DEMO="1", BALM_DATA_DIR=str(tmp_path), BALM_TASKS_BACKEND="immediate"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert manage.returncode == 0, manage.stderr
    assert "queued" in manage.stdout


@pytest.mark.slow
def test_balm_serve_runs_gunicorn_on_the_database_and_stops_cleanly(tmp_path: Path) -> None:
    """``balm serve`` migrates, collects the static files and serves with gunicorn: the health
    check, a page, its stylesheet (WhiteNoise, no debug) and a plain 404; SIGTERM stops it."""
    port = free_port()
    env = _env(BALM_SECRET_KEY="x" * 50, BALM_DATA_DIR=str(tmp_path))
    command = [str(BALM), "serve", "--port", str(port), "--workers", "1", "--threads", "2"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Migrating a new database and collecting the static files takes a while on a busy
        # machine; a server that has not answered by then is stopped, never waited on for ever.
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as reply:
                    assert reply.status == 200
                    assert reply.headers["Server"].startswith("gunicorn")  # not runserver
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    if server.poll() is None:
                        server.kill()
                    output = server.communicate(timeout=60)[0]
                    raise AssertionError(f"balm serve did not start: {output}") from None
                time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/login/", timeout=5) as reply:
            page = reply.read().decode()
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheet is not None, page
        with urllib.request.urlopen(base + stylesheet.group(1), timeout=5) as reply:
            assert reply.status == 200
        # The API docs' Swagger UI: every file it links is collected (hashed names only,
        # ReDoc left out) and served compressed when the browser asks, its source map as it is.
        with urllib.request.urlopen(f"{base}/api/docs", timeout=5) as reply:
            docs = reply.read().decode()
        linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs)
        assert any("swagger-ui-bundle." in url for url in linked), docs
        for url in linked:
            asked = urllib.request.Request(base + url, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(asked, timeout=5) as reply:
                assert reply.status == 200, url
                if url.endswith((".js", ".css")):
                    assert reply.headers["Content-Encoding"] == "gzip", url
        collected = {p.name for p in (tmp_path / "static" / "ninja").iterdir()}
        assert not any(name.startswith("redoc") for name in collected), collected
        assert "swagger-ui-bundle.js" not in collected  # only the hashed copy is kept
        assert any(name.endswith(".map") for name in collected)
        assert not any(name.endswith((".map.gz", ".map.br")) for name in collected), collected
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/no-such-page/", timeout=5)
        assert missing.value.code == 404
        assert "Traceback" not in missing.value.read().decode()
        assert (tmp_path / "balm.sqlite3").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
