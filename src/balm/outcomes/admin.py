"""Clinical records: superusers only (rules: ``balm.web.admin_site``)."""

from django.contrib import admin

from balm.outcomes.models import Assessment, CheckIn, Response, SafetyAlert
from balm.web.admin_site import SuperuserOnlyAdmin, balm_admin


@admin.register(Assessment, site=balm_admin)
class AssessmentAdmin(SuperuserOnlyAdmin):
    list_display = ("enrolment", "instrument_id", "timepoint", "due_on")


@admin.register(Response, site=balm_admin)
class ResponseAdmin(SuperuserOnlyAdmin):
    list_display = ("assessment", "entry_mode", "created_at")
    readonly_fields = tuple(f.name for f in Response._meta.fields)

    def has_change_permission(self, request, obj=None):  # amend through amend_response
        return False


@admin.register(CheckIn, site=balm_admin)
class CheckInAdmin(SuperuserOnlyAdmin):
    pass


@admin.register(SafetyAlert, site=balm_admin)
class SafetyAlertAdmin(SuperuserOnlyAdmin):
    pass
