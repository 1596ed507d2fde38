"""Template context shared by every page."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest

from balm.accounts import permissions


def balm(request: HttpRequest) -> dict[str, object]:
    @cache
    def is_staff() -> bool:
        """Staff navigation (asked only when a template shows it, once per request)."""
        return permissions.is_staff_member(getattr(request, "user", None))

    @cache
    def by_link() -> bool:
        """A participant here through a personal link (no account): offer to forget them."""
        from balm.web.participant_session import SESSION_KEY

        session = getattr(request, "session", None)
        return session is not None and session.get(SESSION_KEY) is not None

    @cache
    def is_admin() -> bool:
        """Administrators of a site see its audit trail."""
        return permissions.can_view_audit_trail(getattr(request, "user", None))

    @cache
    def qual() -> bool:
        """The interview projects link: researchers, administrators and facilitators."""
        user = getattr(request, "user", None)
        return permissions.workspace_qual_projects(user).exists() or bool(
            permissions.site_ids(user, permissions.QUAL_ROLES)
        )

    return {
        "balm_demo": settings.DEMO,
        "balm_is_staff": is_staff,
        "balm_is_admin": is_admin,
        "balm_by_link": by_link,
        "balm_qual": qual,
        "balm_lock_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
