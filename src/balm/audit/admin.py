"""The audit trail: read-only, and visible to superusers only (rules: ``balm.web.admin_site``)."""

from django.contrib import admin

from balm.audit.models import AuditEvent
from balm.web.admin_site import SuperuserOnlyAdmin, balm_admin


@admin.register(AuditEvent, site=balm_admin)
class AuditEventAdmin(SuperuserOnlyAdmin):
    list_display = ("at", "action", "object_type", "object_id", "actor", "site")
    list_filter = ("action", "site")
    readonly_fields = tuple(f.name for f in AuditEvent._meta.fields)

    def has_add_permission(self, request):  # the trail is written by actions only
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
