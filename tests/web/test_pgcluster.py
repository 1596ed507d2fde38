"""The PostgreSQL runner: a missing server is a skip locally and an error under CI=true."""

from __future__ import annotations

import pytest
from tests.support import pgcluster


def _no_postgres() -> None:
    raise pgcluster.PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found")


def test_missing_postgres_is_an_error_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgcluster, "find_bin_dir", _no_postgres)
    monkeypatch.setenv("CI", "true")
    assert pgcluster.main(["--", "true"]) == 2


def test_missing_postgres_is_a_skip_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgcluster, "find_bin_dir", _no_postgres)
    monkeypatch.delenv("CI", raising=False)
    assert pgcluster.main(["--", "false"]) == 0


def test_usage_without_a_command() -> None:
    assert pgcluster.main([]) == 2


def test_newest_server_version_first() -> None:
    paths = [
        "/usr/lib/postgresql/9.6/bin",
        "/usr/lib/postgresql/15/bin",
        "/usr/lib/postgresql/13/bin",
    ]
    ordered = sorted(paths, key=pgcluster._version_key, reverse=True)
    assert ordered[0].endswith("/15/bin") and ordered[-1].endswith("/9.6/bin")


@pytest.mark.django_db
def test_the_pass_runs_on_the_database_it_claims() -> None:
    """Not marked ``postgres``, so it runs in both passes: in the PostgreSQL pass
    (``BALM_TEST_POSTGRES`` set by the runner) the tests really ran on PostgreSQL, and in the
    SQLite pass on SQLite; a runner that silently fell back to SQLite fails here."""
    import os

    from django.db import connection

    with connection.cursor() as cursor:
        if os.environ.get("BALM_TEST_POSTGRES"):
            cursor.execute("SELECT version()")
            assert cursor.fetchone()[0].startswith("PostgreSQL")
            assert connection.vendor == "postgresql"
        else:
            cursor.execute("SELECT sqlite_version()")
            assert cursor.fetchone()[0][0] == "3"
            assert connection.vendor == "sqlite"
