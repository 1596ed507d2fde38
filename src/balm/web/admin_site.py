"""The Django admin at ``/admin/``: reference data for site administrators, the rest for superusers.

Who gets in: active superusers, and users holding an administrator membership at one site or
more (no ``is_staff`` flag needed). Everyone else is sent to the admin login page with a message.

What a site administrator sees and changes is decided by ``balm.accounts.permissions`` (never by
Django's model permissions): their own sites, their sites' programme templates and memberships.
A template shipped with balm is read-only to them; "Copy to my site" on its page (or the
changelist action) copies it to a site they administer, through the programmes action, and the
copy is theirs to edit (``balm.programmes.admin``).
Clinical records, audit events and API tokens are for superusers only (:class:`SuperuserOnlyAdmin`).
An object the user may not see is a 404. Every save and delete made here writes an audit event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest

from balm.accounts import permissions
from balm.accounts.models import Site
from balm.audit.models import record


def can_use_admin(user: Any) -> bool:
    """Active superusers and administrators of at least one site."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or permissions.administered_site_ids(user))


def is_superuser(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


class BalmAdminLoginForm(AdminAuthenticationForm):
    """The admin login, without Django's ``is_staff`` requirement."""

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)
        if not can_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BalmAdminSite(admin.AdminSite):
    site_header = "balm administration"
    site_title = "balm admin"
    index_title = "Reference data"
    login_form = BalmAdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)


balm_admin = BalmAdminSite(name="admin")


def site_of(obj: models.Model) -> Site | None:
    """The site an object belongs to, for its audit event (None if it has none)."""
    if isinstance(obj, Site):
        return obj
    if getattr(obj, "site_id", None) is not None:
        return obj.site  # type: ignore[attr-defined,no-any-return]
    return None


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for every add, change and delete made through the admin.

    ``audit_name`` prefixes the action (``<audit_name>.create`` / ``.update`` / ``.delete``);
    it defaults to ``admin.<model>``. An object outside :meth:`get_queryset` is a 404.
    """

    audit_name = ""

    def _audit_prefix(self) -> str:
        return self.audit_name or f"admin.{self.model._meta.model_name}"

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record(
            f"{self._audit_prefix()}.{'update' if change else 'create'}",
            by=request.user,
            obj=obj,
            site=site_of(obj),
            details={"fields": sorted(form.changed_data), "via": "admin"},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(
            f"{self._audit_prefix()}.delete",
            by=request.user,
            obj=obj,
            site=site_of(obj),
            details={"repr": str(obj), "via": "admin"},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class SuperuserOnlyAdmin(AuditedAdmin):
    """Clinical records and other data that site administrators never see here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        return queryset if is_superuser(request) else queryset.none()


class SuperuserOnlyInline:
    """Mixin for inlines of superuser-only admins."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)
