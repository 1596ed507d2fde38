"""``balm.row_insert``: a new instance stored with the INSERT the ORM compiled once is
stored exactly as ``Model.save()`` stores it (the same SQL text, every column equal, the same
primary key set, the same rollback marking on a failed insert), on SQLite and PostgreSQL
(``python -m tests.support.pgcluster -- pytest tests/web/test_row_insert.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from balm.audit.models import AuditEvent
from balm.outcomes.models import Assessment, EntryMode, Response
from balm.row_insert import create_row, insert_new

pytestmark = pytest.mark.django_db


def _stored(model, pk: int, skip: frozenset[str] = frozenset()) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """Every column of one row but the primary key (and ``skip``), read straight from the
    table, so the ORM's own reading takes no part in the comparison."""
    columns = [f.column for f in model._meta.concrete_fields if f.column not in {"id", *skip}]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(c) for c in columns)} FROM "
            f"{quote(model._meta.db_table)} WHERE {quote('id')} = %s",
            [pk],
        )
        return tuple(cursor.fetchone())


def _inserts(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]


def _event(world, **more) -> AuditEvent:  # type: ignore[no-untyped-def]
    """An event with text that needs quoting, an aware non-UTC time with microseconds, JSON
    with a decimal, a null, nesting and accents, set and null foreign keys."""
    values = {
        "actor": world.facilitator_a,
        "actor_participant": None,
        "participant_id": world.p1.pk,
        "action": "response.submit",
        "object_type": "outcomes.response",
        "object_id": "42",
        "site_id": world.site_a.pk,
        "at": datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=-5))),
        "details": {"note": 'O\'Brien "Zürich"', "n": Decimal("2.50"), "x": None, "l": [1, {}]},
        "prev_hash": "a" * 64,
        "hash": "b" * 64,
    }
    return AuditEvent(**{**values, **more})


def test_an_audit_event_is_stored_as_save_stores_it(world) -> None:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as by_save:
        saved = _event(world)
        saved.save(force_insert=True)
    with CaptureQueriesContext(connection) as by_insert:
        inserted = _event(world)
        insert_new(inserted)
    assert _inserts(by_insert) == _inserts(by_save) and len(_inserts(by_save)) == 1
    assert len(by_insert.captured_queries) == 1  # nothing else sent
    assert isinstance(inserted.pk, int) and inserted.pk == saved.pk + 1
    assert not inserted._state.adding and inserted._state.db == saved._state.db == "default"
    assert _stored(AuditEvent, inserted.pk) == _stored(AuditEvent, saved.pk)
    again = AuditEvent.objects.get(pk=inserted.pk)
    assert again.details == {"note": 'O\'Brien "Zürich"', "n": "2.50", "x": None, "l": [1, {}]}
    assert again.at == datetime(2026, 3, 4, 10, 6, 7, 891011, tzinfo=UTC)
    assert again.actor_id == world.facilitator_a.pk and again.actor_participant_id is None


def _response_values(world) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assessment = Assessment.objects.get(
        enrolment=world.enrolment_p1, instrument_id="phq9", timepoint="baseline"
    )
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    return {
        "assessment": assessment,
        "instrument_id": "phq9",
        "instrument_version": "1.0",
        "wording": None,
        "variant": "",
        "answers": {"q1": 3, "q2": None, "q3": 2.5, "q4": "1"},
        "scores": {"total": 9.5, "total_band": "mild", "missing": None},
        "scorer_version": "7",
        "entered_by": world.facilitator_a,
        "api_token": None,
        "entry_mode": EntryMode.STAFF_PAPER,
        "client_id": "same-client-id",
        "created_at": at,
        "updated_at": at + timedelta(seconds=1),
    }


def test_a_response_is_stored_as_create_stores_it(world) -> None:  # type: ignore[no-untyped-def]
    values = _response_values(world)
    with CaptureQueriesContext(connection) as by_create:
        created = Response.objects.create(**values)
    stored_by_create = _stored(Response, created.pk)
    Response.objects.filter(pk=created.pk).delete()  # the same assessment and client id again
    with CaptureQueriesContext(connection) as by_row:
        inserted = create_row(Response, **values)
    assert _inserts(by_row) == _inserts(by_create) and len(_inserts(by_create)) == 1
    assert len(by_row.captured_queries) == 1
    assert inserted.pk == created.pk + 1 and not inserted._state.adding
    assert _stored(Response, inserted.pk) == stored_by_create
    assert inserted.assessment_id == values["assessment"].pk  # type: ignore[attr-defined]
    assert Response.objects.get(pk=inserted.pk).answers == values["answers"]


def test_a_failed_insert_marks_the_transaction_as_save_does(world) -> None:  # type: ignore[no-untyped-def]
    """A repeated unique client id: the IntegrityError comes out and, inside an atomic block,
    the block is marked for rollback (so a later query in it is refused), as with save()."""
    values = _response_values(world)
    create_row(Response, **values)
    marked = []
    for write in (
        lambda: Response.objects.create(**values),
        lambda: create_row(Response, **values),
    ):
        with transaction.atomic():
            with pytest.raises(IntegrityError):
                write()
            marked.append(connection.needs_rollback)  # the block's savepoint is then undone
    assert marked == [True, True]
    assert Response.objects.count() == 1


def test_an_unsaved_related_object_is_refused_as_save_refuses_it(world) -> None:  # type: ignore[no-untyped-def]
    values = {**_response_values(world), "assessment": Assessment(), "client_id": "other"}
    with pytest.raises(ValueError) as by_save:
        Response.objects.create(**values)
    with pytest.raises(ValueError) as by_row:
        create_row(Response, **values)
    assert str(by_row.value) == str(by_save.value)
    assert "unsaved related object 'assessment'" in str(by_row.value)


def test_a_model_with_save_receivers_is_saved_by_save(world) -> None:  # type: ignore[no-untyped-def]
    """With a post_save receiver connected, the receiver still hears of the new event."""
    heard = []

    def receiver(sender, instance, created, **_):  # type: ignore[no-untyped-def]
        heard.append((sender, instance.pk, created))

    post_save.connect(receiver, sender=AuditEvent, dispatch_uid="test_row_insert")
    try:
        event = _event(world)
        insert_new(event)
    finally:
        post_save.disconnect(sender=AuditEvent, dispatch_uid="test_row_insert")
    assert heard == [(AuditEvent, event.pk, True)] and event.pk is not None
    event = _event(world)
    insert_new(event)  # disconnected: the compiled insert again, nothing heard
    assert len(heard) == 1 and AuditEvent.objects.filter(pk=event.pk).exists()
