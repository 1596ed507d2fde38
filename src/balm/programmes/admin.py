from django.contrib import admin

from balm.programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatusChange,
    ProgrammeTemplate,
    ScheduleEntry,
    Session,
    SessionPlan,
)


class SessionPlanInline(admin.StackedInline):
    model = SessionPlan
    extra = 0


class ScheduleEntryInline(admin.TabularInline):
    model = ScheduleEntry
    extra = 0


@admin.register(ProgrammeTemplate)
class ProgrammeTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "weeks", "site")
    inlines = (SessionPlanInline, ScheduleEntryInline)


class HistoryInline(admin.TabularInline):
    model = EnrolmentStatusChange
    extra = 0
    readonly_fields = ("status", "on", "reason", "by", "recorded_at")


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("participant", "cohort", "status", "format")
    list_filter = ("cohort__site", "status")
    inlines = (HistoryInline,)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "start_date", "format", "status")


admin.site.register(Session)
