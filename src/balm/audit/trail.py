"""The audit trail as administrators read it: filters, page rows and the CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from balm.audit.models import AuditEvent
from balm.cells import neutralise_row

CSV_HEADER = (
    "event_id",
    "at",
    "site",
    "action",
    "object_type",
    "object_id",
    "actor",
    "participant",
    "details",
    "hash",
)


@dataclass(frozen=True)
class TrailFilter:
    site_ids: frozenset[int]
    pseudonym: str = ""
    actor: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(events: QuerySet[AuditEvent], f: TrailFilter) -> QuerySet[AuditEvent]:
    """``events`` narrowed by the filter: newest first. Dates are local days, inclusive."""
    query = events.filter(site_id__in=f.site_ids)
    if f.pseudonym:
        query = query.filter(participant__pseudonym__iexact=f.pseudonym)
    if f.actor:
        query = query.filter(actor__username__iexact=f.actor)
    if f.action:
        query = query.filter(action=f.action)
    if f.date_from:
        query = query.filter(at__gte=_start_of(f.date_from))
    if f.date_to:
        query = query.filter(at__lt=_start_of(f.date_to + timedelta(days=1)))
    return query.select_related("actor", "actor_participant", "participant", "site").order_by(
        "-at", "-id"
    )


def actor_label(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.username
    if event.actor_participant is not None:
        return f"participant {event.actor_participant.pseudonym}"
    return "balm (system)"


def details_text(event: AuditEvent) -> str:
    return json.dumps(event.details, sort_keys=True, ensure_ascii=False) if event.details else ""


def csv_rows(query: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """The header, then one row per event; every text cell made safe for spreadsheets."""
    yield list(CSV_HEADER)
    for event in query.iterator(chunk_size=1000):
        cells = [
            str(event.pk),
            timezone.localtime(event.at).isoformat(timespec="seconds"),
            event.site.slug if event.site else "",
            event.action,
            event.object_type,
            event.object_id,
            actor_label(event),
            event.participant.pseudonym if event.participant else "",
            details_text(event),
            event.hash,
        ]
        yield neutralise_row(cells)
