"""The audit event written in one statement after the chain's lock (PostgreSQL): it reads the
previous hash, lets the database compute the SHA-256 of the canonical text and inserts the
row, where SQLite takes three (read, hash in Python, insert). The stored chain must be the one
the three steps store: each hash equal to :func:`balm.audit.chain.digest` of its row, recomputed
here in Python, and ``verify_audit`` clean. Run the PostgreSQL ones with
``python -m tests.support.pgcluster -- pytest tests/web/test_audit_linked_insert.py``."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balm.audit import chain
from balm.audit.models import AuditEvent, record
from balm.audit.verify import first_broken_links

pytestmark = pytest.mark.django_db

VALUES = {
    "at": datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2))),
    "action": "response.submit",
    "object_type": "outcomes.response",
    "object_id": "42",
    "site_id": 3,
    "actor_id": None,
    "actor_participant_id": 7,
    "participant_id": 7,
    "details": {"note": 'O\'Brien "Zürich" \\ é', "n": [1, 2.5, None], "z": {"a": "b"}},
}


@pytest.mark.parametrize("prev", [chain.GENESIS, "0123456789abcdef" * 4])
@pytest.mark.parametrize("details", [VALUES["details"], {}, {"prev_hash": "x", "at": "y"}])
def test_the_digest_cut_around_the_previous_hash_hashes_the_same(prev: str, details) -> None:  # type: ignore[no-untyped-def]
    """sha256(head + previous hash + tail) is the chain's digest (hashlib as the reference),
    whatever the details hold, keys named like the hashed fields included."""
    values = {**VALUES, "details": details}
    around = chain.digest_around(values)
    assert around is not None
    head, tail = around
    text = head + prev + tail
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == chain.digest(prev, values)


def test_details_holding_the_marker_are_not_cut() -> None:
    values = {**VALUES, "details": {"text": chain._MARKER}}
    assert chain.digest_around(values) is None


def _statements(world, **kwargs) -> tuple[AuditEvent, list[str]]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        event = record("test.event", by=world.admin_a, obj=world.p1, **kwargs)
    return event, [q["sql"] for q in captured.captured_queries]


def _recomputed(event: AuditEvent) -> str:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.prev_hash, stored.hash) == (event.prev_hash, event.hash)
    return chain.digest(stored.prev_hash, stored.hashed_values())


@pytest.mark.postgres
def test_on_postgres_an_event_costs_the_lock_and_one_insert(world) -> None:  # type: ignore[no-untyped-def]
    first, sqls = _statements(world, site=world.site_a, details={"n": 1})
    assert len(sqls) == 2 and "pg_advisory_xact_lock" in sqls[0]
    assert sqls[1].startswith("WITH previous AS") and "INSERT INTO" in sqls[1]
    second, _ = _statements(world, site=world.site_a, details={"n": 'two "2" é'})
    unsited, sqls = _statements(world, details={"n": 3})  # the chain of no site
    assert len(sqls) == 2 and '"site_id" IS NULL' in sqls[1]
    assert second.prev_hash == first.hash != ""
    for event in (first, second, unsited):
        assert _recomputed(event) == event.hash
    assert first_broken_links()[1] == []


@pytest.mark.postgres
def test_on_postgres_marker_details_take_the_three_steps(world) -> None:  # type: ignore[no-untyped-def]
    before, _ = _statements(world, site=world.site_a)
    event, sqls = _statements(world, site=world.site_a, details={"text": chain._MARKER})
    assert len(sqls) == 3 and sqls[2].startswith("INSERT INTO")
    assert event.prev_hash == before.hash and _recomputed(event) == event.hash
    assert first_broken_links()[1] == []


@pytest.mark.postgres
def test_after_an_edited_hash_the_new_event_still_holds_pythons_digest(world) -> None:  # type: ignore[no-untyped-def]
    """A previous hash that is not hexadecimal (a row edited behind balm's back) is written
    by JSON with escapes, which the database's cut text would not have: the new event's hash
    is still chain.digest of its row, and verify_audit reports only the edited row."""
    edited, _ = _statements(world, site=world.site_a)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET hash = %s WHERE id = %s", ['bad "hash" \\', edited.pk]
        )
    event, _ = _statements(world, site=world.site_a)
    assert event.prev_hash == 'bad "hash" \\'
    assert _recomputed(event) == event.hash
    broken = first_broken_links()[1]
    assert [link.event_id for link in broken] == [edited.pk]


def test_the_stored_chain_is_the_same_on_either_path(world) -> None:  # type: ignore[no-untyped-def]
    """Whichever path wrote them (one statement on PostgreSQL, three on SQLite), events at
    one site follow one another and each hash is the digest of its row."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        record("test.event", by=world.admin_a, obj=world.p1, site=world.site_a, details={"at": at})
        for _ in range(3)
    ]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    for event in events:
        assert _recomputed(event) == event.hash
    assert first_broken_links()[1] == []
