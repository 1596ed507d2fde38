"""AuditEvent: who did what to which object, at which site, when."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


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
    at = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ("-at", "-id")
        indexes = (models.Index(fields=["object_type", "object_id"]),)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


def record(
    action: str,
    *,
    by: Any,
    obj: models.Model,
    site: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. ``by`` is a User, a Participant or None (the system)."""
    from balm.accounts.models import Participant, User

    actor = by if isinstance(by, User) else None
    actor_participant = by if isinstance(by, Participant) else None
    if by is not None and actor is None and actor_participant is None:
        raise TypeError(f"by must be a User, a Participant or None, not {type(by).__name__}")
    return AuditEvent.objects.create(
        actor=actor,
        actor_participant=actor_participant,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        site=site,
        details=details or {},
    )
