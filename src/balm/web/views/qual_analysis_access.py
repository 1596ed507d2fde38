"""Finding the qualitative project a staff member may code (a 404 for anyone else), for the
analysis pages: theme board, recurrence, coders compared, suggestions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from balm.accounts import permissions
from balm.qualitative.models import QualProject

__all__ = ["coded_project", "login_required"]


def coded_project(request: HttpRequest, project_id: int) -> QualProject:
    """The project, if the user researches or administers its site; otherwise a 404."""
    return get_object_or_404(
        permissions.visible_qual_projects(request.user).select_related("site"), pk=project_id
    )
