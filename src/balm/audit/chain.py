"""Tamper evidence for the audit trail: each event carries a SHA-256 hash of its content and
of the hash of the event before it in the same chain.

There is one chain per site (and one for events without a site). Per site rather than global
because the chain's lock is held until the writing transaction commits: one global chain would
make every write at every site wait for every other, while per-site chains only order writes
within a site, and a site's chain can be checked (and shown to that site) on its own.

Editing, inserting or deleting an event in the middle of a chain changes a hash that a later
event depends on, so :func:`verify` finds the first broken link. It cannot tell that the newest
events of a chain were cut off (nothing follows them); keep backups (``balm backup``) to compare.
The hash covers the ids of the actor, site and participant, so balm never deletes users, sites
or participants it has audited (it deactivates or erases their details instead).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

GENESIS = ""
# The first key of PostgreSQL's two-key advisory lock: "balm" in ASCII, so balm's audit locks
# cannot be mistaken for anyone else's; the second key is the site id (0: no site).
_LOCK_CLASS = 0x62616C6D

HASHED_FIELDS = (
    "at",
    "action",
    "object_type",
    "object_id",
    "site_id",
    "actor_id",
    "actor_participant_id",
    "participant_id",
    "details",
)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_details(details: Any) -> Any:
    """The details as the database gives them back (dates as strings, tuples as lists)."""
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))


def digest(prev_hash: str, values: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the previous hash and the event's fields, in a canonical JSON form
    (sorted keys, UTC times to the microsecond) that reads back the same from SQLite and
    PostgreSQL."""
    return hashlib.sha256(_canonical_text(prev_hash, values).encode("ascii")).hexdigest()


def _canonical_text(prev_hash: str, values: Mapping[str, Any]) -> str:
    content = {name: values[name] for name in HASHED_FIELDS}
    content["at"] = _canonical_time(values["at"])
    content["details"] = canonical_details(values["details"])
    content["prev_hash"] = prev_hash
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest_around(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """The canonical text of :func:`digest` cut where the previous hash goes: ``(head, tail)``
    with ``digest(prev, values) == sha256(head + prev + tail)`` for any hexadecimal ``prev``
    (which JSON writes as it is). None when the cut is not certain (the details hold the
    marker used to find it)."""
    text = _canonical_text(_MARKER, values)
    quoted = json.dumps(_MARKER)
    if text.count(quoted) != 1:
        return None
    head, tail = text.split(quoted)
    return head + '"', '"' + tail


# Stands in for the previous hash in :func:`digest_around`; not hexadecimal, so no stored hash
# is ever this.
_MARKER = "<previous hash: 7b1c9f0e-balm-audit-chain>"


def lock_chain(site_id: int | None) -> None:
    """Hold the site's chain until this transaction ends, so two writers cannot both link to
    the same predecessor. PostgreSQL: a transaction-scoped advisory lock. SQLite: take the
    database's write lock now (a write that changes nothing), before the last hash is read."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, site_id or 0])
        else:
            cursor.execute("UPDATE audit_auditevent SET id = id WHERE 0 = 1")


def last_hash(site_id: int | None) -> str:
    """The hash of the chain's newest event (:data:`GENESIS` for an empty chain); read after
    :func:`lock_chain` (on PostgreSQL ``balm.audit.models.record`` reads it inside the
    event's insert instead, the same query, a statement less). The SQL of the ORM's
    ``AuditEvent.objects.filter(site_id=site_id).order_by("-id").values_list("hash",
    flat=True).first()`` (index ``site, id``), written out: every change is audited, and
    compiling it cost more than running it."""
    where, params = ("= %s", [site_id]) if site_id is not None else ("IS NULL", [])
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "audit_auditevent"."hash" FROM "audit_auditevent" WHERE '
            f'"audit_auditevent"."site_id" {where} ORDER BY "audit_auditevent"."id" DESC LIMIT 1',
            params,
        )
        row = cursor.fetchone()
    return row[0] if row is not None else GENESIS


@dataclass(frozen=True)
class BrokenLink:
    """The first event whose stored hashes do not match: why, and which event."""

    event_id: int
    site_id: int | None
    reason: str

    def __str__(self) -> str:
        chain = f"site {self.site_id}" if self.site_id is not None else "no site"
        return f"audit event {self.event_id} ({chain}): {self.reason}"


def check_chain(rows: Iterable[Mapping[str, Any]]) -> Iterator[BrokenLink]:
    """Walk one chain's rows (dicts with ``id``, ``prev_hash``, ``hash`` and the hashed
    fields, oldest first) and yield every broken link."""
    previous = GENESIS
    previous_id: int | None = None
    for row in rows:
        if row["prev_hash"] != previous:
            after = f"event {previous_id}" if previous_id is not None else "the start"
            yield BrokenLink(
                row["id"],
                row["site_id"],
                f"does not follow {after}: an event before it was changed, added or removed",
            )
        elif digest(row["prev_hash"], row) != row["hash"]:
            yield BrokenLink(row["id"], row["site_id"], "its content was changed after writing")
        previous = row["hash"]
        previous_id = row["id"]
