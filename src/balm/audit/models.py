"""AuditEvent: who did what to which object, at which site, when."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from balm.audit import chain
from balm.web.row_insert import insert_new


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
        event.prev_hash = chain.last_hash(site_id)
        event.hash = chain.digest(event.prev_hash, event.hashed_values())
        insert_new(event)  # event.save(force_insert=True), its SQL compiled once
    return event
