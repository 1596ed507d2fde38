"""Clinical records: superusers only (rules: ``balm.web.admin_site``)."""

from django.contrib import admin

from balm.outcomes.models import Assessment, CheckIn, ReminderLog, Response, SafetyAlert
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
    """Read-only: alerts are acknowledged on their page (``acknowledge_alert``, audited), and
    their e-mail fields belong to the e-mail task and the check."""

    list_display = ("response", "item", "value", "acknowledged_at", "email_outcome")
    readonly_fields = tuple(f.name for f in SafetyAlert._meta.fields)


@admin.register(ReminderLog, site=balm_admin)
class ReminderLogAdmin(SuperuserOnlyAdmin):
    """How each questionnaire e-mail went, with the raw error (which may quote the mail server
    and the participant's address, so it is never on a staff page: ``balm.outcomes.undelivered``).
    Read-only: the reminder check and the e-mail task own these rows."""

    list_display = ("assessment", "kind", "outcome", "attempts", "last_attempt_at", "sent_at")
    list_filter = ("kind",)
    readonly_fields = tuple(f.name for f in ReminderLog._meta.fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
