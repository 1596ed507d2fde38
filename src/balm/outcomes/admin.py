from django.contrib import admin

from balm.outcomes.models import Assessment, CheckIn, Response, SafetyAlert


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("enrolment", "instrument_id", "timepoint", "due_on")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("assessment", "entry_mode", "created_at")
    readonly_fields = tuple(f.name for f in Response._meta.fields)

    def has_change_permission(self, request, obj=None):  # amend through amend_response
        return False


admin.site.register(CheckIn)
admin.site.register(SafetyAlert)
