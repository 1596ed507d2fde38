"""Finding a qualitative project (and its sources) for a workspace page, in one place.

Every page of the workspace (``qual_*.py`` here, and the theme, recurrence, comparison and
suggestion pages) starts with :func:`workspace`. The rules come from
``balm.accounts.permissions``: researchers and administrators of the project's site read and code
everything; a facilitator of the site reaches only the pages for their own session feedback
and reflections (``coders_only=False``); participants, other sites and anyone else get a 404,
as for every object a person may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from balm.accounts import permissions
from balm.qualitative.models import Code, QualProject, Source


@dataclass(frozen=True)
class Workspace:
    """A project as one person may work in it."""

    project: QualProject
    can_code: bool
    """Researcher or administrator of the site: reads every source, codes, writes notes."""
    can_view_map: bool
    """Administrator: may see which name became which pseudonym."""

    def context(self, **extra: Any) -> dict[str, Any]:
        """The template context every workspace page starts from."""
        return {"project": self.project, "ws": self, **extra}

    def sources(self) -> Any:
        """The project's live sources this person may read."""
        return permissions.visible_qual_sources(self.user).filter(project=self.project)

    user: Any = None


def workspace(request: HttpRequest, project_id: int, *, coders_only: bool = True) -> Workspace:
    """The project ``project_id`` if the user may open this page of its workspace, else 404.

    ``coders_only`` (the default): researchers and administrators of the site. Without it,
    facilitators of the site too (the sources page, where they add and read their own
    feedback and reflections)."""
    project = get_object_or_404(QualProject.objects.select_related("site"), pk=project_id)
    user = request.user
    can_code = permissions.can_code_qual(user, project.site_id)
    if not can_code and (
        coders_only or not permissions.can_open_qual_workspace(user, project.site_id)
    ):
        raise Http404
    return Workspace(
        project=project,
        can_code=can_code,
        can_view_map=permissions.can_view_pseudonym_map(user, project.site_id),
        user=user,
    )


def workspace_source(
    request: HttpRequest, project_id: int, source_id: int, *, coders_only: bool = True
) -> tuple[Workspace, Source]:
    """The project and one of its live sources the user may read (else 404)."""
    ws = workspace(request, project_id, coders_only=coders_only)
    source = get_object_or_404(ws.sources(), pk=source_id)
    return ws, source


def as_int(value: Any) -> int | None:
    """A whole number from a form or query string, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def workspace_code(ws: Workspace, code_id: Any, *, deleted: bool = False) -> Code:
    """A code of the project (live, or with ``deleted`` a deleted one), else 404."""
    pk = as_int(code_id)
    if pk is None:
        raise Http404
    return get_object_or_404(
        Code.objects.filter(project=ws.project, deleted_at__isnull=not deleted), pk=pk
    )
