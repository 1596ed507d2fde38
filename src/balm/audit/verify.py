"""Check every audit chain of the database (``balm manage verify_audit``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from balm.audit import chain
from balm.audit.models import AuditEvent

_COLUMNS = ("id", "prev_hash", "hash", *chain.HASHED_FIELDS)


def _rows(site_id: int | None) -> Iterator[dict[str, Any]]:
    query = AuditEvent.objects.filter(site_id=site_id).order_by("id").values(*_COLUMNS)
    yield from query.iterator(chunk_size=2000)


def chain_site_ids() -> list[int | None]:
    """Every chain in the database: the sites with events, and None (no site) if any."""
    ids = AuditEvent.objects.order_by().values_list("site_id", flat=True).distinct()
    return sorted(set(ids), key=lambda i: (i is not None, i or 0))


def first_broken_links() -> tuple[int, list[chain.BrokenLink]]:
    """How many events were checked, and the first broken link of each chain that has one."""
    counted = [0]

    def counting(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            counted[0] += 1
            yield row

    broken: list[chain.BrokenLink] = []
    for site_id in chain_site_ids():
        rows = counting(_rows(site_id))
        first = next(chain.check_chain(rows), None)
        if first is not None:
            broken.append(first)
            for _ in rows:  # count the rest of the chain too
                pass
    return counted[0], broken
