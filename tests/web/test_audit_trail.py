"""The audit trail: its hash chain (tamper evidence, ``verify_audit``), the administrators'
page and its CSV, for every persona."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from tests.web import factories

from balm.accounts.actions import create_participant, issue_participant_link
from balm.audit import chain
from balm.audit.models import AuditEvent, record
from balm.audit.verify import first_broken_links
from balm.programmes.actions import change_enrolment_status

pytestmark = pytest.mark.django_db


client_for = factories.client_for


def _events(world, count: int = 3) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return [
        record("test.event", by=world.admin_a, obj=world.p1, site=world.site_a, details={"n": n})
        for n in range(count)
    ]


def _raw(sql: str, params: list[object]) -> None:
    """A change made behind balm's back, straight to the database."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- the chain ---------------------------------------------------------------------------


def test_each_event_links_to_the_one_before_it_in_its_site(world) -> None:  # type: ignore[no-untyped-def]
    first, second, third = _events(world)
    other = record("test.event", by=world.facilitator_b, obj=world.cohort_b, site=world.site_b)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert other.prev_hash != third.hash  # site B has its own chain
    # The hash is SHA-256 of the canonical content: recomputed independently from the row.
    stored = AuditEvent.objects.get(pk=second.pk)
    assert chain.digest(stored.prev_hash, stored.hashed_values()) == stored.hash
    assert len(stored.hash) == 64 and int(stored.hash, 16) >= 0
    assert first_broken_links()[1] == []


def test_the_last_hash_is_the_newest_of_the_sites_chain(world) -> None:  # type: ignore[no-untyped-def]
    """``chain.last_hash`` (plain SQL) reads what the ORM's query for it reads: per site, and
    the events without a site as a chain of their own; nothing yet: the start."""
    empty = factories.site("site-empty")
    assert chain.last_hash(empty.pk) == chain.GENESIS
    events = _events(world)
    unsited = record("test.event", by=None, obj=world.p1)
    for site_id in (world.site_a.pk, world.site_b.pk, None, empty.pk):
        orm = (
            AuditEvent.objects.filter(site_id=site_id)
            .order_by("-id")
            .values_list("hash", flat=True)
            .first()
        )
        assert chain.last_hash(site_id) == (orm or chain.GENESIS)
    assert chain.last_hash(world.site_a.pk) == events[-1].hash
    assert chain.last_hash(None) == unsited.hash != ""


def test_an_edited_row_is_caught_and_named(world) -> None:  # type: ignore[no-untyped-def]
    _, middle, _ = _events(world)
    call_command("verify_audit", stdout=io.StringIO())
    _raw("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', middle.pk])
    with pytest.raises(CommandError, match="changed behind balm's back"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert f"audit event {middle.pk} " in err.getvalue()
    assert "content was changed" in err.getvalue()


def test_an_edited_row_with_its_hash_recomputed_breaks_the_next_link(world) -> None:  # type: ignore[no-untyped-def]
    _, middle, last = _events(world)
    forged = AuditEvent.objects.get(pk=middle.pk)
    forged.action = "test.innocent"
    forged_hash = chain.digest(forged.prev_hash, forged.hashed_values())
    _raw(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["test.innocent", forged_hash, middle.pk],
    )
    [broken] = first_broken_links()[1]
    assert broken.event_id == last.pk and "does not follow" in broken.reason


def test_a_deleted_row_is_caught(world) -> None:  # type: ignore[no-untyped-def]
    _, middle, last = _events(world)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [middle.pk])
    [broken] = first_broken_links()[1]
    assert broken.event_id == last.pk


def test_the_migration_back_fills_rows_written_before_the_chain(world) -> None:  # type: ignore[no-untyped-def]
    from django.apps import apps

    events = _events(world)
    _raw("UPDATE audit_auditevent SET hash = '', prev_hash = '', participant_id = NULL", [])
    assert first_broken_links()[1] != []
    migration = importlib.import_module("balm.audit.migrations.0002_chain_and_participant")
    migration.backfill(apps, None)
    assert first_broken_links() == (AuditEvent.objects.count(), [])
    assert AuditEvent.objects.get(pk=events[0].pk).participant_id == world.p1.pk


def test_actions_tie_their_events_to_the_participant(world) -> None:  # type: ignore[no-untyped-def]
    person = create_participant(site=world.site_a, pseudonym="P9", by=world.admin_a)
    issue_participant_link(participant=person, by=world.facilitator_a)
    change_enrolment_status(enrolment=world.enrolment_p1, status="assessed", by=world.facilitator_a)
    assert set(AuditEvent.objects.filter(participant=person).values_list("action", flat=True)) == {
        "participant.create",
        "participant_link.issue",
    }
    assert AuditEvent.objects.filter(participant=world.p1, object_type="programmes.enrolment")


# --- the page and the CSV ------------------------------------------------------------------


def test_only_administrators_have_the_pages(world) -> None:  # type: ignore[no-untyped-def]
    for name in ("audit-trail", "audit-trail-csv"):
        url = reverse(name)
        assert client_for(world.admin_a).get(url).status_code == 200
        for user in (
            world.facilitator_a,
            world.facilitator_b,
            world.researcher_a,
            world.p1_user,
        ):
            assert client_for(user).get(url).status_code == 404, (name, user)
        anonymous = client_for(None).get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous.url


def test_administrator_sees_only_their_sites_and_filters(world) -> None:  # type: ignore[no-untyped-def]
    record("test.b", by=world.facilitator_b, obj=world.cohort_b, site=world.site_b)
    record("test.a", by=world.facilitator_a, obj=world.p2, site=world.site_a)
    mine = _events(world, 2)
    client = client_for(world.admin_a)
    page = client.get(reverse("audit-trail"))
    shown = {e.pk for e in page.context["page"].object_list}
    assert shown == set(AuditEvent.objects.filter(site=world.site_a).values_list("pk", flat=True))
    assert "test.b" not in page.content.decode()

    def ids(**query: str) -> set[int]:
        page = client.get(reverse("audit-trail"), query)
        assert page.status_code == 200
        return {e.pk for e in page.context["page"].object_list}

    assert ids(pseudonym="p1") == {e.pk for e in mine} | set(
        AuditEvent.objects.filter(participant=world.p1).values_list("pk", flat=True)
    )
    assert ids(action="test.a", actor="fac_a") == set(
        AuditEvent.objects.filter(action="test.a").values_list("pk", flat=True)
    )
    assert ids(action="test.event", actor="fac_a") == set()
    today = timezone.localdate()
    assert ids(action="test.event", date_from=str(today), date_to=str(today)) == {
        e.pk for e in mine
    }
    assert ids(action="test.event", date_to=str(today - timedelta(days=1))) == set()
    # another site's id in the filter is refused, not obeyed
    refused = client.get(reverse("audit-trail"), {"site": world.site_b.pk})
    assert refused.context["page"] is None and "site" in refused.context["form"].errors
    bad_dates = client.get(
        reverse("audit-trail"), {"date_from": str(today), "date_to": str(today - timedelta(1))}
    )
    assert "date_to" in bad_dates.context["form"].errors


def test_the_page_is_paginated(world) -> None:  # type: ignore[no-untyped-def]
    _events(world, 55)
    client = client_for(world.admin_a)
    first = client.get(reverse("audit-trail"), {"action": "test.event"})
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("audit-trail"), {"action": "test.event", "page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "Older events" in first.content.decode()


def test_csv_holds_the_filtered_events_with_formulas_neutralised(world) -> None:  # type: ignore[no-untyped-def]
    person = factories.participant(world.site_a, '=HYPERLINK("http://x.example","y")')
    record("test.csv", by=world.admin_a, obj=person, site=world.site_a, details={"k": "+1"})
    record("test.csv", by=world.facilitator_b, obj=world.cohort_b, site=world.site_b)
    response = client_for(world.admin_a).get(reverse("audit-trail-csv"), {"action": "test.csv"})
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["event_id", "at", "site", "action"]
    assert len(rows) == 2  # site B's event is not there
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["participant"] == '\'=HYPERLINK("http://x.example","y")'
    assert row["actor"] == "admin_a" and row["site"] == "site-a"
    assert AuditEvent.objects.filter(action="export.audit_trail", actor=world.admin_a).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_at_one_site_keep_one_unbroken_chain(world) -> None:  # type: ignore[no-untyped-def]
    """Eight requests auditing at once on their own connections: the advisory lock orders
    them, so no two events link to the same predecessor."""
    from tests.web.concurrency import run_together

    def write() -> None:
        for n in range(5):
            record("test.race", by=world.admin_a, obj=world.p1, site=world.site_a, details={"n": n})

    _, errors = run_together(write, count=8)
    assert errors == []
    events = AuditEvent.objects.filter(site=world.site_a).order_by("id")
    prev = [e.prev_hash for e in events]
    assert len(set(prev)) == len(prev)  # a fork would repeat a predecessor
    assert first_broken_links()[1] == []
