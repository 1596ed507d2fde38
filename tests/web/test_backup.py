"""``balm backup`` and ``balm restore``: a round trip into a fresh database gives back every
table, row for row (SQLite always; PostgreSQL in the PostgreSQL pass)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from tests.web import factories

from balm.outcomes.actions import submit_response
from balm.web.backup import BackupError, backup, restore

SQLITE = "django.db.backends.sqlite3"


def _fill(world: Any) -> None:
    """Answers, an alert and audit events besides the personas' rows."""
    phq9 = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="baseline")
    submit_response(
        assessment=phq9,
        answers={**factories.PHQ9_ZEROS, "q9": 2},
        client_id=factories.client_id(),
        by=world.p1,
    )


def _sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }
    finally:
        db.close()


def _sqlite_file_of_test_db(path: Path) -> None:
    """The in-memory test database, copied to a file (as a server's database would be)."""
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()


sqlite_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the SQLite round trip"
)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_sqlite_round_trip_gives_back_every_table(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _fill(world)
    source = tmp_path / "live.sqlite3"
    _sqlite_file_of_test_db(source)
    done = backup({"ENGINE": SQLITE, "NAME": str(source)}, tmp_path / "b.sqlite3")
    assert done.size > 0 and not list(tmp_path.glob(".*part*"))
    fresh = tmp_path / "fresh" / "balm.sqlite3"
    restore({"ENGINE": SQLITE, "NAME": str(fresh)}, done.path)
    before, after = _sqlite_tables(source), _sqlite_tables(fresh)
    assert set(before) == set(after) and len(before) > 30
    assert before == after
    assert before["outcomes_response"] and before["audit_auditevent"]


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_while_another_connection_writes(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The online backup API copies a consistent database while a writer commits."""
    source = tmp_path / "live.sqlite3"
    _sqlite_file_of_test_db(source)
    stop = threading.Event()
    written = [0]

    def write() -> None:
        db = sqlite3.connect(source, timeout=20)
        while not stop.is_set():
            with db:
                db.execute(
                    "INSERT INTO audit_auditevent (action, object_type, object_id, at, details,"
                    " prev_hash, hash) VALUES ('bench.write', 'x', '1', '2026-01-01', '{}', '', '')"
                )
            written[0] += 1
            # A server commits now and then, not without pause: a writer that never lets go
            # of the lock would starve any reader, a backup included.
            stop.wait(0.005)
        db.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = [
            backup({"ENGINE": SQLITE, "NAME": str(source)}, tmp_path / f"{n}.db") for n in range(3)
        ]
    finally:
        stop.set()
        writer.join()
    assert written[0] > 0
    for copy in copies:
        check = sqlite3.connect(copy.path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_what_is_not_a_backup(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    target = {"ENGINE": SQLITE, "NAME": str(tmp_path / "t.sqlite3")}
    with pytest.raises(BackupError, match="not a balm backup"):
        restore(target, junk)
    pgdump = tmp_path / "pg.dump"
    pgdump.write_bytes(b"PGDMP\x01\x0e")
    with pytest.raises(BackupError, match="is a postgresql backup; this database is sqlite"):
        restore(target, pgdump)
    assert not (tmp_path / "t.sqlite3").exists()  # nothing was touched


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_commands_back_up_and_restore_a_data_dir(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live, fresh = tmp_path / "live", tmp_path / "fresh"
    live.mkdir()
    _sqlite_file_of_test_db(live / "balm.sqlite3")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(BALM_SECRET_KEY="x", DJANGO_SETTINGS_MODULE="balm.web.settings")
    balm = [str(Path(sys.executable).parent / "balm")]
    out = tmp_path / "nightly.sqlite3"
    made = subprocess.run(
        [*balm, "backup", "-o", str(out)],
        env={**env, "BALM_DATA_DIR": str(live)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    back = subprocess.run(
        [*balm, "restore", str(out), "--yes"],
        env={**env, "BALM_DATA_DIR": str(fresh)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert back.returncode == 0, back.stderr
    assert _sqlite_tables(live / "balm.sqlite3") == _sqlite_tables(fresh / "balm.sqlite3")


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_tables(url: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(**url) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {
            name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_round_trip_gives_back_every_table(world) -> None:  # type: ignore[no-untyped-def]
    _fill(world)
    settings = dict(connection.settings_dict)
    out = Path(settings["NAME"] + ".dump").resolve()
    fresh_name = f"{settings['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{fresh_name}"')
        cursor.execute(f'CREATE DATABASE "{fresh_name}"')
    try:
        done = backup(settings, out)
        assert out.read_bytes().startswith(b"PGDMP") and done.engine == "postgresql"
        restore({**settings, "NAME": fresh_name}, out)
        login = {
            "host": settings["HOST"],
            "port": settings["PORT"],
            "user": settings["USER"],
            "password": settings["PASSWORD"] or None,
        }
        before = _pg_tables({**login, "dbname": settings["NAME"]})
        after = _pg_tables({**login, "dbname": fresh_name})
        assert set(before) == set(after) and len(before) > 30
        assert before == after
        assert before["outcomes_response"] and before["audit_auditevent"]
    finally:
        out.unlink(missing_ok=True)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh_name}"')
