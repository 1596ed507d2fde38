"""Reads of qualitative data that are gated beyond "may see the site": the recycle bin (what
was deleted, by whom, when, ready to restore), an object's history, and the pseudonym map
(administrators only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import QuerySet

from balm.accounts import permissions
from balm.accounts.models import Site, User
from balm.audit.models import AuditEvent
from balm.qualitative.models import Code, Coding, PseudonymEntry, QualProject, Source


@dataclass(frozen=True)
class Deleted:
    kind: str
    """``source``, ``code`` or ``coding``."""
    obj: Source | Code | Coding
    deleted_at: datetime
    deleted_by: User | None


def deleted_items(project: QualProject, *, by: Any) -> list[Deleted]:
    """Everything deleted in ``project`` that a restore would bring back, newest first."""
    permissions.require(permissions.can_code_qual(by, project.site_id))
    found: list[Deleted] = []
    for kind, rows in (
        ("source", Source.objects.filter(project=project)),
        ("code", Code.objects.filter(project=project)),
        ("coding", Coding.objects.filter(source__project=project)),
    ):
        for row in rows.filter(deleted_at__isnull=False).select_related("deleted_by"):
            found.append(Deleted(kind, row, row.deleted_at, row.deleted_by))
    return sorted(found, key=lambda d: d.deleted_at, reverse=True)


def history(obj: models.Model, *, by: Any, site: Site) -> QuerySet[AuditEvent]:
    """The audit events of one qualitative object (additions, deletions, restores), oldest
    first."""
    permissions.require(permissions.can_code_qual(by, site))
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), site=site
    ).order_by("at", "id")


def pseudonym_map(site: Site, *, by: Any) -> QuerySet[PseudonymEntry]:
    """Which name became which pseudonym at ``site``: administrators of the site only."""
    permissions.require(permissions.can_view_pseudonym_map(by, site))
    return PseudonymEntry.objects.filter(site=site)
