"""AuditEvent: who did what to which object, at which site, when."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from balm.audit import chain
from balm.row_insert import insert_new, prepared_values, save_would_do_more


class AuditEvent(models.Model):
    """One action by a user, a participant (through a personal link) or the system (both null)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_participant = models.ForeignKey(
        "accounts.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    site = models.ForeignKey(
        "accounts.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    participant = models.ForeignKey(
        "accounts.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The participant the event concerns, if any (to filter the trail by them).",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Tamper evidence (balm.audit.chain): the hash of the event before it in its site's chain
    # and the hash of this event's content and prev_hash.
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ("-at", "-id")
        indexes = (
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["site", "id"]),
        )

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def hashed_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in chain.HASHED_FIELDS}


# How to reach the participant from an audited object, tried in order (attribute paths).
_PARTICIPANT_PATHS = (
    ("participant_id",),
    ("enrolment", "participant_id"),
    ("assessment", "enrolment", "participant_id"),
    ("response", "assessment", "enrolment", "participant_id"),
)


def participant_id_of(obj: models.Model) -> int | None:
    """The participant an audited object belongs to, or None (a cohort, a template...)."""
    from balm.accounts.models import Participant

    if isinstance(obj, Participant):
        return obj.pk
    for path in _PARTICIPANT_PATHS:
        value: Any = obj
        for name in path:
            value = getattr(value, name, None)
            if value is None:
                break
        if isinstance(value, int):
            return value
    return None


def record(
    action: str,
    *,
    by: Any,
    obj: models.Model,
    site: Any = None,
    details: dict[str, Any] | None = None,
    participant: Any = None,
) -> AuditEvent:
    """Write one audit event, linked into its site's hash chain (``balm.audit.chain``).

    ``by`` is a User, a Participant or None (the system). ``participant`` (a Participant or
    its id) is found from ``obj`` when not given.
    """
    from balm.accounts.models import Participant, User

    actor = by if isinstance(by, User) else None
    actor_participant = by if isinstance(by, Participant) else None
    if by is not None and actor is None and actor_participant is None:
        raise TypeError(f"by must be a User, a Participant or None, not {type(by).__name__}")
    if participant is None:
        participant_id = participant_id_of(obj)
    else:
        participant_id = participant if isinstance(participant, int) else participant.pk
    site_id = site if isinstance(site, int) or site is None else site.pk
    event = AuditEvent(
        actor=actor,
        actor_participant=actor_participant,
        participant_id=participant_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        site_id=site_id,
        at=timezone.now(),
        details=chain.canonical_details(details),
    )
    # savepoint=False: inside an action's transaction this adds no savepoint statements.
    with transaction.atomic(savepoint=False):
        chain.lock_chain(site_id)
        if not _insert_linked(event):
            event.prev_hash = chain.last_hash(site_id)
            event.hash = chain.digest(event.prev_hash, event.hashed_values())
            insert_new(event)  # event.save(force_insert=True), its SQL compiled once
    return event


# The event's columns but its key and the two hashes, in the model's order.
_LINKED_FIELDS = tuple(
    f
    for f in AuditEvent._meta.local_concrete_fields
    if not f.primary_key and f.attname not in ("prev_hash", "hash")
)


def _linked_insert_sql(site_is_null: bool) -> str:
    """One statement that reads the chain's last hash (the query of :func:`chain.last_hash`),
    hashes the event after it (``sha256`` of the canonical text's head, that hash and its
    tail, as :func:`chain.digest`) and inserts it. Its snapshot is taken when it starts,
    after :func:`chain.lock_chain` returned, so it sees every event committed before the lock
    was granted, as the separate read did."""
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    where = "IS NULL" if site_is_null else "= %s"
    columns = ", ".join(quote(f.column) for f in _LINKED_FIELDS)
    values = ", ".join(["%s"] * len(_LINKED_FIELDS))
    return (
        f"WITH previous AS (SELECT COALESCE((SELECT {table}.{quote('hash')} FROM {table} "
        f"WHERE {table}.{quote('site_id')} {where} ORDER BY {table}.{quote('id')} DESC "
        f"LIMIT 1), %s) AS hash) "
        f"INSERT INTO {table} ({columns}, {quote('prev_hash')}, {quote('hash')}) "
        f"VALUES ({values}, (SELECT hash FROM previous), encode(sha256(convert_to("
        f"%s || (SELECT hash FROM previous) || %s, 'UTF8')), 'hex')) "
        f"RETURNING {table}.{quote('id')}, {table}.{quote('prev_hash')}, {table}.{quote('hash')}"
    )


_LINKED_SQL: dict[bool, str] = {}  # by whether the site is null


def _insert_linked(event: AuditEvent) -> bool:
    """On PostgreSQL, read the previous hash, hash and insert ``event`` in one statement
    (after the lock; otherwise :func:`chain.last_hash`, :func:`chain.digest` and the insert
    are three): False where that is not done (SQLite, a receiver of the model's save
    signals, details holding the digest's marker), for the caller to do it in steps."""
    if connection.vendor != "postgresql" or save_would_do_more(event):
        return False
    hashed = event.hashed_values()
    around = chain.digest_around(hashed)
    values = prepared_values(event, _LINKED_FIELDS, connection)
    if around is None or values is None:
        return False
    site_is_null = event.site_id is None
    if site_is_null not in _LINKED_SQL:
        _LINKED_SQL[site_is_null] = _linked_insert_sql(site_is_null)
    sql = _LINKED_SQL[site_is_null]
    site = [] if site_is_null else [event.site_id]
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, [*site, chain.GENESIS, *values, *around])
        event.pk, event.prev_hash, event.hash = cursor.fetchone()
        expected = chain.digest(event.prev_hash, hashed)
        if event.hash != expected:
            # Only a previous hash that is not hexadecimal (an edited row, which
            # ``verify_audit`` reports) is written differently by JSON: store the digest.
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(AuditEvent._meta.db_table)} "
                "SET hash = %s WHERE id = %s",
                [expected, event.pk],
            )
            event.hash = expected
    event._state.adding = False
    event._state.db = connection.alias
    return True
